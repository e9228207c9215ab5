// Drug lines (loop 2410: LIN/CTP/REF), the pay-to address (2010AB) and the service facility (2310C),
// through the CLI: settings, build, check, export, then the file read back with node-x12.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { responsibilitySequence, type OtherPayer } from '../../src/claims/cob.js';
import { sameAddress } from '../../src/claims/render-837p.js';
import { lint837p } from '../../src/claims/x12/lint-837p.js';
import { parseX12 } from '../../src/claims/x12/model.js';
import { CodeSystem } from '../../src/codes/systems.js';
import { charges, encounterDiagnoses, encounters, locations } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { claimSegments, segmentsOf } from './read-837p.js';
import { EXPORT_TIME, seedPractice } from './seed.js';

describeEachBackend('drug lines, pay-to address and service facility', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'pk-loops-'));
  const cli = (args: string[]) => runCli(['--json', 'claims', ...args], { database: t.handle, now: EXPORT_TIME });
  let segments: string[] = [];
  let pcns: string[] = [];

  beforeAll(async () => {
    const { janeId, emmaId } = await seedPractice(t.db);
    const [riverside, home, main] = await t.db
      .insert(locations)
      .values([
        { code: 'RIV', name: 'Riverside Clinic', npi: '1912301953', address1: '200 River Rd', city: 'Springfield', state: 'IL', zip: '62703' },
        { code: 'HOME', name: 'Home visits', placeOfService: '12', address1: '45 Elm St', city: 'Springfield', state: 'IL', zip: '62704' },
        // The billing address itself, written a little differently: not a separate facility.
        { code: 'MAIN', name: 'Main office', address1: '100  maple ave', city: 'SPRINGFIELD', state: 'IL', zip: '62701' },
      ])
      .returning();
    const visits = await t.db.select().from(encounters).orderBy(encounters.id);
    await t.db.update(encounters).set({ locationId: riverside!.id }).where(eq(encounters.id, visits[0]!.id));
    await t.db.update(encounters).set({ locationId: home!.id }).where(eq(encounters.id, visits[1]!.id));
    await t.db.update(charges).set({ placeOfService: null }).where(eq(charges.patientId, emmaId));
    const [office] = await t.db.insert(encounters).values({ patientId: janeId, locationId: main!.id, startsAt: new Date('2025-01-14T15:00:00Z') }).returning();
    await t.db.insert(encounterDiagnoses).values({ encounterId: office!.id, position: 1, codeSystem: CodeSystem.icd10cm, code: 'I10' });
    await t.db.insert(charges).values([
      // Injection given at the Riverside visit: 10 mg of the drug in 2.5 ml, from prescription RX12345.
      { patientId: janeId, encounterId: visits[0]!.id, serviceDate: '2025-01-10', codeSystem: CodeSystem.hcpcs, code: 'J3301', amountCents: 2104, diagnosisPointers: [1], placeOfService: '11', ndcCode: '0003-0293-20', ndcQuantity: '2.5', ndcUnit: 'ML', ndcReferenceQualifier: 'XZ', ndcReference: 'RX12345' },
      { patientId: janeId, encounterId: office!.id, serviceDate: '2025-01-14', codeSystem: CodeSystem.cpt, code: '99213', amountCents: 9500, diagnosisPointers: [1], placeOfService: '11' },
    ]);
  });

  it('keeps the pay-to address and payer rules, refusing incomplete ones', async () => {
    expect((await cli(['settings', '--pay-to-street', 'PO Box 4410', '--pay-to-city', 'Springfield'])).code).toBe(2);
    const badZip = await cli(['settings', '--pay-to-street', 'PO Box 4410', '--pay-to-city', 'Springfield', '--pay-to-state', 'IL', '--pay-to-zip', '6270']);
    expect(badZip.code).not.toBe(0);
    expect(badZip.stderr).toContain('The pay-to ZIP code must have 5 or 9 digits.');
    const run = await cli(['settings', '--pay-to-street', 'PO Box 4410', '--pay-to-city', 'Springfield', '--pay-to-state', 'il', '--pay-to-zip', '62705-4410', '--payer', '99999', '--ndc-required', 'yes']);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      payTo: { address1: 'PO Box 4410', address2: null, city: 'Springfield', state: 'IL', zip: '627054410' },
      payerRules: [{ payerId: '99999', payer: 'Example Health Plan', ndcRequired: true, timelyFilingDays: 365, secondaryTimelyFilingDays: null }],
    });
    expect((await cli(['settings', '--payer', 'NOPE', '--ndc-required', 'yes'])).code).not.toBe(0);
  });

  it('holds a J-code line without its NDC when the payer requires one, and passes it with one', async () => {
    expect((await cli(['build'])).json()).toMatchObject({ claims: 3, lines: 5 });
    await t.db.execute(sql`update claim_lines set ndc_code = null where code = 'J3301'`);
    const held = await cli(['check']);
    expect(held.code).toBe(3);
    expect(held.json().failures).toEqual([
      { claimId: expect.any(Number), patientControlNumber: expect.any(String), lineNumber: 3, code: 'NDC_REQUIRED', message: 'This payer wants the drug (NDC, quantity and unit) on every J-code line, and this line has none.' },
    ]);
    await t.db.execute(sql`update claim_lines set ndc_code = '0003-0293-20' where code = 'J3301'`);
    expect((await cli(['check'])).json()).toMatchObject({ checked: 3, failing: 0 });
  });

  it('exports the file: it passes our reader and node-x12 strict, SE01 right', async () => {
    const run = await cli(['export', '--all', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.json().claims).toBe(3);
    const text = readFileSync(run.json().file, 'utf8');
    expect(lint837p(parseX12(text))).toEqual([]);
    const parsed = segmentsOf(text);
    expect(parsed.se01).toBe(parsed.segments.length + 2);
    segments = parsed.segments;
    pcns = segments.filter((s) => s.startsWith('CLM*')).map((s) => s.split('*')[1]!);
    expect(pcns).toHaveLength(3);
  });

  it('sends the pay-to address (2010AB) right after the billing provider', () => {
    const at = segments.indexOf('REF*EI*123456789');
    expect(segments.slice(at, at + 5)).toEqual(['REF*EI*123456789', 'NM1*87*2', 'N3*PO BOX 4410', 'N4*SPRINGFIELD*IL*627054410', 'HL*2*1*22*0']);
  });

  it('names the service facility (2310C) after the rendering provider, only away from the billing address and never at home', () => {
    const riverside = claimSegments(segments, pcns[0]!);
    expect(riverside.slice(2, 7)).toEqual([
      'NM1*82*1*RIVERA*ANA****XX*1999999992',
      'PRV*PE*PXC*207Q00000X',
      'NM1*77*2*RIVERSIDE CLINIC*****XX*1912301953',
      'N3*200 RIVER RD',
      'N4*SPRINGFIELD*IL*62703',
    ]);
    // Claims come in patient order: Jane's two visits, then Emma's home visit.
    const home = claimSegments(segments, pcns[2]!);
    expect(home[0]).toContain('*12:B:1*');
    expect(home.some((s) => s.startsWith('NM1*77'))).toBe(false);
    const office = claimSegments(segments, pcns[1]!);
    expect(office.some((s) => s.startsWith('NM1*77'))).toBe(false);
  });

  it('sends the drug of a J-code line in 2410: 11-digit NDC, quantity and unit, prescription number', () => {
    const riverside = claimSegments(segments, pcns[0]!);
    const lx3 = riverside.indexOf('LX*3');
    expect(riverside.slice(lx3)).toEqual([
      'LX*3',
      'SV1*HC:J3301*21.04*UN*1***1',
      'DTP*472*D8*20250110',
      `REF*6R*${pcns[0]}-3`,
      'LIN**N4*00003029320',
      'CTP****2.5*ML',
      'REF*XZ*RX12345',
    ]);
    expect(segments.filter((s) => s.startsWith('LIN*'))).toHaveLength(1);
  });

  it('clears the pay-to address', async () => {
    const run = await cli(['settings', '--clear-pay-to']);
    expect(run.code).toBe(0);
    expect(run.json().payTo).toBeNull();
  });
});

describe('addresses', () => {
  it('are the same place when street, city, state and 5-digit ZIP agree, whatever the case and spacing', () => {
    const billing = { address1: '100 Maple Ave', address2: null, city: 'Springfield', state: 'IL', zip: '62701-0001' };
    expect(sameAddress(billing, { ...billing, address1: '100  MAPLE AVE ', zip: '62701' })).toBe(true);
    expect(sameAddress(billing, { ...billing, address1: 'PO Box 4410' })).toBe(false);
    expect(sameAddress(billing, { ...billing, zip: '62702' })).toBe(false);
  });
});

describe('payer responsibility sequence (SBR01)', () => {
  const other = (priority: number) => ({ priority }) as OtherPayer;
  it('ranks the coverages on the claim, so the only coverage in force is primary whatever its number', () => {
    expect(responsibilitySequence(2, [], 2)).toBe('P');
    expect(responsibilitySequence(2, [other(1)], 2)).toBe('S');
    expect(responsibilitySequence(2, [other(1)], 1)).toBe('P');
    expect(responsibilitySequence(3, [other(1), other(2)], 3)).toBe('T');
    expect(responsibilitySequence(1, [other(2), other(3)], 3)).toBe('T');
  });
});
