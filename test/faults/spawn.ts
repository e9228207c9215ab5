// Helpers for the fault-injection suite: the built CLI (bin/practice.js, so it needs dist/: npm run build)
// as a child process, as cron or a shell runs it, and fresh copies of one seeded database per kill: a copy
// of a seeded data directory, or a PostgreSQL database made from a seeded template database.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { openEmbedded, openServer, type PracticeDatabase } from '../../src/db/client.js';
import type { Backend } from '../../src/db/types.js';
import { ensurePrivateFolder } from '../../src/files/private-file.js';
import { serverDatabaseUrl } from '../helpers/templates.js';

export const root = join(import.meta.dirname, '../..');

/** dist/ holds this failpoint: the build is current enough for the suite (else "npm run build"). */
export const builtWith = (file: string, point: string) => existsSync(join(root, 'dist', file)) && readFileSync(join(root, 'dist', file), 'utf8').includes(point);

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end. A failpoint needs PRACTICE_TEST_HOOKS=1 too: killAt() sets both. */
export function practice(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/practice.js'), ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PRACTICE_USER: 'fault-test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The environment that arms one failpoint (name or name@n). */
export const killAt = (point: string) => ({ PRACTICE_TEST_HOOKS: '1', PRACTICE_FAILPOINT: point });

/** Where a child finds one database, and a way for the test to look into it between runs. */
export interface Place {
  args: string[];
  env: Record<string, string>;
  /** Runs fn on a handle; the embedded database is opened only while no child holds it. */
  use<T>(fn: (handle: PracticeDatabase) => Promise<T>): Promise<T>;
}

export interface Seeded {
  /** A fresh copy of the seeded database. */
  fresh(name: string): Promise<Place>;
  close(): Promise<void>;
}

const owner = () => ({ pid: process.pid, user: 'fault-test', command: 'test', since: new Date().toISOString() });

async function using<T>(open: () => Promise<PracticeDatabase>, fn: (handle: PracticeDatabase) => Promise<T>): Promise<T> {
  const handle = await open();
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

/**
 * A data directory holding the run's migrated template (test/helpers/templates.ts), private as
 * openEmbedded leaves a new one: migrating an empty folder instead takes many seconds per seed.
 */
async function migratedDataDir(dataDir: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create({ dataDir, loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]) });
  await pglite.close();
  await ensurePrivateFolder(dataDir, { all: true });
}

/** Seeds one database on the backend, then hands out copies of it. */
export async function seeded(backend: Backend, seed: (handle: PracticeDatabase) => Promise<void>): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'pk-faults-'));
  if (backend === 'pglite') {
    const seededDir = join(dir, 'seeded');
    await migratedDataDir(seededDir);
    await using(() => openEmbedded({ dataDir: seededDir, waitSeconds: 60, owner: owner() }), seed);
    return {
      async fresh(name) {
        const dataDir = join(dir, `data-${name.replace(/[^a-z0-9]/gi, '-')}`);
        cpSync(seededDir, dataDir, { recursive: true });
        return { args: ['--data-dir', dataDir, '--wait', '60'], env: {}, use: (fn) => using(() => openEmbedded({ dataDir, waitSeconds: 60, owner: owner() }), fn) };
      },
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const { default: postgres } = await import('postgres');
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  const seededName = `pk_faults_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin`create database ${admin(seededName)} template ${admin(inject('serverTemplate')!)}`;
  await using(() => openServer(serverDatabaseUrl(adminUrl, seededName)), seed);
  const names = [seededName];
  let n = 0;
  return {
    async fresh() {
      const name = `${seededName}_${++n}`;
      names.push(name);
      await admin`create database ${admin(name)} template ${admin(seededName)}`;
      const url = serverDatabaseUrl(adminUrl, name);
      return { args: [], env: { DATABASE_URL: url }, use: (fn) => using(() => openServer(url), fn) };
    },
    async close() {
      for (const name of names.reverse()) await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
