// Bulk loading for imports and the demo: one dedicated connection (so temporary staging tables and
// transactions stay on it) and COPY ... FROM STDIN, which loads rows an order of magnitude faster than
// INSERT statements built row by row. The same API on PGlite and on a PostgreSQL server.
import { hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import * as schema from './schema/index.js';
import type { PracticeDatabase } from './client.js';
import type { Db, DbOrTx } from './types.js';

export type CopyValue = string | number | boolean | Date | null | undefined | readonly (string | number | null)[] | Record<string, unknown>;
export type CopyRow = readonly CopyValue[];
type Rows = Iterable<CopyRow> | AsyncIterable<CopyRow>;

export interface BulkSession {
  /** A drizzle handle bound to this session's single connection. */
  db: Db;
  /** Loads rows into table(columns) with COPY (columns are database names, snake_case). Returns the row count. */
  copyRows(table: string, columns: readonly string[], rows: Rows): Promise<number>;
  /** Runs fn in one transaction on this connection: all of it is saved, or none. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
}

const dialect = new PgDialect();
// PGlite receives COPY data as one blob; bounded chunks keep memory flat on big files.
const PGLITE_CHUNK_ROWS = 20_000;

function quoteCsv(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

function arrayLiteral(values: readonly (string | number | null)[]): string {
  const items = values.map((v) => (v === null ? 'NULL' : `"${String(v).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`));
  return `{${items.join(',')}}`;
}

/** One CSV line in COPY's csv format: NULL is an unquoted empty field, every other value is quoted. */
export function copyLine(row: CopyRow): string {
  const fields = row.map((value) => {
    if (value === null || value === undefined) return '';
    if (typeof value === 'boolean') return value ? 't' : 'f';
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return quoteCsv(arrayLiteral(value));
    if (typeof value === 'object') return quoteCsv(JSON.stringify(value));
    return quoteCsv(value as string);
  });
  return `${fields.join(',')}\n`;
}

function copyStatement(table: string, columns: readonly string[]) {
  return dialect.sqlToQuery(
    sql`copy ${sql.identifier(table)} (${sql.join(
      columns.map((c) => sql.identifier(c)),
      sql`, `,
    )}) from '/dev/blob' with (format csv)`,
  ).sql;
}

async function* lines(rows: Rows, count: { n: number }): AsyncGenerator<string> {
  for await (const row of rows as AsyncIterable<CopyRow>) {
    count.n++;
    yield copyLine(row);
  }
}

export async function withBulkSession<T>(handle: PracticeDatabase, fn: (session: BulkSession) => Promise<T>): Promise<T> {
  if (handle.client.backend === 'pglite') {
    const { pglite } = handle.client;
    const session: BulkSession = {
      db: handle.db,
      async copyRows(table, columns, rows) {
        const statement = copyStatement(table, columns);
        const count = { n: 0 };
        let chunk: string[] = [];
        const flush = async () => {
          if (chunk.length === 0) return;
          await pglite.query(statement, [], { blob: new Blob(chunk) });
          chunk = [];
        };
        for await (const line of lines(rows, count)) {
          chunk.push(line);
          if (chunk.length >= PGLITE_CHUNK_ROWS) await flush();
        }
        await flush();
        return count.n;
      },
      transaction: (work) => runTransaction(handle.db, work),
    };
    return fn(session);
  }

  const reserved = await handle.client.sql.reserve();
  try {
    const { drizzle } = await import('drizzle-orm/postgres-js');
    // drizzle reads the pool's type parsers from client.options, which a reserved connection shares.
    const client = Object.assign(reserved, { options: handle.client.sql.options });
    const db = drizzle({ client: client as never, schema, casing: 'snake_case' }) as unknown as Db;
    const session: BulkSession = {
      db,
      async copyRows(table, columns, rows) {
        const count = { n: 0 };
        const writable = await reserved`copy ${reserved(table)} (${reserved(columns as string[])}) from stdin with (format csv)`.writable();
        await pipeline(Readable.from(lines(rows, count)), writable);
        return count.n;
      },
      transaction: (work) => runTransaction(db, work),
    };
    return await fn(session);
  } finally {
    reserved.release();
  }
}

async function runTransaction<T>(db: Db, work: () => Promise<T>): Promise<T> {
  await db.execute(sql`begin`);
  try {
    const result = await work();
    await db.execute(sql`commit`);
    return result;
  } catch (error) {
    await db.execute(sql`rollback`).catch(() => undefined);
    throw error;
  }
}

export interface StageColumn {
  name: string;
  /** The SQL type, from the schema (never from input). */
  type: string;
}

type StageClient =
  | { unsafe: (query: string) => { writable: () => Promise<NodeJS.WritableStream> } }
  | { query: (query: string, params: unknown[], options: { blob: Blob }) => Promise<unknown> };

/**
 * Loads rows by COPY into a temporary table of the current transaction and returns its name, for the
 * set-based statements of an import batch to read. For the server, COPY is several times quicker than
 * unpacking the same rows from a JSON parameter (json_to_recordset cost 25-50 µs a row, COPY about 5), and
 * one load can feed several statements. The table is dropped when the transaction ends and emptied before
 * each load, so the savepoints of one transaction reuse it. `tx` must be a transaction (a temporary table
 * belongs to one connection).
 */
export async function stageRows(tx: DbOrTx, name: string, columns: readonly StageColumn[], rows: Iterable<CopyRow>): Promise<SQL> {
  const definition = columns.map((c) => `"${c.name}" ${c.type}`).join(', ');
  // One table per shape: the same batch step may stage different columns (the ones its records fill).
  const table = `pk_stage_${name}_${hash('sha1', definition).slice(0, 10)}`;
  // One round trip for both (each costs a context switch on a busy machine).
  await tx.execute(sql.raw(`do $$ begin create temp table if not exists ${table} (${definition}) on commit drop; delete from ${table}; end $$`));
  let text = '';
  for (const row of rows) text += copyLine(row);
  if (text) {
    const client = driverOf(tx);
    const copy = `copy ${table} (${columns.map((c) => `"${c.name}"`).join(', ')}) from ${'unsafe' in client ? 'stdin' : "'/dev/blob'"} with (format csv)`;
    if ('unsafe' in client) await pipeline(Readable.from([text]), await client.unsafe(copy).writable());
    else await client.query(copy, [], { blob: new Blob([text]) });
  }
  return sql`${sql.identifier(table)}`;
}

/** The driver's own handle behind a drizzle transaction (postgres.js or PGlite), for COPY. */
function driverOf(tx: DbOrTx): StageClient {
  const client = (tx as unknown as { session?: { client?: StageClient } }).session?.client;
  if (!client || !('unsafe' in client || 'query' in client)) throw new Error('stageRows needs a transaction of the postgres.js or PGlite driver');
  return client;
}
