// The built CLI killed at each commit boundary of an import (PRACTICE_FAILPOINT=import:<step>), with rows
// rejected by validation, by a size limit and by the database along the way; the same command run again
// finishes the job: every good row exactly once, every bad row in the reject file exactly once.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';
import { IMPORT_FAILPOINTS } from '../../src/import/run.js';
import { runCli } from '../helpers/cli.js';
import { backends } from '../helpers/db.js';
import { builtWith, killAt, practice, seeded, type Place, type Seeded } from '../faults/spawn.js';

const built = builtWith('import/run.js', 'failpoint(`import:');
const PATIENTS = 30;
const ROWS = 120;
const BATCH = 25;
/** Data row (1-based) → why it is bad; the reject file numbers it row + 1 (the header is row 1). */
const bad = new Map<number, string>([
  [10, 'database'], // batch 1: a result too large for its numeric column (a test with no plausible range)
  [30, 'database'], // batch 2
  [60, 'limit'], // batch 3: a unit over 1,000 characters
  [80, 'validation'], // batch 4: not a date
  [110, 'no patient'], // batch 5
]);

// Lab results: the kind whose value (a prothrombin time, which has no plausible-range check) can still be
// one the database refuses, so a batch is retried row by row (after-row) as the issue asks.
function labsFile(dir: string): string {
  const lines = ['chart_number,loinc,value,unit,date'];
  for (let i = 1; i <= ROWS; i++) {
    const why = bad.get(i);
    const chart = why === 'no patient' ? 'NOPE' : `K${i % PATIENTS}`;
    // Chart and date together are unique (30 and 28 have no common multiple below 120).
    const date = why === 'validation' ? 'someday' : `2026-01-${String(1 + (i % 28)).padStart(2, '0')}`;
    const value = why === 'database' ? '98765432109' : String(10 + (i % 7));
    const unit = why === 'limit' ? 'x'.repeat(1_001) : 's';
    lines.push(`${chart},5902-2,${value},${unit},${date}`);
  }
  const file = join(dir, 'labs.csv');
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

/** The n-th time each step is reached: in the second batch (the first row the database refuses in it, for after-row). */
const turn: Record<(typeof IMPORT_FAILPOINTS)[number], number> = { 'after-row': BATCH + 5, 'after-batch': 2, 'before-commit': 2, 'after-commit': 2, 'after-rejects': 2 };

/**
 * The steps killed: after-batch and before-commit are one commit boundary (the batch's transaction,
 * still open), so before-commit, the later, stands for both.
 */
const STEPS = IMPORT_FAILPOINTS.filter((step) => step !== 'after-batch');

const resultsIn = async (h: PracticeDatabase) => (await queryRows<{ n: number; ids: number }>(h.db, sql`select count(*)::int as n, count(distinct source_id)::int as ids from observations where category = 'laboratory'`))[0]!;
const results = (place: Place) => place.use(resultsIn);

/** Kills the import at the step, checks what the killed run left, runs it again and checks the whole. */
async function killAndRerun(place: Place, dir: string, step: (typeof IMPORT_FAILPOINTS)[number]): Promise<void> {
  const args = [...place.args, 'import', labsFile(dir), '--kind', 'labs', '--batch-size', String(BATCH), '--json'];
  const killed = await practice(args, { ...place.env, ...killAt(`import:${step}@${turn[step]}`) });
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  // The import log read in process, between the runs: only the import needs a process to kill.
  const { left, stored } = await place.use(async (database) => {
    const log = (await runCli(['import', 'log', '--json'], { database })).json() as { kind: string; rowsRead: number; inserted: number; rejected: number }[];
    return { left: log.find((r) => r.kind === 'labs'), stored: await resultsIn(database) };
  });
  // Whole batches or nothing: the batch killed before its commit is not there, its counts neither.
  const committed = step === 'after-commit' || step === 'after-rejects' ? 2 : 1;
  expect(left!.rowsRead).toBe(committed * BATCH);
  expect(stored.n).toBe(left!.inserted);

  const again = await practice(args, place.env);
  expect(again.code, again.stderr).toBe(3);
  const counts = JSON.parse(again.stdout).counts;
  expect(counts).toMatchObject({ read: ROWS, inserted: ROWS - bad.size - left!.inserted, unchanged: left!.inserted, rejected: bad.size });
  expect(await results(place)).toEqual({ n: ROWS - bad.size, ids: ROWS - bad.size });
  const rejected = (parse(readFileSync(join(dir, 'labs.rejects.csv'), 'utf8'), { columns: true }) as { row_number: string; reject_reason: string }[]).map((r) => Number(r.row_number) - 1);
  expect(rejected).toEqual([...bad.keys()]);
  expect(again.stderr).not.toContain('98765432109');
}

for (const backend of backends) {
  describe.skipIf(!built)(`an import killed at each commit boundary (built CLI) [${backend}]`, () => {
    let db: Seeded;
    // The patients imported once, through the command; each kill gets a copy of that database.
    beforeAll(async () => {
      db = await seeded(backend, async (database) => {
        const run = await runCli(['import', patientsFile(mkdtempSync(join(tmpdir(), 'pk-kill-seed-'))), '--kind', 'patients'], { database });
        expect(run.code, run.stderr).toBe(0);
      });
    }, 120_000);
    afterAll(async () => db?.close());

    it.each(STEPS)('killed at import:%s, then run again: nothing lost, nothing doubled, every reject listed', { timeout: 120_000 }, async (step) => {
      await killAndRerun(await db.fresh(step), mkdtempSync(join(tmpdir(), 'pk-kill-')), step);
    });
  });
}
