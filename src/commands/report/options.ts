// Options the quality reports share, and turning them into a measure query.
import { Option, type Command } from 'commander';
import type { CommandContext } from '../../cli/context.js';
import { formatFromOut, outputFileOption } from '../../cli/out-format.js';
import { UsageError } from '../../errors.js';
import { practiceToday } from '../../practice/clock.js';
import type { QualityQuery } from '../../measures/run.js';

export interface MeasureOptions {
  period?: string;
  measures?: string;
  measure?: string;
  provider?: string;
  tin?: string;
  program: 'mips' | 'hedis';
  out?: string;
  force?: boolean;
}

export function addMeasureOptions(command: Command): Command {
  return outputFileOption(formatFromOut(command), '--out <file>', 'write the report to this file (readable by you only) instead of the screen')
    .option('--period <year|from..to>', 'reporting period: a year, or a date range inside one year (default: this year)')
    .option('--provider <npi>', 'only patients attributed to this provider (NPI)')
    .option('--tin <tin>', 'only providers billing under this tax id')
    .addOption(new Option('--program <program>', 'measure set').choices(['mips', 'hedis']).default('mips'));
}

export async function measureQuery(ctx: CommandContext, options: MeasureOptions, ids?: string[]): Promise<QualityQuery> {
  const { measureTimeZone, parsePeriod, providerIdByNpi, selectMeasures } = await import('../../measures/run.js');
  const db = await ctx.db();
  const zone = await measureTimeZone(db);
  const period = parsePeriod(options.period ?? practiceToday(ctx.now, zone).slice(0, 4), zone);
  if (options.tin && !/^\d{9}$/.test(options.tin)) throw new UsageError(`--tin must be 9 digits.`);
  const measures = selectMeasures(Number(period.start.slice(0, 4)), options.program, ids);
  const { measuresMissingValueSets } = await import('../../measures/valuesets.js');
  const incomplete = await measuresMissingValueSets(db, measures);
  if (incomplete.length > 0) {
    ctx.warn(
      `Some value sets of ${incomplete.map((m) => m.measure).join(', ')} are not loaded for ${period.start.slice(0, 4)}: ` +
        `their counts will be zero or too low. Load the measures' value sets first: practice valueset import <folder>`,
    );
  }
  return {
    period,
    program: options.program,
    measures,
    providerId: options.provider ? await providerIdByNpi(db, options.provider) : undefined,
    tin: options.tin,
  };
}
