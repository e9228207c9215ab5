// Plain-text tables and fields for people: used by the CLI and by reports that render text, so it lives
// below both (domain code never imports the CLI).
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';

export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
  align?: 'left' | 'right';
}

/** Control characters in imported text must not reach the terminal (escape sequences, bells). */
export function sanitizeForDisplay(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  // eslint-disable-next-line no-control-regex
  return String(value).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

export function renderTable<Row>(rows: Row[], columns: Column<Row>[], chalk?: ChalkInstance): string {
  const table = new Table({
    head: columns.map((c) => (chalk ? chalk.bold(c.header) : c.header)),
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: { head: [], border: [] },
  });
  for (const row of rows) table.push(columns.map((c) => sanitizeForDisplay(c.value(row))));
  return table.toString();
}

/** "label: value" lines for one record, aligned. */
export function renderFields(fields: [string, unknown][]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${sanitizeForDisplay(value)}`).join('\n');
}

