import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { copyLine, withBulkSession } from '../../src/db/bulk.js';
import { queryRows } from '../../src/db/query.js';
import { describeEachBackend } from '../helpers/db.js';

it('writes COPY csv lines with NULLs, quotes, arrays and JSON', () => {
  expect(copyLine([1, null, 'a "b", c', true, ['25', 'x"y'], { k: 1 }])).toBe('1,,"a ""b"", c",t,"{""25"",""x\\""y""}","{""k"":1}"\n');
  expect(copyLine([''])).toBe('""\n');
});

describeEachBackend('bulk sessions', (t) => {
  it('copies rows, keeps empty strings apart from NULL, and loads arrays', async () => {
    await withBulkSession(t.handle, async (session) => {
      await session.db.execute(sql`insert into patients (mrn, first_name, last_name, dob) values ('B1', 'Test', 'Bulk', '1970-01-01')`);
      async function* withoutPatient() {
        for (let i = 0; i < 25_000; i++) yield ['2026-01-02', 'http://www.ama-assn.org/go/cpt', '99213', 1, 10_000];
      }
      // patient_id is NOT NULL: the load fails as a whole and leaves nothing behind
      await expect(session.copyRows('charges', ['service_date', 'code_system', 'code', 'units', 'amount_cents'], withoutPatient())).rejects.toThrow();
    });
    const none = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from charges`);
    expect(none[0]!.n).toBe(0);

    await withBulkSession(t.handle, async (session) => {
      const [patient] = await queryRows<{ id: number }>(session.db, sql`select id from patients where mrn = 'B1'`);
      const n = await session.copyRows(
        'charges',
        ['patient_id', 'service_date', 'code_system', 'code', 'modifiers', 'units', 'amount_cents', 'diagnosis_pointers', 'source_system', 'source_id'],
        Array.from({ length: 25_000 }, (_, i) => [patient!.id, '2026-01-02', 'http://www.ama-assn.org/go/cpt', '99213', i % 2 ? ['25', '59'] : [], 1, 10_000, [1, 2], 'test', i === 0 ? '' : String(i)]),
      );
      expect(n).toBe(25_000);
    });
    const rows = await queryRows<{ n: number; with_mods: number; empty: number }>(
      t.db,
      sql`select count(*)::int as n, count(*) filter (where modifiers = array['25','59'])::int as with_mods, count(*) filter (where source_id = '')::int as empty from charges`,
    );
    expect(rows[0]).toEqual({ n: 25_000, with_mods: 12_500, empty: 1 });
  });

  it('rolls a failed transaction back on the session connection', async () => {
    await withBulkSession(t.handle, async (session) => {
      await expect(
        session.transaction(async () => {
          await session.db.execute(sql`insert into patients (mrn, first_name, last_name, dob) values ('T1', 'A', 'B', '1980-01-01')`);
          await session.db.execute(sql`insert into patients (mrn, first_name, last_name, dob) values ('T1', 'A', 'B', '1980-01-01')`);
        }),
      ).rejects.toThrow();
    });
    const rows = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from patients where mrn = 'T1'`);
    expect(rows[0]!.n).toBe(0);
  });
});
