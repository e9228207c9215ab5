// PGlite serves one process: two processes on one data directory would each run their own Postgres on
// the same files and lose writes. So a command holds this lock for its whole life.
import { mkdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { writePrivateFile } from '../files/private-file.js';
import { DatabaseError } from './errors.js';

export interface LockOwner {
  pid: number;
  host?: string;
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
const LOCK_DIR = 'practicekit.lock';
const TAKEOVER_DIR = 'practicekit.takeover';
// A lock is taken over when its holder's process is gone (checked by pid on this host). The time-based
// staleness is only for holders on another host: a busy holder (PGlite's first start blocks the event
// loop for many seconds) must never look dead.
const STALE_MS = 60 * 60_000;
// A lock with no owner file this old was left by a process killed right after taking it.
const ORPHAN_MS = 30_000;
const POLL_MS = 200;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the lock of a holder that no longer exists. Runs under its own mkdir mutex and re-reads the
 * owner inside it, so two waiters never remove a lock the other has just taken.
 */
async function takeOverDeadLock(dataDir: string): Promise<void> {
  const mutex = join(dataDir, TAKEOVER_DIR);
  try {
    await mkdir(mutex);
  } catch {
    return;
  }
  try {
    const owner = await readOwner(dataDir);
    let dead = false;
    if (owner) dead = (owner.host ?? hostname()) === hostname() && !processAlive(owner.pid);
    else {
      const info = await stat(join(dataDir, LOCK_DIR)).catch(() => undefined);
      dead = info !== undefined && Date.now() - info.mtimeMs > ORPHAN_MS;
    }
    if (dead) {
      await rm(join(dataDir, OWNER_FILE), { force: true });
      await rm(join(dataDir, LOCK_DIR), { recursive: true, force: true });
    }
  } finally {
    await rmdir(mutex).catch(() => undefined);
  }
}

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
        lockfilePath: join(dataDir, LOCK_DIR),
        // Losing the lock mid-command (clock jump, disk full) must not crash the process here;
        // the next refresh attempt retries and the command's own transaction keeps data consistent.
        onCompromised: () => undefined,
      });
      // Whole or not at all: a waiter never reads half an owner.
      await writePrivateFile(join(dataDir, OWNER_FILE), JSON.stringify({ ...options.owner, host: hostname() })).catch(async (error: unknown) => {
        await release().catch(() => undefined);
        throw error;
      });
      return {
        async release() {
          await rm(join(dataDir, OWNER_FILE), { force: true });
          await release().catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as { code?: string }).code !== 'ELOCKED') throw error;
      await takeOverDeadLock(dataDir);
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
