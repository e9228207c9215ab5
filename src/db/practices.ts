// Several practices on one PostgreSQL server: each practice's tables live in a schema of its own,
// named after the practice; the default practice (no --practice) is the public schema, so databases
// made before practices existed keep working. National reference data is shared, in REFERENCE_SCHEMA.
import { sql } from 'drizzle-orm';
import { UsageError } from '../errors.js';
import { queryRows } from './query.js';
import { REFERENCE_SCHEMA } from './schema/reference.js';
import type { Db } from './types.js';

export const DEFAULT_SCHEMA = 'public';
/** Where drizzle records the default practice's migrations (as it always has). */
export const DEFAULT_MIGRATIONS_SCHEMA = 'drizzle';
export const MIGRATIONS_TABLE = '__drizzle_migrations';

// Schemas PostgreSQL, Citus or practicekit already use for something else.
const RESERVED = new Set([DEFAULT_SCHEMA, REFERENCE_SCHEMA, DEFAULT_MIGRATIONS_SCHEMA, 'information_schema', 'citus', 'columnar']);

/** A practice's name is its schema's name: checked here so it is always a plain, unquoted identifier. */
export function checkPracticeName(name: string): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) {
    throw new UsageError(
      `"${name}" is not a usable practice name.`,
      'Use lower-case letters, digits and underscores, starting with a letter (at most 63), e.g. northside or dr_lee.',
    );
  }
  if (RESERVED.has(name) || name.startsWith('pg_') || name.startsWith('citus_')) {
    throw new UsageError(`"${name}" is a name the database keeps for itself.`, 'Choose another practice name; leave out --practice for the default practice.');
  }
  return name;
}

/** The schema of a practice; undefined = the default practice. */
export function practiceSchema(practice: string | undefined): string {
  return practice === undefined ? DEFAULT_SCHEMA : checkPracticeName(practice);
}

/** A named practice keeps its migration history inside its own schema, so the schema is the whole practice. */
export function migrationsSchema(schema: string): string {
  return schema === DEFAULT_SCHEMA ? DEFAULT_MIGRATIONS_SCHEMA : schema;
}

/** The practice's schema first (unqualified names are its tables), then the shared reference data. */
export function searchPath(schema: string): string {
  return `${schema}, ${REFERENCE_SCHEMA}`;
}

export interface PracticeSummary {
  /** null: the default practice (public schema). */
  name: string | null;
  schema: string;
  migrationsApplied: number;
  patients: number | null;
}

/** Every practice on the server: the schemas that hold a practicekit migration history. */
export async function listPractices(db: Db): Promise<PracticeSummary[]> {
  const rows = await queryRows<{ schema: string }>(
    db,
    sql`select n.nspname as schema from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relname = ${MIGRATIONS_TABLE} and c.relkind = 'r'
           and (n.nspname = ${DEFAULT_MIGRATIONS_SCHEMA} or n.nspname not in (${DEFAULT_SCHEMA}, ${REFERENCE_SCHEMA}))
         order by n.nspname`,
  );
  const result: PracticeSummary[] = [];
  for (const { schema: holder } of rows) {
    const schema = holder === DEFAULT_MIGRATIONS_SCHEMA ? DEFAULT_SCHEMA : holder;
    const history = sql`${sql.identifier(holder)}.${sql.identifier(MIGRATIONS_TABLE)}`;
    const [applied] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${history}`);
    const [table] = await queryRows<{ present: boolean }>(db, sql`select to_regclass(${`${schema}.patients`}) is not null as present`);
    let patients: number | null = null;
    if (table?.present) {
      const [count] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(schema)}.patients`);
      patients = count?.n ?? 0;
    }
    result.push({ name: schema === DEFAULT_SCHEMA ? null : schema, schema, migrationsApplied: applied?.n ?? 0, patients });
  }
  return result;
}
