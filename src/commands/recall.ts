// practice recall rules list|add|edit|disable, recall refresh, recall list, recall run, recall settle
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { DateTime } from 'luxon';
import type { ActionFactory } from '../cli/context.js';
import type { CommandContext } from '../cli/context.js';
import { renderTable, sanitizeForDisplay, toJson } from '../cli/output.js';
import { ExitCode, PracticeError, UsageError } from '../errors.js';
import { jsonLimits } from '../cli/config.js';
import { readJsonFileWithin } from '../text/json.js';
import { channels, parseRecallRules, type Channel } from '../recall/definition.js';
import { toCsv } from '../reports/format.js';

async function readRulesFile(ctx: CommandContext, file: string): Promise<unknown> {
  const parsed = await readJsonFileWithin(resolve(ctx.io.cwd, file), jsonLimits(ctx.io.env));
  if ('problem' in parsed) {
    throw new PracticeError('RULES_NOT_JSON', `The rules file ${file} ${parsed.problem}; no rule was saved.`, {
      hint: 'See "practice recall rules list --json" for the format.',
      exitCode: parsed.missing ? ExitCode.usage : ExitCode.failure,
    });
  }
  return parsed.value;
}

function wholeNumber(label: string, max: number) {
  return (raw: string): number => {
    if (!/^[0-9]+$/.test(raw) || Number(raw) > max) throw new UsageError(`${label} must be a whole number up to ${max}, not "${raw}".`);
    return Number(raw);
  };
}

/** "30d", "30" or "4w" as days. */
function parseDays(raw: string): number {
  const m = /^([0-9]{1,4})\s*(d|w)?$/i.exec(raw.trim());
  if (!m) throw new UsageError(`--due-within takes days or weeks like 30d or 4w, not "${raw}".`);
  return Number(m[1]) * (m[2]?.toLowerCase() === 'w' ? 7 : 1);
}

function parseChannelList(raw: string): Channel[] {
  const list = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const unknown = list.filter((c) => !channels.includes(c as Channel));
  if (unknown.length || list.length === 0) throw new UsageError(`--fallback lists channels from ${channels.join(', ')}, not "${raw}".`);
  return list as Channel[];
}

/** "2,1" as [2, 1]: whole days from 0 to 30. */
function parseDayList(label: string) {
  return (raw: string): number[] => {
    const list = raw.split(',').map((s) => s.trim());
    if (list.length === 0 || list.some((d) => !/^[0-9]{1,2}$/.test(d) || Number(d) > 30)) throw new UsageError(`${label} takes whole days from 0 to 30, like 2,1, not "${raw}".`);
    return [...new Set(list.map(Number))];
  };
}

/** "10m", "90s", "1h" or plain seconds. */
function parseLease(raw: string): number {
  const m = /^([0-9]{1,5})\s*(s|m|h)?$/i.exec(raw.trim());
  const seconds = m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h']) : NaN;
  if (!(seconds >= 10 && seconds <= 86_400)) throw new UsageError(`--lease takes a duration from 10s to 24h like 10m or 90s, not "${raw}".`);
  return seconds;
}

/** An ISO time with the practice's offset, as "Nov 10, 10:10 AM CST". */
function localTime(iso: string): string {
  return DateTime.fromISO(iso, { setZone: true }).setLocale('en-US').toFormat('LLL d, h:mm a ZZZZ');
}

function parseQuietHours(raw: string): { start: string; end: string } {
  const m = /^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(raw.trim());
  if (!m) throw new UsageError(`--quiet-hours takes a range like 20:00-08:00, not "${raw}".`);
  return { start: `${m[1]}:${m[2]}`, end: `${m[3]}:${m[4]}` };
}

function describeRule(definition: { basis: { kind: string }; interval?: Record<string, number> }): string {
  const interval = definition.interval ? Object.entries(definition.interval).map(([unit, n]) => `${n} ${n === 1 ? unit.replace(/s$/, '') : unit}`).join(' ') : '';
  return interval ? `${definition.basis.kind}, every ${interval}` : definition.basis.kind;
}

