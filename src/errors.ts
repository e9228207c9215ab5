// Typed failures shared by domain code and the CLI. Domain code throws these; only the entry point
// turns them into exit codes. Messages are plain sentences for non-programmers and never carry PHI.

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Finished, but some rows, claims or messages were rejected or failed. */
  partial: 3,
  /** Stopped by Ctrl-C (SIGINT). */
  interrupted: 130,
  /** Stopped by SIGTERM (a service manager, kill). */
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class PracticeError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

/** The user asked for something the command cannot take (bad option, missing argument): exit 2. */
export class UsageError extends PracticeError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, { hint, exitCode: ExitCode.usage });
  }
}

/** A record the user named does not exist (unknown MRN, claim, provider). */
export class NotFoundError extends PracticeError {
  constructor(what: string, hint?: string) {
    super('NOT_FOUND', `${what} was not found.`, { hint });
  }
}

export interface Issue {
  /** Stable code, e.g. NPI_CHECK_DIGIT. */
  code: string;
  /** Where: a field, column or X12 element. */
  path?: string;
  message: string;
  severity?: 'error' | 'warning';
  /** A mistake in what the user typed (an option or argument), not in the data: exit 2. */
  usage?: boolean;
}

/** Validate everything, then fail once: every problem found, not just the first. */
export class ValidationError extends PracticeError {
  readonly issues: Issue[];
  constructor(issues: Issue[], summary?: string) {
    const first = issues[0]?.message ?? 'invalid input';
    super('INVALID', summary ?? (issues.length === 1 ? first : `${issues.length} problems: ${issues.map((i) => i.message.replace(/\.$/, '')).join('; ')}.`), {
      exitCode: issues.length > 0 && issues.every((i) => i.usage) ? ExitCode.usage : ExitCode.failure,
    });
    this.issues = issues;
  }
}

// One wording and one exit code per typing mistake, whichever command met it (issue #20, "one voice").
// The value typed is not echoed: a date or an amount can be a patient's (a date of birth, a balance).

/** A date option that is not a date: "--date must be a date like 2026-03-01 (or 3/1/2026)." */
export function badDate(option: string): Issue {
  return { code: 'DATE_FORMAT', path: option, usage: true, message: `${option} must be a date like 2026-03-01 (or 3/1/2026).` };
}

/** A date-and-time option that is neither a date and time nor a date. */
export function badDateTime(option: string): Issue {
  return { code: 'DATE_FORMAT', path: option, usage: true, message: `${option} must be a date and time like "2026-03-01 09:30" (or a date like 2026-03-01).` };
}

/** An amount of money that is not one (no sign, at most 2 decimals). */
export function badAmount(option: string): Issue {
  return { code: 'AMOUNT', path: option, usage: true, message: `${option} must be an amount of money like 125.00.` };
}

/** The mistake alone, thrown: a ValidationError of one usage issue (exit 2), the same as among others. */
export function mistake(issue: Issue): ValidationError {
  return new ValidationError([issue]);
}

/** Which signal stopped the work: a signal's conventional exit code is 128 + its number. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * Ctrl-C or a service manager's SIGTERM: the work stopped between two saved steps; a rerun finishes it.
 * Long work takes an AbortSignal in its options (aborted with the signal's name as reason) and calls
 * throwIfStopped between batches.
 */
export class Stopped extends PracticeError {
  readonly signal: StopSignal;
  constructor(signal: StopSignal = 'SIGINT') {
    super('STOPPED', 'Stopped at your request; nothing after the last saved batch was written. Run the same command again to resume.', {
      exitCode: signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted,
    });
    this.signal = signal;
  }
}

/**
 * Throws Stopped once the signal is aborted; await it between batches, commits or messages. It first lets
 * the event loop take a pending signal: the embedded database answers without real I/O, so a loop of its
 * queries would otherwise run to its end before the launcher's SIGTERM/SIGINT handler ever ran.
 */
export async function throwIfStopped(signal: AbortSignal | undefined): Promise<void> {
  if (signal && !signal.aborted) await new Promise((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw new Stopped(signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
}
