// Export -> import (the Import area's FHIR path) -> export again: equal apart from ids and meta.
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { patients, practice } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, describeEachBackend } from '../helpers/db.js';
import { seedChart, type SeededChart } from './seed.js';

const now = new Date('2026-04-01T12:00:00Z');

/**
 * The bundle's resources with ids, fullUrls and meta taken out and each reference replaced by a label
 * made from the content of the resource it points at: what must survive the round trip, in any order.
 */
function comparable(bundle: any, references: 'content' | 'type' = 'content'): Record<string, any[]> {
  const walk = (value: any, onReference: (ref: string) => string | undefined): any => {
    if (Array.isArray(value)) return value.map((v) => walk(v, onReference));
    if (!value || typeof value !== 'object') return value;
    const out: any = {};
    for (const key of Object.keys(value).sort()) {
      if (key === 'id' || key === 'meta') continue;
      if (key === 'reference' && typeof value[key] === 'string') {
        const label = onReference(value[key]);
        if (label !== undefined) out[key] = label;
      } else out[key] = walk(value[key], onReference);
    }
    return out;
  };
  const label = new Map<string, string>();
  for (const entry of bundle.entry) {
    const content = JSON.stringify(walk(entry.resource, () => undefined));
    const hash = createHash('sha1').update(content).digest('hex').slice(0, 8);
    label.set(entry.fullUrl, references === 'content' ? `${entry.resource.resourceType}:${hash}` : entry.resource.resourceType);
  }
  const byType: Record<string, any[]> = {};
  for (const entry of bundle.entry) {
    const resource = walk(entry.resource, (ref) => label.get(ref) ?? ref);
    (byType[resource.resourceType] ??= []).push(resource);
  }
  for (const list of Object.values(byType)) list.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return byType;
}

describeEachBackend('fhir round trip through the FHIR import', (t) => {
  let chart: SeededChart;
  let target: PracticeDatabase | undefined;
  let first: any;
  let again: any;
  beforeAll(async () => {
    chart = await seedChart(t.db);
    target = await createTestDatabase(t.backend);
    // The receiving practice is set up; its patients table is empty.
    const [ours] = await t.db.select().from(practice);
    await target.db.insert(practice).values({ ...ours!, id: undefined });
    const dir = await mkdtemp(join(tmpdir(), 'pk-roundtrip-'));
    first = (await runCli(['fhir', 'export', chart.mrn, '--json'], { database: t.handle, now })).json();
    const file = join(dir, 'chart.json');
    await writeFile(file, JSON.stringify(first));
    const imported = await runCli(['import', file, '--format', 'fhir', '--json'], { database: target, now });
    if (imported.code !== 0) throw new Error(`import failed:\n${imported.stderr}${imported.stdout}`);
    const [patient] = await target.db.select({ mrn: patients.mrn }).from(patients);
    const exported = await runCli(['fhir', 'export', patient!.mrn, '--json'], { database: target, now });
    if (exported.code !== 0) throw new Error(`second export failed:\n${exported.stderr}`);
    again = exported.json();
  });
  afterAll(async () => {
    await target?.close();
  });

  it('gives back these resource types unchanged already (references compared by type)', () => {
    const before = comparable(first, 'type');
    const after = comparable(again, 'type');
    for (const type of ['AllergyIntolerance']) expect(after[type], type).toEqual(before[type]);
  });

  // Waits for the FHIR import to read back everything the export writes: the chart number from the MR
  // identifier, Practitioners (by NPI) and the provider links, payer Organizations, Observation.basedOn,
  // imaging DiagnosticReports, DocumentReference (SOAP text), CarePlan, Goal, referral ServiceRequests
  // and the remaining fields listed in the FHIR area's report.
  it.skip('exports, imports into an empty database and exports again to the same record', () => {
    expect(comparable(again)).toEqual(comparable(first));
  });
});
