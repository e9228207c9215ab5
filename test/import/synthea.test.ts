import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const sample = join(import.meta.dirname, '../../fixtures/synthea');

/** A few rows of the sample rewritten with Synthea 2.x headers (no CATEGORY, procedures with DATE, 6-column allergies). */
function synthea2x(dir: string): void {
  const lines = (file: string, n: number) => readFileSync(join(sample, file), 'utf8').split('\n').slice(0, n + 1);
  const patients = lines('patients.csv', 2);
  writeFileSync(join(dir, 'patients.csv'), patients.join('\n') + '\n');
  const ids = patients.slice(1).map((l) => l.split(',')[0]!);
  const keep = (file: string) => readFileSync(join(sample, file), 'utf8').split('\n').filter((l, i) => i > 0 && ids.some((id) => l.includes(id)));
  const observations = keep('observations.csv').slice(0, 5).map((l) => { const c = l.split(','); c.splice(3, 1); return c.join(','); });
  writeFileSync(join(dir, 'observations.csv'), ['DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,VALUE,UNITS,TYPE', ...observations].join('\n') + '\n');
  const procedures = keep('procedures.csv').slice(0, 3).map((l) => { const c = l.split(','); c.splice(1, 1); return c.join(','); });
  writeFileSync(join(dir, 'procedures.csv'), ['DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,BASE_COST,REASONCODE,REASONDESCRIPTION', ...procedures].join('\n') + '\n');
  const allergies = keep('allergies.csv').slice(0, 2).map((l) => { const c = l.split(','); return [c[0], c[1], c[2], c[3], c[4], c[6]].join(','); });
  writeFileSync(join(dir, 'allergies.csv'), ['START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION', ...allergies].join('\n') + '\n');
}

describeEachBackend('practice import --format synthea', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, cwd: dir });
  const one = async (query: ReturnType<typeof sql>) => (await queryRows<{ n: number }>(t.db, query))[0]!.n;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pk-import-synthea-'));
  });

  it('imports the Synthea sample by header name, file by file, and a rerun changes nothing', async () => {
    const run = await cli(['import', sample, '--reject-file', join(dir, 'synthea.rejects.csv'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json();
    expect(doc.format).toBe('synthea');
    const byFile = Object.fromEntries(doc.files.map((f: { file: string; counts: Record<string, number> }) => [f.file, f.counts]));
    expect(byFile['patients.csv']).toMatchObject({ read: 27, inserted: 27 });
    expect(byFile['encounters.csv']).toMatchObject({ read: 604, inserted: 604 });
    expect(byFile['conditions.csv']).toMatchObject({ read: 438, inserted: 438 });
    expect(byFile['medications.csv']).toMatchObject({ read: 663, inserted: 663 });
    expect(byFile['immunizations.csv']).toMatchObject({ read: 29, inserted: 29 });
    // QALY/DALY/QOLS pseudo-codes are not observations; NO_INSURANCE periods are not coverage.
    expect(byFile['observations.csv'].inserted + byFile['observations.csv'].skipped).toBe(990);
    expect(byFile['payer_transitions.csv'].inserted + byFile['payer_transitions.csv'].skipped).toBe(1051);
    for (const counts of Object.values(byFile) as Record<string, number>[]) {
      expect(counts.inserted + counts.updated + counts.unchanged + counts.rejected + counts.skipped).toBe(counts.read);
    }
    expect(doc.ignoredFiles).toContain('claims_transactions.csv');
    // Leading zeros and the vaccine code 08 survive; every visit-linked row found its visit.
    expect(await one(sql`select count(*)::int as n from patients where zip like '0%'`)).toBe(15);
    expect(await one(sql`select count(*)::int as n from problems where encounter_id is null`)).toBe(0);
    expect(await one(sql`select count(*)::int as n from patients where state = 'MA'`)).toBe(27);
    const again = await cli(['import', sample, '--json']);
    expect(again.json().counts).toMatchObject({ inserted: 0, updated: 0, rejected: 0 });
    expect(await one(sql`select count(*)::int as n from encounters`)).toBe(604);
  });

  it('imports files with Synthea 2.x headers', async () => {
    const old = mkdtempSync(join(tmpdir(), 'pk-synthea-2x-'));
    synthea2x(old);
    const run = await cli(['import', old, '--format', 'synthea', '--source', 'synthea-2x', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const byFile = Object.fromEntries(run.json().files.map((f: { file: string; counts: Record<string, number> }) => [f.file, f.counts]));
    // The same people are already on file from the 3.0 import: matched by chart number, linked, not doubled.
    expect(byFile['patients.csv']).toMatchObject({ read: 2, inserted: 0, unchanged: 2 });
    expect(await one(sql`select count(*)::int as n from patient_identifiers where system = 'synthea-2x'`)).toBe(2);
    expect(byFile['procedures.csv']).toMatchObject({ inserted: 3 });
    expect(byFile['allergies.csv']).toMatchObject({ inserted: 2 });
    expect(byFile['observations.csv'].inserted).toBeGreaterThan(0);
    expect(await one(sql`select count(*)::int as n from procedures where source_system = 'synthea-2x' and performed_start is null`)).toBe(0);
  });
});
