// The export killed (SIGKILL, as kill -9) at every step, then run again: every claim is sent exactly
// once, in one file whose control numbers are the ones recorded, with no temporary file left behind.
// Real processes (bin/practice.js, so it needs dist/: npm run build) on a real database: an embedded
// data directory, and a PostgreSQL database when TEST_DATABASE_URL is set.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_FAILPOINTS } from '../../src/claims/export-837p.js';
import { tempName } from '../../src/files/private-file.js';
import type { PracticeDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { backends } from '../helpers/db.js';
import { killAt, practice, seeded, type Seeded } from '../faults/spawn.js';
import { segmentsOf } from './read-837p.js';
import { seedPractice } from './seed.js';

const root = mkdtempSync(join(tmpdir(), 'pk-export-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The practice of fixtures/x12 with two claims built and ready, and time enough to file them. */
async function seed(handle: PracticeDatabase): Promise<void> {
  await seedPractice(handle.db);
  await handle.db.execute(sql`update payers set timely_filing_days = 36500`);
  const build = await runCli(['--json', 'claims', 'build'], { database: handle });
  expect(build.json()).toMatchObject({ claims: 2 });
}

for (const backend of backends) describe(`claims export killed at every step [${backend}]`, () => {
  let db: Seeded;
  beforeAll(async () => {
    db = await seeded(backend, seed);
  }, 300_000);
  afterAll(async () => db?.close());

  it.each(EXPORT_FAILPOINTS)('killed at %s, then run again: each claim in exactly one file, same control numbers', async (step) => {
    const place = await db.fresh(step);
    const out = join(root, `out-${backend}-${step}`);
    mkdirSync(out);
    const exportArgs = [...place.args, '--json', 'claims', 'export', '--all', '--out', out];

    const killed = await practice(exportArgs, { ...place.env, ...killAt(`claims-export:${step}`) });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');

    // What the killed run left recorded: the batch (if any) whose file the rerun must write unchanged.
    const left = await place.use((handle) =>
      queryRows<{ id: number; isa: number; sha: string; status: string }>(handle.db, sql`select id, interchange_control_number as isa, file_sha256 as sha, status from claim_batches order by id`),
    );
    if (step === 'before-record') expect(left).toEqual([]);
    else expect(left).toEqual([{ id: expect.any(Number), isa: 1, sha: expect.any(String), status: step === 'after-commit' ? 'exported' : 'open' }]);

    const rerun = await practice(exportArgs, place.env);
    expect(rerun.code, rerun.stderr).toBe(0);
    if (step !== 'before-record' && step !== 'after-commit') expect(rerun.stderr).toContain('An earlier export was stopped before it finished');
    // The rerun finished the recorded batch (or, when nothing was recorded, made it) and sent nothing twice.
    expect(JSON.parse(rerun.stdout)).toMatchObject(step === 'before-record' || step === 'after-commit' ? { claims: step === 'after-commit' ? 0 : 2, completed: [] } : { batchId: null, claims: 0, completed: [{ batchId: left[0]!.id, claims: 2 }] });

    const files = readdirSync(out);
    expect(files.filter((f) => f.endsWith('.tmp') || f === tempName(f))).toEqual([]);
    expect(files).toHaveLength(1);
    const text = readFileSync(join(out, files[0]!), 'utf8');
    const { segments } = segmentsOf(text);
    const sent = segments.filter((s) => s.startsWith('CLM*')).map((s) => s.split('*')[1]);
    await place.use(async (handle) => {
      const batches = await queryRows<{ id: number; isa: number; sha: string; status: string }>(
        handle.db,
        sql`select id, interchange_control_number as isa, file_sha256 as sha, status from claim_batches order by id`,
      );
      expect(batches).toHaveLength(1);
      expect(batches[0]!.status).toBe('exported');
      // The file is the recorded batch, byte for byte, with the control number the killed run took.
      expect(createHash('sha256').update(text).digest('hex')).toBe(batches[0]!.sha);
      if (left.length) expect(batches[0]).toMatchObject({ id: left[0]!.id, isa: left[0]!.isa, sha: left[0]!.sha });
      expect(text).toContain(`*${String(batches[0]!.isa).padStart(9, '0')}*0*T*:~`);
      const claims = await queryRows<{ pcn: string; status: string; batch: number }>(
        handle.db,
        sql`select patient_control_number as pcn, status, batch_id as batch from claims order by id`,
      );
      expect(claims).toEqual(claims.map((c) => ({ pcn: c.pcn, status: 'exported', batch: batches[0]!.id })));
      expect(sent.sort()).toEqual(claims.map((c) => c.pcn).sort());
    });
  }, 300_000);
});
