// practice report productivity: RVUs, visits, time, no-shows and collections per provider for a month.
import { Option, type Command } from 'commander';
import type { CommandContext } from '../../cli/context.js';
import type { ActionFactory } from '../../cli/context.js';
import { toJson } from '../../cli/output.js';
import { formatFromOut, outputFileOption } from '../../cli/out-format.js';
import { UsageError } from '../../errors.js';

export type ReportFormat = 'table' | 'csv' | 'json' | 'pdf';

export interface MonthReportOptions {
  month?: string;
  format: ReportFormat;
  out?: string;
  force?: boolean;
}

/** --month, --format and --out, shared by the monthly reports. */
export function addMonthReportOptions(command: Command): Command {
  return outputFileOption(formatFromOut(command), '--out <file>', 'write the report to this file (readable by you only) instead of the screen')
    .option('--month <yyyy-mm>', 'the month to report (default: the last full month)')
    .addOption(new Option('--format <format>', 'output format (default: from the --out file name, else table)').choices(['table', 'csv', 'json', 'pdf']).default('table'));
}

export async function resolveMonth(ctx: CommandContext, options: MonthReportOptions): Promise<string> {
  const { lastFullMonth, parseMonth } = await import('../../reports/periods.js');
  const { practiceClock } = await import('../../practice/clock.js');
  const month = options.month ?? lastFullMonth((await practiceClock(await ctx.db(), ctx.now)).today);
  parseMonth(month);
  if (options.format === 'pdf' && !options.out) throw new UsageError('A PDF needs a file: add --out report.pdf.');
  return month;
}

/** Text to the screen, or to --out (mode 0600) with a one-line note on the screen. */
export async function deliver(
  ctx: CommandContext,
  options: MonthReportOptions,
  data: object,
  render: () => string | Promise<string | Buffer>,
  what: string,
) {
  const asJson = ctx.json || options.format === 'json';
  const content = asJson && options.format !== 'pdf' ? toJson(data) : await render();
  if (options.out) {
    const { writePrivateFile } = await import('../../files/private-file.js');
    await writePrivateFile(options.out, typeof content === 'string' && !content.endsWith('\n') ? `${content}\n` : content, { replace: options.force });
    return { data: { ...data, file: options.out }, human: `Wrote ${what} to ${options.out}.` };
  }
  return { data, human: ctx.json ? undefined : String(content).replace(/\n$/, '') };
}

export async function terminalFormats(ctx: CommandContext) {
  const { localeFromEnv, numberFormats } = await import('../../reports/format.js');
  return numberFormats(localeFromEnv(ctx.io.env));
}

export function registerProductivity(report: Command, action: ActionFactory): void {
  addMonthReportOptions(
    report
      .command('productivity')
      .description('work and total RVUs, visits, patients, time, no-shows, charges and collections per provider for a month')
      .option('--provider <npi>', 'only this provider (NPI)')
      .addOption(new Option('--by <what>', 'one row per provider, location or procedure code').choices(['provider', 'location', 'cpt']).default('provider')),
  )
    .addHelpText(
      'after',
      `
Examples:
  practice report productivity --month 2026-10
  practice report productivity --month 2026-10 --by cpt --format csv --out codes-2026-10.csv
  practice report productivity --month 2026-10 --provider 1234567893 --format pdf --out dr-smith.pdf
Compared with the previous month and the same month last year; year to date included.
Charges whose code has no RVU for its year are listed, never counted as zero.`,
    )
    .action(
      action(async (ctx, options: MonthReportOptions & { provider?: string; by: 'provider' | 'location' | 'cpt' }) => {
        const month = await resolveMonth(ctx, options);
        const { productivityReport, rvuTrend } = await import('../../reports/productivity/query.js');
        const render = await import('../../reports/productivity/render.js');
        const db = await ctx.db();
        const result = await productivityReport(db, { month, by: options.by, providerNpi: options.provider });
        // The table carries its notes; other formats get them on stderr.
        if (options.format !== 'table' || options.out) for (const note of result.notes) ctx.info(`Note: ${note}`);
        const formats = await terminalFormats(ctx);
        return deliver(
          ctx,
          options,
          result,
          async () => {
            if (options.format === 'csv') return render.productivityCsv(result);
            if (options.format === 'pdf') {
              const trend = await rvuTrend(db, { month, providerNpi: options.provider });
              return render.productivityPdf(result, trend, formats, ctx.now);
            }
            return render.productivityTable(result, formats, options.out ? undefined : ctx.out);
          },
          `the productivity report for ${month}`,
        );
      }),
    );
}
