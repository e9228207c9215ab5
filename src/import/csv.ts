// Reading CSV files as people save them: UTF-8 with or without BOM or Windows-1252 (Excel's "CSV"),
// CRLF or LF, comma, semicolon or tab. Sniffed from the first 64 KB, then streamed with backpressure.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse, CsvError } from 'csv-parse';
import iconv from 'iconv-lite';
import { PracticeError } from '../errors.js';
import { restoreNeutralizedCell } from '../text/csv.js';

export interface CsvFormat {
  encoding: 'utf-8' | 'windows-1252';
  bom: boolean;
  delimiter: ',' | ';' | '\t';
  lineEnding: 'CRLF' | 'LF' | 'CR';
}

const unreadable = (message: string, hint: string) => new PracticeError('IMPORT_UNREADABLE', message, { hint });

export async function sniffCsv(path: string, name: string): Promise<CsvFormat> {
  const handle = await open(path, 'r');
  let sample: Buffer;
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    sample = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const bom = sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf;
  const body = bom ? sample.subarray(3) : sample;
  if (body.toString('latin1').trim() === '') throw unreadable(`${name} is empty.`, 'Check you exported the right file; it needs a header row and at least one row.');
  if (body.includes(0)) throw unreadable(`${name} is not a text file (it looks like a spreadsheet or other binary file).`, 'Save it from the spreadsheet as "CSV (comma delimited)" and import that.');
  if (sample[0] === 0x50 && sample[1] === 0x4b) throw unreadable(`${name} is an Excel workbook, not CSV.`, 'Save it from Excel as "CSV UTF-8" and import that.');
  // A sample cut inside a multi-byte character must not count as invalid UTF-8.
  let encoding: CsvFormat['encoding'] = 'utf-8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, lastCompleteUtf8(body)));
  } catch {
    encoding = 'windows-1252';
  }
  const text = encoding === 'utf-8' ? body.toString('utf8') : iconv.decode(body, 'win1252');
  const firstLine = text.split(/\r\n|\n|\r/, 1)[0] ?? '';
  const outsideQuotes = firstLine.replace(/"[^"]*"/g, '');
  const counts = { ',': 0, ';': 0, '\t': 0 };
  for (const ch of outsideQuotes) if (ch in counts) counts[ch as keyof typeof counts]++;
  const delimiter = (Object.entries(counts).sort((a, b) => b[1] - a[1])[0]![1] > 0 ? Object.entries(counts).sort((a, b) => b[1] - a[1])[0]![0] : ',') as CsvFormat['delimiter'];
  const lineEnding = text.includes('\r\n') ? 'CRLF' : text.includes('\n') ? 'LF' : text.includes('\r') ? 'CR' : 'LF';
  return { encoding, bom, delimiter, lineEnding };
}

function lastCompleteUtf8(buffer: Buffer): number {
  let end = buffer.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = buffer[end - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    if (byte >= 0xc0) return end - back;
    break;
  }
  return end;
}

export interface CsvRow {
  cells: string[];
  /** The row as a spreadsheet numbers it (the header is row 1). */
  row: number;
  /** Why the row could not be read as CSV at all. */
  broken?: string;
}

/**
 * The most characters one row (all its cells) may hold. Far above what any field allows, so a row with a
 * runaway cell is still read and rejected by name; beyond it, the row is not told apart from a quote that is
 * never closed and swallows the rest of the file, so the whole file is refused rather than held in memory.
 */
export const MAX_ROW_CHARACTERS = 16 * 1024 * 1024;

/**
 * Header first, then every row; memory stays flat whatever the file size. A cell neutralised against
 * spreadsheet formulas ('=..., '+..., as practicekit's reject files write them) is read without the apostrophe.
 */
export async function* readCsv(path: string, format: CsvFormat, name = basename(path)): AsyncGenerator<CsvRow> {
  const source = createReadStream(path);
  const decoded = format.encoding === 'windows-1252' ? source.pipe(iconv.decodeStream('win1252')) : source;
  const skipped: CsvRow[] = [];
  let index = 0;
  const parser = parse({
    delimiter: format.delimiter,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_ROW_CHARACTERS,
    on_skip: (error: CsvError | undefined) => {
      // Where such a row ends cannot be known, so nothing after it can be read safely.
      if (error?.code === 'CSV_MAX_RECORD_SIZE') throw tooLongRow(name, index + 1);
      index++;
      skipped.push({ cells: [], row: index, broken: `the row could not be read as CSV (${error?.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quote is never closed' : 'misplaced quote'})` });
    },
  });
  decoded.pipe(parser);
  source.on('error', (error) => parser.destroy(error));
  for await (const cells of parser as AsyncIterable<string[]>) {
    while (skipped.length) yield skipped.shift()!;
    index++;
    // A reject file, fixed and imported again, holds its cells as neutralizeCell wrote them.
    yield { cells: cells.map(restoreNeutralizedCell), row: index };
  }
  while (skipped.length) yield skipped.shift()!;
}

function tooLongRow(name: string, row: number): PracticeError {
  return unreadable(
    `${name} cannot be read as CSV: row ${row} is longer than ${MAX_ROW_CHARACTERS.toLocaleString('en-US')} characters, which usually means a quote opened there is never closed.`,
    'Open the file in a spreadsheet or text editor and look at that row (a stray " in a cell), fix it and import again. Nothing was imported.',
  );
}

/**
 * Reads the whole file once before anything is written, so a file that cannot be read to its end is
 * refused with nothing imported (rows it can isolate are only rejected later, one by one).
 */
export async function checkCsvReadable(path: string, format: CsvFormat, name = basename(path)): Promise<void> {
  if (await plainLinesOnly(path)) return;
  for await (const _row of readCsv(path, format, name));
}

/**
 * A file without a quote character and without a line longer than a row may hold can always be read to its
 * end (only a quote makes a row run on, or be misread), so its bytes are scanned instead of parsed: a tenth of
 * the time. Bytes, not characters, are counted: a line within the limit in bytes is within it in characters.
 */
async function plainLinesOnly(path: string): Promise<boolean> {
  let line = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    if (chunk.includes(0x22)) return false;
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      if (line + end - start > MAX_ROW_CHARACTERS) return false;
      line = 0;
      start = end + 1;
    }
    line += chunk.length - start;
    if (line > MAX_ROW_CHARACTERS) return false;
  }
  return true;
}
