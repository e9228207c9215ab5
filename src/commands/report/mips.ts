// practice report mips: the MIPS quality category score the eCQM results would earn, measure by measure,
// and how many care gaps to close for the next decile.
import { Option, type Command } from 'commander';
import type { ActionFactory } from '../../cli/context.js';
import { toJson } from '../../cli/output.js';
import { outputFileOption } from '../../cli/out-format.js';
import { writePrivateFile } from '../../files/private-file.js';
import { measureQuery } from './options.js';

interface MipsOptions {
  period?: string;
  provider?: string;
  tin?: string;
  format: 'table' | 'json';
  out?: string;
  force?: boolean;
}

export function registerMips(report: Command, action: ActionFactory): void {
  outputFileOption(report.command('mips'), '--out <file>', 'write the estimate to this file (readable by you only) instead of the screen')
    .description('estimated MIPS quality score: points per measure, the category score, and the care gaps worth closing')
    .option('--period <year|from..to>', 'performance period: a year, or a date range inside one year (default: this year)')
    .option('--provider <npi>', 'only patients attributed to this provider (NPI): an individual submission')
    .option('--tin <tin>', 'only providers billing under this tax id')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText(
      'after',
      `
Examples:
  practice report mips --period 2026
  practice report mips --period 2026 --provider 1234567893 --format json`,
    )
    .action(
      action(async (ctx, options: MipsOptions) => {
        const query = await measureQuery(ctx, { ...options, program: 'mips' });
        const db = await ctx.db();
        const { mipsReport } = await import('../../reports/mips/query.js');
        const { mipsTable, careGapCommand } = await import('../../reports/mips/render.js');
        const estimate = await mipsReport(db, query);
        const data = {
          ...estimate,
          measures: estimate.measures.map((m) => ({ ...m, careGaps: careGapCommand(estimate, m.measure, options.provider) })),
        };
        const text = ctx.json || options.format === 'json' ? toJson(data) : mipsTable(estimate, options.provider, ctx.out);
        if (options.out) {
          await writePrivateFile(options.out, text.endsWith('\n') ? text : `${text}\n`, { replace: options.force });
          return { data: { ...data, file: options.out }, human: `Wrote the MIPS estimate to ${options.out}.` };
        }
        return { data, human: ctx.json ? undefined : text };
      }),
    );
}
