// PGlite serves one process: two processes on one data directory would each run their own Postgres on
// the same files and lose writes. So a command holds this lock for its whole life.
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { DatabaseError } from './errors.js';

export interface LockOwner {
  pid: number;
  user: string;
  command: string;
  since: string;
}

export interface DataDirLock {
  release(): Promise<void>;
}

export interface LockOptions {
  waitSeconds: number;
  owner: LockOwner;
  /** Called once when another process holds the lock and we start waiting. */
  onWait?: (holder: LockOwner | undefined) => void;
}

const OWNER_FILE = 'practicekit-lock.json';
// A holder refreshes the lock every stale/2 ms; a killed one stops, and the lock is taken over after this.
const STALE_MS = 10_000;
const POLL_MS = 200;

export function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return 'another practice command';
  return `"${owner.command}" (process ${owner.pid}, user ${owner.user}, since ${owner.since})`;
}

async function readOwner(dataDir: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, OWNER_FILE), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

export async function lockDataDir(dataDir: string, options: LockOptions): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + options.waitSeconds * 1000;
  let warned = false;
  for (;;) {
    try {
      const release = await lockfile.lock(dataDir, {
        stale: STALE_MS,
        realpath: false,
        lockfilePath: join(dataDir, 'practicekit.lock'),
        // Losing the lock mid-command (clock jump, disk full) must not crash the process here;
        // the next refresh attempt retries and the command's own transaction keeps data consistent.
        onCompromised: () => undefined,
      });
      await writeFile(join(dataDir, OWNER_FILE), JSON.stringify(options.owner), { mode: 0o600 });
      return {
        async release() {
          await rm(join(dataDir, OWNER_FILE), { force: true });
          await release().catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as { code?: string }).code !== 'ELOCKED') throw error;
      const holder = await readOwner(dataDir);
      if (Date.now() >= deadline) {
        throw new DatabaseError(
          'DB_IN_USE',
          `The practice database is in use by ${describeOwner(holder)}.`,
          'Wait for it to finish and try again, or give more time with --wait <seconds>.',
        );
      }
      if (!warned) {
        warned = true;
        options.onWait?.(holder);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
