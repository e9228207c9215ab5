// practice import <file.csv> --kind <k>: sniff, map the header, refuse what cannot be read before writing
// anything, then stream rows through the shared batch writer with a reject file next to the input.
import { basename } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { practiceTimeZone, practiceUnits } from '../practice/clock.js';
import type { Db } from '../db/types.js';
import { ExitCode, PracticeError, UsageError } from '../errors.js';
import { kindSpecs, mapHeaders, unmappedRequired, type FieldSpec, type ImportKind } from './columns.js';
import { checkCsvReadable, readCsv, sniffCsv } from './csv.js';
import type { ImportItem } from './engine.js';
import type { DateOrder } from '../dates.js';
import { rowItem, type RowContext } from './kinds.js';
import { RejectWriter } from './rejects.js';
import { fingerprint, runImport, summarise, type ImportOptions, type ImportSummary } from './run.js';
import { defaultJsonLimits, readJsonFileWithin, type JsonLimits } from '../text/json.js';

export interface MappingRequest {
  kind: ImportKind;
  headers: string[];
  /** The first few rows, for guesses from sample values. */
  samples: string[][];
  mapped: Map<string, number>;
  missing: string[][];
}

export interface CsvImportOptions extends ImportOptions {
  kind: ImportKind;
  dateOrder: DateOrder;
  mapFile?: string;
  /** Size and nesting limits for the mapping file. */
  jsonLimits?: JsonLimits;
  /** Interactive mapping (a TTY): returns header → field for the missing fields, or undefined to stop. */
  askMapping?: (request: MappingRequest) => Promise<Record<string, string> | undefined>;
  info?: (message: string) => void;
}

async function readMapping(file: string, limits: JsonLimits): Promise<Record<string, string>> {
  const parsed = await readJsonFileWithin(file, limits);
  if ('problem' in parsed) {
    throw new PracticeError('MAPPING_NOT_JSON', `The mapping file ${basename(file)} ${parsed.problem}; nothing was imported.`, {
      hint: 'It looks like {"columns": {"Column in your file": "canonical_field"}}.',
      exitCode: parsed.missing ? ExitCode.usage : ExitCode.failure,
    });
  }
  const doc = parsed.value;
  const columns = (doc as { columns?: unknown }).columns ?? doc;
  if (!columns || typeof columns !== 'object' || Object.values(columns).some((v) => typeof v !== 'string')) {
    throw new UsageError(`The mapping file ${basename(file)} must map column names to field names.`, 'Example: {"columns": {"Pt Last": "last_name", "Birth": "dob"}}.');
  }
  return columns as Record<string, string>;
}

