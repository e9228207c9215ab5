// Registering and correcting patients: validation with plain messages (never echoing the values,
// which are PHI), search tolerant of case, accents and name order, deactivation and death.
import { and, asc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { isEmail, normalizePhone, normalizeZip } from '../codes/contact.js';
import { isUsState } from '../codes/states.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { patients } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { PracticeError, ValidationError, type Issue } from '../errors.js';
import { patientByMrn, type PatientRow } from './lookup.js';
import { normalizeNameText, patientSearchName } from './names.js';
import { parseDate } from './time.js';

/** What a person types for a patient: every field text, as given on the command line or in the form. */
export interface PatientFields {
  mrn?: string;
  firstName?: string;
  middleName?: string;
  lastName?: string;
  suffix?: string;
  preferredName?: string;
  dob?: string;
  sex?: string;
  phoneMobile?: string;
  phoneHome?: string;
  phoneWork?: string;
  email?: string;
  address1?: string;
  address2?: string;
  city?: string;
  state?: string;
  zip?: string;
  language?: string;
  preferredChannel?: string;
}

export const PATIENT_FIELD_LABELS: Record<keyof PatientFields, string> = {
  mrn: 'chart number (MRN)',
  firstName: 'first name',
  middleName: 'middle name',
  lastName: 'last name',
  suffix: 'suffix',
  preferredName: 'preferred name',
  dob: 'date of birth',
  sex: 'sex',
  phoneMobile: 'mobile phone',
  phoneHome: 'home phone',
  phoneWork: 'work phone',
  email: 'email',
  address1: 'address',
  address2: 'address line 2',
  city: 'city',
  state: 'state',
  zip: 'ZIP code',
  language: 'language',
  preferredChannel: 'preferred contact channel',
};

const SEX: Record<string, string> = { m: 'male', male: 'male', f: 'female', female: 'female', o: 'other', other: 'other', u: 'unknown', unknown: 'unknown' };
const CHANNELS = ['email', 'sms', 'letter', 'phone'];

type PatientValues = Partial<typeof patients.$inferInsert>;

/** Checks and normalises the given fields; every problem is reported at once. */
export function validatePatientFields(fields: PatientFields, today: string, options: { creating: boolean }): PatientValues {
  const issues: Issue[] = [];
  const problem = (path: keyof PatientFields, code: string, message: string) => issues.push({ path, code, message });
  const values: PatientValues = {};
  const text = (key: keyof PatientFields) => {
    const value = fields[key]?.trim();
    return value === undefined ? undefined : value;
  };

  for (const key of ['firstName', 'lastName'] as const) {
    const value = text(key);
    if (value === '' || (options.creating && value === undefined)) problem(key, 'REQUIRED', `The ${PATIENT_FIELD_LABELS[key]} is required.`);
    else if (value !== undefined) values[key] = value;
  }
  const mrn = text('mrn');
  if (mrn === '') problem('mrn', 'REQUIRED', 'The chart number (MRN) cannot be empty.');
  else if (mrn !== undefined) values.mrn = mrn;
  for (const key of ['middleName', 'suffix', 'preferredName', 'address1', 'address2', 'city', 'language'] as const) {
    const value = text(key);
    if (value !== undefined) values[key] = value === '' ? null : value;
  }

  const dob = text('dob');
  if (dob === undefined || dob === '') {
    if (options.creating || dob === '') problem('dob', 'REQUIRED', 'The date of birth is required.');
  } else {
    const parsed = parseDate(dob, today);
    if (!parsed) problem('dob', 'DATE_FORMAT', 'The date of birth must be a date like 1980-04-23 (or 4/23/1980).');
    else if (parsed > today) problem('dob', 'DOB_FUTURE', 'The date of birth is in the future.');
    else if (parsed < '1900-01-01') problem('dob', 'DOB_TOO_OLD', 'The date of birth is before 1900: please check the year.');
    else values.dob = parsed;
  }

  const sex = text('sex');
  if (sex !== undefined && sex !== '') {
    const mapped = SEX[sex.toLowerCase()];
    if (!mapped) problem('sex', 'SEX', 'Sex must be one of male, female, other or unknown (or M/F/O/U).');
    else values.sex = mapped;
  }

  for (const key of ['phoneMobile', 'phoneHome', 'phoneWork'] as const) {
    const value = text(key);
    if (value === undefined) continue;
    if (value === '') values[key] = null;
    else {
      const phone = normalizePhone(value);
      if (!phone) problem(key, 'PHONE', `The ${PATIENT_FIELD_LABELS[key]} is not a US phone number (10 digits, e.g. 555-123-4567).`);
      else values[key] = phone;
    }
  }
  const email = text('email');
  if (email !== undefined) {
    if (email === '') values.email = null;
    else if (!isEmail(email)) problem('email', 'EMAIL', 'The email address is not valid (it should look like name@example.com).');
    else values.email = email;
  }
  const state = text('state');
  if (state !== undefined) {
    if (state === '') values.state = null;
    else if (!isUsState(state)) problem('state', 'STATE', 'The state must be a two-letter USPS code such as MA or NY.');
    else values.state = state.toUpperCase();
  }
  const zip = text('zip');
  if (zip !== undefined) {
    if (zip === '') values.zip = null;
    else {
      const normalized = normalizeZip(zip);
      if (!normalized) problem('zip', 'ZIP', 'The ZIP code must have 5 digits (or ZIP+4, e.g. 02134-1234).');
      else values.zip = normalized;
    }
  }
  const channel = text('preferredChannel');
  if (channel !== undefined) {
    if (channel === '') values.preferredChannel = null;
    else if (!CHANNELS.includes(channel.toLowerCase())) problem('preferredChannel', 'CHANNEL', `The preferred contact channel must be one of ${CHANNELS.join(', ')}.`);
    else values.preferredChannel = channel.toLowerCase();
  }

  if (issues.length) throw new ValidationError(issues);
  return values;
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
