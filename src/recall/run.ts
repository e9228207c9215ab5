// The unattended sender: recall reminders (one message per patient, naming every recall due) and
// appointment reminders (before each booked visit), on one at-most-once machinery. A run claims each
// message under a lease, stamps it handed over just before the channel gets it, and marks it sent only
// once the channel accepted it. A run killed mid-send leaves claims whose lease runs out: those never
// handed over are released and the next run sends them once; one handed over but never confirmed may
// have gone out, so it is marked unconfirmed, reported for staff to check, and never sent again. A
// patient may miss one reminder after a crash, never get the same one twice (SECURITY.md).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { tryPracticeLock } from '../db/advisory.js';
import { reminderLog, reminderMessages } from '../db/schema/index.js';
import { planThenApply } from '../db/transaction.js';
import type { Db, DbOrTx } from '../db/types.js';
import { failpoint } from '../faults/failpoint.js';
import { FileWriteError } from '../files/private-file.js';
import { Stopped, throwIfStopped } from '../errors.js';
import { practiceInfo, practiceToday, type PracticeInfo } from '../practice/clock.js';
import { emailTransport } from './channels/email.js';
import { writeCallList, writeLetters, type CallListRow } from './channels/files.js';
import { smsTransport, type SmsOptions } from './channels/sms.js';
import type { Delivery, MessageTransport } from './channels/transport.js';
import { ageBounds } from './compile.js';
import { channels, type Channel, type RecallDefinition } from './definition.js';
import { listRecallRules } from './rules.js';
import { composeAppointmentMessage, composeRecallMessage, type Message } from './templates.js';

// Failpoints (test only, see src/faults/failpoint.ts):
//   recall:after-handover  a message is stamped handed over, the channel does not have it yet
//   recall:before-confirm  the channel accepted a message, not yet marked sent
//   recall:after-send      a message was marked sent
//   recall:after-file      the letters PDF or call list is written, its messages not yet marked sent

export interface QuietHours {
  /** "20:00": no SMS from this time... */
  start: string;
  /** "08:00": ...until this time, in the practice's time zone. */
  end: string;
}

export interface AppointmentReminderOptions {
  /** Days before the visit a reminder goes out (practice calendar days), e.g. [2, 1]. */
  daysBefore: number[];
  /** Extra reminders for patients who missed a visit in the last two years; 0 is the morning of the visit. */
  noShowExtraDays: number[];
}

export interface RunOptions {
  now: Date;
  /** The clock for lease renewals during a long run (defaults to `now`). */
  clock?: () => Date;
  /** How long a claim holds before another run may take it over (default 10 minutes). */
  leaseSeconds?: number;
  dryRun?: boolean;
  /** Send only what goes out on this channel today. */
  channel?: Channel;
  fallbackOrder?: Channel[];
  /** After this many unanswered reminders on one channel, the next goes out on the next channel. */
  escalateAfter?: number;
  quietHours?: QuietHours;
  /** Where the letters PDF and the call list are written. */
  outDir: string;
  email?: { url: string; from: string };
  sms?: SmsOptions;
  /** Appointment reminders; false sends recall reminders only. */
  appointments?: AppointmentReminderOptions | false;
  /** PostgreSQL server: hold an advisory lock for the run (the embedded database is already one process). */
  useAdvisoryLock: boolean;
  /** Aborted to stop between two messages; the unsent claims are released for the next run. */
  signal?: AbortSignal;
}

export type SkipReason =
  | 'deceased'
  | 'inactive'
  | 'already-booked'
  | 'already-reminded'
  | 'claimed-by-another-run'
  | 'contacted-recently'
  | 'retry-later'
  | 'opted-out'
  | 'no-contact-details'
  | 'channel-not-configured'
  | 'quiet-hours'
  | 'other-channel'
  | 'sent-by-another-run';

/** What a run could not send and staff must act on: counted in patients (messages), never names. */
export interface Unsent {
  purpose: 'recall' | 'appointment';
  reason: string;
  count: number;
  /** The charts concerned, so staff can fix them (results only: never written to stderr). */
  mrns: string[];
}

export interface AppointmentSummary {
  /** Booked visits whose reminder time has come. */
  due: number;
  planned: Record<Channel, number>;
  sent: Record<Channel, number>;
  skipped: Partial<Record<SkipReason, number>>;
}

export interface RunSummary {
  dryRun: boolean;
  /** Another run held the lock: this one did nothing. */
  busy: boolean;
  /** Recalls due for a reminder. */
  due: number;
  /** Patients those recalls belong to: at most one recall message each. */
  patients: number;
  /** Recall messages, by channel. */
  planned: Record<Channel, number>;
  sent: Record<Channel, number>;
  /** Recalls held back, by reason. */
  skipped: Partial<Record<SkipReason, number>>;
  appointments: AppointmentSummary;
  /** Claims of an interrupted run whose lease ran out: released (with --dry-run: would be). */
  released: number;
  /** Messages sent in place of an interrupted run's claim. */
  recovered: number;
  /** Messages that may have gone out but were never confirmed (an interrupted run's, or the connection dropped after the server had the whole message): not sent again until staff settle them. */
  unconfirmed: number;
  /** Messages the channel refused or that could not be written. */
  failed: number;
  failures: { channel: Channel; reason: string; count: number }[];
  /** Everything left unsent that a person must fix (failures included): the run exits 3 when not empty. */
  unsent: Unsent[];
  /** When the claims another run holds expire (ISO, practice time), if any were seen. */
  claimsHeldUntil?: string;
  files: { letters?: string; calls?: string };
  /** Things staff should fix, without PHI. */
  warnings: string[];
}

