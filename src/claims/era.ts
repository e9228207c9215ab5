// Reads an 835 (005010X221A1) into plain data: payment header, claims (CLP) with their adjustments,
// remarks and service lines (SVC), and provider-level adjustments (PLB). Amounts are integer cents.
import type { Issue } from '../errors.js';
import { ValidationError } from '../errors.js';
import { centsFromX12, parseX12, type Separators, type X12Segment } from './x12/model.js';

export interface EraAdjustment {
  group: string;
  reason: string;
  amountCents: number;
  quantity: number | null;
}

export interface EraLine {
  code: string;
  modifiers: string[];
  billedCents: number;
  paidCents: number;
  lineControlNumber: string | null;
  serviceDate: string | null;
  adjustments: EraAdjustment[];
  remarks: string[];
}

export interface EraClaim {
  patientControlNumber: string;
  statusCode: string;
  billedCents: number;
  paidCents: number;
  patientResponsibilityCents: number;
  payerClaimControlNumber: string | null;
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

export interface Remittance {
  payerName: string | null;
  payerIdentifier: string | null;
  traceNumber: string | null;
  paymentMethod: string | null;
  paymentDate: string | null;
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
  const era: Remittance = { payerName: null, payerIdentifier: null, traceNumber: null, paymentMethod: null, paymentDate: null, totalPaidCents: 0, claims: [], providerAdjustments: [] };
  let claim: EraClaim | undefined;
  let line: EraLine | undefined;
  let transactionPaid = 0;
  let transactionClaimsPaid = 0;
  let transactionPlb = 0;
  const closeTransaction = () => {
    if (transactionPaid !== transactionClaimsPaid - transactionPlb) {
      issues.push({ code: 'ERA_TOTAL', path: 'BPR02', message: `The payment total (${transactionPaid / 100}) does not equal the claims paid minus provider adjustments (${(transactionClaimsPaid - transactionPlb) / 100}).` });
    }
  };
  for (const seg of doc.segments) {
    switch (seg.tag) {
      case 'ST':
        transactionPaid = transactionClaimsPaid = transactionPlb = 0;
        claim = line = undefined;
        break;
      case 'BPR':
        transactionPaid = centsFromX12(seg.get(2));
        era.totalPaidCents += transactionPaid;
        era.paymentMethod ??= seg.get(4) || null;
        era.paymentDate ??= isoDate(seg.get(16));
        break;
      case 'TRN':
        era.traceNumber ??= seg.get(2) || null;
        era.payerIdentifier ??= seg.get(3) || null;
        break;
      case 'N1':
        if (seg.get(1) === 'PR') era.payerName ??= seg.get(2) || null;
        break;
      case 'CLP':
        claim = {
          patientControlNumber: seg.get(1),
          statusCode: seg.get(2),
          billedCents: centsFromX12(seg.get(3) || '0'),
          paidCents: centsFromX12(seg.get(4) || '0'),
          patientResponsibilityCents: seg.get(5) ? centsFromX12(seg.get(5)) : 0,
          payerClaimControlNumber: seg.get(7) || null,
          adjustments: [],
          remarks: [],
          lines: [],
        };
        line = undefined;
        era.claims.push(claim);
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
        line = {
          code: procedure[1] ?? '',
          modifiers: procedure.slice(2, 6).filter(Boolean),
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
        break;
      case 'REF':
        if (line && seg.get(1) === '6R') line.lineControlNumber = seg.get(2);
        break;
      case 'LQ':
        if (line && seg.get(1) === 'HE') line.remarks.push(seg.get(2));
        break;
      case 'PLB': {
        claim = line = undefined;
        for (let i = 3; i <= 13; i += 2) {
          const reasonRef = seg.get(i);
          if (!reasonRef) continue;
          const [reasonCode, reference] = reasonRef.split(seps.component);
          const amountCents = centsFromX12(seg.get(i + 1));
          transactionPlb += amountCents;
          era.providerAdjustments.push({ providerIdentifier: seg.get(1), fiscalPeriodDate: isoDate(seg.get(2)), reasonCode: reasonCode!, reference: reference || null, amountCents });
        }
        break;
      }
      case 'SE':
        closeTransaction();
        claim = line = undefined;
        break;
    }
  }
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
