// Failpoints for crash tests: named places in domain code where a test can make the process die at
// once, as kill -9 would, to prove that a crash at that instant leaves the database and the files
// consistent. Off unless the environment has both PRACTICE_TEST_HOOKS=1 (set only by the test helpers
// that spawn the CLI) and PRACTICE_FAILPOINT (read once, at load); then failpoint(name) is a no-op
// everywhere except the places named there. A practice's own runs never set PRACTICE_TEST_HOOKS, so a
// stray PRACTICE_FAILPOINT in a cron job's environment cannot kill a real export or send.
//
// This module is the one place domain code reads process.env: a failpoint must work in code that is
// handed no options (deep inside a transaction) and must cost nothing when off, so it cannot be a
// parameter threaded through every call.
//
//   PRACTICE_FAILPOINT=claims-export:after-rename          die the first time that point is reached
//   PRACTICE_FAILPOINT=import:after-batch@3                 die the third time (counting from 1)
//   PRACTICE_FAILPOINT=recall:after-send,emar:after-commit  several points: the first one reached
//   PRACTICE_FAILPOINT=import:after-commit@2=SIGTERM        not a kill: the process sends itself SIGTERM (or
//                                                           SIGINT) there and carries on, as if a service manager
//                                                           or Ctrl-C had asked it to stop at that instant
//
// Names are "<area>:<step>"; the list of an area's points lives next to the code that calls them.
//
// Two kinds do not kill but fail. PRACTICE_FAILPOINT=db:disk-full[@n] makes the nth audit entry written
// (every write and chart read passes through src/db/audit.ts, inside the command's own transaction) fail
// in the database with SQLSTATE 53100 disk_full, as PostgreSQL does when it cannot extend a file: the
// statement fails, the transaction is rolled back by the database, and the command meets the real
// driver error. Then PRACTICE_FAILPOINT=file:enospc (or file:eio) makes every write of
// the private file writer (src/files/private-file.ts) fail as a full (or failing) disk would, to prove each
// writer says so in one line and leaves no file behind. Read at each write, so an in-process test can set it.

/** The signal a point sends instead of killing (name=SIGTERM), and how many passes it still waits. */
interface ArmedPoint {
  left: number;
  signal?: 'SIGTERM' | 'SIGINT';
}

const armed = process.env.PRACTICE_TEST_HOOKS === '1' ? parse(process.env.PRACTICE_FAILPOINT) : undefined;

function parse(spec: string | undefined): Map<string, ArmedPoint> | undefined {
  if (!spec?.trim()) return undefined;
  const points = new Map<string, ArmedPoint>();
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [point, signal] = item.split('=');
    const [name, nth] = point!.split('@');
    const count = nth === undefined ? 1 : Number(nth);
    if (!name || !Number.isInteger(count) || count < 1 || (signal !== undefined && signal !== 'SIGTERM' && signal !== 'SIGINT')) {
      throw new Error(`PRACTICE_FAILPOINT: "${item}" is not <name>, <name>@<n> with n from 1, or either followed by =SIGTERM or =SIGINT.`);
    }
    points.set(name, { left: count, signal: signal as ArmedPoint['signal'] });
  }
  return points;
}

/** Dies here (or sends the armed signal), abruptly and without cleanup, when this point's turn has come. */
export function failpoint(name: string): void {
  if (!armed) return;
  const point = armed.get(name);
  if (point === undefined) return;
  if (point.left > 1) {
    point.left--;
    return;
  }
  if (point.signal) {
    // Delivered to the launcher's handler like one from outside; the work goes on until it next checks.
    armed.delete(name);
    process.kill(process.pid, point.signal);
    return;
  }
  // SIGKILL: no exit handlers, no flushing, no finally blocks, exactly like a kill -9 from outside.
  process.kill(process.pid, 'SIGKILL');
  // The signal is delivered before kill() returns on every platform Node supports with SIGKILL; if it
  // ever is not, stop anyway rather than carry on past the point.
  process.abort();
}

/**
 * True once, when this point's turn has come (see above: points that fail instead of killing, such as
 * db:disk-full). Counts like failpoint(): name@n is true on the nth pass only.
 */
export function faultDue(name: string): boolean {
  if (!armed) return false;
  const point = armed.get(name);
  if (point === undefined) return false;
  if (point.left > 1) {
    point.left--;
    return false;
  }
  armed.delete(name);
  return true;
}

/** The failures a file write can be made to have, and the system errors they stand for. */
const FILE_FAULTS: Record<string, { code: string; message: string }> = {
  'file:enospc': { code: 'ENOSPC', message: 'ENOSPC: no space left on device, write' },
  'file:eio': { code: 'EIO', message: 'EIO: i/o error, write' },
};

/** The error a write must fail with when PRACTICE_FAILPOINT names a file fault; undefined otherwise. */
export function injectedFileError(): NodeJS.ErrnoException | undefined {
  const spec = process.env.PRACTICE_TEST_HOOKS === '1' ? process.env.PRACTICE_FAILPOINT : undefined;
  if (!spec) return undefined;
  for (const item of spec.split(',')) {
    const fault = FILE_FAULTS[item.trim()];
    if (fault) return Object.assign(new Error(fault.message), { code: fault.code, syscall: 'write' });
  }
  return undefined;
}
