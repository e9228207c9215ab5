// Care plans and goals, referrals and prior authorizations, insurance coverage.
import { sql } from 'drizzle-orm';
import { boolean, char, check, date, index, integer, numeric, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, provenance, timestamps } from './columns.js';
import { encounters } from './encounters.js';
import { patients } from './patients.js';
import { payers, providers } from './practice.js';

export const carePlans = pgTable(
  'care_plans',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    authorId: integer().references(() => providers.id),
    title: text().notNull(),
    description: text(),
    categorySystem: text(),
    categoryCode: text(),
    status: text().notNull().default('active'),
    intent: text().notNull().default('plan'),
    periodStart: date({ mode: 'string' }),
    periodEnd: date({ mode: 'string' }),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('care_plans_patient_idx').on(t.patientId),
    uniqueIndex('care_plans_source_uq').on(t.sourceSystem, t.sourceId),
    check(
      'care_plans_status_ck',
      sql`${t.status} in ('draft','active','on-hold','revoked','completed','entered-in-error','unknown')`,
    ),
  ],
);

export const goals = pgTable(
  'goals',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    carePlanId: integer().references(() => carePlans.id, { onDelete: 'cascade' }),
    description: text().notNull(),
    codeSystem: text(),
    code: text(),
    targetValue: numeric({ precision: 14, scale: 4 }),
    targetUnit: text(),
    dueDate: date({ mode: 'string' }),
    lifecycleStatus: text().notNull().default('active'),
    achievementStatus: text(),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('goals_patient_idx').on(t.patientId),
    uniqueIndex('goals_source_uq').on(t.sourceSystem, t.sourceId),
    check(
      'goals_lifecycle_ck',
      sql`${t.lifecycleStatus} in ('proposed','planned','accepted','active','on-hold','completed','cancelled','entered-in-error','rejected')`,
    ),
  ],
);

export const coverages = pgTable(
  'coverages',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    payerId: integer()
      .notNull()
      .references(() => payers.id),
    // 1 primary, 2 secondary, 3 tertiary (SBR01 P/S/T).
    priority: integer().notNull().default(1),
    memberId: text().notNull(),
    groupNumber: text(),
    planName: text(),
    // X12 individual relationship code (SBR02/PAT01): 18 self, 01 spouse, 19 child, G8 other.
    relationship: char({ length: 2 }).notNull().default('18'),
    subscriberFirstName: text(),
    subscriberLastName: text(),
    subscriberDob: date({ mode: 'string' }),
    subscriberSex: text(),
    subscriberAddress1: text(),
    subscriberCity: text(),
    subscriberState: char({ length: 2 }),
    subscriberZip: text(),
    effectiveFrom: date({ mode: 'string' }),
    effectiveTo: date({ mode: 'string' }),
    active: boolean().notNull().default(true),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('coverages_patient_idx').on(t.patientId, t.priority),
    uniqueIndex('coverages_source_uq').on(t.sourceSystem, t.sourceId),
    check('coverages_priority_ck', sql`${t.priority} between 1 and 3`),
    check('coverages_relationship_ck', sql`${t.relationship} in ('18','01','19','20','21','39','40','53','G8')`),
    check('coverages_period_ck', sql`${t.effectiveTo} is null or ${t.effectiveFrom} is null or ${t.effectiveTo} >= ${t.effectiveFrom}`),
  ],
);

export const priorAuthorizations = pgTable(
  'prior_authorizations',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    coverageId: integer().references(() => coverages.id),
    authNumber: text(),
    serviceSystem: text(),
    serviceCode: text(),
    status: text().notNull().default('pending'),
    unitsApproved: integer(),
    validFrom: date({ mode: 'string' }),
    validTo: date({ mode: 'string' }),
    note: text(),
    // An authorization imported with a referral (FHIR ServiceRequest.identifier) keeps its source.
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('prior_authorizations_patient_idx').on(t.patientId),
    uniqueIndex('prior_authorizations_source_uq').on(t.sourceSystem, t.sourceId),
    check('prior_authorizations_status_ck', sql`${t.status} in ('pending','approved','denied','expired','cancelled')`),
  ],
);

export const referrals = pgTable(
  'referrals',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    fromProviderId: integer().references(() => providers.id),
    toName: text().notNull(),
    toNpi: char({ length: 10 }),
    toOrganization: text(),
    specialty: text(),
    reason: text().notNull(),
    reasonSystem: text(),
    reasonCode: text(),
    status: text().notNull().default('draft'),
    priorAuthorizationId: integer().references(() => priorAuthorizations.id),
    followUpDate: date({ mode: 'string' }),
    sentAt: timestamp({ withTimezone: true }),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('referrals_patient_idx').on(t.patientId),
    uniqueIndex('referrals_source_uq').on(t.sourceSystem, t.sourceId),
    check('referrals_status_ck', sql`${t.status} in ('draft','sent','scheduled','completed','cancelled')`),
  ],
);