export const DEFAULT_FALLBACK: Channel[] = ['email', 'sms', 'letter', 'calls'];
export const DEFAULT_QUIET_HOURS: QuietHours = { start: '20:00', end: '08:00' };
export const DEFAULT_APPOINTMENT_REMINDERS: AppointmentReminderOptions = { daysBefore: [2, 1], noShowExtraDays: [0] };
export const DEFAULT_LEASE_SECONDS = 600;
const MAX_BACKOFF_HOURS = 24;
const INTERRUPTED = 'the run sending it was interrupted before it gave it to the channel';
const IN_DOUBT = 'the run sending it was interrupted after it gave it to the channel and before the channel confirmed it: it may have gone out';

type PatientContact = {
  patient_id: number;
  mrn: string;
  first_name: string;
  last_name: string;
  email: string | null;
  phone_mobile: string | null;
  phone_home: string | null;
  phone_work: string | null;
  address1: string | null;
  address2: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  preferred_channel: string | null;
  active: boolean;
  deceased: boolean;
  opted_out: string[] | string | null;
};

type DueRecallRow = PatientContact & {
  recall_id: number;
  due_date: string;
  rule_name: string;
  definition: RecallDefinition;
  within_age: boolean;
  booked: boolean;
  attempts: number;
  sent: number;
  failures: number;
  pending: boolean;
  held_until: string | null;
  contacted_recently: boolean;
  retry_later: boolean;
};

type AppointmentRow = PatientContact & {
  appointment_id: number;
  starts_at: string | Date;
  days_until: number;
  provider_first: string | null;
  provider_last: string | null;
  provider_credentials: string | null;
  place: string | null;
  missed_before: boolean;
  sent_keys: string[] | string | null;
  held_keys: string[] | string | null;
  held_until: string | null;
};

interface Outgoing {
  purpose: 'recall' | 'appointment';
  key: string;
  patient: PatientContact;
  channel: Channel;
  recalls: DueRecallRow[];
  appointment?: AppointmentRow;
  /** The first message of this chain an interrupted run claimed. */
  replacesId?: number;
  messageId?: number;
}

/** postgres.js parses text[]; PGlite may hand back the literal "{a,b}". */
function textArray(value: string[] | string | null): string[] {
  if (!value) return [];
  return Array.isArray(value) ? value : value.replace(/^\{|\}$/g, '').split(',').filter(Boolean).map((v) => v.replace(/^"|"$/g, ''));
}

const contactColumns = sql`p.id as patient_id, p.mrn, p.first_name, p.last_name, p.email, p.phone_mobile, p.phone_home, p.phone_work,
  p.address1, p.address2, p.city, p.state, p.zip, p.preferred_channel, p.active, p.deceased_date is not null as deceased,
  (select array_agg(cc.channel) from communication_consents cc where cc.patient_id = p.id and cc.opted_out) as opted_out`;

/** Each rule's age bounds on `today`, from its declaration: patients who outgrew a rule are not reminded. */
async function ageBoundsByRule(db: DbOrTx, today: SQL): Promise<SQL> {
  const rules = await listRecallRules(db, { activeOnly: true });
  const cases = rules.flatMap((r) => {
    const bounds = ageBounds(r.definition, sql`p.dob`, today);
    return bounds ? [sql`when ${r.id}::int then ${bounds}`] : [];
  });
  return cases.length ? sql`(case rr.id ${sql.join(cases, sql` `)} else true end)` : sql`true`;
}

/** Open recalls whose reminder time has come, with everything the decision needs, in one query. */
async function dueRecalls(db: DbOrTx, at: Date, today: string): Promise<DueRecallRow[]> {
  // postgres.js binds raw parameters as text, so the instant goes in as ISO text.
  const now = sql`${at.toISOString()}::timestamptz`;
  const withinAge = await ageBoundsByRule(db, sql`${today}::date`);
  const rows = await queryRows<DueRecallRow>(
    db,
    sql`select r.id as recall_id, r.due_date::text as due_date, rr.name as rule_name, rr.definition, ${contactColumns},
        ${withinAge} as within_age,
        exists (select 1 from appointments a where a.patient_id = r.patient_id and a.status = 'scheduled' and a.starts_at >= ${now}
          and (a.recall_rule_code = rr.code or lower(trim(a.reason)) in (lower(rr.name), lower(rr.definition->>'visitLabel')))) as booked,
        coalesce(g.attempts, 0) as attempts, coalesce(g.sent, 0) as sent, coalesce(g.failures, 0) as failures,
        coalesce(g.pending, false) as pending, g.held_until::text as held_until,
        coalesce(g.contacted_recently, false) as contacted_recently, coalesce(g.retry_later, false) as retry_later
      from recalls r
      join recall_rules rr on rr.id = r.rule_id
      join patients p on p.id = r.patient_id
      left join lateral (
        select count(*)::int as attempts,
          (count(*) filter (where l.status = 'sent'))::int as sent,
          (count(*) filter (where l.status = 'failed'))::int as failures,
          -- In a message another run holds under a live lease; an expired one is released and sent again.
          bool_or(l.status = 'pending' and m.status = 'claimed' and m.lease_expires_at > ${now}) as pending,
          min(m.lease_expires_at) filter (where l.status = 'pending' and m.status = 'claimed' and m.lease_expires_at > ${now}) as held_until,
          -- An unconfirmed message may have reached the patient: it counts as a contact, never resent.
          bool_or((l.status = 'sent' and l.sent_at > ${now} - make_interval(days => rr.spacing_days))
            or (l.status = 'unconfirmed' and l.updated_at > ${now} - make_interval(days => rr.spacing_days))) as contacted_recently,
          bool_or(l.status = 'failed' and l.next_attempt_after > ${now}) as retry_later
        from reminder_log l left join reminder_messages m on m.id = l.message_id
        where l.recall_id = r.id and l.status <> 'skipped'
      ) g on true
      where r.status = 'open' and rr.active
        and r.due_date <= ${today}::date + coalesce((rr.definition->>'remindDaysBefore')::int, 14)
      order by r.patient_id, r.due_date, r.id`,
  );
  return rows.map((row) => ({
    ...row,
    definition: typeof row.definition === 'string' ? (JSON.parse(row.definition) as RecallDefinition) : row.definition,
  }));
}

