// The database a bench script fills: a scratch PostgreSQL database from BENCH_DATABASE_URL, or an
// embedded PGlite in memory. Shared by the bench scripts so each measures only its own work.
import { openServer, runMigrations, type PracticeDatabase } from '../src/db/client.js';
import * as schema from '../src/db/schema/index.js';
import type { Db } from '../src/db/types.js';

export async function openBenchDatabase(): Promise<PracticeDatabase> {
  const url = process.env.BENCH_DATABASE_URL;
  if (url) return openServer(url, { migrate: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const pglite = await PGlite.create();
  const db = drizzle({ client: pglite, schema, casing: 'snake_case' }) as unknown as Db;
  const handle: PracticeDatabase = { db, backend: 'pglite', location: 'memory', client: { backend: 'pglite', pglite }, close: () => pglite.close() };
  await runMigrations(handle);
  return handle;
}
