// The demo's recall office: every Monday of the last full month (and this one) the cron job refreshes
// the recalls and sends the reminders that are due, through the real recall run. Without an SMTP
// server or SMS gateway the channels fall back to letters (a PDF) and a call list, written to the
// outbox folder; with them configured, email and SMS go out for real.
import { mkdir } from 'node:fs/promises';
import type { AuditActor } from '../db/audit.js';
import type { PracticeDatabase } from '../db/client.js';
import { refreshRecalls } from '../recall/refresh.js';
import { runRecallReminders, type RunOptions } from '../recall/run.js';
import type { Calendar } from './calendar.js';

export interface RecallDemoSummary {
  runs: number;
  sent: number;
  byChannel: Record<string, number>;
  outbox: string;
  files: string[];
}

/** Mondays from the first of last month up to yesterday. */
export function recallRunDays(cal: Calendar): number[] {
  const monthStart = (() => {
    const d = new Date(cal.today * 86_400_000);
    return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1) / 86_400_000);
  })();
  const days: number[] = [];
  for (let day = monthStart; day < cal.today; day++) if (new Date(day * 86_400_000).getUTCDay() === 1) days.push(day);
  return days;
}

export async function runRecallOffice(
  handle: PracticeDatabase,
  actor: AuditActor,
  cal: Calendar,
  options: { outbox: string; email?: RunOptions['email']; sms?: RunOptions['sms'] },
): Promise<RecallDemoSummary> {
  await mkdir(options.outbox, { recursive: true, mode: 0o700 });
  const summary: RecallDemoSummary = { runs: 0, sent: 0, byChannel: {}, outbox: options.outbox, files: [] };
  for (const day of recallRunDays(cal)) {
    const now = cal.at(day, 10 * 60);
    await refreshRecalls(handle.db, actor, { now });
    const run = await runRecallReminders(handle.db, actor, {
      now,
      outDir: options.outbox,
      email: options.email,
      sms: options.sms,
      useAdvisoryLock: handle.backend === 'postgres',
    });
    summary.runs++;
    for (const [channel, n] of Object.entries(run.sent)) {
      summary.byChannel[channel] = (summary.byChannel[channel] ?? 0) + n;
      summary.sent += n;
    }
    summary.files.push(...Object.values(run.files).filter((f): f is string => Boolean(f)));
  }
  return summary;
}
