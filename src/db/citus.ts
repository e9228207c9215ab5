// The set-up SQL that puts a server's practices on a Citus cluster with schema-based sharding
// (docs/citus.md): each named practice's schema becomes a distributed schema (all its tables together
// on one worker, moved whole by citus_schema_move) and the shared reference schema's tables become
// reference tables (a copy on every node). Built from the catalog of the database it is for, so the
// printed SQL names exactly the schemas and tables there are; statements already done are left out,
// so a rerun after a failure finishes the rest.
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { DatabaseError } from './errors.js';
import { listPractices } from './practices.js';
import { queryRows } from './query.js';
import { REFERENCE_SCHEMA } from './schema/reference.js';
import type { Db } from './types.js';

export interface CitusPlan {
  database: string;
  /** Named practices, each to become a distributed schema. */
  practiceSchemas: string[];
  /** The reference schema's tables, referenced tables before those that reference them. */
  referenceTables: string[];
  /** Whether the default practice (public, which Citus never distributes) holds patients. */
  defaultPracticeInUse: boolean;
  /** Whether the citus extension is installed in this database already. */
  citusInstalled: boolean;
  statements: SQL[];
  text: string[];
}

interface TableRow extends Record<string, unknown> {
  schema: string;
  name: string;
  has_key: boolean;
  replica_identity: string;
  key_index: string | null;
}

/**
 * What would make the set-up fail half-way or a practice impossible to move, from the catalog: a table
 * without a primary key or a usable replica identity (online moves replicate changes by key), a foreign
 * key leaving its practice for anything but the reference data or from the reference data to a
 * practice (Citus refuses both), a materialized view (never distributed).
 */
export async function citusLayoutProblems(db: Db, schemas: string[]): Promise<string[]> {
  const list = sql.join(schemas.map((s) => sql`${s}`), sql`, `);
  const problems: string[] = [];
  for (const t of await schemaTables(db, schemas)) {
    if (!t.has_key && t.replica_identity === 'd' && !t.key_index) {
      problems.push(`${t.schema}.${t.name} has no primary key and no unique index on required columns (Citus cannot move it online)`);
    }
  }
  const keys = await queryRows<{ name: string; from_schema: string; from_table: string; to_schema: string; to_table: string }>(
    db,
    sql`select c.conname as name, fn.nspname as from_schema, f.relname as from_table, tn.nspname as to_schema, t.relname as to_table
          from pg_constraint c
          join pg_class f on f.oid = c.conrelid join pg_namespace fn on fn.oid = f.relnamespace
          join pg_class t on t.oid = c.confrelid join pg_namespace tn on tn.oid = t.relnamespace
         where c.contype = 'f' and fn.nspname <> tn.nspname and (fn.nspname in (${list}) or tn.nspname in (${list}))
         order by 2, 3, 1`,
  );
  for (const k of keys) {
    if (k.from_schema !== REFERENCE_SCHEMA && k.to_schema === REFERENCE_SCHEMA) continue;
    problems.push(`foreign key ${k.name} from ${k.from_schema}.${k.from_table} to ${k.to_schema}.${k.to_table} crosses schemas (Citus refuses it)`);
  }
  const views = await queryRows<{ schema: string; name: string }>(
    db,
    sql`select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind = 'm' and n.nspname in (${list}) order by 1, 2`,
  );
  for (const v of views) problems.push(`${v.schema}.${v.name} is a materialized view (Citus does not distribute them)`);
  return problems;
}

/** Tables of the schemas with what an online move can use as their key. */
async function schemaTables(db: Db, schemas: string[]): Promise<TableRow[]> {
  const list = sql.join(schemas.map((s) => sql`${s}`), sql`, `);
  return queryRows<TableRow>(
    db,
    sql`select n.nspname as schema, c.relname as name, c.relreplident::text as replica_identity,
               exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p') as has_key,
               (select i.relname from pg_index x join pg_class i on i.oid = x.indexrelid
                 where x.indrelid = c.oid and x.indisunique and x.indisvalid and x.indimmediate
                   and x.indpred is null and x.indexprs is null
                   and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attnum = any (x.indkey) and not a.attnotnull)
                 order by i.relname limit 1) as key_index
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'p') and not c.relispartition and n.nspname in (${list})
         order by 1, 2`,
  );
}

/** Citus's own record of what is distributed already (nothing before the extension is installed). */
async function alreadyDone(db: Db, installed: boolean): Promise<{ referenceTables: Set<string>; schemas: Set<string> }> {
  if (!installed) return { referenceTables: new Set(), schemas: new Set() };
  const tables = await queryRows<{ name: string }>(
    db,
    sql`select n.nspname || '.' || c.relname as name from pg_dist_partition p join pg_class c on c.oid = p.logicalrelid
          join pg_namespace n on n.oid = c.relnamespace where p.partmethod = 'n' and p.repmodel = 't'`,
  );
  const [hasSchemas] = await queryRows<{ present: boolean }>(db, sql`select to_regclass('pg_catalog.pg_dist_schema') is not null as present`);
  const schemas = hasSchemas?.present ? await queryRows<{ name: string }>(db, sql`select schemaid::regnamespace::text as name from pg_dist_schema`) : [];
  return { referenceTables: new Set(tables.map((t) => t.name)), schemas: new Set(schemas.map((s) => s.name)) };
}

