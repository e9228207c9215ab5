// Remittance posting as a payer's auditor checks it: each payment posts once whatever its envelope,
// only to claims billed to the payer who sent it, lines matched without guessing, every kind of 835
// (paid, partial, denied, reversed and corrected, overpaid and taken back, voided, secondary), and
// after each one every claim balances and AR is the same in claims list, claims ar and the monthly pack.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import type { ClaimBalance } from '../../src/claims/ar.js';
import { queryRows } from '../../src/db/query.js';
import { charges, coverages, encounterDiagnoses, encounters, payers } from '../../src/db/schema/index.js';
import { CodeSystem } from '../../src/codes/systems.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { EXPORT_TIME, fixtures, seedPractice } from './seed.js';

interface RemitOptions {
  trace: string;
  total: string;
  claims: string[];
  plb?: string[];
  payerName?: string;
  trn03?: string;
  isa13?: number;
  crlf?: boolean;
  date?: string;
  handling?: string;
}

/** An 835 as a payer sends it: one payment, counts right, any envelope and line ends. */
function remit(o: RemitOptions): string {
  const isa13 = String(o.isa13 ?? 500).padStart(9, '0');
  const set = [
    'ST*835*0001', `BPR*${o.handling ?? 'I'}*${o.total}*C*CHK************${o.date ?? '20250205'}`, `TRN*1*${o.trace}*${o.trn03 ?? '1999999999'}`,
    `N1*PR*${o.payerName ?? 'EXAMPLE HEALTH PLAN'}`, 'N1*PE*MAPLE FAMILY MEDICINE*XX*1234567893', 'LX*1', ...o.claims, ...(o.plb ?? []),
  ];
  const segments = [
    `ISA*00*          *00*          *ZZ*EXAMPLEPAYER   *ZZ*PRACTICEKIT    *250205*0900*^*00501*${isa13}*0*T*:`,
    `GS*HP*EXAMPLEPAYER*PRACTICEKIT*20250205*0900*${Number(isa13)}*X*005010X221A1`, ...set, `SE*${set.length + 1}*0001`, `GE*1*${Number(isa13)}`, `IEA*1*${isa13}`,
  ];
  const end = o.crlf ? '\r\n' : '\n';
  return segments.map((s) => `${s}~${end}`).join('');
}

/** A claim as "claims list --json" shows it: the domain's balance of the claim (src/claims/ar.ts). */
type ListedClaim = Pick<ClaimBalance, 'id' | 'patientControlNumber' | 'status' | 'totalCents' | 'paidCents' | 'adjustmentCents' | 'writtenOffCents' | 'patientResponsibilityCents' | 'balanceCents' | 'creditCents' | 'inAr'>;