function registerRules(recall: Command, action: ActionFactory): void {
  const rules = recall.command('rules').description('the recall rules: who is due for what, and how often');

  rules
    .command('list')
    .description('list the recall rules (with --json: their full definitions, in the rules-file format)')
    .addHelpText('after', '\nExamples:\n  practice recall rules list\n  practice recall rules list --json > rules.json')
    .action(
      action(async (ctx) => {
        const { listRecallRules } = await import('../recall/rules.js');
        const list = await listRecallRules(await ctx.db());
        return {
          data: { rules: list.map(({ id: _id, ...rule }) => rule) },
          human: list.length
            ? renderTable(list, [
                { header: 'Code', value: (r) => r.code },
                { header: 'Name', value: (r) => r.name },
                { header: 'Counts from', value: (r) => describeRule(r.definition as never) },
                { header: 'Spacing', value: (r) => `${r.spacingDays} days`, align: 'right' },
                { header: 'Active', value: (r) => (r.active ? 'yes' : 'no') },
              ], ctx.out)
            : 'No recall rules yet. Load the standard set with "practice recall rules add --defaults".',
        };
      }),
    );

  rules
    .command('add')
    .description('add rules from a JSON file (one rule or a list), or the standard set with --defaults')
    .option('--file <rules.json>', 'the rules file')
    .option('--defaults', 'add the standard rules the practice does not have yet')
    .addHelpText('after', '\nExample:\n  practice recall rules add --file rules.json\n  practice recall rules add --defaults')
    .action(
      action(async (ctx, opts: { file?: string; defaults?: boolean }) => {
        if (Boolean(opts.file) === Boolean(opts.defaults)) throw new UsageError('Give either --file <rules.json> or --defaults.');
        const { addRecallRules, defaultRules } = await import('../recall/rules.js');
        const input = opts.file ? parseRecallRules(await readRulesFile(ctx, opts.file)) : defaultRules();
        const result = await addRecallRules(await ctx.db(), ctx.auditActor, input, { skipExisting: Boolean(opts.defaults) });
        return {
          data: result,
          human: `Added ${result.added.length} recall rule(s)${result.added.length ? `: ${result.added.join(', ')}` : ''}.${result.kept.length ? ` Kept ${result.kept.length} the practice already had.` : ''} Run "practice recall refresh" to compute who is due.`,
        };
      }),
    );

  rules
    .command('edit <code>')
    .description('change a rule: its name, spacing, or its whole definition from a file')
    .option('--name <name>', 'the name staff see')
    .option('--spacing-days <n>', 'least number of days between two reminders for the same recall', wholeNumber('--spacing-days', 365))
    .option('--file <rule.json>', 'a file with the new rule (same code)')
    .option('--enable', 'use the rule again')
    .addHelpText('after', '\nExamples:\n  practice recall rules edit mammogram --spacing-days 60\n  practice recall rules edit diabetes-a1c --file diabetes-a1c.json\n  practice recall rules edit flu-vaccine --enable')
    .action(
      action(async (ctx, code: string, opts: { name?: string; spacingDays?: number; file?: string; enable?: boolean }) => {
        if (!opts.name && opts.spacingDays === undefined && !opts.file && !opts.enable) throw new UsageError('Say what to change: --name, --spacing-days, --file or --enable.');
        const { editRecallRule } = await import('../recall/rules.js');
        const rule = await editRecallRule(await ctx.db(), ctx.auditActor, code, {
          name: opts.name,
          spacingDays: opts.spacingDays,
          active: opts.enable ? true : undefined,
          replacement: opts.file ? await readRulesFile(ctx, opts.file) : undefined,
        });
        return { data: { rule }, human: `Changed the recall rule "${code}". Run "practice recall refresh" to apply it.` };
      }),
    );

  rules
    .command('disable <code>')
    .description('stop using a rule; its open recalls are cancelled at the next refresh')
    .addHelpText('after', '\nExample:\n  practice recall rules disable childhood-hepb')
    .action(
      action(async (ctx, code: string) => {
        const { editRecallRule } = await import('../recall/rules.js');
        const rule = await editRecallRule(await ctx.db(), ctx.auditActor, code, { active: false });
        return { data: { rule }, human: `Disabled the recall rule "${code}". Its open recalls are cancelled at the next "practice recall refresh".` };
      }),
    );
}

