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
//
// Names are "<area>:<step>"; the list of an area's points lives next to the code that calls them.
//
// One more kind does not kill but fails: PRACTICE_FAILPOINT=file:enospc (or file:eio) makes every write of
// the private file writer (src/files/private-file.ts) fail as a full (or failing) disk would, to prove each
// writer says so in one line and leaves no file behind. Read at each write, so an in-process test can set it.

/** How many times each armed point may still be passed before it fires. */
const armed = process.env.PRACTICE_TEST_HOOKS === '1' ? parse(process.env.PRACTICE_FAILPOINT) : undefined;

function parse(spec: string | undefined): Map<string, number> | undefined {
  if (!spec?.trim()) return undefined;
  const points = new Map<string, number>();
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, nth] = item.split('@');
    const count = nth === undefined ? 1 : Number(nth);
    if (!name || !Number.isInteger(count) || count < 1) throw new Error(`PRACTICE_FAILPOINT: "${item}" is not <name> or <name>@<n> with n from 1.`);
    points.set(name, count);
  }
  return points;
}

/** Dies here, abruptly and without cleanup, when this point is armed and its turn has come. */
export function failpoint(name: string): void {
  if (!armed) return;
  const left = armed.get(name);
  if (left === undefined) return;
  if (left > 1) {
    armed.set(name, left - 1);
    return;
  }
  // SIGKILL: no exit handlers, no flushing, no finally blocks, exactly like a kill -9 from outside.
  process.kill(process.pid, 'SIGKILL');
  // The signal is delivered before kill() returns on every platform Node supports with SIGKILL; if it
  // ever is not, stop anyway rather than carry on past the point.
  process.abort();
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
