// A bedside scan (practice mar give) killed (SIGKILL, as kill -9) at each of its steps, then scanned
// again: the dose is given once, and nothing is ever marked given without its administration record and
// its audit entry. The built CLI runs on the real clock, so the order's dose is scheduled for now.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';
import { EMAR_FAILPOINTS } from '../../src/mar/administer.js';
import { backends } from '../helpers/db.js';
import { seedDoseDueNow } from './seeds.js';
import { builtWith, killAt, practice, seeded, type Seeded } from './spawn.js';

const built = builtWith('mar/administer.js', 'emar:');
const METFORMIN_SCAN = '(01)00300027510019(17)271231(10)LOT42';

/** What the scans left: doses given, refused scans, and which given ones lack their audit entry. */
async function given(handle: PracticeDatabase) {
  const [row] = await queryRows<{ given: number; doses: number; rejected: number; unaudited: number; audits: number }>(
    handle.db,
    sql`select (count(*) filter (where a.status = 'given'))::int as given,
               (count(distinct a.dose_id) filter (where a.status = 'given'))::int as doses,
               (count(*) filter (where a.status = 'rejected'))::int as rejected,
               (count(*) filter (where a.status = 'given' and not exists (select 1 from audit_log l where l.entity = 'administrations' and l.action = 'administer' and l.entity_id = a.id::text)))::int as unaudited,
               (select count(*)::int from audit_log where entity = 'administrations') as audits
        from administrations a`,
  );
  return row!;
}

for (const backend of backends) {
  describe.skipIf(!built)(`mar give killed at every step (built CLI) [${backend}]`, () => {
    let db: Seeded;
    beforeAll(async () => {
      db = await seeded(backend, seedDoseDueNow);
    }, 300_000);
    afterAll(async () => db?.close());

    it('ignores PRACTICE_FAILPOINT in a real run (without PRACTICE_TEST_HOOKS=1): the scan is given', async () => {
      const place = await db.fresh('production');
      const run = await practice([...place.args, '--json', 'mar', 'give', '--patient-scan', 'MRN:M100', '--med-scan', METFORMIN_SCAN], { ...place.env, PRACTICE_FAILPOINT: 'emar:after-checks,emar:after-record' });
      expect([run.code, run.signal], run.stderr).toEqual([0, null]);
      expect(await place.use(given)).toEqual({ given: 1, doses: 1, rejected: 0, unaudited: 0, audits: 1 });
    }, 300_000);

    // after-record and after-audit are the same commit boundary (one transaction): after-audit, the later, stands for both.
    it.each(EMAR_FAILPOINTS.filter((point) => point !== 'after-record'))('killed at emar:%s, then scanned again: given once, never given without its record', async (point) => {
      const place = await db.fresh(point);
      const args = [...place.args, '--json', 'mar', 'give', '--patient-scan', 'MRN:M100', '--med-scan', METFORMIN_SCAN, '--by', 'Jane Nurse'];
      const killed = await practice(args, { ...place.env, ...killAt(`emar:${point}`) });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      // The record and its audit entry commit together: killed before the commit, neither is left.
      expect(await place.use(given)).toEqual(point === 'after-commit' ? { given: 1, doses: 1, rejected: 0, unaudited: 0, audits: 1 } : { given: 0, doses: 0, rejected: 0, unaudited: 0, audits: 0 });

      const again = await practice(args, place.env);
      if (point === 'after-commit') {
        // The nurse never saw "Given": the second scan says so instead of giving it twice.
        expect(again.code).toBe(1);
        expect(again.stderr).toMatch(/already given/);
        expect(await place.use(given)).toEqual({ given: 1, doses: 1, rejected: 1, unaudited: 0, audits: 2 });
      } else {
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'given', withinWindow: true });
        expect(await place.use(given)).toEqual({ given: 1, doses: 1, rejected: 0, unaudited: 0, audits: 1 });
      }
    }, 300_000);
  });
}
