// Staff settle a reminder that may have gone out but was never confirmed (a run died after handing it to
// the channel, or the mail server's connection dropped after it had the whole message). The sender never
// resends such a message by itself; once staff have checked with the patient they record the answer here:
// received (it counts as sent) or resend (it counts as failed, so the next "recall run" sends it once).
import { and, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { reminderLog, reminderMessages } from '../db/schema/index.js';
import { planThenApply } from '../db/transaction.js';
import type { Db } from '../db/types.js';
import { NotFoundError } from '../errors.js';

export type SettleOutcome = 'received' | 'resend';

export type SettledMessage = {
  messageId: number;
  purpose: 'recall' | 'appointment';
  channel: string;
  /** When the run gave it to the channel (ISO). */
  handedOverAt: string | null;
};

const NOT_RECEIVED = 'staff checked with the patient: it did not arrive';

export async function settleUnconfirmed(db: Db, actor: AuditActor, mrn: string, outcome: SettleOutcome, options: { now: Date; dryRun?: boolean }): Promise<{ mrn: string; outcome: SettleOutcome; messages: SettledMessage[] }> {
  const messages = await planThenApply(
    db,
    Boolean(options.dryRun),
    async (tx) => {
      const patient = await queryRows<{ id: number }>(tx, sql`select id from patients where mrn = ${mrn}`);
      if (!patient[0]) throw new NotFoundError(`The patient ${mrn}`, 'Find the chart number with "practice patients find".');
      // Locked, so two staff settling the same message at once settle it once.
      return queryRows<SettledMessage>(
        tx,
        sql`select id as "messageId", purpose, channel, handed_over_at::text as "handedOverAt" from reminder_messages
          where patient_id = ${patient[0].id} and status = 'unconfirmed' order by id for update`,
      );
    },
    async (tx, planned) => {
      if (planned.length === 0) return;
      const ids = planned.map((m) => m.messageId);
      const at = options.now;
      await tx
        .update(reminderMessages)
        .set(outcome === 'received' ? { status: 'sent', sentAt: sql`coalesce(${reminderMessages.handedOverAt}, ${at.toISOString()}::timestamptz)`, updatedAt: at } : { status: 'failed', failureReason: NOT_RECEIVED, updatedAt: at })
        .where(and(inArray(reminderMessages.id, ids), eq(reminderMessages.status, 'unconfirmed')));
      const logged = await tx
        .update(reminderLog)
        // A resend is due at once: no backoff, staff asked for it.
        .set(outcome === 'received' ? { status: 'sent', sentAt: sql`coalesce((select m.handed_over_at from reminder_messages m where m.id = ${reminderLog.messageId}), ${at.toISOString()}::timestamptz)`, updatedAt: at } : { status: 'failed', failureReason: NOT_RECEIVED, nextAttemptAfter: null, updatedAt: at })
        .where(and(inArray(reminderLog.messageId, ids), eq(reminderLog.status, 'unconfirmed')))
        .returning({ id: reminderLog.id });
      const status = outcome === 'received' ? 'sent' : 'failed';
      await recordAudit(tx, actor, [
        ...ids.map((id) => ({ action: 'update', entity: 'reminder_messages', entityId: id, details: { status, settledBy: 'staff' } })),
        ...logged.map((l) => ({ action: 'update', entity: 'reminder_log', entityId: l.id, details: { status, settledBy: 'staff' } })),
      ]);
    },
  );
  return { mrn, outcome, messages };
}
