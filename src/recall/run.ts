// The unattended sender. Picks each due recall's channel, holds back anyone who must not be contacted,
// and sends exactly once: every attempt is logged as pending under a unique key before it leaves and
// settled as sent or failed after, so a rerun or a second run at the same time never sends a copy.
import { join } from 'node:path';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { reminderLog } from '../db/schema/index.js';
import type { Db } from '../db/types.js';
import { emailTransport } from './channels/email.js';
import { writeCallList, writeLetters } from './channels/files.js';
import { smsTransport, type SmsOptions } from './channels/sms.js';
import type { Delivery, MessageTransport } from './channels/transport.js';
import { channels, type Channel, type RecallDefinition } from './definition.js';
import { practiceInfo, practiceToday, type PracticeInfo } from '../practice/clock.js';
import { composeMessage, type MessageFields } from './templates.js';

export interface QuietHours {
  /** "20:00": no SMS from this time... */
  start: string;
  /** "08:00": ...until this time, in the practice's time zone. */
  end: string;
}

export interface RunOptions {
  now: Date;
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
  /** PostgreSQL server: hold an advisory lock for the run (the embedded database is already one process). */
  useAdvisoryLock: boolean;
}

export type SkipReason =
  | 'deceased'
  | 'inactive'
  | 'already-booked'
  | 'awaiting-confirmation'
  | 'contacted-recently'
  | 'retry-later'
  | 'opted-out'
  | 'no-contact-details'
  | 'channel-not-configured'
  | 'quiet-hours'
  | 'other-channel'
  | 'sent-by-another-run';

export interface RunSummary {
  dryRun: boolean;
  /** Another run held the lock: this one did nothing. */
  busy: boolean;
  due: number;
  planned: Record<Channel, number>;
  sent: Record<Channel, number>;
  skipped: Partial<Record<SkipReason, number>>;
  failed: number;
  failures: { channel: Channel; reason: string; count: number }[];
  files: { letters?: string; calls?: string };
  /** Things staff should fix, without PHI. */
  warnings: string[];
}

export const DEFAULT_FALLBACK: Channel[] = ['email', 'sms', 'letter', 'calls'];
export const DEFAULT_QUIET_HOURS: QuietHours = { start: '20:00', end: '08:00' };
const MAX_BACKOFF_HOURS = 24;

type Candidate = {
  recall_id: number;
  patient_id: number;
  due_date: string;
  rule_name: string;
  definition: RecallDefinition;
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
  booked: boolean;
  attempts: number;
  sent: number;
  failures: number;
  pending: boolean;
  contacted_recently: boolean;
  retry_later: boolean;
};

interface Planned {
  c: Candidate;
  channel: Channel;
  attempt: number;
}

