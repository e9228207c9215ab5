// The Synthea sample, imported through the Import area's path, exports as valid FHIR R4 / US Core.
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { patients } from '../../src/db/schema/index.js';
import { validateFhirFile } from '../../src/fhir/validate.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const SYNTHEA = join(import.meta.dirname, '../../fixtures/synthea');
const now = new Date('2026-04-01T12:00:00Z');

describeEachBackend('FHIR export of the Synthea sample', (t) => {
  let dir: string;
  beforeAll(async () => {
    const imported = await runCli(['import', SYNTHEA, '--format', 'synthea', '--json'], { database: t.handle, now });
    if (imported.code !== 0 && imported.code !== 3) throw new Error(`Synthea import failed:\n${imported.stderr}`);
    dir = await mkdtemp(join(tmpdir(), 'pk-synthea-fhir-'));
  });

  it('writes one bulk file per resource type with every patient', async () => {
    const run = await runCli(['fhir', 'export', '--all', '--out', dir, '--json'], { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    const result = run.json();
    expect(result.output.find((o: any) => o.type === 'Patient').count).toBe((await t.db.select().from(patients)).length);
    expect((await readdir(dir)).length).toBe(result.output.length);
    expect(result.output.map((o: any) => o.type)).toEqual(expect.arrayContaining(['Condition', 'Encounter', 'Immunization', 'MedicationRequest', 'Observation', 'Procedure']));
  });

  it('gives patients bundles that validate as FHIR R4 / US Core with every reference resolved', async () => {
    const all = await t.db.select({ mrn: patients.mrn }).from(patients);
    const problems: string[] = [];
    for (const { mrn } of all.slice(0, 2)) {
      const bundle = await runCli(['fhir', 'export', mrn, '--json'], { database: t.handle, now });
      expect(bundle.code, bundle.stderr).toBe(0);
      const file = join(dir, `bundle-${mrn}.json`);
      await writeFile(file, bundle.stdout);
      const checked = await validateFhirFile(file);
      problems.push(...checked.problems.slice(0, 5).map((p) => `${p.where}: ${p.path ?? ''} ${p.message}`));
    }
    expect(problems).toEqual([]);
  });
});
