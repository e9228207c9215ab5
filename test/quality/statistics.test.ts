// Quality reports refresh the planner statistics of the tables they read only when those changed enough
// (autovacuum's rule): a report on an unchanged practice does not pay for an ANALYZE every time.
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { withBulkSession } from '../../src/db/bulk.js';
import { queryRows } from '../../src/db/query.js';
import { patients } from '../../src/db/schema/index.js';
import type { Db } from '../../src/db/types.js';
import { refreshStatistics } from '../../src/measures/run.js';
import { describeEachBackend } from '../helpers/db.js';

async function addPatients(db: Db, from: number, count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => ({ mrn: `S${from + i}`, firstName: 'Stat', lastName: `Patient${from + i}`, dob: '1980-01-01' }));
  await db.insert(patients).values(rows);
}

async function analyzedAt(db: Db): Promise<{ patients: string | null; immunizations: string | null }> {
  const rows = await queryRows<{ relname: string; at: string | null }>(
    db,
    sql`select relname, coalesce(last_analyze, last_autoanalyze)::text as at from pg_stat_user_tables where relname in ('patients', 'immunizations')`,
  );
  const at = (name: string) => rows.find((r) => r.relname === name)?.at ?? null;
  return { patients: at('patients'), immunizations: at('immunizations') };
}

describeEachBackend('planner statistics for quality reports', (t) => {
  it('analyzes the tables never analyzed or much changed since, and leaves the others', async () => {
    // One connection: the row counts a session reports are its own (another's arrive within seconds).
    await withBulkSession(t.handle, async ({ db }) => {
      await addPatients(db, 0, 200);
      await refreshStatistics(db);
      const first = await analyzedAt(db);
      expect(first.patients).not.toBeNull();
      expect(first.immunizations).not.toBeNull();

      await addPatients(db, 200, 20);
      await refreshStatistics(db);
      expect(await analyzedAt(db)).toEqual(first);

      await addPatients(db, 220, 300);
      await refreshStatistics(db);
      const third = await analyzedAt(db);
      expect(third.patients).not.toEqual(first.patients);
      expect(third.immunizations).toEqual(first.immunizations);
    });
  });
});
