// Reads an 835 (005010X221A1) into plain data: payment header, claims (CLP) with their adjustments,
// remarks and service lines (SVC), and provider-level adjustments (PLB). Amounts are integer cents.
import type { Issue } from '../errors.js';
import { ValidationError } from '../errors.js';
import { centsFromX12, parseX12, x12Amount, type Separators, type X12Segment } from './x12/model.js';

export interface EraAdjustment {
  group: string;
  reason: string;
  amountCents: number;
  quantity: number | null;
}

export interface EraLine {
  /** The procedure as adjudicated (SVC01). */
  code: string;
  modifiers: string[];
  /** The procedure as we billed it: SVC06 when the payer changed the code, else SVC01. */
  billedCode: string;
  billedModifiers: string[];
  /** Units as billed: SVC07 when the payer paid other units, else SVC05 (1 when absent). */
  units: number;
  billedCents: number;
  paidCents: number;
  lineControlNumber: string | null;
  serviceDate: string | null;
  adjustments: EraAdjustment[];
  remarks: string[];
}

export interface EraClaim {
  patientControlNumber: string;
  /** CLP02: 1-3 processed, 4 denied, 19-21 processed and forwarded, 22 reversal of an earlier payment, 23 not our claim. */
  statusCode: string;
  billedCents: number;
  paidCents: number;
  patientResponsibilityCents: number;
  payerClaimControlNumber: string | null;
  /** DTM*232, the first day of the claim's services (lines without a DTM*472 fall on it). */
  serviceDate: string | null;
  adjustments: EraAdjustment[];
  remarks: string[];
  lines: EraLine[];
}

export interface EraProviderAdjustment {
  providerIdentifier: string;
  fiscalPeriodDate: string | null;
  reasonCode: string;
  reference: string | null;
  amountCents: number;
}

/** One payment (an ST/SE 835 transaction: one check, EFT or notice). */
export interface EraPayment {
  /** BPR01: C payment with remittance, I remittance only, H notification only, ... */
  handlingCode: string;
  payerName: string | null;
  /** TRN03: the payer's identifier. */
  payerIdentifier: string | null;
  /** REF*2U in the payer loop (1000A): the payer identification number. */
  payerReference: string | null;
  /** TRN02: check or EFT trace number. With the payer, the payment's identity. */
  traceNumber: string;
  paymentMethod: string | null;
  paymentDate: string | null;
  totalPaidCents: number;
  claims: EraClaim[];
  providerAdjustments: EraProviderAdjustment[];
}

/** An 835 file: its payments, and for a quick look every claim and PLB of the file with the total paid. */
export interface Remittance {
  payments: EraPayment[];
  totalPaidCents: number;
  claims: EraClaim[];
  providerAdjustments: EraProviderAdjustment[];
}

const isoDate = (ccyymmdd: string): string | null =>
  /^[0-9]{8}$/.test(ccyymmdd) ? `${ccyymmdd.slice(0, 4)}-${ccyymmdd.slice(4, 6)}-${ccyymmdd.slice(6, 8)}` : null;

function casTriplets(seg: X12Segment): EraAdjustment[] {
  const out: EraAdjustment[] = [];
  // CAS02-04, then up to five more reason/amount/quantity triplets (CAS05-19).
  for (let i = 2; i <= 17; i += 3) {
    const reason = seg.get(i);
    if (!reason) continue;
    const quantity = seg.get(i + 2);
    out.push({ group: seg.get(1), reason, amountCents: centsFromX12(seg.get(i + 1)), quantity: quantity ? Math.round(Number(quantity)) : null });
  }
  return out;
}

