import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { patients, problems } from '../../src/db/schema/index.js';
import { bulkExport } from '../../src/fhir/export.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { seedChart } from './seed.js';

const now = new Date('2026-04-01T12:00:00Z');
const lines = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));

describeEachBackend('fhir bulk export', (t) => {
  let dir: string;
  beforeAll(async () => {
    await seedChart(t.db, 'FHIR-1001');
    await seedChart(t.db, 'FHIR-2002');
    dir = await mkdtemp(join(tmpdir(), 'pk-bulk-'));
  });

  it('writes one NDJSON file per resource type, owner-only, matching the per-patient bundles', async () => {
    const out = join(dir, 'all');
    const run = await runCli(['fhir', 'export', '--all', '--out', out, '--json'], { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    const result = run.json();
    const files = (await readdir(out)).sort();
    expect(files).toEqual(result.output.map((o: any) => `${o.type}.ndjson`).sort());
    expect(files).toContain('Patient.ndjson');
    for (const file of files) expect((await stat(join(out, file))).mode & 0o777).toBe(0o600);
    const patientLines = await lines(join(out, 'Patient.ndjson'));
    expect(patientLines).toHaveLength(4);
    // Each patient's resources in the bulk files are the same resources as in that patient's bundle.
    const bundle = (await runCli(['fhir', 'export', 'FHIR-2002', '--json'], { database: t.handle, now })).json();
    const patientId = bundle.entry[0].resource.id;
    const bulkObservations = (await lines(join(out, 'Observation.ndjson'))).filter((o) => o.subject.reference === `Patient/${patientId}`);
    const bundleObservations = bundle.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === 'Observation');
    expect(bulkObservations.map((o) => o.id)).toEqual(bundleObservations.map((o: any) => o.id));
    expect(bulkObservations[0].code).toEqual(bundleObservations[0].code);
    expect(result.total).toBe(result.output.reduce((n: number, o: any) => n + o.count, 0));
    const check = await runCli(['fhir', 'validate', join(out, 'Condition.ndjson')]);
    expect(check.code, check.stdout).toBe(0);
  });

  it('pages through tables in small pages with the same result', async () => {
    const small = join(dir, 'paged');
    const progress: number[] = [];
    let total = 0;
    const result = await bulkExport(t.db, { outDir: small, pageSize: 2, onStart: (n) => (total = n), onProgress: (n) => progress.push(n) }, now);
    const whole = await bulkExport(t.db, { outDir: join(dir, 'whole') }, now);
    expect(result.output.map((o) => [o.type, o.count])).toEqual(whole.output.map((o) => [o.type, o.count]));
    expect(await readFile(join(small, 'Observation.ndjson'), 'utf8')).toBe(await readFile(join(dir, 'whole', 'Observation.ndjson'), 'utf8'));
    expect(progress.at(-1)).toBe(total);
    expect(progress.length).toBeGreaterThan(10);
  });

  it('exports only what changed since a date', async () => {
    const [first] = await t.db.select().from(patients).where(eq(patients.mrn, 'FHIR-1001'));
    await t.db.update(problems).set({ updatedAt: new Date('2020-01-01T00:00:00Z') });
    await t.db.update(problems).set({ updatedAt: new Date('2026-03-15T00:00:00Z') }).where(eq(problems.patientId, first!.id));
    const out = join(dir, 'since');
    const run = await runCli(['fhir', 'export', '--all', '--since', '2026-03-01', '--out', out, '--json'], { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    const conditions = (await lines(join(out, 'Condition.ndjson'))).filter((c) => c.id.startsWith('cond-'));
    expect(conditions).toHaveLength(2);
    expect(new Set(conditions.map((c) => c.subject.reference))).toEqual(new Set([`Patient/pat-${first!.id}`]));
    expect(run.json().since).toBe('2026-03-01T05:00:00.000Z'); // midnight in New York, the practice's zone
  });

  it('refuses to mix with an earlier export unless told to replace it, then leaves no stale file', async () => {
    const out = join(dir, 'since');
    const before = (await readdir(out)).sort();
    const refused = await runCli(['fhir', 'export', '--all', '--since', '2026-03-01', '--out', out], { database: t.handle, now });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--replace/);
    // Nothing changed since then: the replaced export has no file, and none of the earlier ones stays.
    const replaced = await runCli(['fhir', 'export', '--all', '--since', '2100-01-01', '--out', out, '--replace', '--json'], { database: t.handle, now });
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.json().output).toEqual([]);
    expect(before.length).toBeGreaterThan(3);
    expect(await readdir(out)).toEqual([]);
  });
});
