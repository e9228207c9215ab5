// The clinical record: history, problem list, allergies, medications, immunizations.
import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, numeric, pgTable, text, uniqueIndex, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { coded, id, provenance, timestamps } from './columns.js';
import { encounters } from './encounters.js';
import { patients } from './patients.js';
import { providers } from './practice.js';

const patientRef = () =>
  integer()
    .notNull()
    .references(() => patients.id);

/** Past illnesses, surgeries, family and social history as told by the patient. */
export const medicalHistory = pgTable(
  'medical_history',
  {
    id: id(),
    patientId: patientRef(),
    kind: text().notNull(),
    description: text().notNull(),
    codeSystem: text(),
    code: text(),
    // For family history: mother, father, sibling...
    relation: text(),
    // When it started (a surgery: when it was done); for family history, the relative's age at onset.
    onsetDate: date({ mode: 'string' }),
    onsetAge: integer(),
    note: text(),
    // active, or entered-in-error (kept, hidden from the chart, exported with FHIR's status).
    status: text().notNull().default('active'),
    // Why the entry's status last changed, as the clinician wrote it.
    statusNote: text(),
    // A correction is a new entry that points at the one it replaces (which is marked entered-in-error).
    replacesId: integer().references((): AnyPgColumn => medicalHistory.id),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('medical_history_patient_idx').on(t.patientId),
    uniqueIndex('medical_history_source_uq').on(t.sourceSystem, t.sourceId),
    check('medical_history_kind_ck', sql`${t.kind} in ('past-illness','surgery','family','social')`),
    check('medical_history_status_ck', sql`${t.status} in ('active','entered-in-error')`),
    check('medical_history_onset_age_ck', sql`${t.onsetAge} is null or ${t.onsetAge} between 0 and 130`),
  ],
);

/** Problem list entries and encounter diagnoses (FHIR Condition). */
export const problems = pgTable(
  'problems',
  {
    id: id(),
    patientId: patientRef(),
    encounterId: integer().references(() => encounters.id),
    ...coded(),
    category: text().notNull().default('problem-list-item'),
    clinicalStatus: text().notNull().default('active'),
    verificationStatus: text().notNull().default('confirmed'),
    onsetDate: date({ mode: 'string' }),
    abatementDate: date({ mode: 'string' }),
    recordedDate: date({ mode: 'string' }),
    note: text(),
    // Why the entry's status last changed (stopped, resolved, refuted, entered in error), as the clinician wrote it.
    statusNote: text(),
    // A correction is a new entry that points at the one it replaces (which is marked entered-in-error).
    replacesId: integer().references((): AnyPgColumn => problems.id),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('problems_patient_idx').on(t.patientId),
    index('problems_code_idx').on(t.codeSystem, t.code),
    uniqueIndex('problems_source_uq').on(t.sourceSystem, t.sourceId),
    check('problems_category_ck', sql`${t.category} in ('problem-list-item','encounter-diagnosis','health-concern')`),
    check(
      'problems_clinical_status_ck',
      sql`${t.clinicalStatus} in ('active','recurrence','relapse','inactive','remission','resolved')`,
    ),
    check(
      'problems_verification_status_ck',
      sql`${t.verificationStatus} in ('unconfirmed','provisional','differential','confirmed','refuted','entered-in-error')`,
    ),
    check('problems_abatement_ck', sql`${t.abatementDate} is null or ${t.onsetDate} is null or ${t.abatementDate} >= ${t.onsetDate}`),
  ],
);

export const allergies = pgTable(
  'allergies',
  {
    id: id(),
    patientId: patientRef(),
    substance: text().notNull(),
    // RxNorm ingredient, SNOMED CT substance or UNII when known.
    codeSystem: text(),
    code: text(),
    category: text().notNull().default('medication'),
    criticality: text(),
    reaction: text(),
    severity: text(),
    clinicalStatus: text().notNull().default('active'),
    verificationStatus: text().notNull().default('confirmed'),
    onsetDate: date({ mode: 'string' }),
    recordedDate: date({ mode: 'string' }),
    // Why the entry's status last changed (stopped, resolved, refuted, entered in error), as the clinician wrote it.
    statusNote: text(),
    // A correction is a new entry that points at the one it replaces (which is marked entered-in-error).
    replacesId: integer().references((): AnyPgColumn => allergies.id),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('allergies_patient_idx').on(t.patientId),
    uniqueIndex('allergies_source_uq').on(t.sourceSystem, t.sourceId),
    check('allergies_category_ck', sql`${t.category} in ('medication','food','environment','biologic')`),
    check('allergies_severity_ck', sql`${t.severity} in ('mild','moderate','severe')`),
    check('allergies_criticality_ck', sql`${t.criticality} in ('low','high','unable-to-assess')`),
    check('allergies_clinical_status_ck', sql`${t.clinicalStatus} in ('active','inactive','resolved')`),
    check(
      'allergies_verification_status_ck',
      sql`${t.verificationStatus} in ('unconfirmed','confirmed','refuted','entered-in-error')`,
    ),
  ],
);