/** Booked visits inside the reminder window, soonest first. */
async function dueAppointments(db: DbOrTx, at: Date, today: string, timeZone: string, maxDays: number): Promise<AppointmentRow[]> {
  const now = sql`${at.toISOString()}::timestamptz`;
  const day = sql`(a.starts_at at time zone ${timeZone})::date`;
  return queryRows<AppointmentRow>(
    db,
    sql`select a.id as appointment_id, a.starts_at, (${day} - ${today}::date)::int as days_until,
        pr.first_name as provider_first, pr.last_name as provider_last, pr.credentials as provider_credentials, loc.name as place,
        ${contactColumns},
        exists (select 1 from appointments n where n.patient_id = a.patient_id and n.status = 'no-show'
          and n.starts_at < ${now} and n.starts_at >= ${now} - interval '2 years') as missed_before,
        (select array_agg(m.idempotency_key) from reminder_messages m where m.appointment_id = a.id and m.status in ('sent', 'unconfirmed')) as sent_keys,
        (select array_agg(m.idempotency_key) from reminder_messages m where m.appointment_id = a.id and m.status = 'claimed' and m.lease_expires_at > ${now}) as held_keys,
        (select min(m.lease_expires_at)::text from reminder_messages m where m.appointment_id = a.id and m.status = 'claimed' and m.lease_expires_at > ${now}) as held_until
      from appointments a
      join patients p on p.id = a.patient_id
      left join providers pr on pr.id = a.provider_id
      left join locations loc on loc.id = a.location_id
      where a.status = 'scheduled' and a.starts_at > ${now} and ${day} <= ${today}::date + ${maxDays}::int
      order by a.starts_at, a.id`,
  );
}

/** Released claims not yet sent again: which patient's recall message or which appointment they were. */
async function pendingRecoveries(db: DbOrTx, at: Date): Promise<{ recall: Map<number, number>; appointment: Map<number, number> }> {
  const rows = await queryRows<{ root: number; purpose: string; patient_id: number; appointment_id: number | null }>(
    db,
    sql`select coalesce(m.replaces_id, m.id) as root, m.purpose, m.patient_id, m.appointment_id from reminder_messages m
      where m.status = 'released' and m.updated_at > ${at.toISOString()}::timestamptz - interval '30 days'
        and not exists (select 1 from reminder_messages n where n.replaces_id = coalesce(m.replaces_id, m.id) and n.status in ('claimed', 'sent'))
      order by m.id`,
  );
  const recall = new Map<number, number>();
  const appointment = new Map<number, number>();
  for (const r of rows) {
    if (r.purpose === 'recall') recall.set(r.patient_id, r.root);
    else if (r.appointment_id !== null) appointment.set(r.appointment_id, r.root);
  }
  return { recall, appointment };
}

function contactFor(c: PatientContact, channel: Channel): string | undefined {
  switch (channel) {
    case 'email':
      return c.email ?? undefined;
    case 'sms':
      return c.phone_mobile ?? undefined;
    case 'letter':
      return c.address1 && c.city && c.state && c.zip ? c.address1 : undefined;
    case 'calls':
      return c.phone_mobile ?? c.phone_home ?? c.phone_work ?? undefined;
  }
}

/** The consent row that covers a channel (the front desk's calls are the "phone" consent). */
const consentChannel = (channel: Channel) => (channel === 'calls' ? 'phone' : channel);
const preferredAsChannel = (preferred: string | null): Channel | undefined =>
  preferred === 'phone' ? 'calls' : channels.includes(preferred as Channel) ? (preferred as Channel) : undefined;

function inQuietHours(now: Date, timeZone: string, quiet: QuietHours): boolean {
  const local = DateTime.fromJSDate(now, { zone: timeZone }).toFormat('HH:mm');
  return quiet.start <= quiet.end ? local >= quiet.start && local < quiet.end : local >= quiet.start || local < quiet.end;
}

/**
 * The channel a patient is reached on: preferred first, then the fallback order, never one they opted out
 * of; `level` moves down the list after unanswered reminders. `usable` leaves out channels too slow for the
 * purpose (a letter does not arrive before tomorrow's visit).
 */
