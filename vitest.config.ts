import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Each file gets its own database clone; files run in parallel on the machine's cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default leaves one core idle, which on a 2-core CI machine runs the files one at a time;
    // most files spend their time waiting on spawned CLI processes and the database, so use every core.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
