// Everything measured or assessed: vital signs, lab results, screenings, social history; orders,
// imaging reports, and "not done" events that quality measures count as exceptions.
import { sql } from 'drizzle-orm';
import {
  check,
  date,
  index,
  integer,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { coded, id, provenance, timestamps } from './columns.js';
import { encounters } from './encounters.js';
import { patients } from './patients.js';
import { providers } from './practice.js';

/** Lab, imaging, referral, device and procedure orders (FHIR ServiceRequest / DeviceRequest). */
export const orders = pgTable(
  'orders',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    providerId: integer().references(() => providers.id),
    kind: text().notNull(),
    ...coded(),
    status: text().notNull().default('active'),
    intent: text().notNull().default('order'),
    orderedAt: timestamp({ withTimezone: true }).notNull(),
    reason: text(),
    // The coded reason (ICD-10-CM), when the order gives one; `reason` keeps its text.
    reasonSystem: text(),
    reasonCode: text(),
    // Why the order's status last changed (revoked, entered in error), as the clinician wrote it.
    statusNote: text(),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('orders_patient_idx').on(t.patientId, t.orderedAt),
    // Quality measures look orders up by code (hospice, frailty devices, referrals): without it, a scan per criterion.
    index('orders_code_idx').on(t.codeSystem, t.code, t.orderedAt),
    uniqueIndex('orders_source_uq').on(t.sourceSystem, t.sourceId),
    check('orders_kind_ck', sql`${t.kind} in ('lab','imaging','referral','device','procedure')`),
    check(
      'orders_status_ck',
      sql`${t.status} in ('draft','active','on-hold','revoked','completed','entered-in-error','unknown')`,
    ),
  ],
);

/**
 * One row per measured value. Vital signs use their LOINC codes (8480-6 systolic, 8462-4 diastolic,
 * 29463-7 weight, 8302-2 height, 39156-5 BMI, 8310-5 temperature, 8867-4 pulse, 9279-1 respiration,
 * 59408-5 SpO2); a blood pressure is a panel row (85354-9) whose two components point to it.
 */
export const observations = pgTable(
  'observations',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    orderId: integer().references(() => orders.id),
    /** The panel a component belongs to; a component carries its panel's time, status and visit (measures read them). */
    panelId: integer().references((): AnyPgColumn => observations.id, { onDelete: 'cascade' }),
    category: text().notNull(),
    ...coded(),
    valueNumeric: numeric({ precision: 14, scale: 4 }),
    valueUnit: text(),
    valueText: text(),
    valueCodeSystem: text(),
    valueCode: text(),
    referenceLow: numeric({ precision: 14, scale: 4 }),
    referenceHigh: numeric({ precision: 14, scale: 4 }),
    referenceText: text(),
    // HL7 v2 abnormal flags: N, H, L, HH, LL, A.
    interpretation: text(),
    effectiveAt: timestamp({ withTimezone: true }).notNull(),
    issuedAt: timestamp({ withTimezone: true }),
    status: text().notNull().default('final'),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('observations_patient_code_idx').on(t.patientId, t.code, t.effectiveAt),
    index('observations_code_effective_idx').on(t.codeSystem, t.code, t.effectiveAt),
    index('observations_panel_idx').on(t.panelId),
    uniqueIndex('observations_source_uq').on(t.sourceSystem, t.sourceId),
    check(
      'observations_category_ck',
      sql`${t.category} in ('vital-signs','laboratory','survey','social-history','exam','imaging','procedure','therapy','activity')`,
    ),
    check(
      'observations_status_ck',
      sql`${t.status} in ('registered','preliminary','final','amended','corrected','cancelled','entered-in-error','unknown')`,
    ),
    check('observations_interpretation_ck', sql`${t.interpretation} in ('N','H','L','HH','LL','A','AA')`),
  ],
);

export const imagingReports = pgTable(
  'imaging_reports',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    orderId: integer().references(() => orders.id),
    // DICOM modality: MG mammography, CT, MR, US, DX (X-ray)...
    modality: text().notNull(),
    bodySite: text(),
    // The study as coded (LOINC or CPT), which screening measures match.
    codeSystem: text(),
    code: text(),
    display: text(),
    studyDate: date({ mode: 'string' }).notNull(),
    findings: text(),
    impression: text(),
    status: text().notNull().default('final'),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('imaging_reports_patient_idx').on(t.patientId, t.studyDate),
    uniqueIndex('imaging_reports_source_uq').on(t.sourceSystem, t.sourceId),
    check(
      'imaging_reports_status_ck',
      sql`${t.status} in ('registered','partial','preliminary','final','amended','corrected','cancelled','entered-in-error')`,
    ),
  ],
);

/**
 * A screening, test, vaccine, medication or follow-up recorded as not done, with its reason:
 * eCQMs treat medical and patient reasons as denominator exceptions.
 */
export const notDoneEvents = pgTable(
  'not_done_events',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    kind: text().notNull(),
    // What was not done (a code, or the value set it belongs to).
    ...coded(),
    valueSetOid: text(),
    reasonSystem: text(),
    reasonCode: text(),
    reasonText: text(),
    status: text().notNull().default('not-done'),
    recordedAt: timestamp({ withTimezone: true }).notNull(),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('not_done_events_patient_idx').on(t.patientId, t.recordedAt),
    uniqueIndex('not_done_events_source_uq').on(t.sourceSystem, t.sourceId),
    check(
      'not_done_events_kind_ck',
      sql`${t.kind} in ('screening','test','vaccine','medication','procedure','follow-up','encounter','assessment')`,
    ),
    check('not_done_events_status_ck', sql`${t.status} in ('declined','refused','not-done')`),
  ],
);

