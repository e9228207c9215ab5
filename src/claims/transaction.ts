// --dry-run runs the very same statements in a transaction that is then rolled back.
import type { Db, Tx } from '../db/types.js';

class DryRunRollback<T> extends Error {
  constructor(readonly result: T) {
    super('dry run');
  }
}

export async function inTransaction<T>(db: Db, dryRun: boolean, work: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(async (tx) => {
      const result = await work(tx as Tx);
      if (dryRun) throw new DryRunRollback(result);
      return result;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result as T;
    throw error;
  }
}
