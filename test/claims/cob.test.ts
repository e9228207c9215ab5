// Secondary claims end to end: the primary claim goes out with the other coverage in 2320/2330, its
// 835 is posted, the secondary claim is built once and carries the primary's adjudication (2320 CAS,
// AMT*D, AMT*EAF; 2430 SVD, CAS, DTP*573), balances line by line, and is tracked like any claim.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { lint837p } from '../../src/claims/x12/lint-837p.js';
import { parseX12 } from '../../src/claims/x12/model.js';
import { queryRows } from '../../src/db/query.js';
import { coverages, payers } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { claimSegments, segmentsOf } from './read-837p.js';
import { EXPORT_TIME, fixtures, seedPractice } from './seed.js';

const fixture = (name: string) => fileURLToPath(new URL(name, fixtures));

/** SV102 = SVD02 + the line's CAS amounts, for every line of the claim that has an SVD. */
function lineBalances(claim: string[]): { charge: number; paid: number; cas: number }[] {
  const out: { charge: number; paid: number; cas: number }[] = [];
  let charge = 0;
  let current: { charge: number; paid: number; cas: number } | undefined;
  for (const s of claim) {
    const e = s.split('*');
    if (e[0] === 'SV1') charge = Math.round(Number(e[2]) * 100);
    if (e[0] === 'LX') current = undefined;
    if (e[0] === 'SVD') out.push((current = { charge, paid: Math.round(Number(e[2]) * 100), cas: 0 }));
    if (e[0] === 'CAS' && current) for (let i = 3; i < e.length; i += 3) current.cas += Math.round(Number(e[i]) * 100);
  }
  return out;
}

/** An 835 from the secondary payer for the secondary claim (balanced: 185 - 130 - 30 - 5 = 20). */
function secondaryRemittance(pcn: string): string {
  const isa = 'ISA*00*          *00*          *ZZ*SECONDHEALTH   *ZZ*PRACTICEKIT    *250301*0900*^*00501*000000777*0*T*:';
  const set = [
    'ST*835*0001', 'BPR*I*20*C*CHK************20250301', 'TRN*1*CHK0009999*1777777777', 'N1*PR*SECOND HEALTH', 'N3*PO BOX 9', 'N4*PEORIA*IL*616010000',
    'PER*BL*EDI*TE*8005550100', 'N1*PE*MAPLE FAMILY MEDICINE*XX*1234567893', 'LX*1',
    `CLP*${pcn}*2*185*20*5*12*SH0001*11*1`, 'NM1*QC*1*DOE*JANE*A***MI*SEC555',
    'SVC*HC:99214*150*20**1', 'DTM*472*20250110', 'CAS*OA*23*130', `REF*6R*${pcn}-1`,
    'SVC*HC:83036*35*0**1', 'DTM*472*20250110', 'CAS*OA*23*30', 'CAS*PR*3*5', `REF*6R*${pcn}-2`,
  ];
  return [isa, 'GS*HP*SECONDHEALTH*PRACTICEKIT*20250301*0900*777*X*005010X221A1', ...set, `SE*${set.length + 1}*0001`, 'GE*1*777', 'IEA*1*000000777'].map((s) => `${s}~`).join('\n');
}

