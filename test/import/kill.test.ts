// The built CLI killed at each commit boundary of an import (PRACTICE_FAILPOINT=import:<step>), with rows
// rejected by validation, by a size limit and by the database along the way; the same command run again
// finishes the job: every good row exactly once, every bad row in the reject file exactly once.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { IMPORT_FAILPOINTS } from '../../src/import/run.js';
import { serverDatabaseUrl } from '../helpers/templates.js';

const root = join(import.meta.dirname, '../..');
const built = existsSync(join(root, 'dist/import/run.js'));
const PATIENTS = 30;
const ROWS = 120;
const BATCH = 25;
/** Data row (1-based) → why it is bad; the reject file numbers it row + 1 (the header is row 1). */
const bad = new Map<number, string>([
  [10, 'database'], // batch 1: the number does not fit an integer column
  [30, 'database'], // batch 2
  [60, 'limit'], // batch 3: a reason over 1,000 characters
  [80, 'validation'], // batch 4: not a date
  [110, 'no patient'], // batch 5
]);

function visitsFile(dir: string): string {
  const lines = ['chart_number,date,duration,reason'];
  for (let i = 1; i <= ROWS; i++) {
    const why = bad.get(i);
    const chart = why === 'no patient' ? 'NOPE' : `K${i % PATIENTS}`;
    // Chart and date together are unique (30 and 28 have no common multiple below 120).
    const date = why === 'validation' ? 'someday' : `2026-01-${String(1 + (i % 28)).padStart(2, '0')}`;
    const duration = why === 'database' ? '98765432109' : '15';
    const reason = why === 'limit' ? 'x'.repeat(1_001) : `visit ${i}`;
    lines.push(`${chart},${date},${duration},${reason}`);
  }
  const file = join(dir, 'visits.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function patientsFile(dir: string): string {
  const lines = ['chart_number,last_name,first_name,dob'];
  for (let i = 0; i < PATIENTS; i++) lines.push(`K${i},Last${i},First${i},19${50 + i}-01-0${1 + (i % 9)}`);
  const file = join(dir, 'patients.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function practice(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(root, 'bin/practice.js'), ...args], { env: { ...process.env, PRACTICE_USER: 'kill-test', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  return { code, signal, stdout, stderr };
}

/** The n-th time each step is reached: in the second batch (the first row the database refuses in it, for after-row). */
const turn: Record<(typeof IMPORT_FAILPOINTS)[number], number> = { 'after-row': BATCH + 5, 'after-batch': 2, 'before-commit': 2, 'after-commit': 2, 'after-rejects': 2 };

interface Place {
  env: NodeJS.ProcessEnv;
  global: string[];
  encounters?: () => Promise<{ n: number; ids: number }>;
}

/** Kills the import at the step, checks what the killed run left, runs it again and checks the whole. */
async function killAndRerun(place: Place, dir: string, step: (typeof IMPORT_FAILPOINTS)[number]): Promise<void> {
  const args = [...place.global, 'import', visitsFile(dir), '--kind', 'encounters', '--batch-size', String(BATCH), '--json'];
  const killed = await practice(args, { ...place.env, PRACTICE_TEST_HOOKS: '1', PRACTICE_FAILPOINT: `import:${step}@${turn[step]}` });
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  const log = async () => JSON.parse((await practice([...place.global, 'import', 'log', '--json'], place.env)).stdout) as { kind: string; rowsRead: number; inserted: number; rejected: number }[];
  const [left] = (await log()).filter((r) => r.kind === 'encounters');
  // Whole batches or nothing: the batch killed before its commit is not there, its counts neither.
  const committed = step === 'after-commit' || step === 'after-rejects' ? 2 : 1;
  expect(left!.rowsRead).toBe(committed * BATCH);
  if (place.encounters) expect((await place.encounters()).n).toBe(left!.inserted);

  const again = await practice(args, place.env);
  expect(again.code, again.stderr).toBe(3);
  const counts = JSON.parse(again.stdout).counts;
  expect(counts).toMatchObject({ read: ROWS, inserted: ROWS - bad.size - left!.inserted, unchanged: left!.inserted, rejected: bad.size });
  if (place.encounters) expect(await place.encounters()).toEqual({ n: ROWS - bad.size, ids: ROWS - bad.size });
  const rejected = (parse(readFileSync(join(dir, 'visits.rejects.csv'), 'utf8'), { columns: true }) as { row_number: string; reject_reason: string }[]).map((r) => Number(r.row_number) - 1);
  expect(rejected).toEqual([...bad.keys()]);
  expect(again.stderr).not.toContain('98765432109');
}

describe.skipIf(!built)('an import killed at each commit boundary (built CLI)', () => {
  describe('on the embedded database', () => {
    let seeded: string;
    beforeAll(async () => {
      seeded = mkdtempSync(join(tmpdir(), 'pk-kill-seed-'));
      const run = await practice(['--data-dir', join(seeded, 'data'), 'import', patientsFile(seeded), '--kind', 'patients'], {});
      expect(run.code, run.stderr).toBe(0);
    }, 120_000);

    it.each(IMPORT_FAILPOINTS)('killed at import:%s, then run again: nothing lost, nothing doubled, every reject listed', { timeout: 120_000 }, async (step) => {
      const dir = mkdtempSync(join(tmpdir(), 'pk-kill-'));
      cpSync(join(seeded, 'data'), join(dir, 'data'), { recursive: true });
      // Between runs, when no CLI holds the folder, the test opens it itself.
      const encounters = async () => {
        const { PGlite } = await import('@electric-sql/pglite');
        const pglite = await PGlite.create({ dataDir: join(dir, 'data') });
        try {
          return (await pglite.query<{ n: number; ids: number }>('select count(*)::int as n, count(distinct source_id)::int as ids from encounters')).rows[0]!;
        } finally {
          await pglite.close();
        }
      };
      await killAndRerun({ env: {}, global: ['--data-dir', join(dir, 'data'), '--wait', '30'], encounters }, dir, step);
    });
  });

  const adminUrl = process.env.TEST_DATABASE_URL;
  describe.skipIf(!adminUrl)('on PostgreSQL', () => {
    it.each(IMPORT_FAILPOINTS)('killed at import:%s, then run again: nothing lost, nothing doubled, every reject listed', { timeout: 120_000 }, async (step) => {
      const { default: postgres } = await import('postgres');
      const admin = postgres(adminUrl!, { max: 1, onnotice: () => undefined });
      const name = `pk_kill_${randomBytes(4).toString('hex')}`;
      await admin`create database ${admin(name)} template ${admin(inject('serverTemplate')!)}`;
      const url = serverDatabaseUrl(adminUrl!, name);
      const db = postgres(url, { max: 1, onnotice: () => undefined });
      try {
        const dir = mkdtempSync(join(tmpdir(), 'pk-kill-pg-'));
        const seed = await practice(['import', patientsFile(dir), '--kind', 'patients'], { DATABASE_URL: url });
        expect(seed.code, seed.stderr).toBe(0);
        const encounters = async () => (await db`select count(*)::int as n, count(distinct source_id)::int as ids from encounters`)[0] as { n: number; ids: number };
        await killAndRerun({ env: { DATABASE_URL: url }, global: [], encounters }, dir, step);
      } finally {
        await db.end();
        await admin`drop database if exists ${admin(name)} with (force)`;
        await admin.end();
      }
    });
  });
});
