// A kill mid-import leaves whole batches behind; the same command run again finishes the job without
// doubling anything. Runs the built CLI (dist/) as a child process, as cron or a shell would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { serverDatabaseUrl } from '../helpers/templates.js';

const root = join(import.meta.dirname, '../..');
const built = existsSync(join(root, 'dist/commands/import.js'));
const ROWS = 4_000;

function bigPatientsFile(dir: string): string {
  const lines = ['Chart #,Last Name,First Name,DOB,Sex,Zip'];
  for (let i = 0; i < ROWS; i++) lines.push(`K${i},Last${i % 997},First${i},${1930 + (i % 80)}-0${1 + (i % 9)}-1${i % 9},${i % 2 ? 'F' : 'M'},0${String(2100 + (i % 800)).padStart(4, '0')}`);
  const file = join(dir, 'big.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function run(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [join(root, 'bin/practice.js'), ...args], { env: { ...process.env, PRACTICE_USER: 'crash-test', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function finish(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  return { code, signal, stdout };
}

describe.skipIf(!built)('an import killed mid-file (built CLI)', () => {
  it('on the embedded database: a rerun finishes with every patient exactly once', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-crash-'));
    const file = bigPatientsFile(dir);
    const args = ['--data-dir', join(dir, 'data'), '--wait', '30', 'import', file, '--kind', 'patients', '--batch-size', '100', '--json'];
    const first = run(args, {});
    const ended = finish(first);
    // Writes start once the file has been sniffed (logged on stderr); kill a little after that.
    await new Promise<void>((resolve) => first.stderr!.on('data', (chunk: Buffer) => chunk.toString().includes('Reading') && resolve()));
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.kill('SIGKILL');
    await ended;
    const second = await finish(run(args, {}));
    expect(second.code).toBe(0);
    const counts = JSON.parse(second.stdout).counts;
    expect(counts.inserted + counts.unchanged).toBe(ROWS);
    expect(counts.rejected).toBe(0);
    // The killed run could not say so; the log does, since nothing else can hold the embedded database.
    const log = await finish(run(['--data-dir', join(dir, 'data'), 'import', 'log', '--json'], {}));
    expect(JSON.parse(log.stdout).map((r: { status: string }) => r.status)).toEqual(['completed', 'interrupted']);
  });

  const adminUrl = process.env.TEST_DATABASE_URL;
  it.skipIf(!adminUrl)('on PostgreSQL: killed after the first batches commit, the rerun adds exactly the rest', { timeout: 240_000 }, async () => {
    const { default: postgres } = await import('postgres');
    const admin = postgres(adminUrl!, { max: 1, onnotice: () => undefined });
    const name = `pk_crash_${randomBytes(4).toString('hex')}`;
    await admin`create database ${admin(name)} template ${admin(inject('serverTemplate')!)}`;
    const url = serverDatabaseUrl(adminUrl!, name);
    const db = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'pk-crash-pg-'));
      const args = ['import', bigPatientsFile(dir), '--kind', 'patients', '--batch-size', '100', '--json'];
      const first = run(args, { DATABASE_URL: url });
      const ended = finish(first);
      let committed = 0;
      while (committed === 0) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        committed = (await db`select count(*)::int as n from patients`)[0]!.n;
      }
      first.kill('SIGKILL');
      const killed = await ended;
      expect(killed.signal).toBe('SIGKILL');
      const [before] = await db`select count(*)::int as n from patients`;
      expect(before!.n % 100).toBe(0);
      expect(before!.n).toBeLessThan(ROWS);
      const second = await finish(run(args, { DATABASE_URL: url }));
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout).counts).toMatchObject({ inserted: ROWS - before!.n, unchanged: before!.n, rejected: 0 });
      const [after] = await db`select count(*)::int as n, count(distinct mrn)::int as charts from patients`;
      expect(after).toEqual({ n: ROWS, charts: ROWS });
      // On a server another import may be running: a run counts as killed once it has not moved for a while.
      const status = async () => JSON.parse((await finish(run(['import', 'log', '--json'], { DATABASE_URL: url }))).stdout).map((r: { status: string }) => r.status);
      expect(await status()).toEqual(['completed', 'running']);
      await db`update import_runs set heartbeat_at = now() - interval '11 minutes' where status = 'running'`;
      expect(await status()).toEqual(['completed', 'interrupted']);
    } finally {
      await db.end();
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end();
    }
  });
});
