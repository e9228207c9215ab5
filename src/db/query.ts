import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from './types.js';

/**
 * Rows of a raw SQL query, the same shape on both backends (the PGlite driver returns
 * `{ rows }`, postgres.js an array). Cast counts to int in SQL: bigint arrives as text otherwise.
 */
export async function queryRows<T extends Record<string, unknown>>(db: DbOrTx, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/**
 * Ids as one int[] parameter, for `column = any(${idArray(ids)})`: the planner sees how few rows are asked
 * for and probes the indexes, where an IN over a set-returning function is planned as a hundred rows.
 */
export function idArray(ids: readonly number[]): SQL {
  return sql`${`{${ids.map((id) => Math.trunc(id)).join(',')}}`}::int[]`;
}

/**
 * Texts as one text[] parameter, for `column = any(${textArray(values)})` (see idArray). Each element is
 * quoted in the array literal, so commas, quotes, braces and backslashes in a value stay part of it.
 */
export function textArray(values: readonly string[]): SQL {
  return sql`${`{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`}::text[]`;
}