export function register(program: Command, action: ActionFactory): void {
  const recall = program.command('recall').description('recall reminders: rules, due lists and the sender');
  registerRules(recall, action);

  recall
    .command('refresh')
    .description('work out who is due for what across the whole practice, and close recalls that were done')
    .option('--dry-run', 'show what would change without saving it')
    .addHelpText('after', '\nExamples:\n  practice recall refresh --dry-run\n  practice recall refresh')
    .action(
      action(async (ctx, opts: { dryRun?: boolean }) => {
        const { refreshRecalls } = await import('../recall/refresh.js');
        const result = await refreshRecalls(await ctx.db(), ctx.auditActor, { now: ctx.now, dryRun: opts.dryRun });
        if (result.defaultsLoaded) ctx.info('There were no recall rules: the standard set was loaded (see "practice recall rules list").');
        const human = [
          renderTable(result.rules, [
            { header: 'Rule', value: (r) => r.rule },
            { header: 'New', value: (r) => r.opened, align: 'right' },
            { header: 'Completed', value: (r) => r.completed, align: 'right' },
            { header: 'No longer due', value: (r) => r.noLongerDue, align: 'right' },
            { header: 'Due date moved', value: (r) => r.moved, align: 'right' },
            { header: 'Open', value: (r) => r.open, align: 'right' },
            { header: 'Overdue', value: (r) => r.overdue, align: 'right' },
          ], ctx.out),
          result.cancelled ? `${result.cancelled} open recall(s) of disabled rules were cancelled.` : '',
          opts.dryRun ? 'Dry run: nothing was saved.' : '',
        ].filter(Boolean).join('\n');
        return { data: result, human };
      }),
    );

  recall
    .command('list')
    .description('the open recalls, soonest due first')
    .option('--due-within <days>', 'only those due within this many days (30d, 4w)', parseDays)
    .option('--overdue', 'only those past their due date')
    .option('--rule <code>', 'only this rule')
    .addOption(new Option('--format <format>', 'table, csv or json').choices(['table', 'csv', 'json']).default('table'))
    .addHelpText('after', '\nExample:\n  practice recall list --due-within 30d --rule mammogram --format csv > mammogram-calls.csv')
    .action(
      action(async (ctx, opts: { dueWithin?: number; overdue?: boolean; rule?: string; format: string }) => {
        const { listRecalls } = await import('../recall/list.js');
        const db = await ctx.db();
        const result = await listRecalls(db, { now: ctx.now, dueWithinDays: opts.dueWithin, overdue: opts.overdue, rule: opts.rule });
        const { recordChartRead } = await import('../db/audit.js');
        await recordChartRead(db, ctx.auditActor, { mrns: result.recalls.map((r) => r.mrn) }, 'recall-list', { recalls: result.recalls.length });
        const columns: [string, (r: (typeof result.recalls)[number]) => unknown][] = [
          ['MRN', (r) => r.mrn],
          ['Last name', (r) => r.lastName],
          ['First name', (r) => r.firstName],
          ['Recall', (r) => r.ruleName],
          ['Due', (r) => r.dueDate],
          ['Last done', (r) => r.lastDoneOn ?? ''],
          ['Reminders', (r) => r.reminders],
          ['Last reminder', (r) => (r.lastReminder ? `${r.lastReminder} (${r.lastChannel})` : '')],
        ];
        if (opts.format === 'json') return { data: result, human: toJson(result) };
        if (opts.format === 'csv') {
          const rows = result.recalls.map((r) => columns.map(([, value]) => sanitizeForDisplay(value(r))));
          return { data: result, human: toCsv(columns.map(([header]) => header), rows).trimEnd() };
        }
        return {
          data: result,
          human: result.recalls.length
            ? renderTable(result.recalls, columns.map(([header, value]) => ({ header, value })), ctx.out)
            : 'No open recalls match. Run "practice recall refresh" first if you have not today.',
        };
      }),
    );

  recall
    .command('run')
    .description('send the reminders that are due (for cron): recalls and appointment reminders, by email, SMS, a letters PDF and a call list')
    .addOption(new Option('--channel <channel>', 'send only what goes out on this channel').choices(channels))
    .option('--dry-run', 'show what would be sent, without sending or writing anything')
    .option('--out-dir <dir>', 'where the letters PDF and the call list CSV are written (default: the current folder)')
    .option('--fallback <order>', 'channel order when the preferred one cannot be used', 'email,sms,letter,calls')
    .option('--escalate-after <n>', 'unanswered reminders before moving to the next channel', wholeNumber('--escalate-after', 20), 2)
    .option('--quiet-hours <range>', 'no SMS in this range, practice time', '20:00-08:00')
    .option('--appointment-days <days>', 'days before each booked visit a reminder goes out', parseDayList('--appointment-days'), [2, 1])
    .option('--missed-visit-days <days>', 'extra reminder days for patients who missed a visit in the last two years (0: the morning of the visit)', parseDayList('--missed-visit-days'), [0])
    .option('--no-appointments', 'send recall reminders only')
    .option('--lease <duration>', 'how long this run holds what it claimed before another run may send it (e.g. 10m, 90s)', parseLease, 600)
    .addHelpText(
      'after',
      `
One run sends each patient at most one recall message, naming every recall due, and one reminder before each
booked visit (by default 2 days and 1 day before; patients who missed a visit also on the morning of it).
Every message is claimed before it leaves and marked sent once the channel accepted it: if a run is killed,
what it claimed but had not yet given to the channel goes out with the next run after the lease (--lease) has
run out, once, and is reported as recovered. A message the killed run had already given to the mail server,
SMS gateway or file may have gone out: it is never sent again (at most once) and is reported as unconfirmed,
with its chart, for staff to check with the patient.

Environment:
  PRACTICE_SMTP_URL     smtp://user:password@host:587 (STARTTLS) or smtps://...:465; no email without it
  PRACTICE_SMTP_FROM    the sender address, e.g. "Main Street Clinic <reminders@example.org>"
  PRACTICE_SMS_URL      Twilio-style gateway base URL, e.g. https://SID:TOKEN@api.example.com/2010-04-01/Accounts/SID
  PRACTICE_SMS_FROM     the number texts come from, e.g. +15551234567
  PRACTICE_SMS_USER, PRACTICE_SMS_PASSWORD   gateway credentials when they are not in the URL
  PRACTICE_SMS_TIMEOUT  seconds to wait for the gateway's answer (default 15); a text whose answer never
                        came is unconfirmed, not resent

Exit codes: 0 everything due went out (or is held back on purpose), 3 something was left unsent: a channel
failed (retried on a later run) or a patient has no way to be reached; stderr says what and why.

Examples:
  practice recall run --dry-run
  practice recall run --channel letter --out-dir ./letters

Example (cron, every morning at 8:30, after the quiet hours end):
  30 8 * * *  practice recall refresh --quiet && practice recall run --json --out-dir /srv/practice/recalls`,
    )
    .action(
      action(async (ctx, opts: { channel?: Channel; dryRun?: boolean; outDir?: string; fallback: string; escalateAfter: number; quietHours: string; appointmentDays: number[]; missedVisitDays: number[]; appointments: boolean; lease: number }) => {
        const env = ctx.io.env;
        if (env.PRACTICE_SMTP_URL && !env.PRACTICE_SMTP_FROM) throw new UsageError('PRACTICE_SMTP_URL is set but PRACTICE_SMTP_FROM is not.', 'Set PRACTICE_SMTP_FROM to the address reminders come from.');
        if (env.PRACTICE_SMS_URL && !env.PRACTICE_SMS_FROM) throw new UsageError('PRACTICE_SMS_URL is set but PRACTICE_SMS_FROM is not.', 'Set PRACTICE_SMS_FROM to the number texts come from.');
        if (opts.channel === 'email' && !env.PRACTICE_SMTP_URL) throw new UsageError('--channel email needs PRACTICE_SMTP_URL.');
        if (opts.channel === 'sms' && !env.PRACTICE_SMS_URL) throw new UsageError('--channel sms needs PRACTICE_SMS_URL.');
        const smsTimeout = env.PRACTICE_SMS_TIMEOUT === undefined ? undefined : wholeNumber('PRACTICE_SMS_TIMEOUT', 300)(env.PRACTICE_SMS_TIMEOUT.trim());
        if (smsTimeout === 0) throw new UsageError('PRACTICE_SMS_TIMEOUT must be at least 1 second.');
        const fallbackOrder = parseChannelList(opts.fallback);
        const quietHours = parseQuietHours(opts.quietHours);
        const handle = await ctx.database();
        const { runRecallReminders } = await import('../recall/run.js');
        const summary = await runRecallReminders(handle.db, ctx.auditActor, {
          now: ctx.now,
          clock: () => ctx.now,
          leaseSeconds: opts.lease,
          dryRun: opts.dryRun,
          channel: opts.channel,
          fallbackOrder,
          escalateAfter: opts.escalateAfter,
          quietHours,
          outDir: resolve(ctx.io.cwd, opts.outDir ?? '.'),
          email: env.PRACTICE_SMTP_URL ? { url: env.PRACTICE_SMTP_URL, from: env.PRACTICE_SMTP_FROM! } : undefined,
          sms: env.PRACTICE_SMS_URL ? { url: env.PRACTICE_SMS_URL, from: env.PRACTICE_SMS_FROM!, user: env.PRACTICE_SMS_USER, password: env.PRACTICE_SMS_PASSWORD, timeoutMs: smsTimeout === undefined ? undefined : smsTimeout * 1000 } : undefined,
          appointments: opts.appointments ? { daysBefore: opts.appointmentDays, noShowExtraDays: opts.missedVisitDays } : false,
          useAdvisoryLock: handle.backend === 'postgres',
          signal: ctx.signal,
        });
        // The charts listed for staff (unsent, unconfirmed) are shown: a chart read, by a dry run too.
        const shown = summary.unsent.flatMap((u) => u.mrns);
        if (shown.length) {
          const { recordChartRead } = await import('../db/audit.js');
          await recordChartRead(handle.db, ctx.auditActor, { mrns: shown }, opts.dryRun ? 'recall-run-dry-run' : 'recall-run', { listed: shown.length });
        }
        for (const warning of summary.warnings) ctx.warn(warning);
        if (summary.busy) ctx.warn('Another "practice recall run" is sending right now; this one sent nothing.');
        if (summary.released) ctx.warn(`${summary.released} message(s) claimed by an interrupted run were never confirmed sent; ${opts.dryRun ? 'this run would send them' : 'they go out with this run'}.`);
        if (summary.unconfirmed) ctx.warn(`${summary.unconfirmed} message(s) unconfirmed: they reached the mail server, SMS gateway or file, but no confirmation came back (an interrupted run, or a dropped connection), so they may have gone out; they are not sent again (a patient never gets the same reminder twice). Check with the patients listed in the output, then run "practice recall settle <mrn> --received" or "--resend".`);
        if (summary.claimsHeldUntil) {
          const held = (summary.skipped['claimed-by-another-run'] ?? 0) + (summary.appointments.skipped['claimed-by-another-run'] ?? 0);
          ctx.warn(`${held} reminder(s) are claimed by another run that is sending now or was interrupted; if it was interrupted, the first run after ${localTime(summary.claimsHeldUntil)} sends them.`);
        }
        for (const u of summary.unsent) ctx.warn(`${u.count} ${u.purpose === 'recall' ? 'patient(s) due for a recall' : 'appointment reminder(s)'} ${opts.dryRun ? 'would not be' : 'not'} sent: ${u.reason}.`);
        if (summary.unsent.some((u) => u.reason.startsWith('no email'))) ctx.warn('Add an email, mobile number or address with "practice patients edit"; the charts are listed in the output.');
        const skipped = Object.entries(summary.skipped).map(([reason, n]) => `${n} ${reason}`).join(', ');
        const apptSkipped = Object.entries(summary.appointments.skipped).map(([reason, n]) => `${n} ${reason}`).join(', ');
        const count = (byChannel: Record<Channel, number>) => channels.map((c) => `${c} ${byChannel[c]}`).join(', ');
        const a = summary.appointments;
        const human = [
          `${summary.due} recall(s) due for a reminder, for ${summary.patients} patient(s).`,
          `${opts.dryRun ? 'Would send' : 'Sent'} recall messages (one per patient): ${count(opts.dryRun ? summary.planned : summary.sent)}.`,
          skipped ? `Recalls not contacted: ${skipped}.` : '',
          opts.appointments ? `${a.due} booked visit(s) due for a reminder; ${opts.dryRun ? 'would send' : 'sent'}: ${count(opts.dryRun ? a.planned : a.sent)}.` : '',
          apptSkipped ? `Appointment reminders not sent: ${apptSkipped}.` : '',
          summary.recovered ? `Recovered: ${summary.recovered} message(s) an interrupted run had claimed were sent once.` : '',
          summary.failed ? `Failed: ${summary.failed}.` : '',
          summary.files.letters ? `${opts.dryRun ? 'Would write the letters to print to' : 'Letters to print:'} ${summary.files.letters}` : '',
          summary.files.calls ? `${opts.dryRun ? 'Would write the call list to' : 'Call list:'} ${summary.files.calls}` : '',
          ...summary.unsent.map((u) => `${opts.dryRun ? 'Would not be sent' : 'Not sent'} (${u.purpose}, ${u.reason}): ${u.mrns.join(', ')}`),
        ].filter(Boolean).join('\n');
        return { data: summary, human, exitCode: !opts.dryRun && summary.unsent.length > 0 ? ExitCode.partial : ExitCode.ok };
      }),
    );

  recall
    .command('settle <mrn>')
    .description("record what staff learnt about a patient's unconfirmed reminders: received (counts as sent) or resend (the next run sends it)")
    .option('--received', 'the patient got it: it counts as sent')
    .option('--resend', 'it did not arrive: the next "recall run" sends it once')
    .option('--dry-run', 'show which messages would be settled, without saving')
    .addHelpText(
      'after',
      `
A reminder is unconfirmed when it reached the mail server, SMS gateway or file but no confirmation came back
(the run was interrupted, or the connection dropped after the server had the whole message). "recall run"
never sends it again by itself, lists its chart and exits 3. Check with the patient, then settle every
unconfirmed reminder of that chart.

Examples:
  practice recall settle MRN-1042 --received
  practice recall settle MRN-1042 --resend`,
    )
    .action(
      action(async (ctx, mrn: string, opts: { received?: boolean; resend?: boolean; dryRun?: boolean }) => {
        if (Boolean(opts.received) === Boolean(opts.resend)) throw new UsageError('Say what the patient told you: --received or --resend.');
        const { settleUnconfirmed } = await import('../recall/settle.js');
        const result = await settleUnconfirmed(await ctx.db(), ctx.auditActor, mrn, opts.received ? 'received' : 'resend', { now: ctx.now, dryRun: opts.dryRun });
        const n = result.messages.length;
        const human = n === 0
          ? `${mrn} has no unconfirmed reminder; nothing to settle.`
          : `${opts.dryRun ? 'Would settle' : 'Settled'} ${n} unconfirmed reminder(s) for ${mrn}: ${opts.received ? 'marked sent' : 'the next "practice recall run" sends them once'}.`;
        return { data: { ...result, dryRun: Boolean(opts.dryRun) }, human };
      }),
    );
}
