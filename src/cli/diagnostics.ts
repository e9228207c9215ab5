// What an error shows: the one place that decides, so patient data never reaches stderr, stdout or a log.
// Driver errors carry row values (PostgreSQL's detail "Key (mrn)=(K1) already exists", postgres.js and
// PGlite parameters, drizzle's "Failed query: ... params: <values>" message), so from them only the SQL
// text, the parameter types and the error's code and names are shown, never a value. --debug adds the
// stack and that SQL; without it an unexpected error says only its kind.
import { DatabaseError, pgCause } from '../db/errors.js';
import { redactSecrets } from '../db/url.js';
import { ExitCode, PracticeError, ValidationError, type Issue } from '../errors.js';

export interface ShownError {
  code: string;
  message: string;
  hint?: string;
  exitCode: number;
  issues?: Issue[];
}

// PostgreSQL error classes whose cause is the data given (a constraint, a value that does not fit):
// the user fixes the input; --debug would not help them.
const INPUT_CLASSES = new Set(['22', '23']);
// Classes whose server message names only objects of the schema or the connection, never row values.
const SAFE_MESSAGE_CLASSES = new Set(['08', '28', '3D', '42', '53', '57']);

const CONDITION_NAMES: Record<string, string> = {
  '22001': 'a value is longer than the database allows',
  '22003': 'a number is out of range',
  '22007': 'a date or time is not valid',
  '22008': 'a date or time is out of range',
  '22P02': 'a value is not of the expected type',
  '23502': 'a required value is missing',
  '23503': 'it points to a record that does not exist',
  '23505': 'the record already exists',
  '23514': 'a value breaks a check',
};

/** The message, hint and exit code a person sees for an error (never its driver text). */
export function shownError(error: unknown): ShownError {
  if (error instanceof PracticeError) {
    return { code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode, issues: error instanceof ValidationError ? error.issues : undefined };
  }
  if (error instanceof DatabaseError) return { code: error.code, message: redactSecrets(error.message), hint: error.hint, exitCode: ExitCode.failure };
  const pg = pgCause(error);
  if (pg?.code) {
    const why = CONDITION_NAMES[pg.code];
    const rule = pg.constraint ? ` it breaks the rule "${pg.constraint}"` : why ? ` ${why}` : '';
    if (INPUT_CLASSES.has(pg.code.slice(0, 2))) {
      return {
        code: `PG_${pg.code}`,
        message: `The database refused the change:${rule || ` Postgres error ${pg.code}`}${pg.constraint && why ? ` (${why})` : ''}.`,
        hint: 'Nothing was saved by the failed step. Check the values given and try again.',
        exitCode: ExitCode.failure,
      };
    }
    return {
      code: `PG_${pg.code}`,
      message: `The database could not do the request (Postgres error ${pg.code}).`,
      hint: 'Nothing more was done. Run again with --debug for details, and report it if it persists.',
      exitCode: ExitCode.failure,
    };
  }
  return {
    code: 'INTERNAL',
    message: `Unexpected internal error (${error instanceof Error ? error.name : typeof error}).`,
    hint: 'Nothing more was done. Run again with --debug for details, and report it if it persists.',
    exitCode: ExitCode.failure,
  };
}

interface DriverFields {
  code?: unknown;
  severity?: unknown;
  constraint?: unknown;
  constraint_name?: unknown;
  table?: unknown;
  table_name?: unknown;
  column?: unknown;
  column_name?: unknown;
  schema?: unknown;
  schema_name?: unknown;
  routine?: unknown;
  query?: unknown;
  params?: unknown;
  parameters?: unknown;
  types?: unknown;
  syscall?: unknown;
  cause?: unknown;
}

const PG_TYPES: Record<number, string> = {
  16: 'boolean', 17: 'bytea', 20: 'bigint', 21: 'smallint', 23: 'integer', 25: 'text', 114: 'json', 700: 'real', 701: 'double precision',
  1007: 'integer[]', 1009: 'text[]', 1016: 'bigint[]', 1043: 'varchar', 1082: 'date', 1083: 'time', 1114: 'timestamp', 1184: 'timestamptz',
  1186: 'interval', 1700: 'numeric', 2950: 'uuid', 3802: 'jsonb',
};

