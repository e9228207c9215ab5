// Medications, declared once: the codes a medication is known by (an RxNorm concept, an NDC), its statuses
// (FHIR MedicationRequest's) with the words old systems write for them, the numbers it carries and the
// date rules. `medications add`, the CSV, Synthea and FHIR imports all check a medication here.
import { readRxnorm } from '../codes/drug-codes.js';
import { readNdc } from '../codes/ndc.js';
import { RecordCheck, type Checked, type RecordContext, type Vocabulary } from './record.js';

export const MEDICATION_STATUSES: Vocabulary<'active' | 'on-hold' | 'cancelled' | 'completed' | 'entered-in-error' | 'stopped' | 'draft' | 'unknown'> = {
  codes: ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'],
  // MedicationStatement's "intended" is a medication the patient is to take: active, as a request's.
  words: { current: 'active', intended: 'active', discontinued: 'stopped', 'on hold': 'on-hold' },
};

export const MEDICATION_FIELDS = {
  display: 'the medication name',
  rxnormCode: 'the RxNorm code',
  ndcCode: 'the NDC',
  status: 'the status',
  dose: 'the dose',
  quantity: 'the quantity',
  refills: 'the number of refills',
  startDate: 'the start date',
  stopDate: 'the stop date',
} as const;

/** A medication as a path read it: codes, words, numbers and dates as written (read by the record check). */
export interface MedicationInput {
  display?: string;
  rxnorm?: string;
  ndc?: string;
  status?: string;
  dose?: number | string;
  doseUnit?: string;
  route?: string;
  frequency?: string;
  quantity?: number | string;
  refills?: number | string;
  startDate?: string;
  stopDate?: string;
}

export interface MedicationValues {
  rxnormCode: string | null;
  ndcCode: string | null;
  display: string;
  status: (typeof MEDICATION_STATUSES.codes)[number];
  dose: number | null;
  doseUnit: string | null;
  route: string | null;
  frequency: string | null;
  quantity: number | null;
  refills: number | null;
  startDate: string | null;
  stopDate: string | null;
}

/**
 * Every problem with a medication at once, or its stored values. It is known by its RxNorm concept or its
 * NDC (one is needed); without a name it is listed by its code. A start may be ahead (a planned course).
 */
export function checkMedication(input: MedicationInput, context: RecordContext): Checked<MedicationValues> {
  const c = new RecordCheck(context);
  const rxnorm = c.code('rxnormCode', input.rxnorm, readRxnorm, 'CODE_FORM')?.code;
  const ndc = c.code('ndcCode', input.ndc, readNdc, 'CODE_FORM')?.code;
  if (!input.rxnorm?.trim() && !input.ndc?.trim()) c.fail('rxnormCode', 'REQUIRED', 'the medication has no RxNorm or NDC code.');
  const status = c.choice('status', MEDICATION_FIELDS.status, input.status, MEDICATION_STATUSES);
  const dose = c.amount('dose', MEDICATION_FIELDS.dose, input.dose);
  const quantity = c.amount('quantity', MEDICATION_FIELDS.quantity, input.quantity);
  const refills = c.amount('refills', MEDICATION_FIELDS.refills, input.refills, true);
  const start = c.notBeforeBirth('startDate', MEDICATION_FIELDS.startDate, input.startDate);
  const stop = c.notBeforeBirth('stopDate', MEDICATION_FIELDS.stopDate, input.stopDate);
  if (start && stop && stop < start) c.fail('stopDate', 'DATE_ORDER', 'the medication was stopped before it was started.');
  return c.result({
    rxnormCode: rxnorm ?? null,
    ndcCode: ndc ?? null,
    display: input.display?.trim() || rxnorm || ndc || '',
    status: status ?? (stop ? 'completed' : 'active'),
    dose: dose ?? null,
    doseUnit: input.doseUnit?.trim() || null,
    route: input.route?.trim() || null,
    frequency: input.frequency?.trim() || null,
    quantity: quantity ?? null,
    refills: refills ?? null,
    startDate: start ?? null,
    stopDate: stop ?? null,
  });
}
