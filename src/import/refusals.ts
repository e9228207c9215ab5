// A row the database refuses, in plain words. The driver's message quotes the row's values (PHI), so a
// reason is built from the SQLSTATE and the names the error carries (column, constraint), never its text.
import { pgCause } from '../db/errors.js';

const reasons: Record<string, string> = {
  '22001': 'a value is longer than the database column allows',
  '22003': 'a number is too large for the database to store',
  '22007': 'a date or time is not in a form the database reads',
  '22008': 'a date or time is outside the range the database stores',
  '22021': 'a value holds a character the database cannot store',
  '22P02': 'a value is not in the form the database expects',
  '22P05': 'a value holds a character the database cannot store (a NUL byte)',
  '23502': 'a value the database requires is missing',
  '23503': 'it refers to a record that is not on file',
  '23505': 'it would duplicate a record already on file',
  '23514': 'a value breaks a rule of the database',
  '54000': 'a value is too large for the database to store or index',
};

/**
 * Why the database refused a row, when its own data can be the cause (`columns`: where the row's values
 * do not fit, when the error does not say): data exceptions (SQLSTATE class
 * 22), integrity rules (23) and limits such as a value too large to index (54). Anything else (a lost
 * connection, a bug of ours) is undefined: it stops the import instead of rejecting rows.
 */
export function rowRefusal(error: unknown, columns: string[] = []): string | undefined {
  const pg = pgCause(error);
  if (!pg?.code || !/^(22|23|54)/.test(pg.code)) return undefined;
  const named = pg.column ? [pg.column] : columns;
  const where = named.length ? ` (${named.join(', ')})` : pg.constraint ? ` (rule ${pg.constraint})` : '';
  return `the database refused the row: ${reasons[pg.code] ?? 'it holds a value the database cannot take'}${where} [SQLSTATE ${pg.code}]`;
}