export async function importCsv(db: Db, input: string, options: CsvImportOptions): Promise<ImportSummary> {
  const name = basename(input);
  const format = await sniffCsv(input, name);
  options.info?.(`Reading ${name}: ${format.encoding}${format.bom ? ' with BOM' : ''}, ${format.lineEnding} line endings, ${format.delimiter === '\t' ? 'tab' : `"${format.delimiter}"`} separated.`);
  await checkCsvReadable(input, format, name);
  const rows = readCsv(input, format, name);
  const first = await rows.next();
  if (first.done || first.value.cells.every((c) => !c.trim())) throw new PracticeError('IMPORT_UNREADABLE', `${name} has no header row.`, { hint: 'The first row must name the columns; "practice import template" shows them.' });
  const headers = first.value.cells.map((h) => h.trim());
  const mapping = options.mapFile ? await readMapping(options.mapFile, options.jsonLimits ?? defaultJsonLimits) : {};
  let columns = mapHeaders(options.kind, headers, mapping);
  // Rows read ahead for the wizard's guesses are processed afterwards like any other.
  const lookahead: typeof first.value[] = [];
  let missing = unmappedRequired(options.kind, columns);
  if (missing.length && options.askMapping) {
    for (let i = 0; i < 5; i++) {
      const next = await rows.next();
      if (next.done) break;
      lookahead.push(next.value);
    }
    const answer = await options.askMapping({ kind: options.kind, headers, samples: lookahead.map((r) => r.cells), mapped: columns, missing });
    if (answer) columns = mapHeaders(options.kind, headers, { ...mapping, ...answer });
    missing = unmappedRequired(options.kind, columns);
  }
  if (missing.length) {
    const fields = kindSpecs[options.kind].fields as FieldSpec[];
    const names = missing.map((group) => group.map((n) => `${n} (${fields.find((f) => f.name === n)!.label})`).join(' or '));
    if (columns.size === 0) {
      throw new PracticeError('IMPORT_WRONG_KIND', `${name} does not look like a ${options.kind} file: none of its columns is one this kind uses.`, {
        hint: `Check --kind, or map the columns with --map. "practice import template --kind ${options.kind}" shows the expected columns.`,
      });
    }
    throw new UsageError(
      `${name} has no column for: ${names.join('; ')}.`,
      `Rename the columns, or give --map mapping.json ({"columns": {"Your column": "${missing[0]![0]}"}}); on a terminal the import asks instead.`,
    );
  }
  // Before the practice is set up (no zone yet), times are taken as UTC, as the quality measures take them then.
  const practiceZone = await practiceTimeZone(db, '');
  const timeZone = practiceZone || 'UTC';
  const timed = (kindSpecs[options.kind].fields as FieldSpec[]).some((f) => (f.type === 'datetime' || f.type === 'time') && columns.has(f.name));
  if (!practiceZone && timed) options.info?.('No practice time zone is set yet ("practice setup --time-zone"): the times in this file are taken as UTC.');
  const context: RowContext = {
    kind: options.kind,
    source: options.source,
    columns,
    dateOrder: options.dateOrder,
    // The practice's date: in the evening in New York, UTC is already tomorrow.
    today: DateTime.fromJSDate(options.now, { zone: timeZone }),
    timeZone,
    units: await practiceUnits(db),
  };
  const rejects = new RejectWriter(options.rejectFile ?? input.replace(/(\.csv|\.txt|\.tsv)?$/i, '.rejects.csv'), headers);
  const cellsByItem = new WeakMap<ImportItem, string[]>();
  async function* batches(): AsyncGenerator<ImportItem[]> {
    let batch: ImportItem[] = [];
    const take = (r: { cells: string[]; row: number; broken?: string }) => {
      const item: ImportItem = r.broken
        ? { where: String(r.row), patients: [], records: [], problems: [r.broken] }
        : r.cells.length > headers.length && r.cells.slice(headers.length).some((c) => c.trim())
          ? { where: String(r.row), patients: [], records: [], problems: [`the row has ${r.cells.length} cells but the header has ${headers.length}: a value probably contains an unquoted "${format.delimiter === '\t' ? 'tab' : format.delimiter}"`] }
          : rowItem(r.cells, r.row, context);
      cellsByItem.set(item, r.cells);
      batch.push(item);
    };
    for (const r of lookahead) take(r);
    for await (const r of rows) {
      take(r);
      // Rows already read would otherwise all be parsed in one go, while the database waits for the current
      // batch's next statement: handing the event loop back every few rows lets parsing and writing overlap.
      if (batch.length % 100 === 0) await setImmediate();
      if (batch.length >= options.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
  let done = 0;
  options.progress.start(undefined, `Importing ${options.kind}`);
  const summary = await runImport(db, batches(), {
    fileName: name,
    fileSha256: await fingerprint(input),
    kind: options.kind,
    format: 'csv',
    actor: options.actor,
    sourceSystem: options.source,
    chartSystem: options.source,
    dryRun: options.dryRun,
    rejectFile: rejects.path,
    signal: options.signal,
    onBatch: async (items, results) => {
      await rejects.addResults(items.map((i) => cellsByItem.get(i) ?? []), items.map((i) => i.where), results);
      done += items.length;
      options.progress.update(done);
    },
  });
  return summarise(options.kind, options.dryRun, { ...summary, runIds: summary.runId === null ? [] : [summary.runId] }, rejects);
}