/** Referenced tables first: a reference table's foreign keys may only point to reference tables already. */
async function referenceTablesInOrder(db: Db, tables: string[]): Promise<string[]> {
  const edges = await queryRows<{ from_table: string; to_table: string }>(
    db,
    sql`select f.relname as from_table, t.relname as to_table from pg_constraint c
          join pg_class f on f.oid = c.conrelid join pg_class t on t.oid = c.confrelid
         where c.contype = 'f' and f.relnamespace = ${REFERENCE_SCHEMA}::regnamespace and t.relnamespace = ${REFERENCE_SCHEMA}::regnamespace and f.oid <> t.oid`,
  );
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visit = (name: string, path: Set<string>) => {
    if (placed.has(name) || path.has(name)) return;
    path.add(name);
    for (const e of edges) if (e.from_table === name) visit(e.to_table, path);
    placed.add(name);
    ordered.push(name);
  };
  for (const name of tables) visit(name, new Set());
  return ordered;
}

export async function planCitusSetup(db: Db): Promise<CitusPlan> {
  const [info] = await queryRows<{ database: string; installed: boolean; reference: boolean }>(
    db,
    sql`select current_database() as database, exists (select 1 from pg_extension where extname = 'citus') as installed,
               to_regnamespace(${REFERENCE_SCHEMA}) is not null as reference`,
  );
  const practices = await listPractices(db);
  if (!info!.reference || practices.length === 0) {
    throw new DatabaseError('NO_PRACTICES', 'This database has no practicekit tables yet.', 'Run "practice db migrate" (and "practice practices add <name>") first, then "practice db citus-sql".');
  }
  const practiceSchemas = practices.filter((p) => p.name !== null).map((p) => p.schema);
  const defaultPractice = practices.find((p) => p.name === null);
  const checked = [...practices.map((p) => p.schema), REFERENCE_SCHEMA];
  const problems = await citusLayoutProblems(db, checked);
  if (problems.length) {
    throw new DatabaseError(
      'CITUS_LAYOUT',
      `The database's layout would stop the Citus set-up:\n  ${problems.join('\n  ')}`,
      'These come from changes made outside practicekit\'s migrations: undo them (docs/citus.md, "What must not be done"), then run this again.',
    );
  }
  const referenceRows = await schemaTables(db, [REFERENCE_SCHEMA]);
  const referenceTables = await referenceTablesInOrder(db, referenceRows.map((t) => t.name));
  const done = await alreadyDone(db, info!.installed);
  const database = sql.identifier(info!.database);
  const ref = (name: string) => `${REFERENCE_SCHEMA}.${name}`;

  const statements: SQL[] = [
    // Needs citus in shared_preload_libraries on every node (docs/citus.md, "The cluster").
    sql`create extension if not exists citus`,
    // Nothing created while this runs may become a distributed schema by itself.
    sql`set citus.enable_schema_based_sharding to off`,
    // The audit trail's and the eMAR's append-only triggers: Citus refuses tables with triggers otherwise.
    sql`set citus.enable_unsafe_triggers to on`,
    sql`alter database ${database} set citus.enable_unsafe_triggers to on`,
  ];
  for (const t of referenceRows) {
    // Replicating a reference table to a new node copies it with logical replication, which needs a key.
    if (!t.has_key && t.replica_identity === 'd' && t.key_index) {
      statements.push(sql`alter table ${sql.identifier(REFERENCE_SCHEMA)}.${sql.identifier(t.name)} replica identity using index ${sql.identifier(t.key_index)}`);
    }
  }
  for (const name of referenceTables) {
    if (!done.referenceTables.has(ref(name))) statements.push(sql`select create_reference_table(${`${REFERENCE_SCHEMA}.${name}`})`);
  }
  for (const schema of practiceSchemas) {
    if (!done.schemas.has(schema)) statements.push(sql`select citus_schema_distribute(${schema})`);
  }
  // From now on "practice practices add" makes each new practice a distributed schema of its own.
  statements.push(sql`alter database ${database} set citus.enable_schema_based_sharding to on`);

  const dialect = new PgDialect();
  const text = statements.map((st) => {
    const query = dialect.sqlToQuery(st);
    // Literal names (checked identifiers, never user data), so psql can run the file as it is.
    return `${query.sql.replace(/\$(\d+)/g, (_, n: string) => `'${String(query.params[Number(n) - 1]).replaceAll("'", "''")}'`)};`;
  });
  return {
    database: info!.database,
    practiceSchemas,
    referenceTables,
    defaultPracticeInUse: (defaultPractice?.patients ?? 0) > 0,
    citusInstalled: info!.installed,
    statements,
    text,
  };
}

/** Runs the plan: the extension first (the rest needs its functions), then the rest in one transaction. */
export async function applyCitusSetup(db: Db, plan: CitusPlan): Promise<void> {
  const [available] = await queryRows<{ available: boolean }>(db, sql`select exists (select 1 from pg_available_extensions where name = 'citus') as available`);
  if (!plan.citusInstalled && !available?.available) {
    throw new DatabaseError(
      'CITUS_NOT_AVAILABLE',
      'This PostgreSQL server has no Citus extension, so the set-up cannot run here.',
      'Install Citus on the coordinator and every worker (citus in shared_preload_libraries), or print the SQL without --apply and run it with psql on the cluster.',
    );
  }
  const [extension, ...rest] = plan.statements;
  await db.execute(extension!);
  await db.transaction(async (tx) => {
    for (const statement of rest) await tx.execute(statement);
  });
}
