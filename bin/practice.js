#!/usr/bin/env node
// Launcher: runs the command and sets the exit code, letting output finish flushing.
// Ctrl-C asks the command to stop between saved steps; a second Ctrl-C stops at once.
import { main } from '../dist/cli/main.js';

// Everything practicekit creates holds practice data: private to the user whatever the shell's umask.
process.umask(0o077);

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
  process.stderr.write('\nStopping after the current step (Ctrl-C again to stop at once)...\n');
});
process.on('SIGTERM', () => interrupt.abort());
// A reader that stops early (`practice ... | head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2), { signal: interrupt.signal });
