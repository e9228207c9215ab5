// Immunizations, declared once: the vaccine code (CVX, checked against the CDC's table), the statuses a
// given dose can have, and the date rules (given neither in the future nor before birth, from a lot that
// had not expired). `immunizations add`, the CSV, Synthea and FHIR imports all check an immunization here.
import { readCvx } from '../codes/code-lists.js';
import { RecordCheck, type Checked, type RecordContext, type Vocabulary } from './record.js';

export const IMMUNIZATION_STATUSES: Vocabulary<'completed' | 'entered-in-error'> = { codes: ['completed', 'entered-in-error'] };

export const IMMUNIZATION_FIELDS = {
  cvxCode: 'the CVX vaccine code',
  occurrenceDate: 'the date given',
  expirationDate: 'the lot expiration date',
  doseQuantity: 'the dose',
  status: 'the status',
} as const;

/** An immunization as a path read it: the code as written, dates as written (read by the record check). */
export interface ImmunizationInput {
  cvx?: string;
  display?: string;
  occurrenceDate?: string;
  status?: string;
  lotNumber?: string;
  expirationDate?: string;
  manufacturer?: string;
  site?: string;
  route?: string;
  doseQuantity?: number | string;
  doseUnit?: string;
}

export interface ImmunizationValues {
  cvxCode: string;
  display: string | null;
  occurrenceDate: string;
  status: (typeof IMMUNIZATION_STATUSES.codes)[number];
  lotNumber: string | null;
  expirationDate: string | null;
  manufacturer: string | null;
  site: string | null;
  route: string | null;
  doseQuantity: number | null;
  doseUnit: string | null;
}

/** Every problem with an immunization at once, or its stored values. */
export function checkImmunization(input: ImmunizationInput, context: RecordContext): Checked<ImmunizationValues> {
  const c = new RecordCheck(context);
  const text = c.required('cvxCode', input.cvx?.trim(), 'the immunization has no CVX vaccine code.');
  const cvx = c.code('cvxCode', text, readCvx, 'CVX')?.code;
  const given = c.pastDate('occurrenceDate', IMMUNIZATION_FIELDS.occurrenceDate, c.required('occurrenceDate', input.occurrenceDate, 'the immunization has no date.'));
  const expires = c.date('expirationDate', IMMUNIZATION_FIELDS.expirationDate, input.expirationDate);
  if (given && expires && expires < given) c.fail('expirationDate', 'EXPIRED', 'the lot had expired when the vaccine was given (its expiration date is before the date given).');
  const status = c.choice('status', IMMUNIZATION_FIELDS.status, input.status, IMMUNIZATION_STATUSES);
  const dose = c.amount('doseQuantity', IMMUNIZATION_FIELDS.doseQuantity, input.doseQuantity);
  return c.result({
    cvxCode: cvx!,
    display: input.display?.trim() || null,
    occurrenceDate: given!,
    status: status ?? 'completed',
    lotNumber: input.lotNumber?.trim() || null,
    expirationDate: expires ?? null,
    manufacturer: input.manufacturer?.trim() || null,
    site: input.site?.trim() || null,
    route: input.route?.trim() || null,
    doseQuantity: dose ?? null,
    doseUnit: input.doseUnit?.trim() || null,
  });
}
