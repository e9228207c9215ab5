// Immunizations, declared once: the vaccine code (CVX, checked against the CDC's table), the statuses a
// given dose can have, and the date rules (given neither in the future nor before birth, from a lot that
// had not expired). `immunizations add`, the CSV, Synthea and FHIR imports all check an immunization here.
import { readCvx } from '../codes/code-lists.js';
import { RecordCheck, type Checked, type RecordContext, type RecordFields, type Vocabulary } from './record.js';

export const IMMUNIZATION_STATUSES: Vocabulary<'completed' | 'entered-in-error'> = { codes: ['completed', 'entered-in-error'] };

/** An immunization's fields: how they are named in its reasons, their options in `immunizations add`, their CSV columns. */
export const IMMUNIZATION_FIELDS = {
  cvxCode: {
    label: 'the CVX vaccine code',
    required: true,
    option: { flags: '--cvx <code>', description: 'CVX vaccine code, e.g. 140 (required)' },
    column: { name: 'cvx', type: 'cvx', description: 'CVX vaccine code', aliases: ['cvx code', 'vaccine code'] },
  },
  display: {
    label: 'the vaccine name',
    option: { flags: '--name <text>', description: 'vaccine name' },
    column: { name: 'vaccine', type: 'text', description: 'the vaccine as written', aliases: ['vaccine name', 'immunization', 'description'] },
  },
  occurrenceDate: {
    label: 'the date given',
    required: true,
    option: { flags: '--date <date>', description: 'when it was given (default today)' },
    column: { name: 'date', type: 'date', description: 'date given', aliases: ['date', 'date given', 'administered', 'date administered', 'given'] },
  },
  lotNumber: {
    label: 'the lot number',
    option: { flags: '--lot <lot>', description: 'lot number' },
    column: { name: 'lot_number', type: 'text', description: 'lot number', aliases: ['lot', 'lot #', 'lot no'] },
  },
  expirationDate: {
    label: 'the lot expiration date',
    option: { flags: '--expires <date>', description: 'lot expiration date' },
    column: { name: 'expiration_date', type: 'date', description: 'lot expiration date', aliases: ['expires', 'expiration', 'exp date', 'lot expiration'] },
  },
  manufacturer: {
    label: 'the manufacturer',
    option: { flags: '--manufacturer <name>', description: 'manufacturer' },
    column: { name: 'manufacturer', type: 'text', description: 'manufacturer', aliases: ['mfr', 'maker'] },
  },
  site: {
    label: 'the body site',
    option: { flags: '--site <site>', description: 'e.g. left deltoid' },
    column: { name: 'site', type: 'text', description: 'body site', aliases: ['injection site'] },
  },
  route: {
    label: 'the route',
    option: { flags: '--route <route>', description: 'e.g. IM' },
    column: { name: 'route', type: 'text', description: 'route' },
  },
  doseQuantity: { label: 'the dose', column: { name: 'dose', type: 'quantity', description: 'dose with unit (e.g. 0.5 mL)', aliases: ['dose amount'] } },
  status: { label: 'the status' },
} satisfies RecordFields;

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
  const given = c.pastDate('occurrenceDate', IMMUNIZATION_FIELDS.occurrenceDate.label, c.required('occurrenceDate', input.occurrenceDate, 'the immunization has no date.'));
  const expires = c.date('expirationDate', IMMUNIZATION_FIELDS.expirationDate.label, input.expirationDate);
  if (given && expires && expires < given) c.fail('expirationDate', 'EXPIRED', 'the lot had expired when the vaccine was given (its expiration date is before the date given).');
  const status = c.choice('status', IMMUNIZATION_FIELDS.status.label, input.status, IMMUNIZATION_STATUSES);
  const dose = c.amount('doseQuantity', IMMUNIZATION_FIELDS.doseQuantity.label, input.doseQuantity);
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