/** Open recalls whose reminder time has come, with everything the decision needs, in one query. */
async function dueCandidates(db: Db, at: Date, today: string): Promise<Candidate[]> {
  // postgres.js binds raw parameters as text, so the instant goes in as ISO text.
  const now = sql`${at.toISOString()}::timestamptz`;
  const rows = await queryRows<Candidate>(
    db,
    sql`select r.id as recall_id, r.patient_id, r.due_date::text as due_date, rr.name as rule_name, rr.definition,
        p.mrn, p.first_name, p.last_name, p.email, p.phone_mobile, p.phone_home, p.phone_work,
        p.address1, p.address2, p.city, p.state, p.zip, p.preferred_channel, p.active, p.deceased_date is not null as deceased,
        (select array_agg(cc.channel) from communication_consents cc where cc.patient_id = p.id and cc.opted_out) as opted_out,
        exists (select 1 from appointments a where a.patient_id = r.patient_id and a.status = 'scheduled' and a.starts_at >= ${now}
          and (a.recall_rule_code = rr.code or lower(trim(a.reason)) in (lower(rr.name), lower(rr.definition->>'visitLabel')))) as booked,
        coalesce(g.attempts, 0) as attempts, coalesce(g.sent, 0) as sent, coalesce(g.failures, 0) as failures,
        coalesce(g.pending, false) as pending, coalesce(g.contacted_recently, false) as contacted_recently,
        coalesce(g.retry_later, false) as retry_later
      from recalls r
      join recall_rules rr on rr.id = r.rule_id
      join patients p on p.id = r.patient_id
      left join lateral (
        select count(*)::int as attempts,
          (count(*) filter (where l.status = 'sent'))::int as sent,
          (count(*) filter (where l.status = 'failed'))::int as failures,
          bool_or(l.status = 'pending') as pending,
          bool_or(l.status = 'sent' and l.sent_at > ${now} - make_interval(days => rr.spacing_days)) as contacted_recently,
          bool_or(l.status = 'failed' and l.next_attempt_after > ${now}) as retry_later
        from reminder_log l where l.recall_id = r.id and l.status <> 'skipped'
      ) g on true
      where r.status = 'open' and rr.active
        and r.due_date <= ${today}::date + coalesce((rr.definition->>'remindDaysBefore')::int, 14)
      order by r.due_date, r.id`,
  );
  return rows.map((row) => ({
    ...row,
    definition: typeof row.definition === 'string' ? (JSON.parse(row.definition) as RecallDefinition) : row.definition,
  }));
}

function optedOutChannels(value: Candidate['opted_out']): string[] {
  if (!value) return [];
  // postgres.js parses text[]; PGlite may hand back the literal "{email,sms}".
  return Array.isArray(value) ? value : value.replace(/^\{|\}$/g, '').split(',').filter(Boolean);
}

