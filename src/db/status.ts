import { getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import * as schema from './schema/index.js';
import { migrationStatus, type MigrationStatus } from './migrate.js';
import { queryRows } from './query.js';
import type { Db } from './types.js';

export const practiceTables: PgTable[] = (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));

export interface DatabaseStatus {
  migrations: MigrationStatus;
  /** Rows per table; absent while migrations are pending. */
  rowCounts: Record<string, number>;
}

export async function databaseStatus(db: Db): Promise<DatabaseStatus> {
  const migrations = await migrationStatus(db);
  const rowCounts: Record<string, number> = {};
  if (migrations.pending === 0) {
    const names = practiceTables.map((t) => getTableName(t)).sort();
    // One statement for all tables: a union of counts, identifiers quoted by drizzle.
    const parts = names.map((name) => sql`select ${name} as name, count(*)::int as n from ${sql.identifier(name)}`);
    const rows = await queryRows<{ name: string; n: number }>(db, sql.join(parts, sql` union all `));
    for (const row of rows) rowCounts[row.name] = row.n;
  }
  return { migrations, rowCounts };
}
