import type { SQL } from 'drizzle-orm';
import type { DbOrTx } from './types.js';

/**
 * Rows of a raw SQL query, the same shape on both backends (the PGlite driver returns
 * `{ rows }`, postgres.js an array). Cast counts to int in SQL: bigint arrives as text otherwise.
 */
export async function queryRows<T extends Record<string, unknown>>(db: DbOrTx, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