/** Prescriptions and reported medications (FHIR MedicationRequest / MedicationStatement). */
export const medications = pgTable(
  'medications',
  {
    id: id(),
    patientId: patientRef(),
    encounterId: integer().references(() => encounters.id),
    prescriberId: integer().references(() => providers.id),
    rxnormCode: text(),
    ndcCode: text(),
    display: text().notNull(),
    dose: numeric({ precision: 12, scale: 4 }),
    doseUnit: text(),
    route: text(),
    frequency: text(),
    startDate: date({ mode: 'string' }),
    stopDate: date({ mode: 'string' }),
    quantity: numeric({ precision: 12, scale: 3 }),
    refills: integer(),
    status: text().notNull().default('active'),
    // request: prescribed here; statement: reported by the patient or another provider.
    kind: text().notNull().default('request'),
    // FHIR MedicationRequest.intent: only the order family (order, original-order, reflex-order,
    // filler-order, instance-order) is an order to quality measures; a reported medication is a plan.
    intent: text().notNull().default('order'),
    // Why a clinician went ahead despite an allergy or duplicate warning.
    overrideReason: text(),
    // Why the entry's status last changed (stopped, resolved, refuted, entered in error), as the clinician wrote it.
    statusNote: text(),
    // A correction is a new entry that points at the one it replaces (which is marked entered-in-error).
    replacesId: integer().references((): AnyPgColumn => medications.id),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('medications_patient_idx').on(t.patientId),
    index('medications_rxnorm_idx').on(t.rxnormCode),
    uniqueIndex('medications_source_uq').on(t.sourceSystem, t.sourceId),
    check('medications_code_ck', sql`${t.rxnormCode} is not null or ${t.ndcCode} is not null`),
    check('medications_ndc_ck', sql`${t.ndcCode} is null or ${t.ndcCode} ~ '^[0-9]{11}$'`),
    check(
      'medications_status_ck',
      sql`${t.status} in ('active','on-hold','cancelled','completed','entered-in-error','stopped','draft','unknown')`,
    ),
    check('medications_kind_ck', sql`${t.kind} in ('request','statement')`),
    check(
      'medications_intent_ck',
      sql`${t.intent} in ('proposal','plan','order','original-order','reflex-order','filler-order','instance-order','option')`,
    ),
    check('medications_refills_ck', sql`${t.refills} is null or ${t.refills} >= 0`),
    check('medications_stop_ck', sql`${t.stopDate} is null or ${t.startDate} is null or ${t.stopDate} >= ${t.startDate}`),
  ],
);

export const immunizations = pgTable(
  'immunizations',
  {
    id: id(),
    patientId: patientRef(),
    encounterId: integer().references(() => encounters.id),
    performerId: integer().references(() => providers.id),
    cvxCode: text().notNull(),
    display: text(),
    occurrenceDate: date({ mode: 'string' }).notNull(),
    status: text().notNull().default('completed'),
    // Why it was not given (FHIR Immunization.statusReason), for not-done records.
    statusReasonSystem: text(),
    statusReasonCode: text(),
    lotNumber: text(),
    expirationDate: date({ mode: 'string' }),
    manufacturer: text(),
    site: text(),
    route: text(),
    doseQuantity: numeric({ precision: 8, scale: 3 }),
    doseUnit: text(),
    // true when given here; false for history from records or the patient.
    primarySource: boolean().notNull().default(true),
    // Why the entry's status last changed (stopped, resolved, refuted, entered in error), as the clinician wrote it.
    statusNote: text(),
    // A correction is a new entry that points at the one it replaces (which is marked entered-in-error).
    replacesId: integer().references((): AnyPgColumn => immunizations.id),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('immunizations_patient_idx').on(t.patientId, t.occurrenceDate),
    index('immunizations_cvx_idx').on(t.cvxCode),
    uniqueIndex('immunizations_source_uq').on(t.sourceSystem, t.sourceId),
    check('immunizations_cvx_ck', sql`${t.cvxCode} ~ '^[0-9]{1,3}$'`),
    check('immunizations_status_ck', sql`${t.status} in ('completed','entered-in-error','not-done')`),
  ],
);


/**
 * Advance directives the patient has (living will, health care power of attorney, POLST/MOLST, DNR):
 * what kind, when signed, who holds the original and where it is kept. The practice records that the
 * document exists; a newer one supersedes the old (FHIR DocumentReference status).
 */
export const advanceDirectives = pgTable(
  'advance_directives',
  {
    id: id(),
    patientId: patientRef(),
    kind: text().notNull(),
    // The LOINC document type (src/chart/advance-directives.ts names one per kind).
    code: text().notNull(),
    signedDate: date({ mode: 'string' }),
    // Who holds the original (a health care agent, an attorney) and where it is kept.
    custodian: text(),
    location: text(),
    note: text(),
    status: text().notNull().default('current'),
    statusNote: text(),
    replacesId: integer().references((): AnyPgColumn => advanceDirectives.id),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('advance_directives_patient_idx').on(t.patientId),
    uniqueIndex('advance_directives_source_uq').on(t.sourceSystem, t.sourceId),
    check('advance_directives_kind_ck', sql`${t.kind} in ('advance-directive','living-will','healthcare-poa','poa-living-will','polst','molst','dnr')`),
    check('advance_directives_status_ck', sql`${t.status} in ('current','superseded','entered-in-error')`),
  ],
);
