// Plan, then apply: the one way every --dry-run runs. The same statements run in one transaction, and a
// dry run rolls that transaction back at the end, so it reports exactly what a real run would do.
import type { Db, Tx } from './types.js';

class DryRunRollback<T> extends Error {
  constructor(readonly result: T) {
    super('dry run');
  }
}

/**
 * Runs plan in one transaction, then apply (when given) with what plan found, and returns the plan.
 * With dryRun apply is skipped and everything plan wrote is rolled back. Work that plans and writes
 * in one pass passes no apply: a dry run then still writes, and is rolled back.
 */
export async function planThenApply<P>(db: Db, dryRun: boolean, plan: (tx: Tx) => Promise<P>, apply?: (tx: Tx, planned: P) => Promise<unknown>): Promise<P> {
  try {
    return await db.transaction(async (tx) => {
      const planned = await plan(tx as Tx);
      if (dryRun) throw new DryRunRollback(planned);
      await apply?.(tx as Tx, planned);
      return planned;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result as P;
    throw error;
  }
}
