// The layout Citus schema-based sharding needs (docs/citus.md), checked on plain PostgreSQL (Citus is not
// installable here): every table of a practice and of the reference data has a key an online move can
// use, no foreign key leaves a practice except into the reference data, none points from the reference
// data into a practice, no materialized views; and "db citus-sql" names every practice schema and every
// reference table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { runCli } from '../helpers/cli.js';
import { serverDatabaseWithPractices } from '../helpers/db.js';

const adminUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!adminUrl)('Citus layout of a server with two practices', () => {
  let server: { url: string; drop(): Promise<void> } | undefined;
  let db: Sql;
  let url: string;
  const cli = (args: string[]) => runCli(['--json', ...args], { env: { DATABASE_URL: url } });
  const practiceSchemas = ['public', 'north', 'south'] as const;

  beforeAll(async () => {
    const { default: postgres } = await import('postgres');
    server = await serverDatabaseWithPractices('pk_citus', ['north', 'south']);
    url = server.url;
    db = postgres(url, { max: 1, onnotice: () => undefined });
  }, 300_000);

  afterAll(async () => {
    await db?.end();
    await server?.drop();
  });

  it('gives every practice table a primary key, and every reference table a key for its replica identity', async () => {
    const tables = await db<{ schema: string; name: string; pk: boolean; unique_key: boolean }[]>`
      select n.nspname as schema, c.relname as name,
             exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p') as pk,
             exists (select 1 from pg_index x where x.indrelid = c.oid and x.indisunique and x.indpred is null and x.indexprs is null
                      and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attnum = any (x.indkey) and not a.attnotnull)) as unique_key
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and n.nspname in ${db([...practiceSchemas, 'reference'])}`;
    expect(tables.filter((t) => t.schema === 'north').length).toBeGreaterThan(40);
    expect(tables.filter((t) => t.schema !== 'reference' && !t.pk).map((t) => `${t.schema}.${t.name}`)).toEqual([]);
    expect(tables.filter((t) => t.schema === 'reference' && !t.pk && !t.unique_key).map((t) => t.name)).toEqual([]);
  });

  it('keeps foreign keys inside a practice or pointing into the reference data, and has no materialized views', async () => {
    const crossing = await db<{ from: string; to: string }[]>`
      select fn.nspname as from, tn.nspname as to from pg_constraint c
        join pg_class f on f.oid = c.conrelid join pg_namespace fn on fn.oid = f.relnamespace
        join pg_class t on t.oid = c.confrelid join pg_namespace tn on tn.oid = t.relnamespace
       where c.contype = 'f' and fn.nspname <> tn.nspname and not (tn.nspname = 'reference' and fn.nspname <> 'reference')`;
    expect(crossing).toEqual([]);
    const views = await db`select oid from pg_class where relkind = 'm' and relnamespace::regnamespace::text in ${db([...practiceSchemas, 'reference'])}`;
    expect(views.length).toBe(0);
  });

  it('prints set-up SQL naming every practice schema and every reference table', async () => {
    const run = await cli(['db', 'citus-sql']);
    expect(run.code, run.stderr).toBe(0);
    const plan = run.json();
    const statements: string[] = plan.statements;
    expect(plan.practiceSchemas).toEqual(['north', 'south']);
    for (const schema of ['north', 'south']) expect(statements).toContain(`select citus_schema_distribute('${schema}');`);
    const reference = await db<{ name: string }[]>`select relname as name from pg_class where relkind = 'r' and relnamespace = 'reference'::regnamespace`;
    expect(reference.length).toBeGreaterThan(0);
    for (const { name: table } of reference) expect(statements).toContain(`select create_reference_table('reference.${table}');`);
    // Referenced before referencing, distributed after the reference tables exist, sharding on last.
    expect(statements.indexOf(`select create_reference_table('reference.value_sets');`)).toBeLessThan(statements.indexOf(`select create_reference_table('reference.value_set_codes');`));
    expect(statements.findIndex((s) => s.includes('citus_schema_distribute'))).toBeGreaterThan(statements.findLastIndex((s) => s.includes('create_reference_table')));
    expect(statements.at(-1)).toContain('citus.enable_schema_based_sharding to on');
    // The replica identity statement is plain PostgreSQL: it runs here as printed.
    for (const s of statements.filter((x) => x.includes('replica identity'))) await db.unsafe(s);
  });

  it('refuses --apply plainly without Citus, and refuses a layout Citus would reject', async () => {
    const apply = await cli(['db', 'citus-sql', '--apply']);
    expect(apply.code).toBe(1);
    expect(apply.json().error.code).toBe('CITUS_NOT_AVAILABLE');
    await db.unsafe('alter table north.patients add column twin integer references south.patients (id)');
    const run = await cli(['db', 'citus-sql']);
    expect(run.code).toBe(1);
    expect(run.json().error.code).toBe('CITUS_LAYOUT');
    expect(run.stderr).toContain('north.patients to south.patients');
    await db.unsafe('alter table north.patients drop column twin');
  });
});
