// Demographics, identifiers from other systems, contacts and communication consent.
import { sql } from 'drizzle-orm';
import { boolean, char, check, date, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, provenance, timestamps } from './columns.js';

export const patients = pgTable(
  'patients',
  {
    id: id(),
    // The chart number the practice files and looks the patient up by.
    mrn: text().notNull(),
    firstName: text().notNull(),
    middleName: text(),
    lastName: text().notNull(),
    suffix: text(),
    preferredName: text(),
    dob: date({ mode: 'string' }).notNull(),
    // Administrative sex (FHIR AdministrativeGender); gender identity kept apart.
    sex: text().notNull().default('unknown'),
    genderIdentity: text(),
    race: text(),
    ethnicity: text(),
    address1: text(),
    address2: text(),
    city: text(),
    state: char({ length: 2 }),
    zip: text(),
    phoneHome: text(),
    phoneMobile: text(),
    phoneWork: text(),
    email: text(),
    preferredChannel: text(),
    language: text(),
    deceasedDate: date({ mode: 'string' }),
    active: boolean().notNull().default(true),
    // Lower-cased, accent-free "last first" for search and duplicate detection (set by the app).
    searchName: text().notNull().default(''),
    isTestData: boolean().notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('patients_mrn_uq').on(t.mrn),
    index('patients_name_dob_idx').on(t.searchName, t.dob),
    index('patients_dob_idx').on(t.dob),
    check('patients_sex_ck', sql`${t.sex} in ('male','female','other','unknown')`),
    check('patients_channel_ck', sql`${t.preferredChannel} in ('email','sms','letter','phone')`),
    check('patients_deceased_ck', sql`${t.deceasedDate} is null or ${t.deceasedDate} >= ${t.dob}`),
  ],
);

/** Ids the patient has in other systems (old EHR, Synthea, a FHIR server): the key for idempotent imports. */
export const patientIdentifiers = pgTable(
  'patient_identifiers',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id, { onDelete: 'cascade' }),
    system: text().notNull(),
    value: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('patient_identifiers_system_value_uq').on(t.system, t.value),
    index('patient_identifiers_patient_idx').on(t.patientId),
  ],
);

export const emergencyContacts = pgTable(
  'emergency_contacts',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    relationship: text(),
    phone: text(),
    email: text(),
    // Imported contacts (FHIR Patient.contact) keep their source, so a re-import updates them in place.
    ...provenance(),
    ...timestamps(),
  },
  (t) => [index('emergency_contacts_patient_idx').on(t.patientId), uniqueIndex('emergency_contacts_source_uq').on(t.sourceSystem, t.sourceId)],
);

/** Consent per channel: a recall is never sent on a channel the patient opted out of. */
export const communicationConsents = pgTable(
  'communication_consents',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id, { onDelete: 'cascade' }),
    channel: text().notNull(),
    optedOut: boolean().notNull().default(false),
    consentedAt: timestamp({ withTimezone: true }),
    optedOutAt: timestamp({ withTimezone: true }),
    note: text(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('communication_consents_patient_channel_uq').on(t.patientId, t.channel),
    check('communication_consents_channel_ck', sql`${t.channel} in ('email','sms','letter','phone')`),
  ],
);
