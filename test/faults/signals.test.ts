// SIGTERM and Ctrl-C (SIGINT) reaching `practice import` between two of its batches: the built CLI stops at
// the next check, says how to resume, exits 143 or 130, keeps exactly the batches it committed, and the
// same command run again ends with every row of the file once. The signal is a real one, sent by the
// process to itself at a failpoint (PRACTICE_FAILPOINT=import:after-commit@2=SIGTERM), so it arrives at a
// known instant instead of whenever a timer fires on a loaded machine.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { backends } from '../helpers/db.js';
import { builtWith, practice, seeded, type Seeded } from './spawn.js';

const ROWS = 200;
const BATCH = 25;
const built = builtWith('faults/failpoint.js', '=SIGTERM');

function patientsFile(dir: string): string {
  const lines = ['chart_number,last_name,first_name,dob'];
  for (let i = 0; i < ROWS; i++) lines.push(`S${i},Last${i},First${i},19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`);
  const file = join(dir, 'patients.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const STOPS = [
  { signal: 'SIGTERM', code: 143 },
  { signal: 'SIGINT', code: 130 },
] as const;

for (const backend of backends) {
  describe.skipIf(!built)(`an import asked to stop (built CLI) [${backend}]`, () => {
    let databases: Seeded;
    beforeAll(async () => {
      databases = await seeded(backend, async () => undefined);
    }, 120_000);
    afterAll(() => databases?.close());

    it.each(STOPS)('$signal between two batches: exit $code, whole batches kept, a rerun finishes the file', { timeout: 180_000 }, async ({ signal, code }) => {
      const place = await databases.fresh(`stop-${signal}`);
      const file = patientsFile(mkdtempSync(join(tmpdir(), 'pk-signal-')));
      const args = [...place.args, 'import', file, '--kind', 'patients', '--batch-size', String(BATCH), '--json'];
      const stopped = await practice(args, { ...place.env, PRACTICE_TEST_HOOKS: '1', PRACTICE_FAILPOINT: `import:after-commit@2=${signal}` });
      expect(stopped.signal, stopped.stderr).toBeNull();
      expect(stopped.code, stopped.stderr).toBe(code);
      expect(stopped.stderr).toMatch(/Stopping after the current step/);
      expect(stopped.stderr).toMatch(/Run the same command again to resume/);
      expect(stopped.stderr).not.toMatch(/\n\s+at |Last1\b|First1\b/);
      const kept = await place.use(async (h) => (await queryRows<{ n: number }>(h.db, sql`select count(*)::int as n from patients`))[0]!.n);
      // The batches committed before the stop was noticed, whole: at least the two, never all of them.
      expect(kept % BATCH).toBe(0);
      expect(kept).toBeGreaterThanOrEqual(2 * BATCH);
      expect(kept).toBeLessThan(ROWS);

      const again = await practice(args, place.env);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).counts).toMatchObject({ read: ROWS, inserted: ROWS - kept, unchanged: kept, rejected: 0 });
      const after = await place.use(async (h) => (await queryRows<{ n: number; charts: number }>(h.db, sql`select count(*)::int as n, count(distinct mrn)::int as charts from patients`))[0]!);
      expect(after).toEqual({ n: ROWS, charts: ROWS });
    });
  });
}
