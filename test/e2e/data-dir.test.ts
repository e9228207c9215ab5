// Real processes on one embedded data directory: the lock must keep two writers from losing rows, and a
// folder that cannot be used must say so plainly. Needs dist/ (npm run build).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/db/lock.js';
import { practice } from '../faults/spawn.js';

const root = mkdtempSync(join(tmpdir(), 'pk-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('two practice commands on one data directory', () => {
  // Each process starts the embedded database (seconds each on a busy machine).
  it('run one after the other and lose nothing', { timeout: 600_000 }, async () => {
    const dataDir = join(root, 'one-folder');
    // The database is created first, so this is about two writers rather than two first-time creations.
    // Then two set-ups start at once, each with its own providers and payers: one writes while the other
    // waits for the lock, then writes its own rows.
    const setupFile = (name: string, npis: string[], payerId: string) => {
      const path = join(root, `${name}.json`);
      const practiceDetails = { legalName: 'Lock Test Clinic', tin: '12-3456789', billingNpi: '2888888809' };
      const providers = npis.map((npi) => ({ npi, firstName: 'Lock', lastName: `Test ${npi}` }));
      writeFileSync(path, JSON.stringify({ practice: practiceDetails, providers, payers: [{ payerId, name: `Payer ${payerId}` }] }));
      return path;
    };
    expect((await practice(['--data-dir', dataDir, 'db', 'status'])).code).toBe(0);
    const runs = await Promise.all([
      practice(['--data-dir', dataDir, '--wait', '600', 'setup', '--from', setupFile('a', ['1999999901', '1999999919'], 'LOCKA')]),
      practice(['--data-dir', dataDir, '--wait', '600', 'setup', '--from', setupFile('b', ['1999999927', '1999999935'], 'LOCKB')]),
    ]);
    for (const run of runs) expect(run.code, run.stderr).toBe(0);

    const providers = await practice(['--data-dir', dataDir, '--json', 'providers', 'list']);
    expect(JSON.parse(providers.stdout).providers.map((p: { npi: string }) => p.npi).sort()).toEqual(['1999999901', '1999999919', '1999999927', '1999999935']);
    const payers = await practice(['--data-dir', dataDir, '--json', 'payers', 'list']);
    expect(JSON.parse(payers.stdout).payers.map((p: { payerId: string }) => p.payerId).sort()).toEqual(['LOCKA', 'LOCKB']);
  });

  it('gives up at once with --wait 0 while another command holds the database', { timeout: 120_000 }, async () => {
    const dataDir = join(root, 'held');
    const lock = await lockDataDir(dataDir, {
      waitSeconds: 0,
      owner: { pid: process.pid, user: 'someone', command: 'practice demo', since: new Date().toISOString() },
    });
    try {
      const run = await practice(['--data-dir', dataDir, '--wait', '0', 'providers', 'list']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/The practice database is in use by "practice demo" \(process \d+, user someone/);
      expect(run.stdout).toBe('');
    } finally {
      await lock.release();
    }
  });

  it('says plainly when the data folder cannot be written', async () => {
    const file = join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    const run = await practice(['--data-dir', join(file, 'practice'), 'providers', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: Cannot write to the practice data folder .*not-a-folder\/practice \(ENOTDIR\)\.$/m);
    expect(run.stderr).toContain('--data-dir or PRACTICE_DATA_DIR');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
