// The records a command names by their everyday identifiers: chart number, NPI, location code.
// Messages never echo the chart number back (it identifies a patient).
import { asc, eq, or, sql } from 'drizzle-orm';
import { describeNpiProblem } from '../codes/npi.js';
import { NotFoundError, UsageError } from '../errors.js';
import { locations, patients, payers, providers } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';

export type PatientRow = typeof patients.$inferSelect;

export const CHART_NOT_FOUND_HINT = 'Look the patient up with "practice patients find <name or date of birth>".';

/** The one error for a chart number that names no patient, whichever command was given it. */
export function chartNotFound(): NotFoundError {
  return new NotFoundError('That chart number (MRN)', CHART_NOT_FOUND_HINT);
}

/** The one error for an NPI that names none of the practice's providers. */
export function providerNotFound(npi: string): NotFoundError {
  return new NotFoundError(`The provider with NPI ${npi.trim()}`, 'See the providers with "practice providers list" (add one with "practice providers add").');
}

/** The one error for a location code the practice does not have. */
export function locationNotFound(code: string): NotFoundError {
  return new NotFoundError(`The location code "${code.trim()}"`, 'See the location codes with "practice locations list".');
}

const PAYERS_HINT = 'See the payers with "practice payers list" (add one with "practice payers add").';

/**
 * The one error for a payer the practice has not set up: "The payer with payer id ..." where only a payer id
 * is taken, "The payer with payer id or name ..." where a name is taken too (insurance --payer).
 */
export function payerNotFound(payer: string, byName = false): NotFoundError {
  return new NotFoundError(byName ? `The payer with payer id or name "${payer.trim()}"` : `The payer with payer id ${payer.trim()}`, PAYERS_HINT);
}

export type PayerRow = typeof payers.$inferSelect;

/**
 * The payer a front desk names by its payer id or by its name, letters in any case. The payer id typed
 * exactly always wins (it is the key, and the way out of a doubt); otherwise two payers that match (two
 * of the same name, or one by id and one by name) stop with both shown: picking one would bill the wrong
 * payer.
 */
export async function payerByIdOrName(db: DbOrTx, payer: string): Promise<PayerRow> {
  const wanted = payer.trim();
  const [exact] = await db.select().from(payers).where(eq(payers.payerId, wanted));
  if (exact) return exact;
  const rows = await db
    .select()
    .from(payers)
    .where(or(eq(sql`upper(${payers.payerId})`, wanted.toUpperCase()), eq(sql`lower(${payers.name})`, wanted.toLowerCase())))
    .orderBy(asc(payers.payerId));
  if (rows.length === 1) return rows[0]!;
  if (!rows.length) throw payerNotFound(wanted, true);
  const choices = rows.map((r) => `${r.payerId} (${r.name}${r.active ? '' : ', deactivated'})`).join(', ');
  throw new UsageError(`${rows.length} payers match "${wanted}": ${choices}.`, `Give the payer id of the one you mean, e.g. --payer ${rows[0]!.payerId}.`);
}

/**
 * The patient a chart number names. Chart numbers are matched without regard to case ("k1" is K1); when
 * two charts differ only by case the exact spelling is needed, and saying so beats guessing.
 */
export async function patientByMrn(db: DbOrTx, mrn: string): Promise<PatientRow> {
  const wanted = mrn.trim();
  const [exact] = await db.select().from(patients).where(eq(patients.mrn, wanted));
  if (exact) return exact;
  const rows = await db.select().from(patients).where(eq(sql`upper(${patients.mrn})`, wanted.toUpperCase())).limit(2);
  if (rows.length > 1) throw new UsageError('Two charts have this number in different upper and lower case letters.', 'Type the chart number exactly as it is printed.');
  if (!rows[0]) throw chartNotFound();
  return rows[0];
}

export async function providerByNpi(db: DbOrTx, npi: string): Promise<typeof providers.$inferSelect> {
  const problem = describeNpiProblem(npi.trim());
  if (problem) throw new UsageError(problem);
  const [row] = await db.select().from(providers).where(eq(providers.npi, npi.trim()));
  if (!row) throw providerNotFound(npi);
  return row;
}

export async function locationByCode(db: DbOrTx, code: string): Promise<typeof locations.$inferSelect> {
  const [row] = await db.select().from(locations).where(eq(locations.code, code.trim()));
  if (!row) throw locationNotFound(code);
  return row;
}

export function fullName(p: { firstName: string; lastName: string; middleName?: string | null; suffix?: string | null }): string {
  return [p.firstName, p.middleName, p.lastName, p.suffix].filter(Boolean).join(' ');
}
