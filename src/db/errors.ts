// Typed failures of the database layer. Messages never carry row values or SQL parameters (PHI).

export class DatabaseError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

/** The Postgres error behind a drizzle error (drizzle wraps it and puts parameters in its message). */
export function pgCause(error: unknown): { code?: string; constraint?: string; table?: string; column?: string } | undefined {
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    const candidate = e as { code?: unknown; constraint?: string; constraint_name?: string; table?: string; table_name?: string; column?: string; column_name?: string; cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return {
        code: candidate.code,
        constraint: candidate.constraint ?? candidate.constraint_name,
        table: candidate.table ?? candidate.table_name,
        column: candidate.column ?? candidate.column_name,
      };
    }
    e = candidate.cause;
  }
  return undefined;
}

/** SQLSTATE 53100 disk_full, and the system's codes for a full disk or quota. */
const DISK_FULL_CODES = new Set(['53100', 'ENOSPC', 'EDQUOT']);

/**
 * A full disk under the database (PostgreSQL's disk_full, or ENOSPC from the embedded database's files) as
 * one plain error, whatever the statement was; undefined for any other error. The transaction that hit it
 * was rolled back by the database, so nothing of the step is saved.
 */
export function diskFullError(error: unknown): DatabaseError | undefined {
  if (error instanceof DatabaseError) return undefined;
  let e: unknown = error;
  for (let depth = 0; e && depth < 6; depth++) {
    const candidate = e as { code?: unknown; message?: unknown; cause?: unknown };
    const full = (typeof candidate.code === 'string' && DISK_FULL_CODES.has(candidate.code)) || (typeof candidate.message === 'string' && /no space left on device/i.test(candidate.message));
    if (full) {
      return new DatabaseError('DISK_FULL', 'The disk is full: the database could not save the change, and nothing of that step was saved. Free some space, then run the command again.', undefined, { cause: error });
    }
    e = candidate.cause;
  }
  return undefined;
}