describeEachBackend('secondary claims after the primary payer adjudicates', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'pk-cob-'));
  const cli = (args: string[]) => runCli(['--json', 'claims', ...args], { database: t.handle, now: EXPORT_TIME });
  let secondaryPcn = '';

  beforeAll(async () => {
    const { janeId } = await seedPractice(t.db);
    const [second] = await t.db.insert(payers).values({ name: 'Second Health', payerId: '77777', claimFilingIndicator: 'CI' }).returning();
    await t.db.insert(coverages).values({ patientId: janeId, payerId: second!.id, priority: 2, memberId: 'SEC555', groupNumber: 'SEC01', relationship: '18' });
  });

  it('exports the primary claim with the secondary coverage in 2320/2330A/2330B, and no adjudication yet', async () => {
    expect((await cli(['build'])).json()).toMatchObject({ claims: 2, secondaryClaims: 0 });
    // The fixture's claim numbers, so the fixture 835 pays exactly these claims.
    await t.db.execute(sql`update claims c set patient_control_number = 'PKT-' || lpad(n.rn::text, 6, '0')
                           from (select id, row_number() over (order by id) as rn from claims) n where n.id = c.id`);
    const run = await cli(['export', '--all', '--out', out]);
    expect(run.code).toBe(0);
    const { segments, se01 } = segmentsOf(readFileSync(run.json().file, 'utf8'));
    expect(se01).toBe(segments.length + 2);
    expect(claimSegments(segments, 'PKT-000001').slice(4, 8)).toEqual([
      'SBR*S*18*SEC01******CI',
      'OI***Y***Y',
      'NM1*IL*1*DOE*JANE*A***MI*SEC555',
      'NM1*PR*2*SECOND HEALTH*****PI*77777',
    ]);
    // Emma has no other coverage: no 2320 at all.
    expect(claimSegments(segments, 'PKT-000002').filter((s) => s.startsWith('SBR') || s.startsWith('OI'))).toEqual([]);
  });

  it('builds nothing for the secondary payer before the primary has adjudicated', async () => {
    expect((await cli(['build'])).json()).toMatchObject({ claims: 0, secondaryClaims: 0 });
  });

  it('builds the secondary claim once the 835 is posted, and never twice', async () => {
    expect((await cli(['import-835', fixture('own-835-remit-for-two-claims.x12')])).code).toBe(0);
    const dry = await cli(['build', '--dry-run']);
    expect(dry.json()).toMatchObject({ claims: 0, secondaryClaims: 1, dryRun: true });
    const run = await cli(['build']);
    expect(run.code).toBe(0);
    // Jane's claim leaves 25.00 to the patient and she has a secondary; Emma's was denied with nothing left to her.
    expect(run.json()).toMatchObject({ claims: 0, secondaryClaims: 1 });
    expect((await cli(['build'])).json()).toMatchObject({ secondaryClaims: 0 });
    const rows = await queryRows<{ id: number; pcn: string; payer: string; previous: string; status: string; total_cents: number; lines: number; dx: number }>(
      t.db,
      sql`select c.id, c.patient_control_number as pcn, py.payer_id as payer, p.patient_control_number as previous, c.status, c.total_cents,
                 (select count(*)::int from claim_lines l where l.claim_id = c.id) as lines, (select count(*)::int from claim_diagnoses d where d.claim_id = c.id) as dx
          from claims c join payers py on py.id = c.payer_id join claims p on p.id = c.previous_payer_claim_id`,
    );
    expect(rows).toEqual([{ id: expect.any(Number), pcn: expect.stringMatching(/^PK[0-9]{9}$/), payer: '77777', previous: 'PKT-000001', status: 'ready', total_cents: 18500, lines: 2, dx: 2 }]);
    secondaryPcn = rows[0]!.pcn;
    // The database refuses a second original claim passed on from the same adjudicated claim.
    await expect(
      t.db.execute(sql`insert into claims (patient_control_number, patient_id, coverage_id, payer_id, previous_payer_claim_id, service_date_from, service_date_to, total_cents)
                       select 'DUP-1', patient_id, coverage_id, payer_id, previous_payer_claim_id, service_date_from, service_date_to, total_cents from claims where id = ${rows[0]!.id}`),
    ).rejects.toThrow();
  });

  it('holds the secondary claim when the primary adjudication does not balance against its lines', async () => {
    await t.db.execute(sql`update adjustments set amount_cents = 2500 where reason_code = '45' and amount_cents = 3000`);
    const broken = await cli(['check']);
    expect(broken.code).toBe(3);
    expect(broken.json().failures.map((f: { code: string; lineNumber: number | null }) => [f.code, f.lineNumber])).toEqual([
      ['COB_CLAIM_BALANCE', null],
      ['COB_LINE_BALANCE', 1],
    ]);
    await t.db.execute(sql`update adjustments set amount_cents = 3000 where reason_code = '45' and amount_cents = 2500`);
    expect((await cli(['check'])).json()).toMatchObject({ checked: 1, failing: 0 });
  });

  it('exports the secondary claim with the primary adjudication in the guide order, balanced line by line', async () => {
    const run = await cli(['export', '--all', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.json().claims).toBe(1);
    const text = readFileSync(run.json().file, 'utf8');
    expect(lint837p(parseX12(text))).toEqual([]);
    const { segments, se01 } = segmentsOf(text);
    expect(se01).toBe(segments.length + 2);
    // 2000B/2010BA/2010BB: the secondary payer, responsibility sequence S.
    expect(segments.slice(segments.indexOf('HL*2*1*22*0'), segments.indexOf('HL*2*1*22*0') + 7)).toEqual([
      'HL*2*1*22*0',
      'SBR*S*18*SEC01******CI',
      'NM1*IL*1*DOE*JANE*A***MI*SEC555',
      'N3*12 OAK ST',
      'N4*SPRINGFIELD*IL*62702',
      'DMG*D8*19800214*F',
      'NM1*PR*2*SECOND HEALTH*****PI*77777',
    ]);
    expect(claimSegments(segments, secondaryPcn)).toEqual([
      `CLM*${secondaryPcn}*185***11:B:1*Y*A*Y*Y`,
      'HI*ABK:E119*ABF:I10',
      'NM1*82*1*RIVERA*ANA****XX*1999999992',
      'PRV*PE*PXC*207Q00000X',
      // 2320: the primary payer (no claim-level CAS in its 835), what it paid and what it left to the patient.
      'SBR*P*18*GRP1001******CI',
      'AMT*D*120',
      'AMT*EAF*25',
      'OI***Y***Y',
      'NM1*IL*1*DOE*JANE*A***MI*ABC123456789',
      'NM1*PR*2*EXAMPLE HEALTH PLAN*****PI*99999',
      'REF*F8*EHP250204001',
      'LX*1',
      'SV1*HC:99214*150*UN*1***1:2',
      'DTP*472*D8*20250110',
      `REF*6R*${secondaryPcn}-1`,
      'SVD*99999*100*HC:99214**1',
      'CAS*CO*45*30',
      'CAS*PR*2*20',
      'DTP*573*D8*20250205',
      'LX*2',
      'SV1*HC:83036*35*UN*1***1',
      'DTP*472*D8*20250110',
      `REF*6R*${secondaryPcn}-2`,
      'SVD*99999*20*HC:83036**1',
      'CAS*CO*45*10',
      'CAS*PR*3*5',
      'DTP*573*D8*20250205',
    ]);
    const balances = lineBalances(claimSegments(segments, secondaryPcn));
    expect(balances).toHaveLength(2);
    for (const b of balances) expect(b.charge).toBe(b.paid + b.cas);
    // The secondary payer is owed what the primary left to the patient, not the whole charge (after the primary's 835 of 2025-02-05).
    const ar = await cli(['ar', '--as-of', '2025-03-01']);
    // Emma's denied claim stays owed by the primary payer until it is corrected, written off or moved to her.
    expect(ar.json().payers).toEqual([
      expect.objectContaining({ payer: 'Example Health Plan', claims: 1, totalCents: 9500 }),
      expect.objectContaining({ payer: 'Second Health', claims: 1, totalCents: 2500 }),
    ]);
  });

  it("posts the secondary payer's 835 to the secondary claim, and builds no tertiary without a third coverage", async () => {
    const era = join(out, 'secondary.835');
    writeFileSync(era, secondaryRemittance(secondaryPcn));
    const run = await cli(['import-835', era]);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ claimsMatched: 1, linesMatched: 2, unmatched: [] });
    const [claim] = await queryRows<{ status: string; paid_cents: number; patient_responsibility_cents: number }>(
      t.db,
      sql`select status, paid_cents, patient_responsibility_cents from claims where patient_control_number = ${secondaryPcn}`,
    );
    expect(claim).toEqual({ status: 'paid', paid_cents: 2000, patient_responsibility_cents: 500 });
    expect((await cli(['build'])).json()).toMatchObject({ claims: 0, secondaryClaims: 0 });
    const listed = await cli(['list', '--status', 'paid']);
    expect(listed.json().claims.map((c: { patientControlNumber: string }) => c.patientControlNumber).sort()).toEqual(['PKT-000001', secondaryPcn].sort());
  });
});
