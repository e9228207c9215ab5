// eMAR: medication administration orders, their scheduled doses, and the append-only administration record.
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, numeric, pgTable, text, timestamp, uniqueIndex, date, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.js';
import { medications } from './clinical.js';
import { patients } from './patients.js';
import { locations, providers } from './practice.js';
import { reference } from './reference.js';

export const administrationOrders = pgTable(
  'administration_orders',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    medicationId: integer().references(() => medications.id),
    orderedById: integer().references(() => providers.id),
    // The unit or wing where the doses are given, for `mar due --location`.
    locationId: integer().references(() => locations.id),
    rxnormCode: text(),
    ndcCode: text(),
    display: text().notNull(),
    dose: numeric({ precision: 12, scale: 4 }).notNull(),
    doseUnit: text().notNull(),
    route: text().notNull(),
    // fixed: clock times in timeZone; interval: every N hours; prn: as needed, with a daily limit.
    scheduleKind: text().notNull(),
    scheduleText: text().notNull(),
    scheduleTimes: text().array().notNull().default(sql`'{}'::text[]`),
    intervalHours: integer(),
    prnMaxPerDay: integer(),
    timeZone: text().notNull(),
    // Minutes before or after the scheduled time a dose counts as on time.
    windowMinutes: integer().notNull().default(60),
    startsAt: timestamp({ withTimezone: true }).notNull(),
    stopsAt: timestamp({ withTimezone: true }),
    status: text().notNull().default('active'),
    // Why the prescriber ordered it despite a serious allergy match (audited); doses are then given without stopping again.
    allergyOverrideReason: text(),
    ...timestamps(),
  },
  (t) => [
    index('administration_orders_patient_idx').on(t.patientId),
    check('administration_orders_kind_ck', sql`${t.scheduleKind} in ('fixed','interval','prn')`),
    check('administration_orders_status_ck', sql`${t.status} in ('active','on-hold','stopped','completed','entered-in-error')`),
    check('administration_orders_code_ck', sql`${t.rxnormCode} is not null or ${t.ndcCode} is not null`),
  ],
);

export const scheduledDoses = pgTable(
  'scheduled_doses',
  {
    id: id(),
    orderId: integer()
      .notNull()
      .references(() => administrationOrders.id),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    scheduledAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('scheduled_doses_order_time_uq').on(t.orderId, t.scheduledAt),
    index('scheduled_doses_time_idx').on(t.scheduledAt),
  ],
);

/** Never updated: a correction is a new row whose correctsId points at the entry it corrects. */
export const administrations = pgTable(
  'administrations',
  {
    id: id(),
    // Empty only for a rejected scan that matched no order (wrong drug).
    orderId: integer().references(() => administrationOrders.id),
    doseId: integer().references(() => scheduledDoses.id),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    // given/refused/held/not-available are outcomes; rejected is a scan the five-rights check refused.
    status: text().notNull(),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
    performedBy: text().notNull(),
    scannedCode: text(),
    ndcCode: text(),
    lotNumber: text(),
    expirationDate: date({ mode: 'string' }),
    doseGiven: numeric({ precision: 12, scale: 4 }),
    doseUnit: text(),
    route: text(),
    reason: text(),
    overrideReason: text(),
    withinWindow: boolean(),
    correctsId: integer().references((): AnyPgColumn => administrations.id),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('administrations_patient_idx').on(t.patientId, t.occurredAt),
    index('administrations_dose_idx').on(t.doseId),
    check('administrations_order_ck', sql`${t.orderId} is not null or ${t.status} = 'rejected'`),
    check(
      'administrations_status_ck',
      sql`${t.status} in ('given','refused','held','not-available','rejected','entered-in-error')`,
    ),
  ],
);

/**
 * What a scanned product is: NDC (11-digit) to RxNorm, with route and strength when known, so a scan can
 * be checked against an order written in RxNorm. Loaded by `practice mar products load` (e.g. from RxNorm's
 * NDC properties); the eMAR never guesses a mapping it does not have.
 */
export const ndcProducts = reference.table(
  'ndc_products',
  {
    id: id(),
    ndc11: text().notNull(),
    rxnormCode: text().notNull(),
    display: text(),
    route: text(),
    strength: numeric({ precision: 12, scale: 4 }),
    strengthUnit: text(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('ndc_products_ndc_uq').on(t.ndc11),
    index('ndc_products_rxnorm_idx').on(t.rxnormCode),
    check('ndc_products_ndc_ck', sql`${t.ndc11} ~ '^[0-9]{11}$'`),
  ],
);
