// The migration that versioned value sets keeps what a practice had loaded: a database at the schema
// before it, with expansions in the old layout (codes keyed by OID, versions possibly missing), comes
// out with every expansion as the 2026 one of its OID and every code still there.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { expect, it } from 'vitest';
import { migrationsFolder } from '../../src/db/migrate.js';

const BEFORE = '0010_value_set_versions';

it('moves loaded value sets into the versioned layout as the 2026 expansions', async () => {
  // The migration history as it stood before value sets were versioned.
  const old = mkdtempSync(join(tmpdir(), 'pk-vs-migration-'));
  cpSync(migrationsFolder, old, { recursive: true });
  const journalFile = join(old, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { idx: number; tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag === BEFORE);
  expect(cut).toBeGreaterThan(0);
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));

  const client = new PGlite();
  const db = drizzle(client);
  await migrate(db, { migrationsFolder: old });
  await client.exec(`
    insert into value_sets (oid, name, version) values ('1.2.3', 'Versioned', '20200101'), ('1.2.4', 'No version', null);
    insert into value_set_codes (oid, code_system, code) values ('1.2.3', 's', 'a'), ('1.2.3', 's', 'b'), ('1.2.4', 's', 'c'), ('9.9', 's', 'z');`);
  await migrate(db, { migrationsFolder });
  // ... and then in the reference schema every practice on a server shares.
  const left = await client.query<{ n: number }>(`select count(*)::int as n from pg_tables where schemaname = 'public' and tablename like 'value_set%'`);
  expect(left.rows[0]!.n).toBe(0);

  const sets = await client.query<{ oid: string; version: string; codes: number; year: number }>(`
    select v.oid, v.version, count(c.*)::int as codes, y.performance_year as year
    from reference.value_sets v join reference.value_set_years y on y.value_set_id = v.id left join reference.value_set_codes c on c.value_set_id = v.id
    group by v.oid, v.version, y.performance_year order by v.oid`);
  expect(sets.rows).toEqual([
    { oid: '1.2.3', version: '20200101', codes: 2, year: 2026 },
    { oid: '1.2.4', version: '2026', codes: 1, year: 2026 },
    // Codes written without a value_sets row get one.
    { oid: '9.9', version: '2026', codes: 1, year: 2026 },
  ]);
  await client.close();
});