describeEachBackend('posting remittances: once, to the right claims, and every claim balances', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-posting-'));
  const cli = (args: string[]) => runCli(['--json', 'claims', ...args], { database: t.handle, now: EXPORT_TIME });
  let file = 0;
  const post = (text: string, json = true) => {
    const path = join(dir, `era-${++file}.835`);
    writeFileSync(path, text);
    return json ? cli(['post', path]) : runCli(['claims', 'post', path], { database: t.handle, now: EXPORT_TIME });
  };
  const count = async (table: string) => (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from ${sql.identifier(table)}`))[0]!.n;
  const ids: Record<string, number> = {};

  /** Every claim balances; AR is the sum of the open balances in claims list, claims ar and the monthly pack. */
  async function balances(): Promise<Record<string, ListedClaim>> {
    const run = await cli(['list']);
    expect(run.code, run.stderr).toBe(0);
    const listed: ListedClaim[] = run.json().claims;
    for (const c of listed) {
      expect(c.paidCents + c.adjustmentCents + c.patientResponsibilityCents + c.balanceCents - c.creditCents, c.patientControlNumber).toBe(c.totalCents);
      expect(c.balanceCents).toBeGreaterThanOrEqual(0);
      expect(c.creditCents).toBeGreaterThanOrEqual(0);
      expect(c.balanceCents === 0 || c.creditCents === 0).toBe(true);
      if (c.creditCents === 0) expect(c.paidCents + c.adjustmentCents + c.patientResponsibilityCents + c.balanceCents).toBe(c.totalCents);
    }
    const open = listed.filter((c) => c.inAr).reduce((n, c) => n + c.balanceCents, 0);
    const ar = await cli(['ar', '--as-of', '2025-12-31']);
    expect(ar.json().totalCents).toBe(open);
    expect(ar.json().payers.reduce((n: number, p: { totalCents: number }) => n + p.totalCents, 0)).toBe(open);
    const pack = await runCli(['--json', 'report', 'monthly', '--month', '2025-12'], { database: t.handle, now: EXPORT_TIME });
    expect(pack.code, pack.stderr).toBe(0);
    expect(pack.json().claims.openBalanceCents).toBe(open);
    expect(pack.json().claims.aging).toEqual(ar.json().buckets);
    return Object.fromEntries(listed.map((c) => [c.patientControlNumber, c]));
  }

  beforeAll(async () => {
    const { janeId } = await seedPractice(t.db);
    await t.db.insert(payers).values({ name: 'Other Health', payerId: '88888', claimFilingIndicator: 'CI' });
    // A third visit: both knees x-rayed (LT and RT, same code and charge) and two identical therapy units.
    const [visit] = await t.db.insert(encounters).values({ patientId: janeId, startsAt: new Date('2025-01-14T15:00:00Z') }).returning();
    await t.db.insert(encounterDiagnoses).values({ encounterId: visit!.id, position: 1, codeSystem: CodeSystem.icd10cm, code: 'M25.561' });
    const line = (code: string, modifiers: string[]) => ({ patientId: janeId, encounterId: visit!.id, serviceDate: '2025-01-14', codeSystem: CodeSystem.cpt, code, modifiers, amountCents: code === '97110' ? 4000 : 6000, diagnosisPointers: [1], placeOfService: '11' });
    await t.db.insert(charges).values([line('73562', ['LT']), line('73562', ['RT']), line('97110', []), line('97110', [])]);
  });

  it('sends three claims; each is owed in full by the payer', async () => {
    expect((await cli(['build'])).json()).toMatchObject({ claims: 3 });
    await t.db.execute(sql`update claims c set patient_control_number = case when p.mrn = 'M2' then 'PKT-000002' when c.service_date_from = '2025-01-10' then 'PKT-000001' else 'PKT-000003' end
                           from patients p where p.id = c.patient_id`);
    const exported = await cli(['export', '--all', '--out', dir]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.json().claims).toBe(3);
    for (const r of await queryRows<{ id: number; pcn: string }>(t.db, sql`select id, patient_control_number as pcn from claims`)) ids[r.pcn] = r.id;
    const claims = await balances();
    expect(Object.values(claims).map((c) => [c.patientControlNumber, c.status, c.totalCents, c.balanceCents, c.inAr]).sort()).toEqual([
      ['PKT-000001', 'exported', 18500, 18500, true],
      ['PKT-000002', 'exported', 9500, 9500, true],
      ['PKT-000003', 'exported', 20000, 20000, true],
    ]);
  });

  it('posts nothing from a payer the claim was not billed to (exit 3) and lists it as unmatched', async () => {
    const run = await post(remit({
      trace: 'OTH001', total: '120', payerName: 'OTHER HEALTH', trn03: '1888888888',
      claims: ['CLP*PKT-000001*1*185*120*25*12*OH1*11*1', 'SVC*HC:99214*150*100**1', 'DTM*472*20250110', 'CAS*CO*45*30', 'CAS*PR*2*20', 'REF*6R*PKT-000001-1',
        'SVC*HC:83036*35*20**1', 'DTM*472*20250110', 'CAS*CO*45*10', 'CAS*PR*3*5', 'REF*6R*PKT-000001-2'],
    }));
    expect(run.code).toBe(3);
    expect(run.json()).toMatchObject({ claimsMatched: 0, payments: 0, adjustments: 0 });
    expect(await count('payments')).toBe(0);
    const unmatched = await cli(['unmatched']);
    expect(unmatched.code).toBe(0);
    expect(unmatched.json().items).toEqual([expect.objectContaining({
      traceNumber: 'OTH001', payer: 'Other Health', patientControlNumber: 'PKT-000001', claimId: ids['PKT-000001'], paidCents: 12000,
      reason: 'Claim PKT-000001 was billed to Example Health Plan (payer id 99999), not to Other Health, who sent this payment.',
    })]);
    expect((await balances())['PKT-000001']).toMatchObject({ paidCents: 0, balanceCents: 18500, status: 'exported' });
  });

  it('posts a payment once: the same payer and trace number in three envelopes (new ISA13/GS06, CRLF)', async () => {
    const payment = { trace: 'CHK100', total: '100', claims: ['CLP*PKT-000001*1*150*100*20*12*EHP1*11*1', 'SVC*HC:99214*150*100**1', 'DTM*472*20250110', 'CAS*CO*45*30', 'CAS*PR*2*20', 'REF*6R*PKT-000001-1'] };
    const first = await post(remit({ ...payment, isa13: 500 }));
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ alreadyPosted: false, claimsMatched: 1, linesMatched: 1, payments: 1, adjustments: 2 });
    const remittanceId = first.json().remittances[0].remittanceId;
    const second = await post(remit({ ...payment, isa13: 501 }));
    expect(second.code).toBe(0);
    expect(second.json()).toMatchObject({ alreadyPosted: true, claimsMatched: 0, payments: 0, remittances: [{ remittanceId, alreadyPosted: true }] });
    const third = await post(remit({ ...payment, isa13: 502, crlf: true }), false);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(new RegExp(`already posted on [0-9]{4}-[0-9]{2}-[0-9]{2} as remittance ${remittanceId}`));
    expect(await count('payments')).toBe(1);
    expect(await count('adjustments')).toBe(2);
    // Partly adjudicated: the 83036 line is still owed.
    expect((await balances())['PKT-000001']).toMatchObject({ status: 'partial', paidCents: 10000, adjustmentCents: 3000, patientResponsibilityCents: 2000, balanceCents: 3500, inAr: true });
  });

  it('keeps a denied claim owed in full (CLP02 = 4, CO-16), status denied', async () => {
    const run = await post(remit({ trace: 'CHK200', total: '0', handling: 'H', claims: ['CLP*PKT-000002*4*95*0*0*12*EHP2*11*1', 'SVC*HC:99213*95*0**1', 'DTM*472*20250112', 'CAS*CO*16*95', 'REF*6R*PKT-000002-1', 'LQ*HE*M76'] }));
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ claimsMatched: 1, denials: 1 });
    expect((await balances())['PKT-000002']).toMatchObject({ status: 'denied', paidCents: 0, adjustmentCents: 0, patientResponsibilityCents: 0, balanceCents: 9500, inAr: true });
  });

  it('matches a line without REF*6R on procedure, modifiers, date and units', async () => {
    const run = await post(remit({ trace: 'CHK300', total: '20', claims: ['CLP*PKT-000001*1*35*20*5*12*EHP1*11*1', 'SVC*HC:83036*35*20**1', 'DTM*472*20250110', 'CAS*CO*45*10', 'CAS*PR*3*5'] }));
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ claimsMatched: 1, linesMatched: 1 });
    expect((await balances())['PKT-000001']).toMatchObject({ status: 'paid', paidCents: 12000, adjustmentCents: 4000, patientResponsibilityCents: 2500, balanceCents: 0, inAr: false });
  });

  it('never guesses between two identical lines, and never swaps LT and RT', async () => {
    const svc = (mods: string, paid: number, cas: number, ref?: string) => [
      `SVC*HC:${mods}*${paid + cas}*${paid}**1`, 'DTM*472*20250114', `CAS*CO*45*${cas}`, ...(ref ? [`REF*6R*${ref}`] : []),
    ];
    const claim = (refs: boolean) => [
      'CLP*PKT-000003*1*200*150*0*12*EHP3*11*1',
      ...svc('73562:RT', 50, 10), ...svc('73562:LT', 40, 20),
      ...svc('97110', 30, 10, refs ? 'PKT-000003-3' : undefined), ...svc('97110', 30, 10, refs ? 'PKT-000003-4' : undefined),
    ];
    const guess = await post(remit({ trace: 'CHK400', total: '150', claims: claim(false) }));
    expect(guess.code).toBe(3);
    expect(guess.json().unmatched).toEqual([expect.objectContaining({ patientControlNumber: 'PKT-000003', reason: expect.stringContaining('matches 2 (lines 3 and 4)') })]);
    expect((await balances())['PKT-000003']).toMatchObject({ paidCents: 0, balanceCents: 20000 });

    const run = await post(remit({ trace: 'CHK401', total: '150', claims: claim(true) }));
    expect(run.code, run.stderr).toBe(0);
    const lines = await queryRows<{ modifiers: string[]; paid_cents: number }>(t.db, sql`select modifiers, paid_cents from claim_lines where claim_id = ${ids['PKT-000003']!} order by line_number`);
    expect(lines).toEqual([{ modifiers: ['LT'], paid_cents: 4000 }, { modifiers: ['RT'], paid_cents: 5000 }, { modifiers: [], paid_cents: 3000 }, { modifiers: [], paid_cents: 3000 }]);
    expect((await balances())['PKT-000003']).toMatchObject({ status: 'paid', paidCents: 15000, adjustmentCents: 5000, balanceCents: 0 });
  });

  it('posts a reversal and correction (CLP02 = 22, then 1) as such', async () => {
    const line = (sign: string, paid: number, co: number) => [`SVC*HC:99214*${sign}150*${sign}${paid}**1`, 'DTM*472*20250110', `CAS*CO*45*${sign}${co}`, `CAS*PR*2*${sign}20`, 'REF*6R*PKT-000001-1'];
    const run = await post(remit({ trace: 'CHK500', total: '10', claims: ['CLP*PKT-000001*22*-150*-100*-20*12*EHP1*11*1', ...line('-', 100, 30), 'CLP*PKT-000001*1*150*110*20*12*EHP1*11*1', ...line('', 110, 20)] }));
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ claimsMatched: 2, reversals: 1, payments: 2 });
    const negative = await queryRows<{ amount_cents: number }>(t.db, sql`select amount_cents from payments where claim_id = ${ids['PKT-000001']!} and amount_cents < 0`);
    expect(negative).toEqual([{ amount_cents: -10000 }]);
    expect((await balances())['PKT-000001']).toMatchObject({ status: 'paid', paidCents: 13000, adjustmentCents: 3000, patientResponsibilityCents: 2500, balanceCents: 0 });
  });

  it('shows a payment twice as a credit (overpaid), and the takeback with its PLB forward balance settles it', async () => {
    const lineTwo = (sign: string) => [`SVC*HC:83036*${sign}35*${sign}20**1`, 'DTM*472*20250110', `CAS*CO*45*${sign}10`, `CAS*PR*3*${sign}5`, 'REF*6R*PKT-000001-2'];
    expect((await post(remit({ trace: 'CHK600', total: '20', claims: ['CLP*PKT-000001*1*35*20*5*12*EHP1*11*1', ...lineTwo('')] }))).code).toBe(0);
    expect((await balances())['PKT-000001']).toMatchObject({ status: 'overpaid', paidCents: 15000, balanceCents: 0, creditCents: 3500 });
    const takeback = await post(remit({
      trace: 'CHK700', total: '0', handling: 'H',
      claims: ['CLP*PKT-000001*22*-35*-20*-5*12*EHP1*11*1', ...lineTwo('-')], plb: ['PLB*1234567893*20251231*FB:PKT-000001*-20'],
    }));
    expect(takeback.code, takeback.stderr).toBe(0);
    expect((await balances())['PKT-000001']).toMatchObject({ status: 'paid', paidCents: 13000, adjustmentCents: 3000, patientResponsibilityCents: 2500, balanceCents: 0, creditCents: 0 });
    const [plb] = await queryRows<{ claim_id: number; reason_code: string; amount_cents: number }>(t.db, sql`select claim_id, reason_code, amount_cents from provider_adjustments`);
    expect(plb).toEqual({ claim_id: ids['PKT-000001'], reason_code: 'FB', amount_cents: -2000 });
    const shown = await cli(['show', 'PKT-000001']);
    expect(shown.code).toBe(0);
    expect(shown.json().payments.map((p: { amountCents: number }) => p.amountCents)).toEqual([10000, 2000, -10000, 11000, 2000, -2000]);
    expect(shown.json().providerAdjustments).toEqual([expect.objectContaining({ reasonCode: 'FB', amountCents: -2000 })]);
  });

  it('writes off a denied balance with a reason (audited); a claim with nothing owed cannot be', async () => {
    const run = await cli(['write-off', String(ids['PKT-000002']), '--reason', 'not worth appealing']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ amountCents: 9500, claim: { status: 'written-off', balanceCents: 0 } });
    expect((await balances())['PKT-000002']).toMatchObject({ status: 'written-off', adjustmentCents: 9500, writtenOffCents: 9500, balanceCents: 0, inAr: false });
    const [audit] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log where action = 'write-off' and entity_id = ${String(ids['PKT-000002'])}`);
    expect(audit!.n).toBe(1);
    const none = await cli(['write-off', String(ids['PKT-000001']), '--reason', 'x']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('has no open balance');
  });

  it('takes a voided claim out of AR, refuses a payment on it, and posts the payer takeback', async () => {
    const voided = await cli(['void', String(ids['PKT-000003'])]);
    expect(voided.code, voided.stderr).toBe(0);
    const voidPcn: string = voided.json().patientControlNumber;
    expect((await cli(['export', '--all', '--out', dir])).json().claims).toBe(1);
    const before = await balances();
    expect(before['PKT-000003']).toMatchObject({ status: 'void', totalCents: 0, balanceCents: 0, creditCents: 20000, inAr: false });
    expect(before[voidPcn]).toMatchObject({ totalCents: 0, balanceCents: 0, inAr: false });

    const late = await post(remit({ trace: 'CHK800', total: '10', claims: ['CLP*PKT-000003*1*10*10*0*12*EHP3*11*1'] }));
    expect(late.code).toBe(3);
    expect(late.json().unmatched[0].reason).toContain(`was voided by claim ${voidPcn}`);

    const takeback = await post(remit({ trace: 'CHK801', total: '0', handling: 'H', claims: [`CLP*${voidPcn}*22*-200*-150*0*12*EHP3*11*8`, 'CAS*CO*45*-50'], plb: ['PLB*1234567893*20251231*FB:EHP3*-150'] }));
    expect(takeback.code, takeback.stderr).toBe(0);
    expect((await balances())['PKT-000003']).toMatchObject({ status: 'void', paidCents: 0, adjustmentCents: 0, balanceCents: 0, creditCents: 0 });
    const unmatched = await cli(['unmatched']);
    expect(unmatched.json().items.map((i: { traceNumber: string }) => i.traceNumber)).toEqual(['CHK800', 'CHK400', 'OTH001']);
  });
});

