// X12 bookkeeping for claims: persistent control-number counters and 835 items we could not match.
import { sql } from 'drizzle-orm';
import { boolean, char, check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.js';
import { claims, remittances } from './billing.js';
import { payers } from './practice.js';

/** One row per counter (e.g. "interchange"); numbers are taken inside the export transaction, never reused. */
export const x12Counters = pgTable(
  'x12_counters',
  {
    name: text().primaryKey(),
    lastValue: integer().notNull().default(0),
  },
  (t) => [check('x12_counters_range_ck', sql`${t.lastValue} between 0 and 999999999`)],
);

/**
 * Claims of an 835 that were not posted (no such claim, billed to another payer, not sent, voided, a
 * line that matches none or two of ours): kept with the reason for the biller, never dropped.
 */
export const remittanceUnmatched = pgTable(
  'remittance_unmatched',
  {
    id: id(),
    remittanceId: integer()
      .notNull()
      .references(() => remittances.id),
    // claim: the whole CLP was left unposted; line: one SVC (kept for older rows).
    level: text().notNull(),
    patientControlNumber: text().notNull(),
    // Our claim with that number, when there is one.
    claimId: integer().references(() => claims.id),
    reason: text(),
    lineControlNumber: text(),
    procedureCode: text(),
    claimStatusCode: text(),
    payerClaimControlNumber: text(),
    billedCents: integer().notNull().default(0),
    paidCents: integer().notNull().default(0),
    resolvedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('remittance_unmatched_remittance_idx').on(t.remittanceId),
    check('remittance_unmatched_level_ck', sql`${t.level} in ('claim','line')`),
  ],
);

/**
 * Where payers send the money when it is not the billing provider's street address (a PO box, a
 * lockbox, a billing office): 837P loop 2010AB. At most one row.
 */
export const payToAddress = pgTable(
  'pay_to_address',
  {
    id: id(),
    singleton: boolean().notNull().default(true),
    address1: text().notNull(),
    address2: text(),
    city: text().notNull(),
    state: char({ length: 2 }).notNull(),
    zip: text().notNull(),
    ...timestamps(),
  },
  (t) => [uniqueIndex('pay_to_address_singleton_uq').on(t.singleton), check('pay_to_address_singleton_ck', sql`${t.singleton}`)],
);

/** Claim rules a payer asks for beyond the guide (its companion guide), read by the scrubber. */
export const payerClaimRules = pgTable('payer_claim_rules', {
  payerId: integer()
    .primaryKey()
    .references(() => payers.id),
  // Drug lines (HCPCS J-codes) must carry the NDC, quantity and unit (loop 2410).
  ndcRequired: boolean().notNull().default(false),
  // Days a secondary (or later) claim may be filed, counted from the previous payer's adjudication;
  // null: the payer's timely filing days (payers.timely_filing_days, counted from the date of service).
  secondaryTimelyFilingDays: integer(),
  ...timestamps(),
});