function channelFor(c: PatientContact, level: number, options: RunOptions, practice: PracticeInfo, usable: Channel[]): Channel | SkipReason {
  if (c.deceased) return 'deceased';
  if (!c.active) return 'inactive';
  const optedOut = textArray(c.opted_out);
  const preferred = preferredAsChannel(c.preferred_channel);
  const fallback = (options.fallbackOrder ?? DEFAULT_FALLBACK).filter((ch) => usable.includes(ch));
  const order = preferred && usable.includes(preferred) ? [preferred, ...fallback.filter((ch) => ch !== preferred)] : fallback;
  const reachable = order.filter((ch) => contactFor(c, ch) !== undefined);
  const allowed = reachable.filter((ch) => !optedOut.includes(consentChannel(ch)));
  const configured = allowed.filter((ch) => (ch === 'email' ? options.email : ch === 'sms' ? options.sms : true));
  if (configured.length === 0) {
    if (allowed.length > 0) return 'channel-not-configured';
    return reachable.length > 0 ? 'opted-out' : 'no-contact-details';
  }
  const channel = configured[Math.min(level, configured.length - 1)]!;
  if (options.channel && channel !== options.channel) return 'other-channel';
  if (channel === 'sms' && inQuietHours(options.now, practice.timeZone, options.quietHours ?? DEFAULT_QUIET_HOURS)) return 'quiet-hours';
  return channel;
}

function itemSkip(r: DueRecallRow): SkipReason | undefined {
  if (r.booked) return 'already-booked';
  if (r.pending) return 'claimed-by-another-run';
  if (r.contacted_recently) return 'contacted-recently';
  if (r.retry_later) return 'retry-later';
  return undefined;
}

function backoffUntil(now: Date, priorFailures: number): Date {
  const hours = Math.min(MAX_BACKOFF_HOURS, 2 ** priorFailures);
  return new Date(now.getTime() + hours * 3_600_000);
}

function emptyByChannel(): Record<Channel, number> {
  return { email: 0, sms: 0, letter: 0, calls: 0 };
}

function emptySummary(options: Pick<RunOptions, 'dryRun'>, busy = false): RunSummary {
  return {
    dryRun: Boolean(options.dryRun),
    busy,
    due: 0,
    patients: 0,
    planned: emptyByChannel(),
    sent: emptyByChannel(),
    skipped: {},
    appointments: { due: 0, planned: emptyByChannel(), sent: emptyByChannel(), skipped: {} },
    released: 0,
    recovered: 0,
    unconfirmed: 0,
    failed: 0,
    failures: [],
    unsent: [],
    files: {},
    warnings: [],
  };
}

