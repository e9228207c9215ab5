// Timely filing per payer: a claim to the payer as primary counts from the date of service, a claim to
// it as secondary from the previous payer's adjudication (its 835), each with the payer's own limit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { coverages, payers } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { EXPORT_TIME, fixtures, seedPractice } from './seed.js';

const fixture = (name: string) => fileURLToPath(new URL(name, fixtures));

describeEachBackend('timely filing, primary and secondary', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'pk-timely-'));
  const cli = (args: string[], now = EXPORT_TIME) => runCli(['--json', 'claims', ...args], { database: t.handle, now });
  let secondaryId = 0;
  const failing = async (on: string) => {
    const run = await cli(['check', '--claim', String(secondaryId)], new Date(`${on}T17:00:00Z`));
    return run.json().failures.map((f: { code: string }) => f.code);
  };

  beforeAll(async () => {
    const { janeId } = await seedPractice(t.db);
    const [second] = await t.db.insert(payers).values({ name: 'Second Health', payerId: '77777', claimFilingIndicator: 'CI' }).returning();
    await t.db.insert(coverages).values({ patientId: janeId, payerId: second!.id, priority: 2, memberId: 'SEC555', groupNumber: 'SEC01', relationship: '18' });
    expect((await cli(['build'])).json()).toMatchObject({ claims: 2 });
    // The fixture's claim numbers, so the fixture 835 (paid 2025-02-05) adjudicates these claims.
    await t.db.execute(sql`update claims c set patient_control_number = 'PKT-' || lpad(n.rn::text, 6, '0')
                           from (select id, row_number() over (order by id) as rn from claims) n where n.id = c.id`);
    expect((await cli(['export', '--all', '--out', out])).code).toBe(0);
    expect((await cli(['import-835', fixture('own-835-remit-for-two-claims.x12')])).code).toBe(0);
    expect((await cli(['build'])).json()).toMatchObject({ secondaryClaims: 1 });
    [{ id: secondaryId }] = (await queryRows<{ id: number }>(t.db, sql`select id from claims where previous_payer_claim_id is not null`)) as [{ id: number }];
  });

  it('keeps both limits per payer, editable, and shows them', async () => {
    const run = await cli(['settings', '--payer', '77777', '--timely-filing-days', '30', '--secondary-timely-filing-days', '90']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().payerRules).toEqual([{ payerId: '77777', payer: 'Second Health', ndcRequired: false, timelyFilingDays: 30, secondaryTimelyFilingDays: 90 }]);
    const bad = await cli(['settings', '--payer', '77777', '--secondary-timely-filing-days', '99999']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('from 1 to 3650');
    expect((await cli(['settings', '--payer', '77777', '--secondary-timely-filing-days', 'soon'])).code).toBe(2);
    const human = await runCli(['claims', 'settings'], { database: t.handle });
    expect(human.stdout).toContain("90 days from the previous payer's adjudication");
  });

  it("counts a secondary claim from the primary's adjudication, not the date of service", async () => {
    // 2025-01-10 + 30 days passed long ago, but 2025-02-05 + 90 days (2025-05-06) has not.
    expect(await failing('2025-04-01')).toEqual([]);
    expect(await failing('2025-05-06')).toEqual([]);
    expect(await failing('2025-05-07')).toEqual(['TIMELY_FILING']);
  });

  it("uses the payer's one limit for both when no secondary limit is set", async () => {
    expect((await cli(['settings', '--payer', '77777', '--secondary-timely-filing-days', 'same'])).json().payerRules[0]).toMatchObject({ secondaryTimelyFilingDays: null });
    // 2025-02-05 + 30 = 2025-03-07.
    expect(await failing('2025-03-07')).toEqual([]);
    expect(await failing('2025-03-08')).toEqual(['TIMELY_FILING']);
  });

  it('counts a primary claim from the date of service with its own limit', async () => {
    await t.db.execute(sql`insert into charges (patient_id, encounter_id, service_date, code_system, code, amount_cents, diagnosis_pointers, place_of_service)
                           select patient_id, encounter_id, '2025-01-12', 'http://www.ama-assn.org/go/cpt', '99212', 7000, '{1}', '11' from charges where code = '99213'`);
    expect((await cli(['build'])).json()).toMatchObject({ claims: 1 });
    const [claim] = await queryRows<{ id: number }>(t.db, sql`select max(id) as id from claims`);
    await t.db.execute(sql`update payers set timely_filing_days = 60 where payer_id = '99999'`);
    const check = (on: string) => cli(['check', '--claim', String(claim!.id)], new Date(`${on}T17:00:00Z`));
    expect((await check('2025-03-13')).json().failures).toEqual([]);
    expect((await check('2025-03-14')).json().failures.map((f: { code: string }) => f.code)).toEqual(['TIMELY_FILING']);
  });
});
