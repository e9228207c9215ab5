// Migrated database templates, made once per run (and reused while the migrations are unchanged):
// a dumped PGlite data directory, and a template database on the PostgreSQL server when one is given.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationsFolder } from '../../src/db/migrate.js';

export function migrationsHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(entry.name).update(readFileSync(path));
    }
  };
  walk(migrationsFolder);
  return hash.digest('hex').slice(0, 12);
}

export async function ensurePgliteTemplate(): Promise<string> {
  const file = join(tmpdir(), `practicekit-template-${migrationsHash()}.tar`);
  if (existsSync(file)) return file;
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { runMigrations } = await import('../../src/db/client.js');
  const pglite = await PGlite.create();
  const db = drizzle({ client: pglite, casing: 'snake_case' });
  await runMigrations({ db: db as never, client: { backend: 'pglite', pglite } });
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, file);
  return file;
}

export function serverDatabaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function ensureServerTemplate(adminUrl: string): Promise<string> {
  const name = `pk_template_${migrationsHash()}`;
  const { default: postgres } = await import('postgres');
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const existing = await admin`select 1 from pg_database where datname = ${name}`;
    if (existing.length > 0) return name;
    await admin`create database ${admin(name + '_building')}`.catch(async () => {
      await admin`drop database if exists ${admin(name + '_building')}`;
      await admin`create database ${admin(name + '_building')}`;
    });
    const { openServer } = await import('../../src/db/client.js');
    const handle = await openServer(serverDatabaseUrl(adminUrl, `${name}_building`), { migrate: true });
    await handle.close();
    await admin`alter database ${admin(name + '_building')} rename to ${admin(name)}`;
    return name;
  } finally {
    await admin.end();
  }
}
