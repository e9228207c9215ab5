// practice import <file|dir> --kind <k> | --format synthea|fhir ; import template ; import log
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import type { CommandContext, CommandResult } from '../cli/context.js';
import { renderFields, renderTable } from '../cli/output.js';
import { PracticeError, UsageError } from '../errors.js';
import { importKinds, type FieldSpec, type ImportKind } from '../import/columns.js';
import type { MappingRequest } from '../import/csv-run.js';
import type { ImportSummary } from '../import/run.js';
import type { BucketCounts } from '../import/engine.js';
import { jsonLimits } from '../cli/config.js';

interface ImportOptions {
  kind?: ImportKind;
  format?: 'csv' | 'synthea' | 'fhir';
  map?: string;
  rejectFile?: string;
  dryRun?: boolean;
  dateOrder: 'mdy' | 'dmy';
  source?: string;
  batchSize: string;
}

export function register(program: Command, action: ActionFactory): void {
  const command = program
    .command('import')
    .description('bring in paper-chart transcriptions, old-system exports, Synthea CSV and FHIR')
    .argument('<path>', 'a CSV file (with --kind), a Synthea CSV folder, or a FHIR JSON file or folder')
    .addOption(new Option('--kind <kind>', 'what the CSV holds').choices(importKinds))
    .addOption(new Option('--format <format>', 'input format (guessed from the path when left out)').choices(['csv', 'synthea', 'fhir']))
    .option('--map <mapping.json>', 'which column of the file is which field (see "practice import template")')
    .option('--reject-file <file>', 'where rejected rows go (default: next to the input, <name>.rejects.csv)')
    .option('--dry-run', 'check everything and report what would happen, writing nothing')
    .addOption(new Option('--date-order <order>', 'how to read dates like 03/04/85').choices(['mdy', 'dmy']).default('mdy'))
    .option('--source <name>', 'name of the system the data comes from (keys re-imports; default: chart, synthea or fhir)')
    .addOption(new Option('--batch-size <n>', 'rows written per transaction').default('1000').hideHelp())
    .addHelpText(
      'after',
      `
Examples:
  practice import patients.csv --kind patients      paper-chart transcription (exit 3 if rows were rejected)
  practice import old/ --format synthea              a Synthea CSV export folder
  practice import bundle.json --format fhir          a FHIR R4 Bundle, resource, or folder of them
  practice import template --kind problems > problems.csv
  practice import log`,
    )
    .action(action((ctx, path: string, options: ImportOptions) => runImportCommand(ctx, path, options)));

  command
    .command('template')
    .description('print an empty CSV with the column names a kind of import expects')
    .addOption(new Option('--kind <kind>', 'which kind of CSV').choices(importKinds))
    .addHelpText('after', '\nExamples:\n  practice import template --kind patients > patients.csv\n  practice import template --kind medications --json')
    .action(
      action(async (ctx, _options: unknown, self: Command) => {
        // --kind is also an option of "import" itself, which commander may have given it.
        const kind = self.optsWithGlobals().kind as ImportKind | undefined;
        if (!kind) throw new UsageError('Say which kind of template: --kind patients, problems, medications, ...');
        const { templateCsv, kindColumns } = await import('../import/columns.js');
        return { data: { kind, columns: kindColumns(kind) }, human: templateCsv(kind).trimEnd() };
      }),
    );

  command
    .command('log')
    .description('the imports run so far: file, fingerprint, counts, who and when')
    .option('--limit <n>', 'how many to show', '20')
    .addHelpText('after', '\nExamples:\n  practice import log\n  practice import log --limit 5 --json')
    .action(
      action(async (ctx, options: { limit: string }) => {
        const { importLog } = await import('../import/run.js');
        const database = await ctx.database();
        const entries = await importLog(database.db, positive(options.limit, '--limit'), { exclusive: database.client.backend === 'pglite' });
        const human = entries.length
          ? renderTable(
              entries,
              [
                { header: 'Run', value: (e) => e.id, align: 'right' },
                { header: 'Started (UTC)', value: (e) => e.startedAt.slice(0, 16).replace('T', ' ') },
                { header: 'File', value: (e) => e.fileName },
                { header: 'Kind', value: (e) => e.kind },
                { header: 'By', value: (e) => e.actor },
                { header: 'Status', value: (e) => e.status },
                { header: 'Read', value: (e) => e.rowsRead, align: 'right' },
                { header: 'New', value: (e) => e.inserted, align: 'right' },
                { header: 'Updated', value: (e) => e.updated, align: 'right' },
                { header: 'Same', value: (e) => e.unchanged, align: 'right' },
                { header: 'Rejected', value: (e) => e.rejected, align: 'right' },
              ],
              ctx.out,
            )
          : 'No imports yet.';
        return { data: entries, human };
      }),
    );
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number above zero.`);
  return n;
}

async function guessFormat(path: string, options: ImportOptions): Promise<'csv' | 'synthea' | 'fhir'> {
  if (options.format) return options.format;
  if (options.kind) return 'csv';
  const info = await stat(path);
  if (/\.(json|ndjson)$/i.test(path)) return 'fhir';
  if (info.isDirectory()) {
    const { existsSync } = await import('node:fs');
    if (existsSync(resolve(path, 'patients.csv'))) return 'synthea';
    return 'fhir';
  }
  throw new UsageError('Say what the file holds: --kind for a CSV (e.g. --kind patients), or --format synthea|fhir.');
}

async function runImportCommand(ctx: CommandContext, path: string, options: ImportOptions): Promise<CommandResult> {
  const input = resolve(ctx.io.cwd, path);
  try {
    await stat(input);
  } catch {
    throw new PracticeError('IMPORT_NOT_FOUND', `${path} does not exist or cannot be read.`, { hint: 'Check the path and your permission to read it.' });
  }
  const format = await guessFormat(input, options);
  const batchSize = positive(options.batchSize, '--batch-size');
  if (format === 'csv' && !options.kind) throw new UsageError('A CSV import needs --kind (patients, problems, medications, ...).', 'Run "practice import --help" for the list.');
  const progress = await ctx.progress();
  const common = { actor: ctx.auditActor, dryRun: Boolean(options.dryRun), batchSize, progress, signal: ctx.signal, now: ctx.now };
  let summary: ImportSummary;
  if (format === 'fhir') {
    const { importFhir } = await import('../import/fhir-run.js');
    summary = await importFhir(await ctx.db(), input, { ...common, limits: jsonLimits(ctx.io.env), source: options.source ?? 'fhir', rejectFile: options.rejectFile ? resolve(ctx.io.cwd, options.rejectFile) : undefined });
  } else if (format === 'synthea') {
    const { importSynthea } = await import('../import/synthea.js');
    summary = await importSynthea(await ctx.db(), input, { ...common, source: options.source ?? 'synthea', rejectFile: options.rejectFile ? resolve(ctx.io.cwd, options.rejectFile) : undefined });
  } else {
    const { importCsv } = await import('../import/csv-run.js');
    summary = await importCsv(await ctx.db(), input, {
      ...common,
      kind: options.kind!,
      source: options.source ?? 'chart',
      dateOrder: options.dateOrder,
      mapFile: options.map ? resolve(ctx.io.cwd, options.map) : undefined,
      jsonLimits: jsonLimits(ctx.io.env),
      rejectFile: options.rejectFile ? resolve(ctx.io.cwd, options.rejectFile) : undefined,
      askMapping: ctx.io.stdinIsTTY || ctx.io.prompter ? (request) => mappingWizard(ctx, request) : undefined,
      info: (m) => ctx.info(m),
    });
  }
  progress.stop();
  const result = present(ctx, path, format, summary);
  return summary.dryRun || !(format !== 'csv' || options.kind === 'medications' || options.kind === 'allergies') ? result : withAllergyConflicts(ctx, result, options.source ?? (format === 'csv' ? 'chart' : format));
}

/** Imported medication lists get the allergy check a prescription gets: conflicts are reported, not refused. */
async function withAllergyConflicts(ctx: CommandContext, result: CommandResult, source: string): Promise<CommandResult> {
  const { medicationAllergyConflicts } = await import('../chart/medication-review.js');
  const conflicts = await medicationAllergyConflicts(await ctx.db(), source);
  if (conflicts.length === 0) return result;
  const serious = conflicts.filter((c) => c.level === 'stop').length;
  ctx.warn(`${conflicts.length} imported medication(s) conflict with a recorded allergy${serious ? ` (${serious} serious)` : ''}: review them with the prescriber (listed below).`);
  const table = renderTable(
    conflicts,
    [
      { header: 'Chart', value: (c) => c.mrn },
      { header: 'Medication', value: (c) => c.medication },
      { header: 'Allergy', value: (c) => c.allergy },
      { header: 'Match', value: (c) => c.match },
      { header: 'Level', value: (c) => (c.level === 'stop' ? 'serious' : 'warning') },
    ],
    ctx.out,
  );
  return { ...result, data: { ...(result.data as object), allergyConflicts: conflicts }, human: `${result.human ?? ''}\n\nMedications that conflict with a recorded allergy:\n${table}` };
}


function present(ctx: CommandContext, path: string, format: string, s: ImportSummary): CommandResult {
  const c = s.counts;
  const data = { file: basename(path), format, ...s };
  const lines = [
    renderFields([
      ['Imported', `${path} (${format}${s.kind !== format ? `, ${s.kind}` : ''})${s.dryRun ? ' — dry run, nothing was written' : ''}`],
      ['Read', c.read],
      [s.dryRun ? 'Would add' : 'Added', c.inserted],
      [s.dryRun ? 'Would update' : 'Updated', c.updated],
      ['Unchanged', c.unchanged],
      ...(c.skipped ? ([['Skipped (not stored)', c.skipped]] as [string, unknown][]) : []),
      ['Rejected', c.rejected],
    ]),
  ];
  if (s.files?.length) {
    lines.push(
      renderTable(
        s.files,
        [
          { header: 'File', value: (f) => f.file },
          { header: 'Read', value: (f) => f.counts.read, align: 'right' },
          { header: 'Added', value: (f) => f.counts.inserted, align: 'right' },
          { header: 'Updated', value: (f) => f.counts.updated, align: 'right' },
          { header: 'Same', value: (f) => f.counts.unchanged, align: 'right' },
          { header: 'Skipped', value: (f) => f.counts.skipped, align: 'right' },
          { header: 'Rejected', value: (f) => f.counts.rejected, align: 'right' },
        ],
        ctx.out,
      ),
    );
  }
  if (s.rejectReasons.length) {
    lines.push(`Why rows were rejected:\n${s.rejectReasons.slice(0, 10).map((r) => `  ${r.rows} × ${r.reason}`).join('\n')}`);
  }
  if (s.rejectFile) lines.push(`Rejected rows, with the reason for each, are in ${s.rejectFile}: fix them there and import that file again.`);
  if (s.ignoredFiles?.length) {
    ctx.info(`${s.ignoredFiles.length} file(s) in the folder hold nothing this import stores and were left alone (e.g. ${s.ignoredFiles.slice(0, 3).join(', ')}).`);
  }
  if (s.possibleDuplicates) {
    ctx.warn(`${s.possibleDuplicates} new patient(s) have the same name and date of birth as a patient already on file: review them with "practice patients duplicates".`);
  }
  return { data, human: lines.join('\n\n'), exitCode: c.rejected > 0 ? 3 : 0 };
}

/**
 * Asks, column by column, which column of the file holds each missing field (guessing from header names
 * and sample values), then offers to save the answers as a mapping file for the next run.
 */
async function mappingWizard(ctx: CommandContext, request: MappingRequest): Promise<Record<string, string> | undefined> {
  const { kindSpecs } = await import('../import/columns.js');
  const { guessColumn } = await import('../import/guess.js');
  const fields = kindSpecs[request.kind].fields as FieldSpec[];
  const taken = new Set(request.mapped.values());
  const answers: Record<string, string> = {};
  ctx.info(`Some columns the ${request.kind} import needs were not recognised. Say which column holds each one.`);
  for (const group of request.missing) {
    const field = fields.find((f) => f.name === group[0])!;
    const free = request.headers.map((h, i) => ({ h, i })).filter(({ i }) => !taken.has(i));
    const guess = guessColumn(field, request.headers, request.samples, taken);
    const choice = await ctx.prompter.select<number>(
      `Which column is ${field.name} (${field.label})?`,
      [
        ...free.map(({ h, i }) => ({ name: h || `(column ${i + 1})`, value: i, description: request.samples[0]?.[i] ? `e.g. ${request.samples.map((s) => s[i]).filter(Boolean).slice(0, 3).join(', ')}` : undefined })),
        { name: '(not in this file: stop)', value: -1 },
      ],
      { default: guess ?? -1 },
    );
    if (choice < 0) return undefined;
    taken.add(choice);
    answers[request.headers[choice]!] = field.name;
  }
  if (await ctx.prompter.confirm('Save this mapping for next time?', { default: true })) {
    const file = await ctx.prompter.input('Mapping file name', { default: `${request.kind}-mapping.json` });
    const path = resolve(ctx.io.cwd, file);
    const { existsSync } = await import('node:fs');
    if (!existsSync(path) || (await ctx.prompter.confirm(`${file} already exists. Replace it?`, { default: false }))) {
      const { writePrivateFile } = await import('../files/private-file.js');
      await writePrivateFile(path, `${JSON.stringify({ kind: request.kind, columns: answers }, null, 2)}\n`);
      ctx.info(`Saved. Next time: practice import <file> --kind ${request.kind} --map ${file}`);
    }
  }
  return answers;
}