/** Parses every 835 transaction in the interchange and checks the balancing rules; throws with every problem. */
export function parseRemittance(text: string): Remittance {
  const doc = parseX12(text);
  const seps: Separators = doc.separators;
  const issues: Issue[] = [];
  const gs = doc.all('GS')[0];
  if (!doc.all('ST').some((s) => s.get(1) === '835') || (gs && gs.get(1) !== 'HP')) {
    throw new ValidationError([{ code: 'ERA_NOT_835', message: 'This file is not an 835 remittance (ERA).' }]);
  }
  const payments: EraPayment[] = [];
  let payment: EraPayment | undefined;
  let claim: EraClaim | undefined;
  let line: EraLine | undefined;
  // Loop 1000A (payer identification) runs from N1*PR to the next N1.
  let inPayerLoop = false;
  let transactionClaimsPaid = 0;
  let transactionPlb = 0;
  const closeTransaction = () => {
    if (!payment) return;
    if (payment.totalPaidCents !== transactionClaimsPaid - transactionPlb) {
      issues.push({ code: 'ERA_TOTAL', path: 'BPR02', message: `The payment total (${x12Amount(payment.totalPaidCents)}) does not equal the claims paid minus provider adjustments (${x12Amount(transactionClaimsPaid - transactionPlb)}).` });
    }
    if (!payment.traceNumber) {
      issues.push({ code: 'ERA_TRACE', path: 'TRN02', message: 'A payment of the remittance has no trace number (TRN02, the check or EFT number), so it could not be told apart from another.' });
    }
  };
  for (const seg of doc.segments) {
    switch (seg.tag) {
      case 'ST':
        closeTransaction();
        payment = seg.get(1) === '835'
          ? { handlingCode: '', payerName: null, payerIdentifier: null, payerReference: null, traceNumber: '', paymentMethod: null, paymentDate: null, totalPaidCents: 0, claims: [], providerAdjustments: [] }
          : undefined;
        if (payment) payments.push(payment);
        transactionClaimsPaid = transactionPlb = 0;
        claim = line = undefined;
        inPayerLoop = false;
        break;
      case 'BPR':
        if (!payment) break;
        payment.handlingCode = seg.get(1);
        payment.totalPaidCents = centsFromX12(seg.get(2));
        payment.paymentMethod = seg.get(4) || null;
        payment.paymentDate = isoDate(seg.get(16));
        break;
      case 'TRN':
        if (!payment || payment.traceNumber) break;
        payment.traceNumber = seg.get(2);
        payment.payerIdentifier = seg.get(3) || null;
        break;
      case 'N1':
        inPayerLoop = seg.get(1) === 'PR';
        if (payment && inPayerLoop) payment.payerName ??= seg.get(2) || null;
        break;
      case 'LX':
        inPayerLoop = false;
        break;
      case 'CLP':
        if (!payment) break;
        inPayerLoop = false;
        claim = {
          patientControlNumber: seg.get(1),
          statusCode: seg.get(2),
          billedCents: centsFromX12(seg.get(3) || '0'),
          paidCents: centsFromX12(seg.get(4) || '0'),
          patientResponsibilityCents: seg.get(5) ? centsFromX12(seg.get(5)) : 0,
          payerClaimControlNumber: seg.get(7) || null,
          serviceDate: null,
          adjustments: [],
          remarks: [],
          lines: [],
        };
        line = undefined;
        payment.claims.push(claim);
        transactionClaimsPaid += claim.paidCents;
        break;
      case 'CAS':
        (line ?? claim)?.adjustments.push(...casTriplets(seg));
        break;
      case 'MOA':
        // MOA03-07 are claim-level remark codes (RARC).
        for (let i = 3; i <= 7; i++) if (seg.get(i)) claim?.remarks.push(seg.get(i));
        break;
      case 'SVC': {
        if (!claim) break;
        const procedure = seg.components(1, seps);
        const billed = seg.components(6, seps);
        const units = seg.get(7) || seg.get(5);
        line = {
          code: procedure[1] ?? '',
          modifiers: procedure.slice(2, 6).filter(Boolean),
          billedCode: (billed.length ? billed : procedure)[1] ?? '',
          billedModifiers: (billed.length ? billed : procedure).slice(2, 6).filter(Boolean),
          units: units ? Number(units) : 1,
          billedCents: centsFromX12(seg.get(2) || '0'),
          paidCents: centsFromX12(seg.get(3) || '0'),
          lineControlNumber: null,
          serviceDate: null,
          adjustments: [],
          remarks: [],
        };
        claim.lines.push(line);
        break;
      }
      case 'DTM':
        if (line && ['472', '150'].includes(seg.get(1))) line.serviceDate = isoDate(seg.get(2));
        else if (claim && !line && seg.get(1) === '232') claim.serviceDate = isoDate(seg.get(2));
        break;
      case 'REF':
        if (line && seg.get(1) === '6R') line.lineControlNumber = seg.get(2);
        else if (payment && inPayerLoop && seg.get(1) === '2U') payment.payerReference = seg.get(2) || null;
        break;
      case 'LQ':
        if (line && seg.get(1) === 'HE') line.remarks.push(seg.get(2));
        break;
      case 'PLB': {
        claim = line = undefined;
        if (!payment) break;
        for (let i = 3; i <= 13; i += 2) {
          const reasonRef = seg.get(i);
          if (!reasonRef) continue;
          const [reasonCode, reference] = reasonRef.split(seps.component);
          const amountCents = centsFromX12(seg.get(i + 1));
          transactionPlb += amountCents;
          payment.providerAdjustments.push({ providerIdentifier: seg.get(1), fiscalPeriodDate: isoDate(seg.get(2)), reasonCode: reasonCode!, reference: reference || null, amountCents });
        }
        break;
      }
      case 'SE':
        closeTransaction();
        payment = undefined;
        claim = line = undefined;
        break;
    }
  }
  closeTransaction();
  const era: Remittance = {
    payments,
    totalPaidCents: payments.reduce((n, p) => n + p.totalPaidCents, 0),
    claims: payments.flatMap((p) => p.claims),
    providerAdjustments: payments.flatMap((p) => p.providerAdjustments),
  };
  for (const c of era.claims) {
    const lineCas = c.lines.flatMap((l) => l.adjustments).reduce((s, a) => s + a.amountCents, 0);
    const claimCas = c.adjustments.reduce((s, a) => s + a.amountCents, 0);
    if (c.billedCents - claimCas - lineCas !== c.paidCents) {
      issues.push({ code: 'ERA_CLAIM_BALANCE', path: `CLP ${c.patientControlNumber}`, message: `Claim ${c.patientControlNumber} does not balance: billed minus adjustments is not the amount paid.` });
    }
    c.lines.forEach((l, i) => {
      const cas = l.adjustments.reduce((s, a) => s + a.amountCents, 0);
      if (l.billedCents - cas !== l.paidCents) {
        issues.push({ code: 'ERA_LINE_BALANCE', path: `CLP ${c.patientControlNumber} SVC ${i + 1}`, message: `Line ${i + 1} of claim ${c.patientControlNumber} does not balance: billed minus adjustments is not the amount paid.` });
      }
    });
  }
  if (issues.length) throw new ValidationError(issues, `The remittance does not balance (${issues.length} problem(s)); nothing was posted.`);
  return era;
}