function contactFor(c: Candidate, channel: Channel): string | undefined {
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

function decide(c: Candidate, options: RunOptions, practice: PracticeInfo): Channel | SkipReason {
  if (c.deceased) return 'deceased';
  if (!c.active) return 'inactive';
  if (c.booked) return 'already-booked';
  // An attempt left pending by an interrupted run may have gone out: never risk a second copy.
  if (c.pending) return 'awaiting-confirmation';
  if (c.contacted_recently) return 'contacted-recently';
  if (c.retry_later) return 'retry-later';
  const optedOut = optedOutChannels(c.opted_out);
  const preferred = preferredAsChannel(c.preferred_channel);
  const fallback = options.fallbackOrder ?? DEFAULT_FALLBACK;
  const order = preferred ? [preferred, ...fallback.filter((ch) => ch !== preferred)] : fallback;
  const reachable = order.filter((ch) => contactFor(c, ch) !== undefined);
  const allowed = reachable.filter((ch) => !optedOut.includes(consentChannel(ch)));
  const configured = allowed.filter((ch) => (ch === 'email' ? options.email : ch === 'sms' ? options.sms : true));
  if (configured.length === 0) {
    if (allowed.length > 0) return 'channel-not-configured';
    return reachable.length > 0 ? 'opted-out' : 'no-contact-details';
  }
  const level = Math.floor(c.sent / Math.max(1, options.escalateAfter ?? 2));
  const channel = configured[Math.min(level, configured.length - 1)]!;
  if (options.channel && channel !== options.channel) return 'other-channel';
  if (channel === 'sms' && inQuietHours(options.now, practice.timeZone, options.quietHours ?? DEFAULT_QUIET_HOURS)) return 'quiet-hours';
  return channel;
}

function backoffUntil(now: Date, priorFailures: number): Date {
  const hours = Math.min(MAX_BACKOFF_HOURS, 2 ** priorFailures);
  return new Date(now.getTime() + hours * 3_600_000);
}

function emptyByChannel(): Record<Channel, number> {
  return { email: 0, sms: 0, letter: 0, calls: 0 };
}

function emptySummary(options: Pick<RunOptions, 'dryRun'>, due: number, busy = false): RunSummary {
  return { dryRun: Boolean(options.dryRun), busy, due, planned: emptyByChannel(), sent: emptyByChannel(), skipped: {}, failed: 0, failures: [], files: {}, warnings: [] };
}

/** Claims attempts: a pending row per reminder under its unique key. Returns the ones this run owns. */
async function claim(db: Db, actor: AuditActor, planned: Planned[], now: Date): Promise<Map<number, Planned & { logId: number }>> {
  if (planned.length === 0) return new Map();
  return db.transaction(async (tx) => {
    const rows = await tx
      .insert(reminderLog)
      .values(
        planned.map((p) => ({
          recallId: p.c.recall_id,
          patientId: p.c.patient_id,
          channel: p.channel,
          attempt: p.attempt,
          idempotencyKey: `recall-${p.c.recall_id}-attempt-${p.attempt}`,
          status: 'pending',
          createdAt: now,
          updatedAt: now,
        })),
      )
      .onConflictDoNothing({ target: reminderLog.idempotencyKey })
      .returning({ id: reminderLog.id, recallId: reminderLog.recallId });
    await recordAudit(
      tx,
      actor,
      rows.map((r) => ({ action: 'insert', entity: 'reminder_log', entityId: r.id, details: { recallId: r.recallId, status: 'pending' } })),
    );
    const byRecall = new Map(planned.map((p) => [p.c.recall_id, p]));
    return new Map(rows.map((r) => [r.id, { ...byRecall.get(r.recallId!)!, logId: r.id }]));
  });
}

async function settle(db: Db, actor: AuditActor, logIds: number[], delivery: Delivery, now: Date, priorFailures: number): Promise<void> {
  if (logIds.length === 0) return;
  await db.transaction(async (tx) => {
    await tx
      .update(reminderLog)
      .set(
        delivery.accepted
          ? { status: 'sent', sentAt: now, transportMessageId: delivery.messageId ?? null, updatedAt: now }
          : { status: 'failed', failureReason: delivery.reason, nextAttemptAfter: backoffUntil(now, priorFailures), updatedAt: now },
      )
      .where(and(inArray(reminderLog.id, logIds), eq(reminderLog.status, 'pending')));
    await recordAudit(
      tx,
      actor,
      logIds.map((id) => ({ action: 'update', entity: 'reminder_log', entityId: id, details: { status: delivery.accepted ? 'sent' : 'failed' } })),
    );
  });
}

function fieldsFor(c: Candidate, practice: PracticeInfo): MessageFields {
  return {
    firstName: c.first_name,
    lastName: c.last_name,
    practiceName: practice.name,
    practicePhone: practice.phone,
    dueDate: c.due_date,
    visit: c.definition.visitLabel,
  };
}

function mailingAddress(c: Candidate): string[] {
  return [`${c.first_name} ${c.last_name}`, c.address1!, c.address2, `${c.city}, ${c.state} ${c.zip}`].filter((l): l is string => Boolean(l));
}

async function sendEach(db: Db, actor: AuditActor, transport: MessageTransport, owned: (Planned & { logId: number })[], practice: PracticeInfo, now: Date, summary: RunSummary): Promise<void> {
  try {
    for (const p of owned) {
      const delivery = await transport.send(contactFor(p.c, p.channel)!, composeMessage(p.channel, p.c.definition.messages, fieldsFor(p.c, practice)));
      await settle(db, actor, [p.logId], delivery, now, p.c.failures);
      record(summary, p.channel, delivery);
    }
  } finally {
    await transport.close();
  }
}

function record(summary: RunSummary, channel: Channel, delivery: Delivery, count = 1): void {
  if (delivery.accepted) {
    summary.sent[channel] += count;
    return;
  }
  summary.failed += count;
  const known = summary.failures.find((f) => f.channel === channel && f.reason === delivery.reason);
  if (known) known.count += count;
  else summary.failures.push({ channel, reason: delivery.reason, count });
}

/** Writes one file for a batch channel; the attempts count as sent once the file is complete. */
async function sendBatch(db: Db, actor: AuditActor, owned: (Planned & { logId: number })[], channel: 'letter' | 'calls', path: string, practice: PracticeInfo, options: RunOptions, summary: RunSummary): Promise<void> {
  if (owned.length === 0) return;
  let delivery: Delivery;
  try {
    if (channel === 'letter') {
      const date = DateTime.fromJSDate(options.now, { zone: practice.timeZone }).setLocale('en-US').toLocaleString(DateTime.DATE_FULL);
      await writeLetters(
        path,
        owned.map((p) => ({ addressLines: mailingAddress(p.c), date, body: composeMessage('letter', p.c.definition.messages, fieldsFor(p.c, practice)).body })),
        { name: practice.name, addressLines: practice.addressLines },
      );
    } else {
      await writeCallList(
        path,
        owned.map((p) => ({ mrn: p.c.mrn, lastName: p.c.last_name, firstName: p.c.first_name, phone: contactFor(p.c, 'calls')!, recall: p.c.rule_name, dueDate: p.c.due_date, attempt: p.attempt })),
      );
    }
    delivery = { accepted: true };
    summary.files[channel === 'letter' ? 'letters' : 'calls'] = path;
  } catch (error) {
    delivery = { accepted: false, reason: `could not write the ${channel === 'letter' ? 'letters' : 'call list'} file (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  await settle(db, actor, owned.map((p) => p.logId), delivery, options.now, 0);
  record(summary, channel, delivery, owned.length);
}

async function sendDue(db: Db, actor: AuditActor, options: RunOptions): Promise<RunSummary> {
  const practice = await practiceInfo(db);
  const today = practiceToday(options.now, practice.timeZone);
  const candidates = await dueCandidates(db, options.now, today);
  const summary = emptySummary(options, candidates.length);
  if (candidates.length > 0 && !practice.phone) summary.warnings.push('The practice has no phone number on record, so reminders cannot say how to book: set it with "practice setup".');
  const planned: Planned[] = [];
  for (const c of candidates) {
    const decision = decide(c, options, practice);
    if ((channels as string[]).includes(decision)) {
      planned.push({ c, channel: decision as Channel, attempt: c.attempts + 1 });
      summary.planned[decision as Channel]++;
    } else {
      const reason = decision as SkipReason;
      summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
    }
  }
  if (options.dryRun) return summary;

  const owned = await claim(db, actor, planned, options.now);
  const lost = planned.length - owned.size;
  if (lost > 0) summary.skipped['sent-by-another-run'] = (summary.skipped['sent-by-another-run'] ?? 0) + lost;
  const mine = [...owned.values()];
  const on = (channel: Channel) => mine.filter((p) => p.channel === channel);
  if (options.email && on('email').length) await sendEach(db, actor, emailTransport(options.email), on('email'), practice, options.now, summary);
  if (options.sms && on('sms').length) await sendEach(db, actor, smsTransport(options.sms), on('sms'), practice, options.now, summary);
  const stamp = DateTime.fromJSDate(options.now, { zone: practice.timeZone }).toFormat("yyyyLLdd'-'HHmmss");
  await sendBatch(db, actor, on('letter'), 'letter', join(options.outDir, `recall-letters-${stamp}.pdf`), practice, options, summary);
  await sendBatch(db, actor, on('calls'), 'calls', join(options.outDir, `recall-calls-${stamp}.csv`), practice, options, summary);
  return summary;
}

export async function runRecallReminders(db: Db, actor: AuditActor, options: RunOptions): Promise<RunSummary> {
  if (!options.useAdvisoryLock || options.dryRun) return sendDue(db, actor, options);
  // The lock lives in a transaction kept open on its own connection for the whole run; the sending
  // itself commits on other connections, so every pending/sent row is durable the moment it is written.
  return db.transaction(async (lockTx) => {
    const [row] = await queryRows<{ locked: boolean }>(lockTx, sql`select pg_try_advisory_xact_lock(hashtext('practicekit:recall-run')) as locked`);
    if (!row?.locked) {
      return emptySummary(options, 0, true);
    }
    return sendDue(db, actor, options);
  });
}
