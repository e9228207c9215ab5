import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import X12 from 'node-x12';
import { describe, expect, it } from 'vitest';
import { writeOtherPayers, type OtherPayer } from '../../src/claims/cob.js';
import { parseRemittance } from '../../src/claims/era.js';
import { lint837p } from '../../src/claims/x12/lint-837p.js';
import { centsFromX12, parseX12, x12Amount } from '../../src/claims/x12/model.js';
import { X12Writer } from '../../src/claims/x12/writer.js';
import { ValidationError } from '../../src/errors.js';
import { fixtures } from './seed.js';

const { X12Parser } = X12 as unknown as typeof import('node-x12');
const read = (name: string) => readFileSync(fileURLToPath(new URL(name, fixtures)), 'utf8');
const manifest = read('manifest.tsv')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [file, transaction, version, pyx12, nodeX12, exercises] = line.split('\t');
    return { file: file!, transaction: transaction!, version: version!, pyx12: pyx12!, nodeX12: nodeX12!, exercises: exercises! };
  });

// What our reader must report for each broken 837P fixture (the -bad- and -sem- files).
const expectedIssue: Record<string, string> = {
  'own-837p-bad-se-count.x12': 'X12_SE_COUNT',
  'own-837p-bad-iea-control-number.x12': 'X12_IEA_CONTROL',
  'own-837p-bad-missing-2010AA.x12': 'MISSING_2010AA',
  'own-837p-bad-service-date.x12': 'SERVICE_DATE',
  'own-837p-bad-clm01-39-chars.x12': 'CLM01_LENGTH',
  'own-837p-bad-place-of-service.x12': 'PLACE_OF_SERVICE',
  'own-837p-bad-billing-id-qualifier.x12': 'BILLING_ID_QUALIFIER',
  'own-837p-sem-npi-check-digit.x12': 'NPI_CHECK_DIGIT',
  'own-837p-sem-icd10-decimal.x12': 'DX_DECIMAL',
  'own-837p-sem-icd9-qualifier.x12': 'DX_QUALIFIER',
  'own-837p-sem-charge-mismatch.x12': 'CLM_TOTAL',
  'own-837p-sem-dx-pointer-range.x12': 'POINTER_TARGET',
  'own-837p-sem-billing-zip5.x12': 'BILLING_ZIP4',
  'own-837p-sem-sbr02-with-2000C.x12': 'SBR02_WITH_PATIENT',
};

describe('the X12 segment model', () => {
  it.each(manifest.filter((m) => m.file !== 'own-837p-bad-isa-length.x12'))('reads and writes $file back unchanged', ({ file }) => {
    const text = read(file);
    expect(parseX12(text).toString()).toBe(text);
  });

  it('gives 1-based elements, components and the separators from the ISA', () => {
    const doc = parseX12(read('lfh-837p-bad-component-separator.837'));
    expect(doc.separators).toEqual({ element: '*', component: ':', repetition: '^', segment: '~' });
    const st = doc.all('ST')[0]!;
    expect(st.get(1)).toBe('837');
    const own = parseX12(read('own-837p-valid-two-claims.x12'));
    const sv1 = own.all('SV1')[0]!;
    expect(sv1.components(1, own.separators)).toEqual(['HC', '99214']);
    expect(sv1.component(7, 2, own.separators)).toBe('2');
    expect(sv1.get(99)).toBe('');
  });

  it('rejects an ISA that is not 106 characters, plainly', () => {
    expect(() => parseX12(read('own-837p-bad-isa-length.x12'))).toThrow(/106 characters/);
    expect(() => parseX12('hello')).toThrow(/not an X12 file/);
  });

  it('writes amounts exactly and strips delimiters and trailing empties', () => {
    expect([15000, 18550, 18505, -250, 0, 100].map(x12Amount)).toEqual(['150', '185.5', '185.05', '-2.5', '0', '1']);
    expect(['150', '-2.50', '1222.00', '.5', '185.05'].map(centsFromX12)).toEqual([15000, -250, 122200, 50, 18505]);
    const w = new X12Writer({ element: '*', component: ':', repetition: '^', segment: '~' });
    w.add('NM1', 'QC', '1', "O'Brien*Smith~", 'Emma', '', '', '');
    w.add('SV1', ['HC', '99213', '', ''], '95');
    expect(w.toString()).toBe("NM1*QC*1*O'BRIEN SMITH*EMMA~SV1*HC:99213*95~");
  });
});

