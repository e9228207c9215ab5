// practice report quality: MIPS eCQM populations and rates, overall, per provider and per stratum.
import { Option, type Command } from 'commander';
import type { ActionFactory } from '../../cli/context.js';
import { toJson } from '../../cli/output.js';
import type { Db } from '../../db/types.js';
import { UsageError } from '../../errors.js';
import { practiceToday } from '../../practice/clock.js';
import type { QualityQuery, QualityReport } from '../../measures/run.js';
import type { BenchmarkedReport } from '../../reports/quality/benchmarks.js';
import { writePrivateFile } from '../../files/private-file.js';
import { addMeasureOptions, measureQuery, type MeasureOptions } from './options.js';

interface QualityOptions extends MeasureOptions {
  format: 'table' | 'csv' | 'json' | 'pdf' | 'qpp' | 'qrda3';
  detail?: boolean;
}

export function registerQuality(report: Command, action: ActionFactory): void {
  addMeasureOptions(
    report
      .command('quality')
      .description('quality measure populations and performance rates (eCQMs), overall and per provider')
      .option('--measures <ids>', 'comma-separated measures, e.g. CMS122,CMS165 (default: all of the year)'),
  )
    .addOption(new Option('--format <format>', 'output format (default: from the --out file name, else table)').choices(['table', 'csv', 'json', 'pdf', 'qpp', 'qrda3']).default('table'))
    .option('--detail', 'one row per patient and measure with each population flag')
    .addHelpText(
      'after',
      `
Examples:
  practice report quality --period 2026
  practice report quality --period 2026 --measures CMS122,CMS165 --provider 1234567893
  practice report quality --period 2026 --format pdf --out quality-2026.pdf
  practice report quality --period 2026 --detail --format csv --out who-counted.csv
  practice report quality --period 2026 --tin 123456789 --format qpp --out qpp-2026.json
                                   (QPP submission JSON: --tin for a group, add --provider for an individual)
  practice report quality --period 2026 --format qrda3 --out qrda-2026.xml
                                   (QRDA Category III: the practice's TIN as a group, or --provider NPI as MIPS_INDIV)`,
    )
    .action(
      action(async (ctx, options: QualityOptions) => {
        if (options.format === 'pdf' && !options.out) throw new UsageError('A PDF needs a file: add --out report.pdf.');
        if (['pdf', 'qpp', 'qrda3'].includes(options.format) && options.detail) throw new UsageError('--detail is available as table, csv or json.');
        if (options.format === 'qpp' && !options.tin) throw new UsageError('A QPP submission names the tax id it is for: add --tin (and --provider for an individual).');
        const ids = options.measures?.split(',');
        const query = await measureQuery(ctx, options, ids);
        const db = await ctx.db();
        const { qualityDetail, runQuality } = await import('../../measures/run.js');
        const render = await import('../../reports/quality/render.js');
        const json = ctx.json || options.format === 'json';
        if (options.format === 'qrda3') {
          const { writeQrda } = await import('./qrda.js');
          return writeQrda(ctx, query, options);
        }
        if (options.detail) {
          const rows = await qualityDetail(db, query);
          const data = { period: query.period, program: query.program, rows };
          const text = json ? toJson(data) : options.format === 'csv' ? render.detailCsv(rows) : render.detailTable(rows, ctx.out);
          return finish(ctx, options, data, text, `${rows.length} patient row(s)`);
        }
        const plain = await runQuality(db, query);
        // The PDF and JSON carry each rate's benchmark decile and its trend by month (year to date).
        const result = options.format === 'pdf' || (json && options.format !== 'qpp') ? await benchmarkedReport(db, query, plain, ctx.now) : plain;
        if (options.format === 'pdf') {
          const { practiceName } = await import('../../reports/quality/query.js');
          const { renderQualityPdf } = await import('../../reports/quality/render-pdf.js');
          await writePrivateFile(options.out!, await renderQualityPdf(result as BenchmarkedReport, { now: ctx.now, practiceName: await practiceName(db) }), { replace: options.force });
          return { data: { ...result, file: options.out }, human: `Wrote the quality report to ${options.out}.` };
        }
        if (options.format === 'qpp') {
          const { qppSubmission } = await import('../../reports/quality/render-qpp.js');
          const submission = qppSubmission(plain, { entityType: options.provider ? 'individual' : 'group', tin: options.tin!, npi: options.provider });
          return finish(ctx, options, submission, toJson(submission), 'the QPP submission');
        }
        const text = json ? toJson(result) : options.format === 'csv' ? render.summaryCsv(plain) : render.summaryTable(plain, ctx.out);
        return finish(ctx, options, result, text, `${result.measures.length} measure(s)`);
      }),
    );
}

async function benchmarkedReport(db: Db, query: QualityQuery, report: QualityReport, now: Date): Promise<BenchmarkedReport> {
  const { qualityTrend } = await import('../../measures/run.js');
  const { withBenchmarks } = await import('../../reports/quality/benchmarks.js');
  const today = practiceToday(now, query.period.timeZone);
  return withBenchmarks(report, await qualityTrend(db, query, today));
}

/** To the screen, or to --out with a one-line note on the screen. */
async function finish(ctx: { json: boolean }, options: QualityOptions, data: object, text: string, what: string) {
  if (options.out) {
    await writePrivateFile(options.out, text.endsWith('\n') ? text : `${text}\n`, { replace: options.force });
    return { data: { ...data, file: options.out }, human: `Wrote ${what} to ${options.out}.` };
  }
  // --format json without --json prints the same single document.
  return { data, human: ctx.json ? undefined : text.replace(/\n$/, '') };
}
