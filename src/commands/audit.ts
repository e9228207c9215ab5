// practice audit verify [--head H] | head | log [--patient MRN] [--since DATE] [--actor X] | disclosures --patient MRN
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import type { ActionFactory } from '../cli/context.js';
import { renderTable } from '../cli/output.js';
import { ExitCode, UsageError } from '../errors.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** What an entry's details say, in a line: ids and counts as recorded (never patient values). */
function summary(details: Record<string, unknown> | null): string {
  if (!details) return '';
  return Object.entries(details)
    .map(([key, value]) => `${key}=${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`)
    .join(' ');
}

export function register(program: Command, action: ActionFactory): void {
  const audit = program.command('audit').description('read and prove the audit trail: who looked at or changed a chart, disclosures, chain check');

  audit
    .command('verify')
    .description('check the hash chain of the whole trail; exit 1 naming the first broken entry')
    .option('--head <seq:hash>', 'a head recorded earlier (audit head, monthly pack, export manifest) that must still be in the trail; repeatable', collect, [])
    .option('--expect <seq:hash>', 'the same as --head', collect, [])
    .addHelpText(
      'after',
      `
Examples:
  practice audit verify
  practice audit verify --head 1842:9f2c...e1     (a head logged by cron or printed in last month's pack)

A head recorded outside the database is what shows a trail cut short or rewritten from scratch.`,
    )
    .action(
      action(async (ctx, options: { head: string[]; expect: string[] }) => {
        const { verifyChain } = await import('../audit/chain.js');
        const report = await verifyChain(await ctx.db(), [...options.head, ...options.expect]);
        if (report.broken) ctx.warn(report.broken.message);
        const lines = report.broken
          ? [report.broken.message]
          : [
              `The audit trail holds: ${report.entries.toLocaleString()} entr${report.entries === 1 ? 'y' : 'ies'}, every one sealed and chained.`,
              ...report.heads.map((h) => `The head recorded earlier (${h.head}) is in the trail.`),
              report.head ? `Head: ${report.head.head}` : 'The trail is empty.',
            ];
        return { data: report, human: lines.join('\n'), exitCode: report.ok ? ExitCode.ok : ExitCode.failure };
      }),
    );

  audit
    .command('head')
    .description('print the current chain head (for cron to log somewhere the database owner cannot rewrite)')
    .addHelpText('after', '\nExample (cron, daily):\n  practice --quiet audit head >> /var/log/practice-audit-heads.log')
    .action(
      action(async (ctx) => {
        const { chainHead } = await import('../audit/chain.js');
        const head = await chainHead(await ctx.db());
        return { data: { head: head?.head ?? null, seq: head?.seq ?? null, hash: head?.hash ?? null, at: head?.at ?? null }, human: head ? `${head.at} ${head.head}` : 'The audit trail is empty.' };
      }),
    );

  audit
    .command('log')
    .description('the audit entries, oldest first: who looked at or changed what, and when')
    .option('--patient <mrn>', "only this chart's entries (with charts merged into it and practice-wide exports)")
    .option('--since <date>', 'only entries on or after this date (YYYY-MM-DD, practice time)')
    .option('--actor <name>', 'only entries by this user')
    .option('--limit <n>', 'at most this many entries')
    .addHelpText('after', '\nExamples:\n  practice audit log --patient 100234\n  practice audit log --actor jsmith --since 2026-01-01 --json')
    .action(
      action(async (ctx, options: { patient?: string; since?: string; actor?: string; limit?: string }) => {
        const db = await ctx.db();
        const { requireDate } = await import('../chart/time.js');
        const { practiceClock } = await import('../practice/clock.js');
        const { auditLogEntries, chartIds } = await import('../audit/log.js');
        const { zone, today } = await practiceClock(db, ctx.now);
        const limit = options.limit === undefined ? undefined : Number(options.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit must be a whole number of entries, e.g. --limit 100.');
        const since = options.since ? DateTime.fromISO(requireDate('--since', options.since, today), { zone }).toJSDate() : undefined;
        let patientIds: number[] | undefined;
        if (options.patient !== undefined) {
          const { patientByMrn } = await import('../chart/lookup.js');
          patientIds = await chartIds(db, (await patientByMrn(db, options.patient)).id);
        }
        const entries = await auditLogEntries(db, { patientIds, since, actor: options.actor, limit });
        const human = entries.length
          ? renderTable(entries, [
              { header: 'No.', value: (e) => e.seq ?? '', align: 'right' },
              { header: 'When (UTC)', value: (e) => e.at },
              { header: 'Who', value: (e) => e.actor },
              { header: 'Did', value: (e) => e.action },
              { header: 'Record', value: (e) => `${e.entity}${e.entityId ? ` ${e.entityId}` : ''}` },
              { header: 'Chart', value: (e) => e.mrn ?? (e.entity === 'practice' ? '(all)' : '') },
              { header: 'Details', value: (e) => summary(e.details) },
            ], ctx.out)
          : 'No audit entries match.';
        return { data: { count: entries.length, entries }, human };
      }),
    );

  audit
    .command('disclosures')
    .description("the accounting of disclosures of a patient's records (HIPAA, six years): date, recipient, what, purpose")
    .requiredOption('--patient <mrn>', 'chart number')
    .addHelpText('after', '\nExample:\n  practice audit disclosures --patient 100234 --json')
    .action(
      action(async (ctx, options: { patient: string }) => {
        const db = await ctx.db();
        const { patientByMrn } = await import('../chart/lookup.js');
        const { disclosuresOf } = await import('../audit/log.js');
        const patient = await patientByMrn(db, options.patient);
        const result = await disclosuresOf(db, patient.id, ctx.now);
        const human = result.disclosures.length
          ? renderTable(result.disclosures, [
              { header: 'Date (UTC)', value: (d) => d.at.slice(0, 10) },
              { header: 'Recipient', value: (d) => d.recipient },
              { header: 'What', value: (d) => (d.scope === 'practice' ? `${d.what} (whole-practice export)` : d.what) },
              { header: 'Purpose', value: (d) => d.purpose },
              { header: 'By', value: (d) => d.actor },
            ], ctx.out)
          : `No disclosures of this chart recorded since ${result.from.slice(0, 10)}.`;
        return { data: { mrn: patient.mrn, from: result.from, count: result.disclosures.length, disclosures: result.disclosures }, human };
      }),
    );
}
