// CSV for people's spreadsheets: every file practicekit writes as CSV (reports, call lists, statements,
// reject files) goes through neutralizeCell, so a cell a spreadsheet would run as a formula never does.
import { stringify } from 'csv-stringify/sync';

/** A cell a spreadsheet would run as a formula (= + - @ tab CR) gets a leading apostrophe. */
export function neutralizeCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  // Numbers stay numbers (a negative figure is not a formula); text starting with a trigger is neutralised.
  if (typeof value === 'number') return String(value);
  const text = String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/**
 * The cell as it was before neutralizeCell: a file practicekit wrote (a reject file, fixed and imported again)
 * gives back what was read. Only that exact apostrophe comes off; any other leading ' is the value's own.
 */
export function restoreNeutralizedCell(cell: string): string {
  return cell.charCodeAt(0) === 39 && /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

/** RFC 4180 CSV with a header row; every text cell neutralised. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return stringify([header, ...rows.map((row) => row.map(neutralizeCell))], { record_delimiter: '\n' });
}
