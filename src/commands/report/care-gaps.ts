// practice report care-gaps: who is in a measure's denominator and not (yet) in its numerator.
import { Option, type Command } from 'commander';
import type { ActionFactory } from '../../cli/context.js';
import { renderTable } from '../../cli/output.js';
import { toJson } from '../../cli/output.js';
import { writePrivateFile } from '../../files/private-file.js';
import { addMeasureOptions, measureQuery, type MeasureOptions } from './options.js';

interface GapOptions extends MeasureOptions {
  format: 'table' | 'csv' | 'json';
}

export function registerCareGaps(report: Command, action: ActionFactory): void {
  addMeasureOptions(
    report
      .command('care-gaps')
      .description('work list of patients still missing what a quality measure needs')
      .requiredOption('--measure <ids>', 'measure(s), e.g. CMS125 or CMS125,CMS130'),
  )
    .addOption(new Option('--format <format>', 'output format (default: from the --out file name, else table)').choices(['table', 'csv', 'json']).default('table'))
    .addHelpText(
      'after',
      `
Examples:
  practice report care-gaps --measure CMS125 --period 2026
  practice report care-gaps --measure CMS130 --provider 1234567893 --format csv --out colorectal-gaps.csv`,
    )
    .action(
      action(async (ctx, options: GapOptions) => {
        const query = await measureQuery(ctx, options, options.measure?.split(','));
        const db = await ctx.db();
        const { careGaps } = await import('../../measures/gaps.js');
        const { toCsv } = await import('../../reports/format.js');
        const gaps = await careGaps(db, query);
        const { recordChartRead } = await import('../../db/audit.js');
        await recordChartRead(db, ctx.auditActor, { mrns: gaps.map((g) => g.mrn) }, 'care-gaps', { gaps: gaps.length });
        const data = { period: query.period, gaps };
        const text =
          ctx.json || options.format === 'json'
            ? toJson(data)
            : options.format === 'csv'
              ? toCsv(
                  ['measure', 'rate_group', 'mrn', 'last_name', 'first_name', 'dob', 'phone', 'provider_npi', 'missing', 'due_by'],
                  gaps.map((g) => [g.measure, g.group, g.mrn, g.lastName, g.firstName, g.dob, g.phone, g.providerNpi, g.missing, g.dueBy]),
                )
              : gaps.length === 0
                ? 'No care gaps: every patient in the denominator meets the measure.'
                : renderTable(
                    gaps,
                    [
                      { header: 'Measure', value: (g) => g.measure },
                      { header: 'MRN', value: (g) => g.mrn },
                      { header: 'Patient', value: (g) => `${g.lastName}, ${g.firstName}` },
                      { header: 'Born', value: (g) => g.dob },
                      { header: 'Phone', value: (g) => g.phone ?? '' },
                      { header: 'Missing', value: (g) => g.missing },
                      { header: 'Due by', value: (g) => g.dueBy },
                    ],
                    ctx.out,
                  );
        if (options.out) {
          await writePrivateFile(options.out, text.endsWith('\n') ? text : `${text}\n`, { replace: options.force });
          return { data: { ...data, file: options.out }, human: `Wrote ${gaps.length} care gap(s) to ${options.out}.` };
        }
        return { data, human: ctx.json ? undefined : text.replace(/\n$/, '') };
      }),
    );
}
