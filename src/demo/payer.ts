// A payer's answer to the demo's claims, as the clearinghouse and the payer would send it: the 999 for
// the file, the 277CA per claim (a few rejected at the front door), and the 835 remittance with
// contractual write-offs, patient responsibility (deductible, coinsurance, copay) and denials.
// Plain functions of the claims and a random stream: tests can use them as builders of real X12 text.
import { DateTime } from 'luxon';
import { lineControlNumber } from '../claims/export-837p.js';
import { x12Amount } from '../claims/x12/model.js';
import { X12Writer } from '../claims/x12/writer.js';
import type { Random } from './random.js';

/** What the payer sees of one of our claims (what the 837P carried). */
export interface BilledClaim {
  patientControlNumber: string;
  payerIdentifier: string;
  payerName: string;
  filingIndicator: string;
  memberId: string;
  patientFirstName: string;
  patientLastName: string;
  totalCents: number;
  lines: { lineNumber: number; code: string; chargeCents: number; units: number; serviceDate: string }[];
}

export interface PayerPolicy {
  /** Allowed amount as a share of the practice's charge. */
  allowedShare: number;
  /** Patient coinsurance on the allowed amount (PR-2), outside preventive services. */
  coinsurance: number;
  /** Copay on an office visit line (PR-3), in cents. */
  copayCents: number;
  /** Chance a claim goes to the deductible (PR-1) early in the year. */
  deductibleChance: number;
  /** Days from the claim file to the payment. */
  paymentLagDays: number;
}

/** Payers by claim filing indicator: Medicare, Medicare Advantage, Medicaid, Blue Cross, commercial. */
export const PAYER_POLICIES: Record<string, PayerPolicy> = {
  MB: { allowedShare: 0.58, coinsurance: 0.2, copayCents: 0, deductibleChance: 0.25, paymentLagDays: 14 },
  '16': { allowedShare: 0.6, coinsurance: 0, copayCents: 1500, deductibleChance: 0, paymentLagDays: 21 },
  MC: { allowedShare: 0.45, coinsurance: 0, copayCents: 0, deductibleChance: 0, paymentLagDays: 28 },
  BL: { allowedShare: 0.72, coinsurance: 0, copayCents: 2500, deductibleChance: 0.2, paymentLagDays: 18 },
  CI: { allowedShare: 0.75, coinsurance: 0.1, copayCents: 3000, deductibleChance: 0.3, paymentLagDays: 24 },
};
const DEFAULT_POLICY = PAYER_POLICIES.CI!;

/** Services a plan pays in full (no cost sharing): preventive visits, wellness visits, vaccines and their administration. */
const PREVENTIVE = /^(9938[1-7]|9939[1-7]|G043[89]|G0008|G0009|9046[01]|9047[1-4]|90[6-7][0-9]{2})$/;
const OFFICE_VISIT = /^992(0[2-5]|1[1-5])$/;

/** Claim-level denials a biller sees every week, with their CARC group, reason and remark. */
export const CLAIM_DENIALS = [
  { group: 'CO', reason: '16', remark: 'MA130', weight: 30 }, // claim lacks information
  { group: 'CO', reason: '197', remark: 'N54', weight: 15 }, // no precertification
  { group: 'CO', reason: '27', remark: 'N30', weight: 15 }, // coverage terminated
  { group: 'OA', reason: '22', remark: 'MA04', weight: 15 }, // another payer may be primary
  { group: 'CO', reason: '18', remark: 'N522', weight: 10 }, // duplicate claim
  { group: 'CO', reason: '204', remark: 'N130', weight: 15 }, // not covered under the plan
] as const;

/** Line-level denials: lab or venipuncture bundled, medical necessity of a test. */
const LINE_DENIALS = [
  { group: 'CO', reason: '97', codes: /^36415$/ },
  { group: 'CO', reason: '50', codes: /^(83036|80061)$/ },
] as const;

export interface LineAnswer {
  lineNumber: number;
  code: string;
  chargeCents: number;
  units: number;
  serviceDate: string;
  paidCents: number;
  adjustments: { group: string; reason: string; amountCents: number }[];
}

export interface ClaimAnswer {
  patientControlNumber: string;
  /** CLP02: 1 processed as primary, 4 denied. */
  status: '1' | '4';
  billedCents: number;
  paidCents: number;
  patientCents: number;
  payerClaimControlNumber: string;
  denial?: { group: string; reason: string; remark: string };
  lines: LineAnswer[];
}

/** How often the payer denies a whole claim, and a line. */
export interface DenialRates {
  claim: number;
  line: number;
}

export const DEFAULT_DENIAL_RATES: DenialRates = { claim: 0.06, line: 0.05 };

