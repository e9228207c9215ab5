// Advisory locks that serialise one kind of writer within one practice. The practice's schema is part
// of the lock's name, so two practices on one server never wait on each other.
import { sql } from 'drizzle-orm';
import { queryRows } from './query.js';
import type { DbOrTx } from './types.js';

/** Waits until no other transaction of this practice holds the lock; held until this transaction ends. */
export async function waitForPracticeLock(tx: DbOrTx, name: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`practicekit:${name}:`} || current_schema()))`);
}

/** Takes the lock if it is free; false when another transaction of this practice holds it. */
export async function tryPracticeLock(tx: DbOrTx, name: string): Promise<boolean> {
  const [row] = await queryRows<{ locked: boolean }>(tx, sql`select pg_try_advisory_xact_lock(hashtext(${`practicekit:${name}:`} || current_schema())) as locked`);
  return row?.locked === true;
}
