// Checks an 837P file: the envelope (counts and control numbers), the structural rules our writer
// must never break, and the semantic rules guide validators miss (NPI check digit, ICD-10 decimal
// point and qualifier, CLM02 = sum of SV102, pointer targets, billing ZIP+4, SBR02 with a 2000C),
// and the coordination-of-benefits balances payers reject secondary claims for: per line
// SV102 = SVD02 + its CAS (2430), per other payer CLM02 = AMT*D + claim CAS + line CAS (2320).
import { isValidNpi } from '../../codes/npi.js';
import type { Issue } from '../../errors.js';
import { PLACES_OF_SERVICE } from '../../practice/code-lists.js';
import { ICD10_EFFECTIVE } from '../edits.js';
import { centsFromX12, type Separators, type X12Document, type X12Segment } from './model.js';

/** CCYYMMDD that names a real calendar day (plain arithmetic: this runs once per service line). */
function isRealDate(value: string): boolean {
  if (!/^[0-9]{8}$/.test(value)) return false;
  const [y, m, d] = [Number(value.slice(0, 4)), Number(value.slice(4, 6)), Number(value.slice(6, 8))];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const ICD10_QUALIFIERS = new Set(['ABK', 'ABF']);
const ICD9_QUALIFIERS = new Set(['BK', 'BF']);

/** The envelope's counts and control numbers, segment by segment; i is the segment's index in the file. */
function envelopeChecker(issues: Issue[]): (seg: X12Segment, i: number) => void {
  const problem = (code: string, path: string, message: string) => issues.push({ code, path, message });
  let isa: X12Segment | undefined;
  let gs: X12Segment | undefined;
  let st: X12Segment | undefined;
  let stIndex = 0;
  let groups = 0;
  let sets = 0;
  return (seg, i) => {
    switch (seg.tag) {
      case 'ISA':
        isa = seg;
        groups = 0;
        break;
      case 'GS':
        gs = seg;
        sets = 0;
        groups++;
        if (seg.get(8) !== '005010X222A1') problem('X12_VERSION', 'GS08', `The file is version ${seg.get(8)}, not 005010X222A1.`);
        break;
      case 'ST':
        st = seg;
        stIndex = i;
        sets++;
        if (seg.get(3) && seg.get(3) !== '005010X222A1') problem('X12_VERSION', 'ST03', `The transaction is version ${seg.get(3)}, not 005010X222A1.`);
        break;
      case 'SE':
        if (Number(seg.get(1)) !== i - stIndex + 1) problem('X12_SE_COUNT', 'SE01', `SE01 says ${seg.get(1)} segments, the transaction has ${i - stIndex + 1}.`);
        if (seg.get(2) !== st?.get(2)) problem('X12_SE_CONTROL', 'SE02', 'SE02 does not repeat the ST02 control number.');
        break;
      case 'GE':
        if (Number(seg.get(1)) !== sets) problem('X12_GE_COUNT', 'GE01', `GE01 says ${seg.get(1)} transaction sets, the group has ${sets}.`);
        if (seg.get(2) !== gs?.get(6)) problem('X12_GE_CONTROL', 'GE02', 'GE02 does not repeat the GS06 control number.');
        break;
      case 'IEA':
        if (Number(seg.get(1)) !== groups) problem('X12_IEA_COUNT', 'IEA01', `IEA01 says ${seg.get(1)} groups, the interchange has ${groups}.`);
        if (seg.get(2) !== isa?.get(13)) problem('X12_IEA_CONTROL', 'IEA02', 'IEA02 does not repeat the ISA13 control number.');
        break;
    }
  };
}

/** One other payer of a claim (loop 2320/2330B) and what its adjudication adds up to. */
interface OtherPayerState {
  payerId: string;
  paid: number | null;
  claimCas: number;
  lineCas: number;
}

interface ClaimState {
  clm: X12Segment;
  diagnoses: number;
  lineTotal: number;
  hasF8: boolean;
  qualifiers: string[];
  dates: string[];
  /** Where we are inside the claim: 2300/2310, 2320/2330, 2400/2410, or a 2430 line adjudication. */
  loop: 'claim' | 'other-payer' | 'line' | 'line-adjudication';
  others: OtherPayerState[];
  lineCharge: number;
  svd?: { payerId: string; paid: number; cas: number };
}

/** Sum of the amounts of a CAS segment (CAS03, 06, 09, 12, 15, 18). */
const casTotal = (seg: X12Segment) => [3, 6, 9, 12, 15, 18].reduce((sum, i) => sum + (seg.get(i) ? centsFromX12(seg.get(i)) : 0), 0);

/** Every problem found in an 837P document; an empty list means the file passes. */
export function lint837p(doc: X12Document): Issue[] {
  const lint = new Lint837p(doc.separators);
  for (const seg of doc.segments) lint.segment(seg);
  return lint.issues();
}

/**
 * The same checks on a file as it is written (src/claims/x12/writer.ts hands each segment over), so
 * a whole file need not be parsed again to be checked.
 */
export class Lint837p {
  readonly segment: (seg: X12Segment) => void;
  private readonly envelope: Issue[] = [];
  private readonly found: Issue[] = [];

  constructor(seps: Separators) {
    const checkEnvelope = envelopeChecker(this.envelope);
    let index = 0;
    const check = lintBody(seps, this.found);
    this.segment = (seg) => {
      checkEnvelope(seg, index++);
      check(seg);
    };
  }

  /** Envelope problems first, then the others in file order. */
  issues(): Issue[] {
    return [...this.envelope, ...this.found];
  }
}

function lintBody(seps: Separators, issues: Issue[]): (seg: X12Segment) => void {
  const problem = (code: string, path: string, message: string) => issues.push({ code, path, message });
  let hlLevel = '';
  let billingNameSeen = true;
  let billingN4Pending = false;
  let subscriberSelf = false;
  let claim: ClaimState | undefined;
  const closeLineAdjudication = () => {
    const svd = claim?.svd;
    if (!claim || !svd) return;
    const id = claim.clm.get(1);
    if (claim.lineCharge !== svd.paid + svd.cas) problem('COB_LINE_BALANCE', `SVD ${id}`, `Claim ${id}: a line charge is not the other payer's paid amount plus its line adjustments (SV102 = SVD02 + CAS).`);
    const other = claim.others.find((o) => o.payerId === svd.payerId);
    if (other) other.lineCas += svd.cas;
    else problem('SVD_PAYER', `SVD ${id}`, `Claim ${id}: SVD01 names a payer that no 2330B loop of the claim has.`);
    claim.svd = undefined;
  };
  const closeClaim = () => {
    if (!claim) return;
    closeLineAdjudication();
    const id = claim.clm.get(1);
    for (const other of claim.others) {
      if (other.paid !== null && centsFromX12(claim.clm.get(2) || '0') - other.claimCas - other.lineCas !== other.paid) {
        problem('COB_CLAIM_BALANCE', `AMT ${id}`, `Claim ${id}: the claim total is not the other payer's paid amount (AMT*D) plus its claim and line adjustments.`);
      }
    }
    if (centsFromX12(claim.clm.get(2) || '0') !== claim.lineTotal) problem('CLM_TOTAL', `CLM ${id}`, `Claim ${id}: CLM02 is not the sum of its service line charges.`);
    if (['7', '8'].includes(claim.clm.component(5, 3, seps)) && !claim.hasF8) problem('FREQUENCY_REF', `CLM ${id}`, `Claim ${id}: a corrected or void claim needs REF*F8.`);
    const firstDate = claim.dates.sort()[0];
    if (firstDate) {
      const icd10Era = firstDate >= ICD10_EFFECTIVE.replaceAll('-', '');
      if (icd10Era && claim.qualifiers.some((q) => ICD9_QUALIFIERS.has(q))) problem('DX_QUALIFIER', `HI ${id}`, `Claim ${id}: ICD-9 qualifiers (BK/BF) on a date of service after ${ICD10_EFFECTIVE}.`);
      if (!icd10Era && claim.qualifiers.some((q) => ICD10_QUALIFIERS.has(q))) problem('DX_QUALIFIER', `HI ${id}`, `Claim ${id}: ICD-10 qualifiers (ABK/ABF) on a date of service before ${ICD10_EFFECTIVE}.`);
    }
    claim = undefined;
  };
  return (seg) => {
    switch (seg.tag) {
      case 'HL':
        closeClaim();
        if (hlLevel === '20' && !billingNameSeen) problem('MISSING_2010AA', 'NM1*85', 'The billing provider name (loop 2010AA, NM1*85) is missing.');
        if (seg.get(3) === '23' && subscriberSelf) problem('SBR02_WITH_PATIENT', 'SBR02', 'SBR02 says the patient is the subscriber (18), but a separate patient loop (2000C) follows.');
        hlLevel = seg.get(3);
        if (hlLevel === '20') billingNameSeen = false;
        break;
      case 'SBR':
        // 2320 follows the 2310 providers and precedes every service line (2400).
        if (claim && (claim.loop === 'line' || claim.loop === 'line-adjudication')) problem('LOOP_ORDER', `SBR ${claim.clm.get(1)}`, `Claim ${claim.clm.get(1)}: an other-payer loop (2320) comes after the service lines.`);
        if (claim) {
          claim.loop = 'other-payer';
          claim.others.push({ payerId: '', paid: null, claimCas: 0, lineCas: 0 });
        } else subscriberSelf = seg.get(2) === '18';
        break;
      case 'CAS':
        if (claim?.loop === 'other-payer') claim.others.at(-1)!.claimCas += casTotal(seg);
        else if (claim?.loop === 'line-adjudication' && claim.svd) claim.svd.cas += casTotal(seg);
        break;
      case 'AMT':
        if (claim?.loop === 'other-payer' && seg.get(1) === 'D') claim.others.at(-1)!.paid = centsFromX12(seg.get(2) || '0');
        break;
      case 'LX':
        closeLineAdjudication();
        if (claim) claim.loop = 'line';
        break;
      case 'SVD':
        if (!claim) break;
        if (claim.loop === 'claim' || claim.loop === 'other-payer') problem('LOOP_ORDER', `SVD ${claim.clm.get(1)}`, `Claim ${claim.clm.get(1)}: a line adjudication (2430) comes before any service line.`);
        closeLineAdjudication();
        claim.loop = 'line-adjudication';
        claim.svd = { payerId: seg.get(1), paid: centsFromX12(seg.get(2) || '0'), cas: 0 };
        break;
      case 'LIN':
        if (seg.get(2) === 'N4' && !/^[0-9]{11}$/.test(seg.get(3))) problem('NDC_FORM', 'LIN03', `NDC "${seg.get(3)}" is not 11 digits (5-4-2 without hyphens).`);
        break;
      case 'NM1':
        if (claim?.loop === 'other-payer' && seg.get(1) === 'PR') claim.others.at(-1)!.payerId = seg.get(9);
        if (seg.get(1) === '85') {
          billingNameSeen = true;
          billingN4Pending = true;
          if (seg.get(8) !== 'XX') problem('BILLING_ID_QUALIFIER', 'NM108', 'The billing provider must be identified by NPI (NM108 XX).');
        }
        if (seg.get(8) === 'XX' && !isValidNpi(seg.get(9))) problem('NPI_CHECK_DIGIT', `NM1*${seg.get(1)}`, `NPI ${seg.get(9)} fails its check digit (Luhn with prefix 80840).`);
        break;
      case 'N4':
        if (billingN4Pending && !/^[0-9]{9}$/.test(seg.get(3))) problem('BILLING_ZIP4', 'N403', 'The billing provider ZIP code must have 9 digits (ZIP+4).');
        billingN4Pending = false;
        break;
      case 'CLM': {
        closeClaim();
        claim = { clm: seg, diagnoses: 0, lineTotal: 0, hasF8: false, qualifiers: [], dates: [], loop: 'claim', others: [], lineCharge: 0 };
        const id = seg.get(1);
        if (id.length < 1 || id.length > 38) problem('CLM01_LENGTH', 'CLM01', `Claim number "${id.slice(0, 40)}" is longer than 38 characters.`);
        const pos = seg.component(5, 1, seps);
        if (!(pos in PLACES_OF_SERVICE)) problem('PLACE_OF_SERVICE', 'CLM05-1', `Claim ${id}: "${pos}" is not a place-of-service code.`);
        break;
      }
      case 'REF':
        // REF*F8 in 2330B is the other payer's claim number, not this claim's original.
        if (claim?.loop === 'claim' && seg.get(1) === 'F8') claim.hasF8 = true;
        break;
      case 'HI':
        if (!claim) break;
        for (let i = 1; i <= seg.elements.length; i++) {
          const [qualifier, code] = seg.components(i, seps);
          if (!qualifier) continue;
          claim.diagnoses++;
          claim.qualifiers.push(qualifier);
          if ((code ?? '').includes('.')) problem('DX_DECIMAL', `HI${String(i).padStart(2, '0')}`, `Claim ${claim.clm.get(1)}: diagnosis ${code} must be sent without its decimal point.`);
        }
        break;
      case 'SV1':
        if (!claim) break;
        claim.lineCharge = centsFromX12(seg.get(2) || '0');
        claim.lineTotal += claim.lineCharge;
        for (const pointer of seg.components(7, seps)) {
          if (Number(pointer) < 1 || Number(pointer) > claim.diagnoses) problem('POINTER_TARGET', 'SV107', `Claim ${claim.clm.get(1)}: a line points at diagnosis ${pointer}, which the claim does not have.`);
        }
        break;
      case 'DTP':
        if (seg.get(1) === '472') {
          const dates = seg.get(3).split('-');
          for (const d of dates) {
            if (!isRealDate(d)) problem('SERVICE_DATE', 'DTP03', `"${d}" is not a real date of service (CCYYMMDD).`);
          }
          claim?.dates.push(...dates);
        }
        break;
      case 'SE':
        closeClaim();
        break;
    }
  };
}
