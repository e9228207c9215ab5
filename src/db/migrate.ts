import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { MIGRATIONS_TABLE, migrationsSchema } from './practices.js';
import { queryRows } from './query.js';
import type { Db } from './types.js';

/** The committed drizzle-kit history; copied next to the compiled code by the build. */
export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

export interface MigrationStatus {
  applied: number;
  total: number;
  latest: string | undefined;
  pending: number;
}

export function migrationFiles() {
  return readMigrationFiles({ migrationsFolder });
}

export async function migrationStatus(db: Db): Promise<MigrationStatus> {
  const files = migrationFiles();
  // The connection's practice is the first schema on its search_path; its history is kept beside it.
  const [current] = await queryRows<{ schema: string }>(db, sql`select current_schema() as schema`);
  const history = migrationsSchema(current!.schema);
  const exists = await queryRows<{ present: boolean }>(
    db,
    sql`select to_regclass(${`${history}.${MIGRATIONS_TABLE}`}) is not null as present`,
  );
  let applied = 0;
  if (exists[0]?.present) {
    const rows = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(history)}.${sql.identifier(MIGRATIONS_TABLE)}`);
    applied = rows[0]?.n ?? 0;
  }
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  return {
    applied,
    total: files.length,
    latest: applied > 0 ? journal.entries[Math.min(applied, journal.entries.length) - 1]?.tag : undefined,
    pending: Math.max(0, files.length - applied),
  };
}
