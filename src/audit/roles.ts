// The PostgreSQL role set-up that makes the audit trail tamper-evident in practice: an owner role owns
// every table and function (migrations run as it), an application role the practice's commands run as
// can read and write the records but may only INSERT and SELECT on audit_log. Not owning the table, it
// cannot TRUNCATE it, disable its triggers or drop them; sealing runs as the owner (SECURITY DEFINER).
// The statements are built from the catalog of the database they are for, so the printed SQL is exact.
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { MIGRATIONS_TABLE, migrationsSchema } from '../db/practices.js';
import { queryRows } from '../db/query.js';
import { REFERENCE_SCHEMA } from '../db/schema/reference.js';
import type { Db } from '../db/types.js';
import { UsageError } from '../errors.js';

export interface RoleNames {
  owner: string;
  app: string;
}

export const DEFAULT_ROLES: RoleNames = { owner: 'practice_owner', app: 'practice_app' };

/** The one table the application may only append to. */
const APPEND_ONLY = 'audit_log';

export interface RolePlan {
  roles: RoleNames;
  statements: SQL[];
  /** The statements as text, for a person to read or run with psql. */
  text: string[];
}

function checkRoleName(option: string, name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new UsageError(`${option} "${name}" is not a usable role name.`, 'Use lower-case letters, digits and underscores, e.g. practice_app.');
}

export async function planRoles(db: Db, roles: RoleNames): Promise<RolePlan> {
  checkRoleName('--owner', roles.owner);
  checkRoleName('--app', roles.app);
  if (roles.owner === roles.app) throw new UsageError('The owner and the application role must be two different roles.');
  const owner = sql.identifier(roles.owner);
  const app = sql.identifier(roles.app);
  const [me] = await queryRows<{ superuser: boolean; schema: string }>(db, sql`select rolsuper as superuser, current_schema() as schema from pg_roles where rolname = current_user`);
  const existing = new Set((await queryRows<{ rolname: string }>(db, sql`select rolname from pg_roles where rolname in (${roles.owner}, ${roles.app})`)).map((r) => r.rolname));
  // The connection's practice, where its migration history is kept, and the reference data all share.
  const schema = me!.schema;
  const history = migrationsSchema(schema);
  const schemas = [...new Set([schema, history, REFERENCE_SCHEMA])];
  const tables = await queryRows<{ schema: string; name: string }>(
    db,
    sql`select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'p', 'v', 'm') and n.nspname in (${sql.join(schemas.map((x) => sql`${x}`), sql`, `)}) order by 1, 2`,
  );
  const sequences = await queryRows<{ schema: string; name: string }>(
    db,
    sql`select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind = 'S' and n.nspname in (${sql.join(schemas.map((x) => sql`${x}`), sql`, `)})
           and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')) order by 1, 2`,
  );
  const functions = await queryRows<{ name: string }>(
    db,
    sql`select distinct p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = ${schema} and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e') order by 1`,
  );
  if (!tables.some((t) => t.name === APPEND_ONLY && t.schema === schema)) {
    throw new UsageError('This database has no practicekit tables yet.', 'Run "practice db migrate" first, then "practice db roles".');
  }
  const s = sql.identifier(schema);
  const qualified = (t: { schema: string; name: string }) => sql`${sql.identifier(t.schema)}.${sql.identifier(t.name)}`;
  const statements: SQL[] = [];
  if (!existing.has(roles.owner)) statements.push(sql`create role ${owner} login`);
  if (!existing.has(roles.app)) statements.push(sql`create role ${app} login`);
  // Giving objects away needs membership of the new owner unless one is a superuser.
  if (!me!.superuser) statements.push(sql`grant ${owner} to current_user`);
  const dataSchemas = tables.some((t) => t.schema === REFERENCE_SCHEMA) ? [schema, REFERENCE_SCHEMA] : [schema];
  for (const name of dataSchemas) {
    const x = sql.identifier(name);
    statements.push(sql`revoke create on schema ${x} from public`, sql`grant usage, create on schema ${x} to ${owner}`, sql`grant usage on schema ${x} to ${app}`);
  }
  if (history !== schema && tables.some((t) => t.schema === history)) {
    statements.push(sql`alter schema ${sql.identifier(history)} owner to ${owner}`, sql`grant usage on schema ${sql.identifier(history)} to ${app}`);
  }
  for (const t of tables) statements.push(sql`alter table ${qualified(t)} owner to ${owner}`);
  for (const q of sequences) statements.push(sql`alter sequence ${qualified(q)} owner to ${owner}`);
  for (const f of functions) statements.push(sql`alter function ${s}.${sql.identifier(f.name)} owner to ${owner}`);
  for (const t of tables) {
    if (t.name === MIGRATIONS_TABLE && t.schema === history) statements.push(sql`grant select on ${qualified(t)} to ${app}`);
    else if (t.name === APPEND_ONLY) statements.push(sql`revoke all on ${qualified(t)} from ${app}`, sql`grant select, insert on ${qualified(t)} to ${app}`);
    else statements.push(sql`grant select, insert, update, delete on ${qualified(t)} to ${app}`);
  }
  for (const name of dataSchemas) {
    const x = sql.identifier(name);
    statements.push(
      sql`grant usage, select, update on all sequences in schema ${x} to ${app}`,
      // Tables later migrations add are the application's to use too (audit_log keeps its own grant).
      sql`alter default privileges for role ${owner} in schema ${x} grant select, insert, update, delete on tables to ${app}`,
      sql`alter default privileges for role ${owner} in schema ${x} grant usage, select, update on sequences to ${app}`,
    );
  }
  const dialect = new PgDialect();
  return { roles, statements, text: statements.map((st) => `${dialect.sqlToQuery(st).sql};`) };
}

export async function applyRoles(db: Db, plan: RolePlan): Promise<void> {
  await db.transaction(async (tx) => {
    for (const statement of plan.statements) await tx.execute(statement);
  });
}
