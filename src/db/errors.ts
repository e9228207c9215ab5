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
