import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { buildClaims } from '../../src/claims/build.js';
import { claimEdits, scrubClaims } from '../../src/claims/edits.js';
import { queryRows } from '../../src/db/query.js';
import type { Tx } from '../../src/db/types.js';
import { describeEachBackend } from '../helpers/db.js';
import { seedPractice } from './seed.js';

const actor = { actor: 'biller', command: 'practice claims test' };
const TODAY = '2025-01-15';
// Claim 1 is Jane's visit (she is the subscriber), claim 2 Emma's (a dependent child).
const cases: [code: string, breakIt: string][] = [
  ['BILLING_NPI', `update practice set billing_npi = '1234567890'`],
  ['RENDERING_NPI', `update providers set npi = '1999999990'`],
  ['BILLING_TIN', `update practice set tin = '071234567'`],
  ['BILLING_ADDRESS', `update practice set address1 = 'P.O. Box 12'`],
  ['BILLING_ZIP4', `update practice set zip = '62701'`],
  ['PAYER_ID', `update payers set payer_id = ''`],
  ['FILING_INDICATOR', `update payers set claim_filing_indicator = 'XX'`],
  ['SUBSCRIBER_ID', `update coverages set member_id = ' ' where relationship = '18'`],
  ['RELATIONSHIP', `update coverages set subscriber_last_name = null where relationship = '19'`],
  ['PATIENT_DOB', `update patients set dob = '2025-01-11' where mrn = 'M1'`],
  ['PATIENT_SEX', `update patients set sex = 'unknown' where mrn = 'M1'`],
  ['PATIENT_ADDRESS', `update patients set city = null where mrn = 'M2'`],
  ['DOS_FUTURE', `update claims set service_date_to = '2025-01-16' where id = 1`],
  ['TIMELY_FILING', `update payers set timely_filing_days = 2`],
  ['DX_MISSING', `delete from claim_diagnoses where claim_id = 2`],
  ['DX_FORM', `update claim_diagnoses set code = 'EE1.9' where claim_id = 2`],
  ['DX_NOT_BILLABLE', `update claim_diagnoses set code = 'E11.6' where claim_id = 2`],
  ['DX_BEFORE_ICD10', `update claims set service_date_from = '2015-09-30' where id = 1`],
  ['DX_DUPLICATE', `update claim_diagnoses set code = 'E119' where claim_id = 1 and position = 2`],
  ['FREQUENCY_REF', `update claims set frequency_code = '7' where id = 1`],
  ['CONTROL_NUMBER', `update claims set patient_control_number = 'pk 1' where id = 1`],
  ['NO_LINES', `delete from claim_lines where claim_id = 2`],
  ['PROCEDURE_FORM', `update claim_lines set code = '9921' where claim_id = 2`],
  ['MODIFIER', `update claim_lines set modifiers = '{25,5}' where claim_id = 2`],
  ['CHARGE', `update claim_lines set charge_cents = 0 where claim_id = 2`],
  ['LINE_DOS_FUTURE', `update claim_lines set service_date = '2025-02-01' where claim_id = 2`],
  ['POINTER_MISSING', `update claim_lines set diagnosis_pointers = '{}' where claim_id = 2`],
  ['POINTER_TARGET', `update claim_lines set diagnosis_pointers = '{1,5}' where claim_id = 2`],
  ['PLACE_OF_SERVICE', `update claim_lines set place_of_service = '98' where claim_id = 2`],
  ['FACILITY_NPI', `with loc as (insert into locations (code, name, npi) values ('RIV', 'Riverside', '1912301950') returning id) update claims set location_id = (select id from loc) where id = 1`],
  ['COVERAGE_ORDER', `insert into coverages (patient_id, payer_id, member_id, relationship, priority) select patient_id, payer_id, 'DUP1', '18', 1 from coverages where relationship = '18'`],
  ['OTHER_SUBSCRIBER', `insert into coverages (patient_id, payer_id, member_id, relationship, priority) select patient_id, payer_id, 'SPOUSE1', '01', 2 from coverages where relationship = '18'`],
  ['NDC_REQUIRED', `with rule as (insert into payer_claim_rules (payer_id, ndc_required) select id, true from payers) update claim_lines set code = 'J3301' where claim_id = 2`],
  ['MEDICARE_SECONDARY', `with moved as (update coverages set priority = 2 where relationship = '18' returning patient_id, payer_id), mb as (update payers set claim_filing_indicator = 'MB') insert into coverages (patient_id, payer_id, member_id, relationship, priority) select patient_id, payer_id, 'EMPLOYER1', '18', 1 from moved`],
  ['NDC_FORM', `update claim_lines set ndc_code = '12345', ndc_quantity = 1, ndc_unit = 'UN' where claim_id = 2`],
  ['DENIAL_RULE', `insert into learned_claim_edits (payer_id, procedure_code, kind, modifier, carc_code, denied_claims, accepted_by) select id, '99213', 'modifier', '25', '4', 3, 'test' from payers`],
];
// The coordination-of-benefits balances need a posted 835 and a secondary claim: test/claims/cob.test.ts breaks them.
// A claim held after a 999/277CA rejection needs an acknowledgement: test/claims/acks.test.ts.
const testedWithSecondaryClaims = ['COB_CLAIM_BALANCE', 'COB_LINE_BALANCE', 'REJECTED_UNCHANGED'];