/** The payer's adjudication of one claim: every line balances (charge = paid + adjustments). */
export function adjudicate(claim: BilledClaim, r: Random, serviceMonth: number, rates: DenialRates = DEFAULT_DENIAL_RATES): ClaimAnswer {
  const policy = PAYER_POLICIES[claim.filingIndicator] ?? DEFAULT_POLICY;
  const icn = `${claim.payerIdentifier.slice(0, 4)}${String(r.int(0, 999_999_999)).padStart(9, '0')}`;
  if (r.chance(rates.claim)) {
    const denial = r.weighted(CLAIM_DENIALS.map((d) => [d, d.weight] as const));
    return {
      patientControlNumber: claim.patientControlNumber,
      status: '4',
      billedCents: claim.totalCents,
      paidCents: 0,
      patientCents: 0,
      payerClaimControlNumber: icn,
      denial: { group: denial.group, reason: denial.reason, remark: denial.remark },
      lines: claim.lines.map((l) => ({ ...l, paidCents: 0, adjustments: [{ group: denial.group, reason: denial.reason, amountCents: l.chargeCents }] })),
    };
  }
  let deductibleLeft = serviceMonth <= 3 && r.chance(policy.deductibleChance) ? r.int(20, 120) * 100 : 0;
  let copayLeft = policy.copayCents;
  const lines = claim.lines.map((l): LineAnswer => {
    const lineDenial = LINE_DENIALS.find((d) => d.codes.test(l.code));
    if (lineDenial && r.chance(rates.line)) return { ...l, paidCents: 0, adjustments: [{ group: lineDenial.group, reason: lineDenial.reason, amountCents: l.chargeCents }] };
    const allowed = Math.round(l.chargeCents * policy.allowedShare);
    const adjustments: LineAnswer['adjustments'] = [];
    if (l.chargeCents > allowed) adjustments.push({ group: 'CO', reason: '45', amountCents: l.chargeCents - allowed });
    let owedByPatient = 0;
    if (!PREVENTIVE.test(l.code)) {
      const deductible = Math.min(deductibleLeft, allowed);
      deductibleLeft -= deductible;
      if (deductible > 0) adjustments.push({ group: 'PR', reason: '1', amountCents: deductible });
      owedByPatient += deductible;
      const copay = OFFICE_VISIT.test(l.code) ? Math.min(copayLeft, allowed - owedByPatient) : 0;
      copayLeft -= copay;
      if (copay > 0) adjustments.push({ group: 'PR', reason: '3', amountCents: copay });
      owedByPatient += copay;
      const coinsurance = Math.round((allowed - owedByPatient) * policy.coinsurance);
      if (coinsurance > 0) adjustments.push({ group: 'PR', reason: '2', amountCents: coinsurance });
      owedByPatient += coinsurance;
    }
    return { ...l, paidCents: allowed - owedByPatient, adjustments };
  });
  const patientCents = lines.reduce((n, l) => n + l.adjustments.filter((a) => a.group === 'PR').reduce((m, a) => m + a.amountCents, 0), 0);
  return {
    patientControlNumber: claim.patientControlNumber,
    status: '1',
    billedCents: claim.totalCents,
    paidCents: lines.reduce((n, l) => n + l.paidCents, 0),
    patientCents,
    payerClaimControlNumber: icn,
    lines,
  };
}

/** Who sends the acknowledgements and remittances, and to whom (the practice's clearinghouse ids). */
export interface Envelope {
  senderId: string;
  receiverId: string;
  controlNumber: number;
  at: DateTime;
}

const SEPARATORS = { element: '*', component: ':', repetition: '^', segment: '~' };

function open(w: X12Writer, env: Envelope, functionalId: string, version: string): string {
  const fixed = (value: string) => w.clean(value).slice(0, 15).padEnd(15, ' ');
  const isa13 = String(env.controlNumber).padStart(9, '0');
  w.add('ISA', '00', ' '.repeat(10), '00', ' '.repeat(10), 'ZZ', fixed(env.senderId), 'ZZ', fixed(env.receiverId), env.at.toFormat('yyMMdd'), env.at.toFormat('HHmm'), '^', '00501', isa13, '0', 'T', ':');
  w.add('GS', functionalId, env.senderId, env.receiverId, env.at.toFormat('yyyyMMdd'), env.at.toFormat('HHmm'), env.controlNumber, 'X', version);
  return isa13;
}

function close(w: X12Writer, env: Envelope, isa13: string, stIndex: number): string {
  w.add('SE', w.countSince(stIndex) + 1, '0001');
  w.add('GE', 1, env.controlNumber);
  w.add('IEA', 1, isa13);
  return w.toString();
}

