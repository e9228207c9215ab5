// Writers run twice at once, as two real CLI processes on one PostgreSQL database (two nurses scanning
// the same dose, a cron job and a biller posting the same 835): no lost and no doubled rows. The embedded
// database serves one process at a time: the second waits for the first, then does nothing twice.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { seedPractice } from '../claims/seed.js';
import { backends } from '../helpers/db.js';
import { seedDoseDueNow } from './seeds.js';
import { builtWith, practice, seeded, type Seeded } from './spawn.js';

const built = builtWith('mar/administer.js', 'emar:');
const METFORMIN_SCAN = '(01)00300027510019(17)271231(10)LOT42';

for (const backend of backends) {
  describe.skipIf(!built)(`two writers at once (built CLI) [${backend}]`, () => {
    let mar: Seeded;
    let claims: Seeded;
    beforeAll(async () => {
      mar = await seeded(backend, seedDoseDueNow);
      claims = await seeded(backend, async (handle) => {
        await seedPractice(handle.db);
        await handle.db.execute(sql`update payers set timely_filing_days = 36500`);
      });
    }, 300_000);
    afterAll(async () => {
      await mar?.close();
      await claims?.close();
    });

    it('mar give of the same scan twice at once: one dose given, the other scan refused', async () => {
      const place = await mar.fresh('give');
      const args = [...place.args, '--json', 'mar', 'give', '--patient-scan', 'MRN:M100', '--med-scan', METFORMIN_SCAN];
      const runs = await Promise.all([practice(args, place.env), practice(args, place.env)]);
      expect(runs.map((r) => r.code).sort()).toEqual([0, 1]);
      expect(runs.find((r) => r.code === 1)!.stderr).toMatch(/already given/);
      const rows = await place.use((h) => queryRows<{ status: string; n: number }>(h.db, sql`select status, count(*)::int as n from administrations group by status order by status`));
      expect(rows).toEqual([{ status: 'given', n: 1 }, { status: 'rejected', n: 1 }]);
    }, 300_000);

    it('claims build twice at once: one claim per visit', async () => {
      const place = await claims.fresh('build');
      const args = [...place.args, '--json', 'claims', 'build'];
      const runs = await Promise.all([practice(args, place.env), practice(args, place.env)]);
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      expect(runs.map((r) => JSON.parse(r.stdout).claims).sort()).toEqual([0, 2]);
      const rows = await place.use((h) => queryRows<{ encounters: number; claims: number }>(h.db, sql`select count(distinct encounter_id)::int as encounters, count(*)::int as claims from claims`));
      expect(rows).toEqual([{ encounters: 2, claims: 2 }]);
    }, 300_000);
  });
}
