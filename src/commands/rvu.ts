// practice rvu load | gpci | locality | status: Medicare fee schedule reference data for RVU reports.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { renderFields, renderTable } from '../cli/output.js';
import { ExitCode, PracticeError, UsageError } from '../errors.js';
import type { ReferenceFile } from '../rvu/load.js';

async function readReferenceFile(path: string): Promise<ReferenceFile> {
  try {
    // CMS files are Windows-1252; only codes and numbers are read, so latin1 decoding is enough.
    return { content: await readFile(path, 'latin1'), fileName: basename(path) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PracticeError('FILE_UNREADABLE', `Cannot read ${path} (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}).`, {
      hint: 'Check the path; the CMS files come inside the RVU zip from the Physician Fee Schedule page.',
      exitCode: code === 'ENOENT' ? ExitCode.usage : ExitCode.failure,
    });
  }
}

function parseYear(text: string): number {
  const year = Number(text);
  if (!/^\d{4}$/.test(text) || year < 1992 || year > 2100) throw new UsageError(`--year must be a calendar year such as 2025, not "${text}".`);
  return year;
}

function parseConversionFactor(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0)) throw new UsageError(`--conversion-factor must be dollars per RVU such as 32.3465, not "${text}".`);
  return value;
}

interface LocalityOptions {
  state?: string;
  locality?: string;
  mac?: string;
}

function localityChoice(options: LocalityOptions): { state: string; locality: string; mac?: string } | undefined {
  if (!options.state && !options.locality && !options.mac) return undefined;
  if (!options.state || !options.locality) throw new UsageError('Give both --state and --locality to choose a payment locality, e.g. --state NY --locality 01.');
  if (!/^[A-Za-z]{2}$/.test(options.state)) throw new UsageError(`--state must be a two-letter state code, not "${options.state}".`);
  if (!/^\d{1,2}$/.test(options.locality)) throw new UsageError(`--locality must be the two-digit locality number, not "${options.locality}".`);
  if (options.mac && !/^\d{5}$/.test(options.mac)) throw new UsageError(`--mac must be the five-digit contractor number, not "${options.mac}".`);
  return { state: options.state, locality: options.locality, mac: options.mac };
}

const localityText = (l: { state: string; locality: string; mac: string; localityName: string | null }) =>
  `${l.localityName ?? 'unnamed locality'} (${l.state}, locality ${l.locality}, contractor ${l.mac})`;