describe('loop 2320/2330 for another payer', () => {
  const medicaid: OtherPayer = {
    claimId: 1, coverageId: 2, priority: 1, relationship: '19', memberId: 'MC123', groupNumber: null,
    subscriberLastName: 'Smith', subscriberFirstName: 'John', subscriberMiddleName: null,
    payerName: 'State Medicaid', payerIdentifier: 'SKMD0', filingIndicator: 'MC',
  };
  const write = (other: OtherPayer) => {
    const w = new X12Writer({ element: '*', component: ':', repetition: '^', segment: '~' }, { lineBreak: '\n' });
    writeOtherPayers(w, { coveragePriority: 2, benefitsAssigned: 'Y', releaseOfInformation: 'I' }, [other]);
    return w.toString().trim().split('~\n').map((seg) => seg.replace(/~$/, ''));
  };

  it('names the other payer without amounts while it has not adjudicated the claim', () => {
    expect(write(medicaid)).toEqual(['SBR*P*19*******MC', 'OI***Y***I', 'NM1*IL*1*SMITH*JOHN****MI*MC123', 'NM1*PR*2*STATE MEDICAID*****PI*SKMD0']);
  });

  it('puts claim-level CAS by group (6 reasons a segment) before AMT*D, and the date in 2330B without line detail', () => {
    const claimAdjustments = ['1', '2', '3', '45', '97', '119', '253'].map((reason, i) => ({ group: i < 3 ? 'PR' : 'CO', reason, amountCents: 100 * (i + 1) }));
    claimAdjustments.push(...['4', '5', '6', '7'].map((reason) => ({ group: 'PR', reason, amountCents: 1 })));
    const adjudication = { claimId: 9, paidCents: 5000, patientResponsibilityCents: 0, payerClaimControlNumber: null, adjudicatedOn: '2025-02-05', claimAdjustments, lines: new Map() };
    expect(write({ ...medicaid, adjudication })).toEqual([
      'SBR*P*19*******MC',
      'CAS*PR*1*1**2*2**3*3**4*0.01**5*0.01**6*0.01',
      'CAS*PR*7*0.01',
      'CAS*CO*45*4**97*5**119*6**253*7',
      'AMT*D*50',
      'OI***Y***I',
      'NM1*IL*1*SMITH*JOHN****MI*MC123',
      'NM1*PR*2*STATE MEDICAID*****PI*SKMD0',
      'DTP*573*D8*20250205',
    ]);
  });
});

