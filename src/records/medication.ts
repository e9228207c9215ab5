// Medications, declared once: the codes a medication is known by (an RxNorm concept, an NDC), its statuses
// (FHIR MedicationRequest's) with the words old systems write for them, the numbers it carries and the
// date rules. `medications add`, the CSV, Synthea and FHIR imports all check a medication here.
import { readRxnorm } from '../codes/drug-codes.js';
import { readNdc } from '../codes/ndc.js';
import { choices, RecordCheck, type Checked, type RecordContext, type RecordFields, type Vocabulary } from './record.js';

export const MEDICATION_STATUSES: Vocabulary<'active' | 'on-hold' | 'cancelled' | 'completed' | 'entered-in-error' | 'stopped' | 'draft' | 'unknown'> = {
  codes: ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'],
  // MedicationStatement's "intended" is a medication the patient is to take: active, as a request's.
  words: { current: 'active', intended: 'active', discontinued: 'stopped', 'on hold': 'on-hold' },
};

/** A medication's fields: how they are named in its reasons, their options in `medications add`, their CSV columns. */
export const MEDICATION_FIELDS = {
  rxnormCode: {
    label: 'the RxNorm code',
    required: 'code',
    option: { flags: '--rxnorm <code>', description: 'RxNorm concept id (this or --ndc is required)' },
    column: { name: 'rxnorm', type: 'rxnorm', description: 'RxNorm concept id', aliases: ['rxcui', 'rxnorm code', 'rx norm'] },
  },
  ndcCode: {
    label: 'the NDC',
    required: 'code',
    option: { flags: '--ndc <code>', description: 'NDC in 4-4-2, 5-3-2, 5-4-1 or 11-digit 5-4-2 form' },
    column: { name: 'ndc', type: 'ndc', description: 'National Drug Code (11 digits, or 10 with hyphens)', aliases: ['ndc code', 'national drug code'] },
  },
  display: {
    label: 'the medication name',
    option: { flags: '--name <text>', description: 'the medication as prescribed (required)' },
    column: { name: 'drug_name', type: 'text', description: 'the drug as written', aliases: ['medication', 'drug', 'medication name', 'drug name', 'description'] },
  },
  dose: {
    label: 'the dose',
    option: { flags: '--dose <number>', description: 'dose amount' },
    column: { name: 'dose', type: 'quantity', description: 'dose with its unit (e.g. 10 mg)', aliases: ['strength', 'dosage'] },
  },
  doseUnit: { label: 'the dose unit', option: { flags: '--unit <unit>', description: 'dose unit, e.g. mg' } },
  route: {
    label: 'the route',
    option: { flags: '--route <route>', description: 'e.g. oral' },
    column: { name: 'route', type: 'text', description: 'route (oral, ...)', aliases: ['route of administration'] },
  },
  frequency: {
    label: 'the frequency',
    option: { flags: '--frequency <text>', description: 'e.g. "twice daily"' },
    column: { name: 'frequency', type: 'text', description: 'how often (sig)', aliases: ['sig', 'directions', 'instructions'] },
  },
  startDate: {
    label: 'the start date',
    option: { flags: '--start <date>', description: 'start date (default today)' },
    column: { name: 'start_date', type: 'date', description: 'when it was started', aliases: ['start', 'started', 'date prescribed', 'prescribed'] },
  },
  stopDate: { label: 'the stop date', column: { name: 'stop_date', type: 'date', description: 'when it was stopped', aliases: ['stop', 'stopped', 'end date', 'discontinued'] } },
  quantity: {
    label: 'the quantity',
    option: { flags: '--quantity <number>', description: 'quantity dispensed' },
    column: { name: 'quantity', type: 'number', description: 'quantity dispensed', aliases: ['qty', 'dispense'] },
  },
  refills: {
    label: 'the number of refills',
    option: { flags: '--refills <n>', description: 'refills allowed' },
    column: { name: 'refills', type: 'integer', description: 'refills', aliases: ['refill', '# refills'] },
  },
  status: { label: 'the status', column: { name: 'status', type: 'text', description: choices(MEDICATION_STATUSES), aliases: ['med status'] } },
} satisfies RecordFields;

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
  const status = c.choice('status', MEDICATION_FIELDS.status.label, input.status, MEDICATION_STATUSES);
  const dose = c.amount('dose', MEDICATION_FIELDS.dose.label, input.dose);
  const quantity = c.amount('quantity', MEDICATION_FIELDS.quantity.label, input.quantity);
  const refills = c.amount('refills', MEDICATION_FIELDS.refills.label, input.refills, true);
  const start = c.notBeforeBirth('startDate', MEDICATION_FIELDS.startDate.label, input.startDate);
  const stop = c.notBeforeBirth('stopDate', MEDICATION_FIELDS.stopDate.label, input.stopDate);
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