/** The secondary payer's 835 (balanced: 185 - 130 - 30 - 5 = 20). */
function secondaryRemittance(pcn: string): string {
  return remit({
    trace: 'CHK0009999', total: '20', payerName: 'SECOND HEALTH', trn03: '1777777777', date: '20250301',
    claims: [`CLP*${pcn}*2*185*20*5*12*SH0001*11*1`, 'SVC*HC:99214*150*20**1', 'DTM*472*20250110', 'CAS*OA*23*130', `REF*6R*${pcn}-1`,
      'SVC*HC:83036*35*0**1', 'DTM*472*20250110', 'CAS*OA*23*30', 'CAS*PR*3*5', `REF*6R*${pcn}-2`],
  });
}

describeEachBackend('posting the secondary payer', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-posting-secondary-'));
  const cli = (args: string[]) => runCli(['--json', 'claims', ...args], { database: t.handle, now: EXPORT_TIME });
  const listed = async (): Promise<ListedClaim[]> => (await cli(['list'])).json().claims;

  beforeAll(async () => {
    const { janeId } = await seedPractice(t.db);
    const [second] = await t.db.insert(payers).values({ name: 'Second Health', payerId: '77777', claimFilingIndicator: 'CI' }).returning();
    await t.db.insert(coverages).values({ patientId: janeId, payerId: second!.id, priority: 2, memberId: 'SEC555', groupNumber: 'SEC01', relationship: '18' });
  });

  it('owes the secondary what the primary left, and settles it with its 835', async () => {
    await cli(['build']);
    await t.db.execute(sql`update claims c set patient_control_number = 'PKT-' || lpad(n.rn::text, 6, '0')
                           from (select id, row_number() over (order by id) as rn from claims) n where n.id = c.id`);
    expect((await cli(['export', '--all', '--out', dir])).code).toBe(0);
    expect((await cli(['post', fileURLToPath(new URL('own-835-remit-for-two-claims.x12', fixtures))])).code).toBe(0);
    expect((await cli(['build'])).json()).toMatchObject({ secondaryClaims: 1 });
    expect((await cli(['export', '--all', '--out', dir])).code).toBe(0);
    const secondary = (await listed()).find((c) => c.patientControlNumber.startsWith('PK0'))!;
    // Before its 835: what the primary paid and adjusted is not the secondary's to pay.
    expect(secondary).toMatchObject({ totalCents: 18500, paidCents: 0, adjustmentCents: 16000, patientResponsibilityCents: 0, balanceCents: 2500, inAr: true });
    const era = join(dir, 'secondary.835');
    writeFileSync(era, secondaryRemittance(secondary.patientControlNumber));
    const run = await cli(['post', era]);
    expect(run.code, run.stderr).toBe(0);
    const after = await listed();
    expect(after.find((c) => c.id === secondary.id)).toMatchObject({ status: 'paid', paidCents: 2000, adjustmentCents: 16000, patientResponsibilityCents: 500, balanceCents: 0, inAr: false });
    for (const c of after) expect(c.paidCents + c.adjustmentCents + c.patientResponsibilityCents + c.balanceCents - c.creditCents).toBe(c.totalCents);
    const ar = await cli(['ar', '--as-of', '2025-12-31']);
    expect(ar.json().totalCents).toBe(after.filter((c) => c.inAr).reduce((n, c) => n + c.balanceCents, 0));
  });
});