export function register(program: Command, action: ActionFactory): void {
  const rvu = program.command('rvu').description('load Medicare RVUs and GPCIs, and choose the payment locality');

  rvu
    .command('load')
    .description('load the CMS relative value file (PPRRVU CSV) or a plain RVU CSV for one year, replacing that year')
    .argument('<file>', 'PPRRVU CSV as published by CMS, or a CSV with hcpcs,modifier,status,work_rvu,pe_rvu_nonfacility,pe_rvu_facility,mp_rvu')
    .requiredOption('--year <year>', 'the calendar year the RVUs apply to (dates of service in that year use them)')
    .option('--conversion-factor <dollars>', 'dollars per RVU, e.g. 32.3465 (default: the one in the CMS file)')
    .option('--dry-run', 'check the file and show what would be loaded, without saving')
    .addHelpText(
      'after',
      `
Examples:
  practice rvu load PPRRVU2025_Oct.csv --year 2025
  practice rvu load rvu-2026.csv --year 2026 --conversion-factor 33.4009
A file with any unusable row loads nothing; a reload replaces the year in one step.`,
    )
    .action(
      action(async (ctx, file: string, options: { year: string; conversionFactor?: string; dryRun?: boolean }) => {
        const year = parseYear(options.year);
        const conversionFactor = parseConversionFactor(options.conversionFactor);
        const reference = await readReferenceFile(file);
        const { loadRvuYear } = await import('../rvu/load.js');
        const result = await loadRvuYear(await ctx.db(), ctx.auditActor, { year, file: reference, conversionFactor, dryRun: options.dryRun });
        for (const warning of result.warnings) ctx.warn(warning);
        const statuses = Object.entries(result.statusCounts)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([s, n]) => `${s} ${n.toLocaleString()}`)
          .join(', ');
        const verb = result.dryRun ? 'Would load' : 'Loaded';
        return {
          data: result,
          human: [
            `${verb} ${result.rows.toLocaleString()} RVU rows (${result.codes.toLocaleString()} codes) for ${year}${result.replacedRows ? `, replacing ${result.replacedRows.toLocaleString()} rows` : ''}.`,
            `Conversion factor: ${result.conversionFactor ?? 'none'}. Rows per status: ${statuses}.`,
          ].join('\n'),
        };
      }),
    );

  rvu
    .command('gpci')
    .description('load the geographic practice cost indices (GPCI) for one year, replacing that year')
    .argument('<file>', 'GPCI CSV as published by CMS, or a CSV with mac,state,locality,locality_name,work_gpci,pe_gpci,mp_gpci')
    .requiredOption('--year <year>', 'the calendar year of the indices')
    .option('--state <code>', 'also choose the practice locality: its state')
    .option('--locality <number>', 'also choose the practice locality: its two-digit number')
    .option('--mac <number>', 'the contractor number, when the locality number is not unique in the state')
    .option('--dry-run', 'check the file and show what would be loaded, without saving')
    .addHelpText('after', '\nExample:\n  practice rvu gpci GPCI2025.csv --year 2025 --state NY --locality 01')
    .action(
      action(async (ctx, file: string, options: LocalityOptions & { year: string; dryRun?: boolean }) => {
        const year = parseYear(options.year);
        const choice = localityChoice(options);
        const reference = await readReferenceFile(file);
        const { chooseLocality, loadGpciYear } = await import('../rvu/load.js');
        const db = await ctx.db();
        const result = await loadGpciYear(db, ctx.auditActor, { year, file: reference, dryRun: options.dryRun });
        const chosen = choice && !options.dryRun ? await chooseLocality(db, ctx.auditActor, choice) : null;
        const lines = [
          `${result.dryRun ? 'Would load' : 'Loaded'} ${result.localities} payment localities for ${year}${result.replacedLocalities ? `, replacing ${result.replacedLocalities}` : ''}.`,
        ];
        if (chosen) lines.push(`Payment locality: ${localityText(chosen)}.`);
        return { data: { ...result, locality: chosen }, human: lines.join('\n') };
      }),
    );

  rvu
    .command('locality')
    .description('show or choose the payment locality used for payment estimates')
    .option('--state <code>', 'the state of the locality to choose (or to list with --list)')
    .option('--locality <number>', 'the two-digit locality number to choose')
    .option('--mac <number>', 'the contractor number, when the locality number is not unique in the state')
    .option('--list', 'list the localities of the loaded GPCI files')
    .addHelpText('after', '\nExamples:\n  practice rvu locality --list --state TX\n  practice rvu locality --state TX --locality 99')
    .action(
      action(async (ctx, options: LocalityOptions & { list?: boolean }) => {
        const { chooseLocality, listLocalities, practiceLocality } = await import('../rvu/load.js');
        const db = await ctx.db();
        if (options.list) {
          const localities = await listLocalities(db, { state: options.state });
          return {
            data: { localities },
            human: localities.length
              ? renderTable(
                  localities,
                  [
                    { header: 'State', value: (l) => l.state },
                    { header: 'Locality', value: (l) => l.locality },
                    { header: 'Contractor', value: (l) => l.mac },
                    { header: 'Name', value: (l) => l.localityName },
                    { header: 'Years', value: (l) => l.years.join(', ') },
                  ],
                  ctx.out,
                )
              : 'No GPCI file is loaded. Load one with "practice rvu gpci <file> --year <year>".',
          };
        }
        const choice = localityChoice(options);
        if (choice) {
          const chosen = await chooseLocality(db, ctx.auditActor, choice);
          return { data: { locality: chosen }, human: `Payment locality: ${localityText(chosen)}.` };
        }
        const current = await practiceLocality(db);
        return {
          data: { locality: current },
          human: current
            ? `Payment locality: ${localityText(current)}.`
            : 'No payment locality chosen: estimates use national amounts. Choose one with "practice rvu locality --state XX --locality NN".',
        };
      }),
    );

  rvu
    .command('status')
    .description('the RVU and GPCI years loaded, their conversion factors and the payment locality')
    .addHelpText('after', '\nExamples:\n  practice rvu status\n  practice rvu status --json')
    .action(
      action(async (ctx) => {
        const { practiceLocality, referenceYears } = await import('../rvu/load.js');
        const db = await ctx.db();
        const [years, locality] = await Promise.all([referenceYears(db), practiceLocality(db)]);
        const human = [
          years.length
            ? renderTable(
                years,
                [
                  { header: 'Year', value: (y) => y.year },
                  { header: 'Release', value: (y) => y.release ?? '' },
                  { header: 'RVU rows', value: (y) => y.rows.toLocaleString(), align: 'right' },
                  { header: 'Conversion factor', value: (y) => y.conversionFactor ?? 'none', align: 'right' },
                  { header: 'GPCI localities', value: (y) => y.gpciLocalities, align: 'right' },
                  { header: 'File', value: (y) => y.sourceFile ?? '' },
                ],
                ctx.out,
              )
            : 'No RVU file is loaded. Load one with "practice rvu load <file> --year <year>".',
          renderFields([['Payment locality', locality ? localityText(locality) : 'none chosen (national amounts)']]),
        ].join('\n\n');
        return { data: { years, locality }, human };
      }),
    );
}
