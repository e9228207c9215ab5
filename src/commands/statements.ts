// practice statements --month YYYY-MM --out DIR: the month's patient statements (PDF each, one print
// file, CSV), for every patient who owes at the end of the month.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { renderTable } from '../cli/output.js';
import { UsageError } from '../errors.js';
import { formatMoney } from '../money.js';


export function register(program: Command, action: ActionFactory): void {
  program
    .command('statements')
    .description("write the month's patient statements: visits, what insurance paid, what the patient owes and how to pay")
    .requiredOption('--month <YYYY-MM>', 'the month; balances are as of its last day')
    .option('--out <dir>', 'folder to write the statements in (files are 0600)')
    .option('--dry-run', 'list who would get a statement (and, with --out, the files), write nothing')
    .addHelpText('after', '\nExamples:\n  practice statements --month 2026-02 --dry-run\n  practice statements --month 2026-02 --out ./statements')
    .action(
      action(async (ctx, opts: { month: string; out?: string; dryRun?: boolean }) => {
        if (!opts.dryRun && !opts.out) throw new UsageError('Say where to write the statements with --out <dir> (or look first with --dry-run).');
        const { parseMonth } = await import('../reports/periods.js');
        parseMonth(opts.month);
        const { writeStatements } = await import('../claims/statements.js');
        const db = await ctx.db();
        const run = await writeStatements(db, ctx.auditActor, { month: opts.month, outDir: opts.out ? resolve(ctx.io.cwd, opts.out) : undefined, dryRun: opts.dryRun, now: ctx.now });
        if (run.dryRun && run.statements.length) {
          // The dry run still shows each patient's account: a chart read.
          const { recordChartRead } = await import('../db/audit.js');
          await recordChartRead(db, ctx.auditActor, run.statements.map((s) => s.patientId), 'statements-dry-run', { month: opts.month });
        }
        const table = renderTable(run.statements, [
          { header: 'MRN', value: (s) => s.mrn },
          { header: 'Visits', value: (s) => s.visits.length, align: 'right' },
          { header: 'Patient share', value: (s) => formatMoney(s.chargedCents), align: 'right' },
          { header: 'Paid', value: (s) => formatMoney(s.paidCents), align: 'right' },
          { header: 'Amount due', value: (s) => formatMoney(s.amountDueCents), align: 'right' },
        ], ctx.out);
        const summary = run.statements.length === 0
          ? `No patient owes anything at the end of ${opts.month}.`
          : run.dryRun
            ? `${run.statements.length} statement(s) would be written${run.printFile ? `, with the print file ${run.printFile} and ${run.csvFile}` : ''}; nothing was written.`
            : `Wrote ${run.statements.length} statement(s), the print file ${run.printFile} and ${run.csvFile}.`;
        return { data: run, human: run.statements.length ? `${table}\n${summary}` : summary };
      }),
    );
}
