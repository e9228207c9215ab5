// A fresh database per test file, on every backend the run has: PGlite always, the PostgreSQL server
// too when TEST_DATABASE_URL is set. One suite, many drivers: wrap database tests in describeEachBackend.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { getTableName, sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import * as schema from '../../src/db/schema/index.js';
import type { PracticeDatabase } from '../../src/db/client.js';
import type { Backend, Db } from '../../src/db/types.js';
import { practiceTables } from '../../src/db/status.js';
import { DEFAULT_SCHEMA, searchPath } from '../../src/db/practices.js';
import { REFERENCE_SCHEMA } from '../../src/db/schema/reference.js';
import { serverDatabaseUrl } from './templates.js';

export const backends: Backend[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

let templateBlob: Blob | undefined;

export async function createTestDatabase(backend: Backend): Promise<PracticeDatabase> {
  if (backend === 'pglite') {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    templateBlob ??= new Blob([readFileSync(inject('pgliteTemplate'))]);
    const pglite = await PGlite.create({ loadDataDir: templateBlob });
    // As openEmbedded leaves it: the practice's tables, then the shared reference data.
    await pglite.exec(`set search_path to ${searchPath(DEFAULT_SCHEMA)}`);
    const db = drizzle({ client: pglite, schema, casing: 'snake_case' }) as unknown as Db;
    return { db, backend, location: 'memory (test)', client: { backend: 'pglite', pglite }, close: () => pglite.close() };
  }
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const template = inject('serverTemplate');
  if (!template) throw new Error('TEST_DATABASE_URL is set but no server template was prepared');
  const name = `pk_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const { default: postgres } = await import('postgres');
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin`create database ${admin(name)} template ${admin(template)}`;
  const { openServer } = await import('../../src/db/client.js');
  const handle = await openServer(serverDatabaseUrl(adminUrl, name));
  return {
    ...handle,
    async close() {
      await handle.close();
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end();
    },
  };
}

/**
 * Empties every table (and restarts ids) between tests that need a clean slate. keepReference keeps the
 * shared national reference data (value sets, fee schedule), as every practice of a database shares it,
 * so a suite that reads it loads the bundled copy once instead of once per test.
 */
export async function truncateAll(db: Db, { keepReference = false } = {}): Promise<void> {
  const tables = keepReference ? practiceTables.filter((t) => getTableConfig(t).schema !== REFERENCE_SCHEMA) : practiceTables;
  const names = tables.map((t) => sql.identifier(getTableName(t)));
  await db.execute(sql`truncate ${sql.join(names, sql`, `)} restart identity cascade`);
}

export interface TestDatabase {
  readonly handle: PracticeDatabase;
  readonly db: Db;
  readonly backend: Backend;
}

/** Runs the suite once per backend, each with its own database for the whole describe block. */
export function describeEachBackend(name: string, suite: (t: TestDatabase) => void): void {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      let handle: PracticeDatabase | undefined;
      const t: TestDatabase = {
        get handle() {
          if (!handle) throw new Error('test database not ready');
          return handle;
        },
        get db() {
          return t.handle.db;
        },
        backend,
      };
      beforeAll(async () => {
        handle = await createTestDatabase(backend);
      });
      afterAll(async () => {
        await handle?.close();
      });
      suite(t);
    });
  }
}

/**
 * A database of its own on the test server (TEST_DATABASE_URL), made from the migrated template, with
 * these practices added the way a practice manager adds them ("practices add"). drop() removes it.
 */
export async function serverDatabaseWithPractices(prefix: string, practices: string[], now?: Date): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const { default: postgres } = await import('postgres');
  const { runCli } = await import('./cli.js');
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin`create database ${admin(name)} template ${admin(inject('serverTemplate')!)}`;
  const url = serverDatabaseUrl(adminUrl, name);
  const drop = async () => {
    await admin`drop database if exists ${admin(name)} with (force)`;
    await admin.end();
  };
  for (const practice of practices) {
    const added = await runCli(['--json', 'practices', 'add', practice], { env: { DATABASE_URL: url }, now });
    if (added.code !== 0) {
      await drop();
      throw new Error(`practices add ${practice} failed: ${added.stderr}`);
    }
  }
  return { url, drop };
}