describeEachBackend('the scrubber', (t) => {
  beforeAll(async () => {
    await seedPractice(t.db);
    await buildClaims(t.db, actor);
  });

  /** Each case breaks the claims inside a transaction that is rolled back, so the next starts clean. */
  async function withBrokenClaims(work: (tx: Tx) => Promise<void>): Promise<void> {
    const undo = new Error('undo');
    await t.db
      .transaction(async (tx) => {
        await work(tx as Tx);
        throw undo;
      })
      .catch((error) => {
        if (error !== undo) throw error;
      });
  }

  it('has one case below for every edit', () => {
    expect([...cases.map(([code]) => code), ...testedWithSecondaryClaims].sort()).toEqual(claimEdits.map((e) => e.code).sort());
  });

  it('passes the clean claims and keeps them ready', async () => {
    const result = await scrubClaims(t.db, {}, TODAY);
    expect(result).toEqual({ checked: 2, failures: [] });
  });

  it.each(cases)('%s fails when broken, with its message', async (code, breakIt) => {
    await withBrokenClaims(async (tx) => {
      await tx.execute(sql.raw(breakIt));
      const { failures } = await scrubClaims(tx, {}, TODAY);
      const failure = failures.find((f) => f.code === code);
      expect(failure?.message).toBe(claimEdits.find((e) => e.code === code)!.message);
      const statuses = await queryRows<{ id: number; status: string }>(tx, sql`select id, status from claims order by id`);
      for (const row of statuses) expect(row.status).toBe(failures.some((f) => f.claimId === row.id) ? 'held' : 'ready');
    });
  });

  it('collects every failure of a claim, not just the first, and releases it once fixed', async () => {
    await withBrokenClaims(async (tx) => {
      await tx.execute(sql`update claim_lines set charge_cents = 0, place_of_service = '98' where claim_id = 2`);
      await tx.execute(sql`update patients set sex = 'unknown' where mrn = 'M2'`);
      const { failures } = await scrubClaims(tx, {}, TODAY);
      expect(failures.map((f) => [f.claimId, f.code])).toEqual([[2, 'PATIENT_SEX'], [2, 'CHARGE'], [2, 'PLACE_OF_SERVICE']]);
      await tx.execute(sql`update claim_lines set charge_cents = 9500, place_of_service = '11' where claim_id = 2`);
      await tx.execute(sql`update patients set sex = 'female' where mrn = 'M2'`);
      expect((await scrubClaims(tx, {}, TODAY)).failures).toEqual([]);
      const [row] = await queryRows<{ status: string }>(tx, sql`select status from claims where id = 2`);
      expect(row!.status).toBe('ready');
    });
  });

  it('passes a J-code line with a well-formed NDC, quantity and unit when the payer requires one', async () => {
    await withBrokenClaims(async (tx) => {
      await tx.execute(sql`insert into payer_claim_rules (payer_id, ndc_required) select id, true from payers`);
      await tx.execute(sql`update claim_lines set code = 'J3301', ndc_code = '0003-0293-20', ndc_quantity = 2.5, ndc_unit = 'ML' where claim_id = 2`);
      expect((await scrubClaims(tx, {}, TODAY)).failures).toEqual([]);
      await tx.execute(sql`update claim_lines set ndc_code = '0003029320' where claim_id = 2`);
      // Ten digits without hyphens could be padded three ways: refused.
      expect((await scrubClaims(tx, {}, TODAY)).failures.map((f) => f.code)).toEqual(['NDC_FORM']);
    });
  });

  it('leaves zero units to the database, which refuses them', async () => {
    await expect(t.db.execute(sql`update claim_lines set units = 0 where claim_id = 2`)).rejects.toThrow();
  });
});
