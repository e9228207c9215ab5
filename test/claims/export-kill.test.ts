// The export killed (SIGKILL, as kill -9) at every step, then run again: every claim is sent exactly
// once, in one file whose control numbers are the ones recorded, with no temporary file left behind.
// Real processes (bin/practice.js, so it needs dist/: npm run build) on a real database: an embedded
// data directory, and a PostgreSQL database when TEST_DATABASE_URL is set.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { EXPORT_FAILPOINTS } from '../../src/claims/export-837p.js';
import { tempName } from '../../src/files/private-file.js';
import { openEmbedded, openServer, type PracticeDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { serverDatabaseUrl } from '../helpers/templates.js';
import { segmentsOf } from './read-837p.js';
import { seedPractice } from './seed.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function practice(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/practice.js', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PRACTICE_USER: 'kill-test', ...env },
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

const root = mkdtempSync(join(tmpdir(), 'pk-export-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The practice of fixtures/x12 with two claims built and ready, and time enough to file them. */
async function seed(handle: PracticeDatabase): Promise<void> {
  await seedPractice(handle.db);
  await handle.db.execute(sql`update payers set timely_filing_days = 36500`);
  const build = await runCli(['--json', 'claims', 'build'], { database: handle });
  expect(build.json()).toMatchObject({ claims: 2 });
}

/** One fresh database per kill: a copy of a seeded data directory, or a new server database. */
interface Place {
  args: string[];
  env: Record<string, string>;
  open(): Promise<PracticeDatabase>;
}

describeEachBackend('claims export killed at every step', (t) => {
  let fresh: (name: string) => Promise<Place>;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const owner = { pid: process.pid, user: 'kill-test', command: 'seed', since: new Date().toISOString() };
    if (t.backend === 'pglite') {
      const seeded = join(root, 'seeded');
      const handle = await openEmbedded({ dataDir: seeded, waitSeconds: 60, owner });
      await seed(handle);
      await handle.close();
      fresh = async (name) => {
        const dataDir = join(root, `data-${name}`);
        cpSync(seeded, dataDir, { recursive: true });
        return { args: ['--data-dir', dataDir], env: {}, open: () => openEmbedded({ dataDir, waitSeconds: 60, owner }) };
      };
    } else {
      const adminUrl = process.env.TEST_DATABASE_URL!;
      const { default: postgres } = await import('postgres');
      const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
      const seededName = `pk_kill_${process.pid}_${randomBytes(3).toString('hex')}`;
      await admin`create database ${admin(seededName)} template ${admin(inject('serverTemplate')!)}`;
      const handle = await openServer(serverDatabaseUrl(adminUrl, seededName));
      await seed(handle);
      await handle.close();
      const names = [seededName];
      cleanups.push(async () => {
        for (const name of names) await admin`drop database if exists ${admin(name)} with (force)`;
        await admin.end();
      });
      fresh = async (step) => {
        const name = `${seededName}_${step.replace(/[^a-z]/g, '')}`;
        names.push(name);
        await admin`create database ${admin(name)} template ${admin(seededName)}`;
        const url = serverDatabaseUrl(adminUrl, name);
        return { args: [], env: { DATABASE_URL: url }, open: () => openServer(url) };
      };
    }
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it.each(EXPORT_FAILPOINTS)('killed at %s, then run again: each claim in exactly one file, same control numbers', async (step) => {
    const place = await fresh(step);
    const out = join(root, `out-${t.backend}-${step}`);
    mkdirSync(out);
    const exportArgs = [...place.args, '--json', 'claims', 'export', '--all', '--out', out];

    const killed = await practice(exportArgs, { ...place.env, PRACTICE_TEST_HOOKS: '1', PRACTICE_FAILPOINT: `claims-export:${step}` });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');

    // What the killed run left recorded: the batch (if any) whose file the rerun must write unchanged.
    let handle = await place.open();
    const left = await queryRows<{ id: number; isa: number; sha: string; status: string }>(
      handle.db,
      sql`select id, interchange_control_number as isa, file_sha256 as sha, status from claim_batches order by id`,
    );
    await handle.close();
    if (step === 'before-record') expect(left).toEqual([]);
    else expect(left).toEqual([{ id: expect.any(Number), isa: 1, sha: expect.any(String), status: step === 'after-commit' ? 'exported' : 'open' }]);

    const rerun = await practice(exportArgs, place.env);
    expect(rerun.code, rerun.stderr).toBe(0);
    if (step !== 'before-record' && step !== 'after-commit') expect(rerun.stderr).toContain('An earlier export was stopped before it finished');
    // The rerun finished the recorded batch (or, when nothing was recorded, made it) and sent nothing twice.
    expect(JSON.parse(rerun.stdout)).toMatchObject(step === 'before-record' || step === 'after-commit' ? { claims: step === 'after-commit' ? 0 : 2, completed: [] } : { batchId: null, claims: 0, completed: [{ batchId: left[0]!.id, claims: 2 }] });

    const files = readdirSync(out);
    expect(files.filter((f) => f.endsWith('.tmp') || f === tempName(f))).toEqual([]);
    expect(files).toHaveLength(1);
    const text = readFileSync(join(out, files[0]!), 'utf8');
    const { segments } = segmentsOf(text);
    const sent = segments.filter((s) => s.startsWith('CLM*')).map((s) => s.split('*')[1]);
    handle = await place.open();
    try {
      const batches = await queryRows<{ id: number; isa: number; sha: string; status: string }>(
        handle.db,
        sql`select id, interchange_control_number as isa, file_sha256 as sha, status from claim_batches order by id`,
      );
      expect(batches).toHaveLength(1);
      expect(batches[0]!.status).toBe('exported');
      // The file is the recorded batch, byte for byte, with the control number the killed run took.
      expect(createHash('sha256').update(text).digest('hex')).toBe(batches[0]!.sha);
      if (left.length) expect(batches[0]).toMatchObject({ id: left[0]!.id, isa: left[0]!.isa, sha: left[0]!.sha });
      expect(text).toContain(`*${String(batches[0]!.isa).padStart(9, '0')}*0*T*:~`);
      const claims = await queryRows<{ pcn: string; status: string; batch: number }>(
        handle.db,
        sql`select patient_control_number as pcn, status, batch_id as batch from claims order by id`,
      );
      expect(claims).toEqual(claims.map((c) => ({ pcn: c.pcn, status: 'exported', batch: batches[0]!.id })));
      expect(sent.sort()).toEqual(claims.map((c) => c.pcn).sort());
    } finally {
      await handle.close();
    }
  }, 300_000);
});