const bump = <K extends string>(counts: Partial<Record<K, number>>, key: K, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

function addUnsent(summary: RunSummary, purpose: Unsent['purpose'], reason: string, mrn: string): void {
  const known = summary.unsent.find((u) => u.purpose === purpose && u.reason === reason);
  if (known) {
    known.count++;
    known.mrns.push(mrn);
  } else summary.unsent.push({ purpose, reason, count: 1, mrns: [mrn] });
}

const UNSENT_REASONS: Partial<Record<SkipReason, string>> = {
  'no-contact-details': 'no email, mobile number, phone or full postal address on record',
  'channel-not-configured': 'reachable only by email or SMS, which this run has no settings for (PRACTICE_SMTP_URL, PRACTICE_SMS_URL)',
};

function earliest(a: string | undefined, b: string | null, timeZone: string): string | undefined {
  if (!b) return a;
  const at = DateTime.fromJSDate(new Date(b.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')), { zone: timeZone });
  return !a || at.toMillis() < DateTime.fromISO(a).toMillis() ? at.toISO()! : a;
}

/**
 * Settles the claims of runs whose lease ran out. Never handed to the channel: released, so they go out
 * again. Handed over: the channel may have sent them, so they are unconfirmed and never sent again.
 * With runId: this run's own claims, when it was asked to stop.
 */
async function releaseExpired(db: DbOrTx, actor: AuditActor, at: Date, runId?: string): Promise<{ released: number; unconfirmed: { purpose: 'recall' | 'appointment'; channel: Channel; mrn: string }[] }> {
  return db.transaction(async (tx) => {
    const now = sql`${at.toISOString()}::timestamptz`;
    const whose = runId === undefined ? sql`m.lease_expires_at <= ${now}` : sql`m.claimed_by = ${runId}`;
    const expired = await queryRows<{ id: number; handed_over: boolean; purpose: 'recall' | 'appointment'; channel: Channel; mrn: string }>(
      tx,
      sql`update reminder_messages m set status = case when m.handed_over_at is null then 'released' else 'unconfirmed' end,
            failure_reason = case when m.handed_over_at is null then ${INTERRUPTED} else ${IN_DOUBT} end, updated_at = ${now}
          from patients p
          where p.id = m.patient_id and m.status = 'claimed' and ${whose}
          returning m.id, m.handed_over_at is not null as handed_over, m.purpose, m.channel, p.mrn`,
    );
    if (expired.length === 0) return { released: 0, unconfirmed: [] };
    for (const handedOver of [false, true]) {
      const ids = expired.filter((m) => m.handed_over === handedOver).map((m) => m.id);
      if (ids.length === 0) continue;
      await tx
        .update(reminderLog)
        .set(handedOver ? { status: 'unconfirmed', failureReason: IN_DOUBT, updatedAt: at } : { status: 'failed', failureReason: INTERRUPTED, updatedAt: at })
        .where(and(inArray(reminderLog.messageId, ids), eq(reminderLog.status, 'pending')));
    }
    await recordAudit(tx, actor, expired.map((m) => ({ action: 'update', entity: 'reminder_messages', entityId: m.id, details: { status: m.handed_over ? 'unconfirmed' : 'released', reason: runId === undefined ? 'lease expired' : 'run stopped' } })));
    return { released: expired.filter((m) => !m.handed_over).length, unconfirmed: expired.filter((m) => m.handed_over) };
  });
}

/** Stamps messages handed over, just before the channel gets them: from here on they are never sent twice. */
async function handOver(db: Db, actor: AuditActor, runId: string, messages: Outgoing[], at: Date): Promise<void> {
  const ids = messages.map((o) => o.messageId!);
  await db.transaction(async (tx) => {
    await tx
      .update(reminderMessages)
      .set({ handedOverAt: at, updatedAt: at })
      .where(and(inArray(reminderMessages.id, ids), eq(reminderMessages.status, 'claimed'), eq(reminderMessages.claimedBy, runId)));
    await recordAudit(tx, actor, ids.map((id) => ({ action: 'update', entity: 'reminder_messages', entityId: id, details: { handedOver: true } })));
  });
}

/** Claims messages under the run's lease; returns the ones this run owns (another run may have won some). */
async function claim(db: DbOrTx, actor: AuditActor, runId: string, outgoing: Outgoing[], at: Date, leaseSeconds: number): Promise<Outgoing[]> {
  if (outgoing.length === 0) return [];
  const leaseExpiresAt = new Date(at.getTime() + leaseSeconds * 1000);
  return db.transaction(async (tx) => {
    const messages = await tx
      .insert(reminderMessages)
      .values(
        outgoing.map((o) => ({
          patientId: o.patient.patient_id,
          purpose: o.purpose,
          appointmentId: o.appointment?.appointment_id ?? null,
          channel: o.channel,
          idempotencyKey: o.key,
          status: 'claimed',
          claimedBy: runId,
          leaseExpiresAt,
          replacesId: o.replacesId ?? null,
          createdAt: at,
          updatedAt: at,
        })),
      )
      .onConflictDoNothing({ target: reminderMessages.idempotencyKey, where: sql`status in ('claimed', 'sent', 'unconfirmed')` })
      .returning({ id: reminderMessages.id, key: reminderMessages.idempotencyKey });
    const idByKey = new Map(messages.map((m) => [m.key, m.id]));
    const owned = outgoing.filter((o) => idByKey.has(o.key)).map((o) => ({ ...o, messageId: idByKey.get(o.key)! }));
    const items = owned.flatMap((o) =>
      o.recalls.map((r) => ({
        recallId: r.recall_id,
        patientId: r.patient_id,
        messageId: o.messageId,
        channel: o.channel,
        attempt: r.attempts + 1,
        idempotencyKey: `recall-${r.recall_id}-attempt-${r.attempts + 1}`,
        status: 'pending',
        createdAt: at,
        updatedAt: at,
      })),
    );
    const logged = items.length
      ? await tx.insert(reminderLog).values(items).onConflictDoNothing({ target: reminderLog.idempotencyKey }).returning({ id: reminderLog.id, recallId: reminderLog.recallId, messageId: reminderLog.messageId })
      : [];
    await recordAudit(tx, actor, [
      ...messages.map((m) => ({ action: 'insert', entity: 'reminder_messages', entityId: m.id, details: { status: 'claimed' } })),
      ...logged.map((l) => ({ action: 'insert', entity: 'reminder_log', entityId: l.id, details: { recallId: l.recallId, messageId: l.messageId, status: 'pending' } })),
    ]);
    // A recall another message already holds is left out of this one, so it is never in two.
    const held = new Set(logged.map((l) => `${l.messageId}:${l.recallId}`));
    return owned.map((o) => ({ ...o, recalls: o.recalls.filter((r) => held.has(`${o.messageId}:${r.recall_id}`)) })).filter((o) => o.purpose === 'appointment' || o.recalls.length > 0);
  });
}

/** Keeps this run's claims alive while it is still sending (one statement for all of them). */
async function renewLease(db: Db, actor: AuditActor, runId: string, at: Date, leaseSeconds: number): Promise<void> {
  await db.transaction(async (tx) => {
    const rows = await queryRows<{ n: number }>(
      tx,
      sql`with renewed as (update reminder_messages set lease_expires_at = ${new Date(at.getTime() + leaseSeconds * 1000).toISOString()}::timestamptz, updated_at = ${at.toISOString()}::timestamptz
        where status = 'claimed' and claimed_by = ${runId} returning id) select count(*)::int as n from renewed`,
    );
    await recordAudit(tx, actor, { action: 'update', entity: 'reminder_messages', details: leaseSeconds > 0 ? { leaseRenewed: rows[0]?.n ?? 0 } : { leaseEnded: rows[0]?.n ?? 0 } });
  });
}

/** Marks messages (and the recalls they list) sent or failed; only claims this run still holds. */
async function settle(db: Db, actor: AuditActor, runId: string, sent: Outgoing[], delivery: Delivery, at: Date): Promise<number> {
  if (sent.length === 0) return 0;
  const ids = sent.map((o) => o.messageId!);
  return db.transaction(async (tx) => {
    const settled = await tx
      .update(reminderMessages)
      .set(
        delivery.accepted
          ? { status: 'sent', sentAt: at, transportMessageId: delivery.messageId ?? null, updatedAt: at }
          : { status: delivery.inDoubt ? 'unconfirmed' : 'failed', failureReason: delivery.reason, updatedAt: at },
      )
      .where(and(inArray(reminderMessages.id, ids), eq(reminderMessages.status, 'claimed'), eq(reminderMessages.claimedBy, runId)))
      .returning({ id: reminderMessages.id });
    for (const o of sent) {
      if (!o.recalls.length) continue;
      const priorFailures = Math.max(...o.recalls.map((r) => r.failures));
      await tx
        .update(reminderLog)
        .set(
          delivery.accepted
            ? { status: 'sent', sentAt: at, transportMessageId: delivery.messageId ?? null, updatedAt: at }
            : delivery.inDoubt
              ? { status: 'unconfirmed', failureReason: delivery.reason, updatedAt: at }
              : { status: 'failed', failureReason: delivery.reason, nextAttemptAfter: backoffUntil(at, priorFailures), updatedAt: at },
        )
        .where(and(eq(reminderLog.messageId, o.messageId!), eq(reminderLog.status, 'pending')));
    }
    const status = delivery.accepted ? 'sent' : delivery.inDoubt ? 'unconfirmed' : 'failed';
    await recordAudit(tx, actor, settled.map((m) => ({ action: 'update', entity: 'reminder_messages', entityId: m.id, details: { status } })));
    return settled.length;
  });
}

function when(o: Outgoing, practice: PracticeInfo): string {
  const startsAt = o.appointment!.starts_at;
  const instant = startsAt instanceof Date ? DateTime.fromJSDate(startsAt) : DateTime.fromISO(String(startsAt).replace(' ', 'T'));
  return instant.setZone(practice.timeZone).setLocale('en-US').toFormat("cccc, LLLL d 'at' h:mm a ZZZZ");
}

function compose(o: Outgoing, practice: PracticeInfo): Message {
  if (o.purpose === 'recall') {
    return composeRecallMessage(
      o.channel,
      o.recalls.map((r) => ({ visitLabel: r.definition.visitLabel, dueDate: r.due_date, messages: r.definition.messages })),
      { firstName: o.patient.first_name, lastName: o.patient.last_name, practiceName: practice.name, practicePhone: practice.phone },
    );
  }
  const a = o.appointment!;
  const provider = a.provider_last ? `${a.provider_first ?? ''} ${a.provider_last}${a.provider_credentials ? `, ${a.provider_credentials}` : ''}`.trim() : '';
  return composeAppointmentMessage(o.channel, { firstName: o.patient.first_name, practiceName: practice.name, practicePhone: practice.phone, when: when(o, practice), provider, place: a.place ?? '' });
}

function mailingAddress(c: PatientContact): string[] {
  return [`${c.first_name} ${c.last_name}`, c.address1!, c.address2, `${c.city}, ${c.state} ${c.zip}`].filter((l): l is string => Boolean(l));
}

function record(summary: RunSummary, o: Outgoing, delivery: Delivery): void {
  const counts = o.purpose === 'recall' ? summary.sent : summary.appointments.sent;
  if (delivery.accepted) {
    counts[o.channel]++;
    if (o.replacesId !== undefined) summary.recovered++;
    return;
  }
  if (delivery.inDoubt) {
    summary.unconfirmed++;
    addUnsent(summary, o.purpose, `${o.channel}: ${delivery.reason}; it may have gone out, so it is not sent again: check with the patient, then "practice recall settle"`, o.patient.mrn);
    return;
  }
  summary.failed++;
  const known = summary.failures.find((f) => f.channel === o.channel && f.reason === delivery.reason);
  if (known) known.count++;
  else summary.failures.push({ channel: o.channel, reason: delivery.reason, count: 1 });
  addUnsent(summary, o.purpose, `${o.channel}: ${delivery.reason}${o.purpose === 'recall' ? ' (retried on a later run)' : ''}`, o.patient.mrn);
}

class Sender {
  private renewedAt: number;

  constructor(
    private readonly db: Db,
    private readonly actor: AuditActor,
    private readonly runId: string,
    private readonly options: RunOptions,
    private readonly practice: PracticeInfo,
    private readonly summary: RunSummary,
  ) {
    this.renewedAt = options.now.getTime();
  }

  private get leaseSeconds(): number {
    return this.options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  }

  /** Renews the lease once a third of it has gone by, so a long run keeps what it claimed. */
  private async keepLease(): Promise<void> {
    const at = (this.options.clock ?? (() => this.options.now))();
    if (at.getTime() - this.renewedAt < (this.leaseSeconds * 1000) / 3) return;
    await renewLease(this.db, this.actor, this.runId, at, this.leaseSeconds);
    this.renewedAt = at.getTime();
  }

  private async settle(messages: Outgoing[], delivery: Delivery): Promise<void> {
    const settled = await settle(this.db, this.actor, this.runId, messages, delivery, this.options.now);
    if (settled < messages.length) this.summary.warnings.push(`${messages.length - settled} message(s) outlived this run's claim while sending; run with a longer --lease.`);
    for (const o of messages) record(this.summary, o, delivery);
  }

  async each(transport: MessageTransport, messages: Outgoing[]): Promise<void> {
    try {
      for (const o of messages) {
        await throwIfStopped(this.options.signal);
        await this.keepLease();
        await handOver(this.db, this.actor, this.runId, [o], this.options.now);
        failpoint('recall:after-handover');
        // The Message-ID stays the same when an interrupted claim is sent again, so a mail system can drop a copy.
        const delivery = await transport.send(contactFor(o.patient, o.channel)!, { ...compose(o, this.practice), id: `practicekit.reminder.${o.replacesId ?? o.messageId}` });
        if (delivery.accepted) failpoint('recall:before-confirm');
        await this.settle([o], delivery);
        failpoint('recall:after-send');
      }
    } finally {
      await transport.close();
    }
  }

  /** One file for a batch channel; its messages count as sent once the file is complete. */
  async batch(messages: Outgoing[], channel: 'letter' | 'calls', path: string): Promise<void> {
    if (messages.length === 0) return;
    await this.keepLease();
    await handOver(this.db, this.actor, this.runId, messages, this.options.now);
    let delivery: Delivery;
    try {
      if (channel === 'letter') {
        const date = DateTime.fromJSDate(this.options.now, { zone: this.practice.timeZone }).setLocale('en-US').toLocaleString(DateTime.DATE_FULL);
        await writeLetters(
          path,
          messages.map((o) => ({ addressLines: mailingAddress(o.patient), date, body: compose(o, this.practice).body })),
          { name: this.practice.name, addressLines: this.practice.addressLines },
        );
      } else {
        await writeCallList(path, messages.map((o) => this.callRow(o)));
      }
      delivery = { accepted: true };
      this.summary.files[channel === 'letter' ? 'letters' : 'calls'] = path;
      failpoint('recall:after-file');
    } catch (error) {
      const file = channel === 'letter' ? 'letters' : 'call list';
      const code = error instanceof FileWriteError ? error.reason : ((error as NodeJS.ErrnoException).code ?? 'error');
      delivery = { accepted: false, reason: code === 'ENOSPC' || code === 'EDQUOT' ? `the disk is full, so the ${file} file could not be written; free some space` : `could not write the ${file} file (${code})` };
    }
    await this.settle(messages, delivery);
  }

  private callRow(o: Outgoing): CallListRow {
    const base = { mrn: o.patient.mrn, lastName: o.patient.last_name, firstName: o.patient.first_name, phone: contactFor(o.patient, 'calls')! };
    if (o.purpose === 'appointment') {
      const reason = compose(o, this.practice).body + (o.appointment!.missed_before ? ' (missed a visit before)' : '');
      return { ...base, recall: reason, dueDate: DateTime.fromISO(new Date(o.appointment!.starts_at).toISOString()).setZone(this.practice.timeZone).toISODate()!, attempt: 1 };
    }
    return {
      ...base,
      recall: o.recalls.map((r) => r.rule_name).join('; '),
      dueDate: o.recalls.map((r) => r.due_date).sort()[0]!,
      attempt: Math.max(...o.recalls.map((r) => r.attempts + 1)),
    };
  }
}

/** One recall message per patient with every recall due that nothing holds back. */
function planRecalls(rows: DueRecallRow[], options: RunOptions, practice: PracticeInfo, recoveries: Map<number, number>, today: string, summary: RunSummary): Outgoing[] {
  const byPatient = new Map<number, DueRecallRow[]>();
  for (const r of rows) {
    // A patient who outgrew the rule since the last refresh (a childhood dose at 19) is not reminded.
    if (!r.within_age) continue;
    summary.due++;
    byPatient.set(r.patient_id, [...(byPatient.get(r.patient_id) ?? []), r]);
  }
  summary.patients = byPatient.size;
  const planned: Outgoing[] = [];
  for (const [patientId, recalls] of byPatient) {
    const open: DueRecallRow[] = [];
    for (const r of recalls) {
      const skip = itemSkip(r);
      if (skip) {
        bump(summary.skipped, skip);
        if (skip === 'claimed-by-another-run') summary.claimsHeldUntil = earliest(summary.claimsHeldUntil, r.held_until, practice.timeZone);
      } else open.push(r);
    }
    if (open.length === 0) continue;
    const level = Math.floor(Math.max(...open.map((r) => r.sent)) / Math.max(1, options.escalateAfter ?? 2));
    const decision = channelFor(open[0]!, level, options, practice, channels);
    if (!(channels as string[]).includes(decision)) {
      bump(summary.skipped, decision as SkipReason, open.length);
      const unsent = UNSENT_REASONS[decision as SkipReason];
      if (unsent) addUnsent(summary, 'recall', unsent, open[0]!.mrn);
      continue;
    }
    const channel = decision as Channel;
    summary.planned[channel]++;
    planned.push({ purpose: 'recall', key: `recall-p${patientId}-${today}`, patient: open[0]!, channel, recalls: open, replacesId: recoveries.get(patientId) });
  }
  return planned;
}

/** The reminder each booked visit is due for now: the nearest of its reminder days that has come. */
function planAppointments(rows: AppointmentRow[], config: AppointmentReminderOptions, options: RunOptions, practice: PracticeInfo, recoveries: Map<number, number>, summary: RunSummary): Outgoing[] {
  const planned: Outgoing[] = [];
  const s = summary.appointments;
  for (const a of rows) {
    const offsets = [...new Set([...config.daysBefore, ...(a.missed_before ? config.noShowExtraDays : [])])].sort((x, y) => x - y);
    const offset = offsets.find((d) => d >= a.days_until);
    if (offset === undefined) continue;
    s.due++;
    const key = `appointment-${a.appointment_id}-${offset}d`;
    if (textArray(a.sent_keys).includes(key)) {
      bump(s.skipped, 'already-reminded');
      continue;
    }
    if (textArray(a.held_keys).includes(key)) {
      bump(s.skipped, 'claimed-by-another-run');
      summary.claimsHeldUntil = earliest(summary.claimsHeldUntil, a.held_until, practice.timeZone);
      continue;
    }
    // A letter would arrive after the visit: email, text or a call from the front desk.
    const decision = channelFor(a, 0, options, practice, ['email', 'sms', 'calls']);
    if (!(channels as string[]).includes(decision)) {
      bump(s.skipped, decision as SkipReason);
      const unsent = UNSENT_REASONS[decision as SkipReason];
      if (unsent) addUnsent(summary, 'appointment', unsent.replace(' or full postal address', ''), a.mrn);
      continue;
    }
    const channel = decision as Channel;
    s.planned[channel]++;
    planned.push({ purpose: 'appointment', key, patient: a, channel, recalls: [], appointment: a, replacesId: recoveries.get(a.appointment_id) });
  }
  return planned;
}

interface RunPlan {
  summary: RunSummary;
  practice: PracticeInfo;
  /** The messages this run claimed (a dry run: would claim). */
  mine: Outgoing[];
  files: { letters: string; calls: string };
}

/**
 * Everything up to the sending, in one transaction: interrupted runs' claims settled, what is due planned
 * and claimed. A real run commits it (the claims must be durable before anything leaves); a dry run runs
 * exactly this and rolls it back, so it reports what the real run would send and writes nothing.
 */
async function planRun(db: Db, actor: AuditActor, options: RunOptions, runId: string): Promise<RunPlan> {
  return planThenApply(db, Boolean(options.dryRun), async (tx) => {
    const practice = await practiceInfo(tx);
    const today = practiceToday(options.now, practice.timeZone);
    const summary = emptySummary(options);
    const expired = await releaseExpired(tx, actor, options.now);
    summary.released = expired.released;
    summary.unconfirmed = expired.unconfirmed.length;
    for (const m of expired.unconfirmed) {
      addUnsent(summary, m.purpose, `${m.channel}: an interrupted run gave it to the channel but never learnt whether it went out; it is not sent again: check with the patient, then "practice recall settle"`, m.mrn);
    }
    const recoveries = await pendingRecoveries(tx, options.now);

    const recallRows = await dueRecalls(tx, options.now, today);
    const outgoing = planRecalls(recallRows, options, practice, recoveries.recall, today, summary);
    const appointments = options.appointments === false ? undefined : (options.appointments ?? DEFAULT_APPOINTMENT_REMINDERS);
    if (appointments) {
      const maxDays = Math.max(0, ...appointments.daysBefore, ...appointments.noShowExtraDays);
      const rows = await dueAppointments(tx, options.now, today, practice.timeZone, maxDays);
      outgoing.push(...planAppointments(rows, appointments, options, practice, recoveries.appointment, summary));
    }
    if (outgoing.length > 0 && !practice.phone) summary.warnings.push('The practice has no phone number on record, so reminders cannot say how to book, confirm or cancel: set it with "practice setup".');

    const mine = await claim(tx, actor, runId, outgoing, options.now, options.leaseSeconds ?? DEFAULT_LEASE_SECONDS);
    const lost = outgoing.length - mine.length;
    if (lost > 0) bump(summary.skipped, 'sent-by-another-run', lost);
    const stamp = DateTime.fromJSDate(options.now, { zone: practice.timeZone }).toFormat("yyyyLLdd'-'HHmmss");
    const files = { letters: join(options.outDir, `recall-letters-${stamp}.pdf`), calls: join(options.outDir, `recall-calls-${stamp}.csv`) };
    // A dry run names the files the real run would write; a real run names them once they are written.
    if (options.dryRun) {
      if (mine.some((o) => o.channel === 'letter')) summary.files.letters = files.letters;
      if (mine.some((o) => o.channel === 'calls')) summary.files.calls = files.calls;
    }
    return { summary, practice, mine, files };
  });
}

async function sendDue(db: Db, actor: AuditActor, options: RunOptions): Promise<RunSummary> {
  const runId = randomUUID();
  const { summary, practice, mine, files } = await planRun(db, actor, options, runId);
  if (options.dryRun) return summary;

  const sender = new Sender(db, actor, runId, options, practice, summary);
  const on = (channel: Channel) => mine.filter((o) => o.channel === channel);
  // Appointment reminders first within each channel: they are the ones with a deadline.
  const ordered = (list: Outgoing[]) => [...list.filter((o) => o.purpose === 'appointment'), ...list.filter((o) => o.purpose === 'recall')];
  try {
    if (options.email && on('email').length) await sender.each(emailTransport(options.email), ordered(on('email')));
    if (options.sms && on('sms').length) await sender.each(smsTransport(options.sms), ordered(on('sms')));
    await throwIfStopped(options.signal);
    await sender.batch(on('letter'), 'letter', files.letters);
    await throwIfStopped(options.signal);
    await sender.batch(ordered(on('calls')), 'calls', files.calls);
  } catch (error) {
    // Stopped between two messages: what was not sent is released at once, so the rerun sends it. Failed
    // (a full disk, a lost connection): the lease ends now, so the rerun settles this run's claims as a
    // dead run's: sends what was never handed over, reports by chart (never resends) what was. When even
    // that cannot be saved, the lease runs out by itself.
    if (error instanceof Stopped) await releaseExpired(db, actor, options.now, runId);
    else await renewLease(db, actor, runId, options.now, 0).catch(() => undefined);
    throw error;
  }
  return summary;
}

export async function runRecallReminders(db: Db, actor: AuditActor, options: RunOptions): Promise<RunSummary> {
  if (!options.useAdvisoryLock || options.dryRun) return sendDue(db, actor, options);
  // The lock lives in a transaction kept open on its own connection for the whole run; the sending
  // itself commits on other connections, so every claimed/sent row is durable the moment it is written.
  return db.transaction(async (lockTx) => {
    if (!(await tryPracticeLock(lockTx, 'recall-run'))) return emptySummary(options, true);
    return sendDue(db, actor, options);
  });
}