/** The type of one parameter: the server's, when the driver knows it, else what the JavaScript value is. */
function parameterType(value: unknown, oid: unknown): string {
  if (typeof oid === 'number' && oid > 0) return PG_TYPES[oid] ?? `type ${oid}`;
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return 'timestamptz';
  if (value instanceof Uint8Array) return 'bytea';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'numeric';
  if (typeof value === 'object') return 'json';
  return typeof value;
}

const MAX_SQL = 4000;
const MAX_TYPES = 40;

function parameterTypes(params: unknown[], oids: unknown): string {
  const types = Array.isArray(oids) ? oids : [];
  const shown = params.slice(0, MAX_TYPES).map((p, i) => `$${i + 1} ${parameterType(p, types[i])}`);
  return `${shown.join(', ')}${params.length > MAX_TYPES ? `, ... (${params.length.toLocaleString('en-US')} parameters)` : ''}` || 'none';
}

/** A message that cannot carry values: ours, the system's (a path), a programming error's (names). */
function safeMessage(error: Error, pgCode: string | undefined): string | undefined {
  if (error instanceof PracticeError || error instanceof DatabaseError) return error.message;
  if (pgCode) return SAFE_MESSAGE_CLASSES.has(pgCode.slice(0, 2)) ? error.message : undefined;
  if (typeof (error as DriverFields).syscall === 'string') return error.message;
  if (error instanceof TypeError || error instanceof ReferenceError) return error.message;
  // SyntaxError quotes the text it could not parse; drizzle's and the drivers' errors quote values.
  return undefined;
}

/** The stack frames only: the first lines of a stack repeat the message. */
function frames(error: Error): string[] {
  return (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
}

/**
 * The --debug report of an error and its causes: kinds, safe messages, stack frames, SQL text with
 * parameter types, and the database's error code and the names it gives (constraint, table, column).
 */
export function debugDetails(error: unknown): string {
  const lines: string[] = ['debug:'];
  let e: unknown = error;
  let sqlShown = false;
  for (let depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    if (!(e instanceof Error)) {
      lines.push(`${depth ? 'caused by ' : ''}a thrown ${typeof e} (value not shown)`);
      break;
    }
    const d = e as Error & DriverFields;
    const pgCode = typeof d.code === 'string' && /^[0-9A-Z]{5}$/.test(d.code) ? d.code : undefined;
    const message = safeMessage(e, pgCode);
    const kind = e.name === 'Error' && e.constructor.name !== 'Object' ? e.constructor.name : e.name;
    lines.push(`${depth ? 'caused by ' : ''}${kind}${message !== undefined ? `: ${message}` : ' (message not shown: it may carry patient data)'}`);
    if (pgCode) {
      const names: [string, unknown][] = [
        ['code', pgCode],
        ['severity', d.severity],
        ['schema', d.schema ?? d.schema_name],
        ['table', d.table ?? d.table_name],
        ['column', d.column ?? d.column_name],
        ['constraint', d.constraint ?? d.constraint_name],
        ['routine', d.routine],
      ];
      lines.push(`  database error: ${names.filter(([, v]) => typeof v === 'string' && v).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    } else if (typeof d.code === 'string') lines.push(`  code: ${d.code}`);
    if (!sqlShown && typeof d.query === 'string') {
      const params = Array.isArray(d.params) ? d.params : Array.isArray(d.parameters) ? d.parameters : [];
      lines.push(`  SQL: ${d.query.length > MAX_SQL ? `${d.query.slice(0, MAX_SQL)} ... (${d.query.length.toLocaleString('en-US')} characters)` : d.query}`);
      lines.push(`  parameters (types only): ${parameterTypes(params, d.types)}`);
      sqlShown = true;
    }
    lines.push(...frames(e));
    e = d.cause;
  }
  return `${redactSecrets(lines.join('\n'))}\n`;
}
