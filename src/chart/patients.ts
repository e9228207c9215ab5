// Registering and correcting patients: validation with plain messages (never echoing the values,
// which are PHI), search tolerant of case, accents and name order, deactivation and death.
import { and, asc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { normalizePhone } from '../codes/contact.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { patients } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { PracticeError, ValidationError, type Issue } from '../errors.js';
import { patientByMrn, type PatientRow } from './lookup.js';
import { normalizeNameText, patientSearchName } from './names.js';
import { parseDate } from './time.js';
import { asSentence, checkPatient, PATIENT_FIELDS, type PatientField, type PatientInput, type PatientValues } from '../records/patient.js';

/** What a person types for a patient: every field text, as given on the command line or in the form. */
export type PatientFields = Omit<PatientInput, 'genderIdentity' | 'race' | 'ethnicity' | 'deceasedDate'>;

/** The fields' names without their article, for the form's questions and --help ("date of birth"). */
export const PATIENT_FIELD_LABELS = Object.fromEntries(Object.entries(PATIENT_FIELDS).map(([field, { label }]) => [field, label.replace(/^the /, '')])) as Record<PatientField, string>;

/**
 * Checks and normalises the given fields by the patient's declaration (src/records/patient.ts); every
 * problem is reported at once, each a sentence in the declaration's words.
 */
export function validatePatientFields(fields: PatientFields, today: string, options: { creating: boolean }): PatientValues {
  const checked = checkPatient(fields, { today }, options);
  if ('problems' in checked) throw new ValidationError(checked.problems.map((p): Issue => ({ path: p.field, code: p.code, message: asSentence(p.message) })));
  return checked.values;
}

async function mrnTaken(db: DbOrTx, mrn: string, exceptId?: number): Promise<boolean> {
  // "k1" beside K1 would make both ambiguous to every lookup: taken means taken in any case.
  const rows = await db.select({ id: patients.id }).from(patients).where(eq(sql`upper(${patients.mrn})`, mrn.toUpperCase()));
  return rows.some((row) => row.id !== exceptId);
}

/** Chart numbers the practice did not choose itself: P + the next id, zero-padded. */
async function nextMrn(db: DbOrTx): Promise<string> {
  const [row] = await db.select({ next: sql<number>`coalesce(max(${patients.id}), 0)::int + 1` }).from(patients);
  let candidate = row!.next;
  while (await mrnTaken(db, `P${String(candidate).padStart(6, '0')}`)) candidate++;
  return `P${String(candidate).padStart(6, '0')}`;
}

/** The stop when a registration looks like a second chart for a patient already on file (no name or chart number in it). */
export const POSSIBLE_DUPLICATE = 'POSSIBLE_DUPLICATE';

export async function addPatient(db: Db, actor: AuditActor, fields: PatientFields, today: string, options: { notADuplicate?: boolean } = {}): Promise<PatientRow> {
  const values = validatePatientFields(fields, today, { creating: true });
  return db.transaction(async (tx) => {
    if (values.mrn && (await mrnTaken(tx, values.mrn))) {
      throw new ValidationError([{ path: 'mrn', code: 'MRN_TAKEN', message: 'That chart number (MRN) already belongs to another patient.' }]);
    }
    const searchName = patientSearchName({ firstName: values.firstName!, lastName: values.lastName! });
    // The same name and date of birth is most often the same person registered twice: a doubt, so it stops.
    const [same] = await tx.select({ n: sql<number>`count(*)::int` }).from(patients).where(and(eq(patients.searchName, searchName), eq(patients.dob, values.dob!), eq(patients.active, true)));
    const sameCount = same?.n ?? 0;
    if (sameCount > 0 && !options.notADuplicate) {
      throw new PracticeError(POSSIBLE_DUPLICATE, `${sameCount === 1 ? 'A patient' : `${sameCount} patients`} with the same name and date of birth ${sameCount === 1 ? 'is' : 'are'} already registered: nothing was registered.`, {
        hint: 'Choices: look the patient up with "practice patients find <name or date of birth>" and use that chart; or, if this is a different person, register them with --not-a-duplicate.',
      });
    }
    const mrn = values.mrn ?? (await nextMrn(tx));
    const [row] = await tx
      .insert(patients)
      .values({ ...values, mrn, firstName: values.firstName!, lastName: values.lastName!, dob: values.dob!, searchName })
      .returning();
    await recordAudit(tx, actor, { action: 'insert', entity: 'patients', entityId: row!.id, details: { fields: Object.keys(values), ...(sameCount > 0 ? { sameNameAndBirthDate: sameCount } : {}) } });
    return row!;
  });
}

export async function editPatient(db: Db, actor: AuditActor, mrn: string, fields: PatientFields, today: string): Promise<{ patient: PatientRow; changed: string[] }> {
  const values = validatePatientFields(fields, today, { creating: false });
  return db.transaction(async (tx) => {
    const current = await patientByMrn(tx, mrn);
    if (values.mrn && (await mrnTaken(tx, values.mrn, current.id))) {
      throw new ValidationError([{ path: 'mrn', code: 'MRN_TAKEN', message: 'That chart number (MRN) already belongs to another patient.' }]);
    }
    const changed = (Object.keys(values) as (keyof PatientValues)[]).filter((key) => values[key] !== current[key]);
    if (values.dob && current.deceasedDate && current.deceasedDate < values.dob) {
      throw new ValidationError([{ path: 'dob', code: 'DOB_AFTER_DEATH', message: 'The date of birth would be after the recorded date of death.' }]);
    }
    if (changed.length === 0) return { patient: current, changed };
    const next = { ...current, ...values };
    const [row] = await tx
      .update(patients)
      .set({ ...values, searchName: patientSearchName(next), updatedAt: new Date() })
      .where(eq(patients.id, current.id))
      .returning();
    await recordAudit(tx, actor, { action: 'update', entity: 'patients', entityId: current.id, details: { fields: changed } });
    return { patient: row!, changed };
  });
}

export async function deactivatePatient(db: Db, actor: AuditActor, mrn: string): Promise<PatientRow> {
  return db.transaction(async (tx) => {
    const current = await patientByMrn(tx, mrn);
    const [row] = await tx.update(patients).set({ active: false, updatedAt: new Date() }).where(eq(patients.id, current.id)).returning();
    await recordAudit(tx, actor, { action: 'deactivate', entity: 'patients', entityId: current.id, details: { wasActive: current.active } });
    return row!;
  });
}

export async function recordDeath(db: Db, actor: AuditActor, mrn: string, date: string, today: string): Promise<PatientRow> {
  return db.transaction(async (tx) => {
    const current = await patientByMrn(tx, mrn);
    if (date > today) throw new ValidationError([{ path: 'date', code: 'DATE_FUTURE', message: 'The date of death is in the future.' }]);
    if (date < current.dob) throw new ValidationError([{ path: 'date', code: 'DEATH_BEFORE_BIRTH', message: 'The date of death is before the date of birth.' }]);
    const [row] = await tx.update(patients).set({ deceasedDate: date, active: false, updatedAt: new Date() }).where(eq(patients.id, current.id)).returning();
    await recordAudit(tx, actor, { action: 'deceased', entity: 'patients', entityId: current.id, details: { fields: ['deceasedDate', 'active'] } });
    return row!;
  });
}

/**
 * Patients matching what a person types: a chart number, a date of birth, a phone number,
 * or a name in any order ("garcia, maria", "Maria García"). Every name word must appear.
 */
function searchCondition(text: string, today: string, includeInactive?: boolean): SQL | undefined {
  const query = text.trim();
  // Chart numbers are matched without regard to case, as everywhere (src/chart/lookup.ts).
  const conditions: SQL[] = [eq(sql`upper(${patients.mrn})`, query.toUpperCase())];
  const date = parseDate(query, today);
  if (date) conditions.push(eq(patients.dob, date));
  const digits = query.replace(/[^0-9]/g, '');
  const phone = normalizePhone(query);
  if (phone) {
    conditions.push(or(eq(patients.phoneMobile, phone), eq(patients.phoneHome, phone), eq(patients.phoneWork, phone))!);
  } else if (digits.length >= 4 && !date && /^[0-9()\-.\s+]+$/.test(query)) {
    // A partial number: the last digits people remember.
    const tail = `%${digits.slice(-4)}`;
    conditions.push(or(ilike(patients.phoneMobile, tail), ilike(patients.phoneHome, tail))!);
  }
  const words = normalizeNameText(query).split(' ').filter((w) => w.length > 0 && !/^[0-9]+$/.test(w));
  if (words.length > 0 && !date) {
    conditions.push(and(...words.map((w) => sql`${patients.searchName} like ${`%${w}%`}`))!);
  }
  return includeInactive ? or(...conditions) : and(or(...conditions), eq(patients.active, true));
}

export async function findPatients(db: DbOrTx, text: string, options: { today: string; includeInactive?: boolean; limit?: number }): Promise<PatientRow[]> {
  const where = searchCondition(text, options.today, options.includeInactive);
  return db.select().from(patients).where(where).orderBy(asc(patients.searchName), asc(patients.dob)).limit(options.limit ?? 50);
}

/** How many patients the same search matches in all, for "Showing 50 of 312". */
export async function countPatientMatches(db: DbOrTx, text: string, options: { today: string; includeInactive?: boolean }): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(patients).where(searchCondition(text, options.today, options.includeInactive));
  return Number(row?.n ?? 0);
}
