#!/usr/bin/env node
// Launcher: runs the command and sets the exit code, letting output finish flushing.
// Ctrl-C (SIGINT) or SIGTERM asks the command to stop between saved steps (it exits 130 or 143 once the
// database is closed); the same signal again stops at once, and so does a step still stuck 10 s later.
import { main } from '../dist/cli/main.js';

// Everything practicekit creates holds practice data: private to the user whatever the shell's umask.
process.umask(0o077);

const STOP_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 };
const HARD_STOP_MS = 10_000;

const stop = new AbortController();
for (const name of Object.keys(STOP_EXIT_CODES)) {
  process.on(name, () => {
    const code = STOP_EXIT_CODES[name];
    if (stop.signal.aborted) process.exit(code);
    stop.abort(name);
    process.stderr.write(`\nStopping after the current step (${name === 'SIGINT' ? 'Ctrl-C' : name} again to stop at once)...\n`);
    // A step that never returns (a database server that stopped answering) must not keep us running.
    setTimeout(() => {
      process.stderr.write(`Still busy ${HARD_STOP_MS / 1000} s after the stop request: stopping now. Run the same command again to resume.\n`);
      process.exit(code);
    }, HARD_STOP_MS).unref();
  });
}
// A reader that stops early (`practice ... | head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2), { signal: stop.signal });
