// Appointments and no-shows, recall rules and recalls, and the reminder log that makes sending exactly-once.
import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { id, provenance, timestamps } from './columns.js';
import { patients } from './patients.js';
import { locations, providers } from './practice.js';

export const appointments = pgTable(
  'appointments',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    providerId: integer().references(() => providers.id),
    locationId: integer().references(() => locations.id),
    startsAt: timestamp({ withTimezone: true }).notNull(),
    durationMinutes: integer().notNull().default(15),
    reason: text(),
    // What the visit is for, so a booked appointment holds back the matching recall.
    recallRuleCode: text(),
    status: text().notNull().default('scheduled'),
    statusChangedAt: timestamp({ withTimezone: true }),
    cancelReason: text(),
    rescheduledFromId: integer().references((): AnyPgColumn => appointments.id),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('appointments_provider_starts_idx').on(t.providerId, t.startsAt),
    index('appointments_patient_starts_idx').on(t.patientId, t.startsAt),
    index('appointments_status_idx').on(t.status, t.startsAt),
    uniqueIndex('appointments_source_uq').on(t.sourceSystem, t.sourceId),
    check('appointments_status_ck', sql`${t.status} in ('scheduled','kept','no-show','cancelled','rescheduled')`),
    check('appointments_duration_ck', sql`${t.durationMinutes} > 0`),
  ],
);

/** A recall rule as data: eligibility and interval in `definition`, compiled to SQL by src/recall. */
export const recallRules = pgTable(
  'recall_rules',
  {
    id: id(),
    code: text().notNull(),
    name: text().notNull(),
    definition: jsonb().notNull(),
    // Minimum days between two reminders for the same recall.
    spacingDays: integer().notNull().default(14),
    active: boolean().notNull().default(true),
    ...timestamps(),
  },
  (t) => [uniqueIndex('recall_rules_code_uq').on(t.code)],
);

export const recalls = pgTable(
  'recalls',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    ruleId: integer()
      .notNull()
      .references(() => recallRules.id),
    dueDate: date({ mode: 'string' }).notNull(),
    // The visit, test or dose the due date was counted from; a later one closes the recall as completed.
    lastDoneOn: date({ mode: 'string' }),
    status: text().notNull().default('open'),
    closedAt: timestamp({ withTimezone: true }),
    closedReason: text(),
    ...timestamps(),
  },
  (t) => [
    // At most one open recall per patient and rule.
    uniqueIndex('recalls_open_uq').on(t.patientId, t.ruleId).where(sql`${t.status} = 'open'`),
    index('recalls_due_idx').on(t.status, t.dueDate),
    index('recalls_rule_idx').on(t.ruleId, t.status),
    check('recalls_status_ck', sql`${t.status} in ('open','closed','cancelled')`),
  ],
);

/**
 * One message to one patient: every recall due in one run (recall), or one reminder before a booked visit
 * (appointment). A run claims it under a lease, stamps it handed over just before giving it to the channel
 * (mail server, SMS gateway, letters or call-list file) and marks it sent once the channel accepted it.
 * A claim whose lease ran out belongs to a run that died: never handed over, it is released and sent by
 * the next run; handed over, it may have gone out, so it becomes unconfirmed and is never sent again.
 */
export const reminderMessages = pgTable(
  'reminder_messages',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    purpose: text().notNull(),
    appointmentId: integer().references(() => appointments.id),
    channel: text().notNull(),
    // recall-p<patient>-<practice day> or appointment-<id>-<days before>: at most one claimed or sent.
    idempotencyKey: text().notNull(),
    status: text().notNull().default('claimed'),
    claimedBy: text(),
    leaseExpiresAt: timestamp({ withTimezone: true }),
    // The claim of an interrupted run this message was sent in place of.
    replacesId: integer().references((): AnyPgColumn => reminderMessages.id),
    // SMTP Message-ID or the SMS gateway's message id, once the channel accepted it.
    transportMessageId: text(),
    // Plain reason without PHI, e.g. "SMTP 550 (EENVELOPE)".
    failureReason: text(),
    sentAt: timestamp({ withTimezone: true }),
    // When the run gave it to the channel; from then on it is never sent again without a confirmation.
    handedOverAt: timestamp({ withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('reminder_messages_key_uq').on(t.idempotencyKey).where(sql`${t.status} in ('claimed','sent','unconfirmed')`),
    index('reminder_messages_claims_idx').on(t.status, t.leaseExpiresAt),
    index('reminder_messages_patient_idx').on(t.patientId, t.createdAt),
    index('reminder_messages_appointment_idx').on(t.appointmentId),
    check('reminder_messages_purpose_ck', sql`${t.purpose} in ('recall','appointment')`),
    check('reminder_messages_channel_ck', sql`${t.channel} in ('email','sms','letter','calls')`),
    check('reminder_messages_status_ck', sql`${t.status} in ('claimed','sent','failed','released','unconfirmed')`),
    check('reminder_messages_lease_ck', sql`${t.status} <> 'claimed' or (${t.claimedBy} is not null and ${t.leaseExpiresAt} is not null)`),
  ],
);

/** Every recall reminder attempt: one row per recall a message listed, settled with its message. */
export const reminderLog = pgTable(
  'reminder_log',
  {
    id: id(),
    recallId: integer().references(() => recalls.id),
    messageId: integer().references(() => reminderMessages.id),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    channel: text().notNull(),
    attempt: integer().notNull().default(1),
    // Unique per recall, channel and sending window: the exactly-once key.
    idempotencyKey: text().notNull(),
    status: text().notNull().default('pending'),
    transportMessageId: text(),
    // Plain reason without PHI, e.g. "SMTP 550 mailbox unavailable".
    failureReason: text(),
    nextAttemptAfter: timestamp({ withTimezone: true }),
    sentAt: timestamp({ withTimezone: true }),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('reminder_log_key_uq').on(t.idempotencyKey),
    index('reminder_log_recall_idx').on(t.recallId, t.createdAt),
    index('reminder_log_message_idx').on(t.messageId),
    check('reminder_log_channel_ck', sql`${t.channel} in ('email','sms','letter','calls')`),
    check('reminder_log_status_ck', sql`${t.status} in ('pending','sent','failed','skipped','unconfirmed')`),
  ],
);