/** A 999 accepting every transaction set of one of our 837P files (group control number GS06). */
export function ack999(env: Envelope, groupControlNumber: number, transactionSets: number): string {
  const w = new X12Writer(SEPARATORS, { lineBreak: '\n' });
  const isa13 = open(w, env, 'FA', '005010X231A1');
  const st = w.count;
  w.add('ST', '999', '0001', '005010X231A1');
  w.add('AK1', 'HC', groupControlNumber, '005010X222A1');
  for (let i = 1; i <= transactionSets; i++) {
    w.add('AK2', '837', String(i).padStart(4, '0'), '005010X222A1');
    w.add('IK5', 'A');
  }
  w.add('AK9', 'A', transactionSets, transactionSets, transactionSets);
  return close(w, env, isa13, st);
}

/** A 277CA: each claim accepted into the payer's system (A1:20) or rejected at the front door (A7:21, missing or invalid information). */
export function ack277ca(env: Envelope, claims: { patientControlNumber: string; totalCents: number; rejected: boolean }[]): string {
  const w = new X12Writer(SEPARATORS, { lineBreak: '\n' });
  const isa13 = open(w, env, 'HN', '005010X214');
  const st = w.count;
  const day = env.at.toFormat('yyyyMMdd');
  w.add('ST', '277', '0001', '005010X214');
  w.add('BHT', '0085', '08', `DEMO${env.controlNumber}`, day, env.at.toFormat('HHmm'), 'TH');
  w.add('HL', 1, '', 20, 1);
  w.add('NM1', 'AY', 2, 'DEMO CLEARINGHOUSE', '', '', '', '', '46', env.senderId);
  w.add('HL', 2, 1, 21, 1);
  w.add('NM1', '41', 2, 'DEMO FAMILY PRACTICE PC', '', '', '', '', '46', env.receiverId);
  w.add('HL', 3, 2, 19, 1);
  claims.forEach((c, i) => {
    w.add('HL', 4 + i, 3, 'PT');
    w.add('TRN', 2, c.patientControlNumber);
    w.add('STC', c.rejected ? ['A7', '21'] : ['A1', '20'], day, c.rejected ? 'U' : 'WQ', x12Amount(c.totalCents));
  });
  return close(w, env, isa13, st);
}

/** An 835 from one payer for the claims it decided, paid on paymentDate by ACH. */
export function remittance835(
  env: Envelope,
  payer: { identifier: string; name: string },
  payee: { name: string; npi: string },
  paymentDate: string,
  answers: { claim: BilledClaim; answer: ClaimAnswer }[],
): string {
  const w = new X12Writer(SEPARATORS, { lineBreak: '\n' });
  const isa13 = open(w, env, 'HP', '005010X221A1');
  const st = w.count;
  const total = answers.reduce((n, a) => n + a.answer.paidCents, 0);
  const paid = DateTime.fromISO(paymentDate).toFormat('yyyyMMdd');
  w.add('ST', '835', '0001', '005010X221A1');
  w.add('BPR', total > 0 ? 'I' : 'H', x12Amount(total), 'C', total > 0 ? 'ACH' : 'NON', '', '', '', '', '', '', '', '', '', '', '', paid);
  w.add('TRN', 1, `EFT${env.controlNumber}`, payer.identifier);
  w.add('DTM', 405, paid);
  w.add('N1', 'PR', payer.name);
  w.add('N1', 'PE', payee.name, 'XX', payee.npi);
  w.add('LX', 1);
  for (const { claim, answer } of answers) {
    w.add('CLP', answer.patientControlNumber, answer.status, x12Amount(answer.billedCents), x12Amount(answer.paidCents), answer.patientCents ? x12Amount(answer.patientCents) : '', claim.filingIndicator, answer.payerClaimControlNumber, 11, 1);
    w.add('NM1', 'QC', 1, claim.patientLastName, claim.patientFirstName, '', '', '', 'MI', claim.memberId);
    if (answer.denial) w.add('MOA', '', '', answer.denial.remark);
    for (const line of answer.lines) {
      w.add('SVC', ['HC', line.code], x12Amount(line.chargeCents), x12Amount(line.paidCents), '', line.units);
      w.add('DTM', 472, DateTime.fromISO(line.serviceDate).toFormat('yyyyMMdd'));
      for (const group of ['CO', 'OA', 'PR']) {
        const cas = line.adjustments.filter((a) => a.group === group);
        if (cas.length) w.add('CAS', group, ...cas.flatMap((a) => [a.reason, x12Amount(a.amountCents), '']));
      }
      w.add('REF', '6R', lineControlNumber(answer.patientControlNumber, line.lineNumber));
    }
  }
  return close(w, env, isa13, st);
}
