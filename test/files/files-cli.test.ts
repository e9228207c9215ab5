// Every file the CLI writes, through the real command path: 0600, an existing output file refused
// without --force, reject files with spreadsheet formulas neutralised, and a full disk (the test-only
// fault PRACTICE_FAILPOINT=file:enospc) ending the command in one plain line with no file left behind.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { EXPORT_TIME, seedPractice } from '../claims/seed.js';

const mode = (path: string) => statSync(path).mode & 0o777;
const root = join(import.meta.dirname, '../..');
const built = existsSync(join(root, 'dist/cli/main.js'));

/** Exit 1 and exactly one line on stderr: the plain sentence, no stack. */
function expectDiskFull(run: CliRun, path?: string): void {
  expect(run.code, run.stderr).toBe(1);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: .*The disk is full: .* was not written; nothing partial was left\./);
  if (path) expect(lines[0]).toContain(path);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

/** Files in a folder and everything below it, hidden temporary ones included. */
function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)).map((f) => join(e.name, f)) : [e.name]));
}

describeEachBackend('files the CLI writes', (t) => {
  // File faults are test hooks: they act only with PRACTICE_TEST_HOOKS=1, as the failpoints do.
  process.env.PRACTICE_TEST_HOOKS = '1';
  const dir = mkdtempSync(join(tmpdir(), 'pk-files-cli-'));
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    if (env.PRACTICE_FAILPOINT) process.env.PRACTICE_FAILPOINT = env.PRACTICE_FAILPOINT;
    try {
      return await runCli(['--quiet', ...args], { database: t.handle, now: EXPORT_TIME, cwd: dir });
    } finally {
      delete process.env.PRACTICE_FAILPOINT;
    }
  };
  const full = { PRACTICE_TEST_HOOKS: '1', PRACTICE_FAILPOINT: 'file:enospc' };
  afterEach(() => {
    delete process.env.PRACTICE_FAILPOINT;
  });

  beforeAll(async () => {
    await seedPractice(t.db);
    const build = await cli(['--json', 'claims', 'build']);
    expect(build.code, build.stderr).toBe(0);
  });

  it('refuses to replace an existing --out or --pdf file without --force, and replaces it (0600) with it', async () => {
    const out = join(dir, 'productivity.csv');
    writeFileSync(out, 'keep me', { mode: 0o644 });
    const refused = await cli(['report', 'productivity', '--month', '2025-01', '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--out ${out}: that file already exists.`);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const forced = await cli(['report', 'productivity', '--month', '2025-01', '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toBe('keep me');
    expect(mode(out)).toBe(0o600);

    const pdf = join(dir, 'chart.pdf');
    writeFileSync(pdf, 'not a chart');
    const chart = await cli(['patients', 'show', 'M1', '--pdf', pdf]);
    expect(chart.code).toBe(2);
    expect(chart.stderr).toContain('--pdf');
    expect(readFileSync(pdf, 'utf8')).toBe('not a chart');
    expect((await cli(['patients', 'show', 'M1', '--pdf', pdf, '--force'])).code).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    expect(mode(pdf)).toBe(0o600);
  });

  it('neutralises spreadsheet formulas in the reject file, like every CSV it writes (0600)', async () => {
    const input = join(dir, 'patients.csv');
    writeFileSync(input, 'Chart #,Last Name,First Name,DOB,Sex,Zip\nR1,Good,Row,1970-01-02,F,02134\nR3,Also,Good,1971-03-04,M,02135\nR4,Fine,Too,1972-05-06,F,02136\nR2,=1+2,@SUM(A1),not a date,M,02137\n');
    const run = await cli(['--json', 'import', input, '--kind', 'patients']);
    expect(run.code, run.stderr).toBe(3);
    const rejects = run.json().rejectFile as string;
    expect(rejects).toBe(join(dir, 'patients.rejects.csv'));
    expect(mode(rejects)).toBe(0o600);
    const [header, row] = readFileSync(rejects, 'utf8').trimEnd().split('\n');
    expect(header).toBe('Chart #,Last Name,First Name,DOB,Sex,Zip,row_number,reject_reason');
    expect(row).toMatch(/^R2,'=1\+2,'@SUM\(A1\),not a date,M,02137,5,/);
    expect(allFiles(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('gives back the values a reject file neutralised when it is fixed and imported again', async () => {
    const input = join(dir, 'formulas.csv');
    const original = { last: '=1+2', first: '@Ann', street: '-12 Rear Lane', street2: "'Tis the back door", city: '+Springfield' };
    writeFileSync(input, `Chart #,Last Name,First Name,DOB,Address,Address 2,City\nF1,${original.last},${original.first},2/30/1970,${original.street},${original.street2},${original.city}\n`);
    const run = await cli(['--json', 'import', input, '--kind', 'patients']);
    expect(run.code, run.stderr).toBe(3);
    const rejects = run.json().rejectFile as string;
    const written = readFileSync(rejects, 'utf8');
    expect(written).toContain("F1,'=1+2,'@Ann,2/30/1970,'-12 Rear Lane,'Tis the back door,'+Springfield,2,");
    // The user fixes the date in the reject file and imports that file.
    writeFileSync(rejects, written.replace('2/30/1970', '3/2/1970'));
    const again = await cli(['--json', 'import', rejects, '--kind', 'patients']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().counts).toMatchObject({ inserted: 1, rejected: 0 });
    const [stored] = await queryRows<Record<string, string>>(t.db, sql`select last_name as last, first_name as first, address1 as street, address2 as street2, city from patients where mrn = 'F1'`);
    expect(stored).toEqual(original);
  });

  describe('on a full disk: exit 1, one line, no file and no temporary file left', () => {
    it('a report PDF', async () => {
      const out = join(dir, 'full', 'pack.pdf');
      mkdirSync(join(dir, 'full'));
      expectDiskFull(await cli(['report', 'monthly', '--month', '2025-01', '--out', out], full), out);
      expect(allFiles(join(dir, 'full'))).toEqual([]);
    });

    it('a FHIR bulk export', async () => {
      const out = join(dir, 'bulk');
      expectDiskFull(await cli(['fhir', 'export', '--all', '--out', out], full));
      expect(allFiles(out)).toEqual([]);
      const again = await cli(['--json', 'fhir', 'export', '--all', '--out', out]);
      expect(again.code, again.stderr).toBe(0);
      for (const file of allFiles(out)) expect(mode(join(out, file))).toBe(0o600);
      expect(allFiles(out)).toContain('Patient.ndjson');
    });

    it('an 837P claim file: the batch stays recorded and the next export writes it', async () => {
      const out = join(dir, 'claims');
      mkdirSync(out);
      const run = await cli(['claims', 'export', '--all', '--out', out], full);
      expectDiskFull(run);
      expect(run.stderr).toMatch(/Batch \d+ is recorded, but its file could not be written: The disk is full: .* Free some space and run the export again: it writes batch \d+ first\./);
      expect(allFiles(out)).toEqual([]);
      const [open] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from claim_batches where status = 'open'`);
      expect(open!.n).toBe(1);
      const rerun = await cli(['--json', 'claims', 'export', '--all', '--out', out]);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.json().completed).toHaveLength(1);
      const files = allFiles(out);
      expect(files).toHaveLength(1);
      expect(mode(join(out, files[0]!))).toBe(0o600);
    });

    it('a reject file', async () => {
      const sub = join(dir, 'import-full');
      mkdirSync(sub);
      const input = join(sub, 'patients.csv');
      writeFileSync(input, 'Chart #,Last Name,First Name,DOB,Sex,Zip\nG1,Good,Row,1970-01-02,F,02134\nG2,Also,Good,1971-03-04,M,02135\nF1,Bad,Date,31/31/31,F,02134\n');
      expectDiskFull(await cli(['import', input, '--kind', 'patients'], full), join(sub, 'patients.rejects.csv'));
      expect(allFiles(sub)).toEqual(['patients.csv']);
      // The next run, with room on the disk, writes the whole reject file.
      const rerun = await cli(['--json', 'import', input, '--kind', 'patients']);
      expect(rerun.code, rerun.stderr).toBe(3);
      expect(readFileSync(join(sub, 'patients.rejects.csv'), 'utf8')).toContain('F1,Bad,Date,31/31/31');
    });
  });
});

describe.skipIf(!built)('the embedded data folder (built CLI)', () => {
  const practice = (args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin/practice.js'), ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, PRACTICE_USER: 'files-test' }, encoding: 'utf8' });

  /** Every folder and file below dir with a group or other permission bit. */
  function openToOthers(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() || e.isDirectory())
      .map((e) => join(e.parentPath, e.name))
      .filter((p) => mode(p) & 0o077)
      // PGlite rewrites its catalog cache (no patient data) 0644 as it closes; the 0700 folder keeps it private.
      .filter((p) => !p.endsWith('pg_internal.init'));
  }

  it('is created 0700 with its files 0600, and an opened-up one is tightened on the next open', { timeout: 240_000 }, () => {
    const data = join(mkdtempSync(join(tmpdir(), 'pk-data-modes-')), 'data');
    const first = practice(['--data-dir', data, 'db', 'status']);
    expect(first.status, first.stderr).toBe(0);
    expect(mode(data)).toBe(0o700);
    expect(openToOthers(data)).toEqual([]);
    // Opened up by hand (or by an older version): 0755 folder, a 0644 file inside.
    chmodSync(data, 0o755);
    chmodSync(join(data, 'PG_VERSION'), 0o644);
    const second = practice(['--data-dir', data, 'db', 'status']);
    expect(second.status, second.stderr).toBe(0);
    expect(mode(data)).toBe(0o700);
    expect(mode(join(data, 'PG_VERSION'))).toBe(0o600);
    expect(openToOthers(data)).toEqual([]);
  });
});
