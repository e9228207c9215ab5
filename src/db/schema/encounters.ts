// Visits, their diagnoses (ordered, for claim pointers), procedures and SOAP progress notes.
import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { coded, id, provenance, timestamps } from './columns.js';
import { patients } from './patients.js';
import { locations, providers } from './practice.js';

export const encounters = pgTable(
  'encounters',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    providerId: integer().references(() => providers.id),
    locationId: integer().references(() => locations.id),
    startsAt: timestamp({ withTimezone: true }).notNull(),
    endsAt: timestamp({ withTimezone: true }),
    durationMinutes: integer(),
    // FHIR Encounter.status; quality measures count only finished encounters.
    status: text().notNull().default('finished'),
    // v3 ActCode: AMB ambulatory, VR virtual, HH home health, IMP inpatient, EMER emergency.
    encounterClass: text().notNull().default('AMB'),
    // Encounter type (CPT, SNOMED CT or HCPCS) that measures match against value sets.
    typeSystem: text(),
    typeCode: text(),
    typeDisplay: text(),
    reason: text(),
    reasonSystem: text(),
    reasonCode: text(),
    isNewPatient: boolean().notNull().default(false),
    // The provider's "return in N weeks", which recall rules read.
    followUpWeeks: integer(),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('encounters_patient_starts_idx').on(t.patientId, t.startsAt),
    index('encounters_provider_starts_idx').on(t.providerId, t.startsAt),
    index('encounters_starts_idx').on(t.startsAt),
    index('encounters_type_idx').on(t.typeSystem, t.typeCode),
    uniqueIndex('encounters_source_uq').on(t.sourceSystem, t.sourceId),
    check(
      'encounters_status_ck',
      sql`${t.status} in ('planned','arrived','triaged','in-progress','onleave','finished','cancelled','entered-in-error','unknown')`,
    ),
    check('encounters_duration_ck', sql`${t.durationMinutes} is null or ${t.durationMinutes} >= 0`),
    check('encounters_ends_ck', sql`${t.endsAt} is null or ${t.endsAt} >= ${t.startsAt}`),
  ],
);

/** The visit's diagnoses in claim order: position 1..12 is what charge pointers refer to. */
export const encounterDiagnoses = pgTable(
  'encounter_diagnoses',
  {
    id: id(),
    encounterId: integer()
      .notNull()
      .references(() => encounters.id, { onDelete: 'cascade' }),
    position: integer().notNull(),
    ...coded(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('encounter_diagnoses_position_uq').on(t.encounterId, t.position),
    index('encounter_diagnoses_code_idx').on(t.codeSystem, t.code),
    check('encounter_diagnoses_position_ck', sql`${t.position} between 1 and 12`),
  ],
);

export const procedures = pgTable(
  'procedures',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    providerId: integer().references(() => providers.id),
    ...coded(),
    status: text().notNull().default('completed'),
    performedStart: timestamp({ withTimezone: true }),
    performedEnd: timestamp({ withTimezone: true }),
    bodySite: text(),
    reasonSystem: text(),
    reasonCode: text(),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('procedures_patient_idx').on(t.patientId, t.performedStart),
    index('procedures_code_idx').on(t.codeSystem, t.code),
    uniqueIndex('procedures_source_uq').on(t.sourceSystem, t.sourceId),
    check(
      'procedures_status_ck',
      sql`${t.status} in ('preparation','in-progress','not-done','on-hold','stopped','completed','entered-in-error','unknown')`,
    ),
  ],
);

/** SOAP progress note; signed notes are corrected by a new note that points to the old one. */
export const progressNotes = pgTable(
  'progress_notes',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    authorId: integer().references(() => providers.id),
    noteDate: date({ mode: 'string' }).notNull(),
    subjective: text(),
    objective: text(),
    assessment: text(),
    plan: text(),
    status: text().notNull().default('final'),
    signedAt: timestamp({ withTimezone: true }),
    amendsNoteId: integer(),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('progress_notes_patient_idx').on(t.patientId, t.noteDate),
    uniqueIndex('progress_notes_source_uq').on(t.sourceSystem, t.sourceId),
    check('progress_notes_status_ck', sql`${t.status} in ('preliminary','final','amended','entered-in-error')`),
  ],
);