describe('the fixtures manifest', () => {
  const x837 = manifest.filter((m) => m.transaction === '837P' && m.file.startsWith('own-'));
  it.each(x837)('$file: our reader agrees with the expected verdict ($pyx12, $exercises)', ({ file }) => {
    const text = read(file);
    if (file === 'own-837p-bad-isa-length.x12') {
      expect(() => parseX12(text)).toThrow(ValidationError);
      return;
    }
    const issues = lint837p(parseX12(text));
    if (file === 'own-837p-valid-two-claims.x12') expect(issues).toEqual([]);
    else expect(issues.map((i) => i.code)).toContain(expectedIssue[file]);
  });

  it.each(manifest)('$file: node-x12 strict verdict is $nodeX12', ({ file, nodeX12 }) => {
    const parse = () => new X12Parser(true).parse(read(file));
    if (nodeX12 === 'reject') expect(parse).toThrow();
    else expect(parse).not.toThrow();
  });

  it.each(manifest.filter((m) => m.transaction === '835'))('$file: every 835 balances and its amounts are read exactly', ({ file }) => {
    const era = parseRemittance(read(file));
    expect(era.claims.length).toBeGreaterThan(0);
    const plb = era.providerAdjustments.reduce((s, p) => s + p.amountCents, 0);
    expect(era.totalPaidCents).toBe(era.claims.reduce((s, c) => s + c.paidCents, 0) - plb);
  });

  it('reads the fixture ERA: CAS, RARC, 6R and PLB', () => {
    const era = parseRemittance(read('own-835-remit-for-two-claims.x12'));
    expect(era.payments[0]).toMatchObject({ traceNumber: 'CHK0001234', paymentMethod: 'CHK', paymentDate: '2025-02-05', totalPaidCents: 11250, payerName: 'EXAMPLE HEALTH PLAN', payerIdentifier: '1999999999' });
    expect(era.claims[0]!.lines[0]).toMatchObject({ code: '99214', billedCents: 15000, paidCents: 10000, lineControlNumber: 'PKT-000001-1', serviceDate: '2025-01-10' });
    expect(era.claims[0]!.lines[0]!.adjustments).toEqual([
      { group: 'CO', reason: '45', amountCents: 3000, quantity: null },
      { group: 'PR', reason: '2', amountCents: 2000, quantity: null },
    ]);
    expect(era.claims[1]!.lines[0]!.remarks).toEqual(['M76']);
    expect(era.providerAdjustments).toEqual([
      { providerIdentifier: '1234567893', fiscalPeriodDate: '2025-12-31', reasonCode: 'L6', reference: 'PKT-000001', amountCents: -250 },
      { providerIdentifier: '1234567893', fiscalPeriodDate: '2025-12-31', reasonCode: 'WO', reference: 'EHP2024OVP123', amountCents: 1000 },
    ]);
  });

  it('checks the coordination-of-benefits balances of a secondary claim: SV102 = SVD02 + CAS, CLM02 = AMT*D + CAS', () => {
    const text = read('lfh-837p-secondary-cob.837');
    const cob = (t: string) => lint837p(parseX12(t)).map((i) => i.code).filter((c) => c.startsWith('COB_') || c === 'SVD_PAYER');
    expect(cob(text)).toEqual([]);
    expect(cob(text.replace('SVD*999996666*40.00*', 'SVD*999996666*41.00*'))).toEqual(['COB_LINE_BALANCE']);
    expect(cob(text.replace('AMT*D*39.15', 'AMT*D*39.00'))).toEqual(['COB_CLAIM_BALANCE']);
    expect(cob(text.replace('SVD*999996666*15.00*', 'SVD*123456*15.00*'))).toEqual(['SVD_PAYER']);
  });

  it('names other-payer and line-adjudication loops out of the guide order', () => {
    const segments = read('lfh-837p-secondary-cob.837').split('~\n');
    const sbr = segments.findIndex((seg) => seg.startsWith('SBR*P*01'));
    const lx = segments.indexOf('LX*1');
    // The whole 2320/2330 block moved after the first service line's 2430.
    const moved = [...segments.slice(0, sbr), ...segments.slice(lx, lx + 6), ...segments.slice(sbr, lx), ...segments.slice(lx + 6)].join('~\n');
    expect(lint837p(parseX12(moved)).map((i) => i.code)).toContain('LOOP_ORDER');
    expect(lint837p(parseX12(read('lfh-837p-secondary-cob.837'))).map((i) => i.code)).not.toContain('LOOP_ORDER');
  });

  it('reads REF*F8 in 2330B as the other payer claim number, not the original of a corrected claim', () => {
    const text = read('lfh-837p-secondary-cob.837').replace('*11:B:1*', '*11:B:7*').replace('NM1*PR*2*KEY INSURANCE COMPANY*****PI*999996666~', 'NM1*PR*2*KEY INSURANCE COMPANY*****PI*999996666~\nREF*F8*KEY123~');
    expect(lint837p(parseX12(text)).map((i) => i.code)).toContain('FREQUENCY_REF');
  });

  it('refuses an 837P given as a remittance', () => {
    expect(() => parseRemittance(read('own-837p-valid-two-claims.x12'))).toThrow(/not an 835/);
  });
});
