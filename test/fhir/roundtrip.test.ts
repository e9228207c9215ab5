// Export -> import (the Import area's FHIR path) -> export again: equal apart from ids and meta.
// Three sources: the seeded chart (a row in every table the export reads), a small demo practice exported
// as bulk NDJSON, and the Synthea sample (imported from CSV, exported, imported from that export).
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';
import { patients, practice, progressNotes } from '../../src/db/schema/index.js';
import type { Backend, Db } from '../../src/db/types.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, describeEachBackend } from '../helpers/db.js';
import { seedChart, type SeededChart } from './seed.js';

const now = new Date('2026-04-01T12:00:00Z');
const SYNTHEA = join(import.meta.dirname, '../../fixtures/synthea');

interface Exported {
  resource: any;
  /** The strings other resources use to point at it: its fullUrl in a bundle, "Type/id" in bulk files. */
  keys: string[];
}

const fromBundle = (bundle: any): Exported[] => bundle.entry.map((e: any) => ({ resource: e.resource, keys: [e.fullUrl] }));

async function fromBulk(dir: string): Promise<Exported[]> {
  const out: Exported[] = [];
  for (const file of (await readdir(dir)).sort()) {
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      const resource = JSON.parse(line);
      out.push({ resource, keys: [`${resource.resourceType}/${resource.id}`] });
    }
  }
  return out;
}

/**
 * The resources with ids, fullUrls and meta taken out and each reference replaced by a label made from
 * the content of the resource it points at: what must survive the round trip, in any order.
 */
function comparable(resources: Exported[], references: 'content' | 'type' = 'content'): Record<string, any[]> {
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
  for (const { resource, keys } of resources) {
    const content = JSON.stringify(walk(resource, () => undefined));
    const hash = createHash('sha1').update(content).digest('hex').slice(0, 8);
    for (const key of keys) label.set(key, references === 'content' ? `${resource.resourceType}:${hash}` : resource.resourceType);
  }
  const byType: Record<string, any[]> = {};
  for (const { resource: original } of resources) {
    const resource = walk(original, (ref) => label.get(ref) ?? ref);
    (byType[resource.resourceType] ??= []).push(resource);
  }
  for (const list of Object.values(byType)) list.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return byType;
}

/** An empty database whose practice is set up like the source's (the practice is not patient data). */
async function receivingPractice(source: Db, backend: Backend): Promise<PracticeDatabase> {
  const target = await createTestDatabase(backend);
  const [ours] = await source.select().from(practice);
  if (ours) await target.db.insert(practice).values({ ...ours, id: undefined });
  return target;
}

async function importFhir(database: PracticeDatabase, path: string) {
  const run = await runCli(['import', path, '--format', 'fhir', '--json'], { database, now });
  if (run.code !== 0) throw new Error(`import failed:\n${run.stderr}${run.stdout.slice(0, 4000)}`);
  return run.json();
}

async function bulkExport(database: PracticeDatabase, dir: string): Promise<Exported[]> {
  const run = await runCli(['fhir', 'export', '--all', '--out', dir, '--json'], { database, now });
  if (run.code !== 0) throw new Error(`bulk export failed:\n${run.stderr}`);
  return fromBulk(dir);
}

/** Row counts of the tables a round trip fills, to show a re-import added nothing. */
async function tableCounts(db: Db): Promise<Record<string, number>> {
  const tables = ['patients', 'patient_identifiers', 'emergency_contacts', 'providers', 'payers', 'encounters', 'encounter_diagnoses', 'problems', 'observations', 'medications', 'allergies', 'immunizations', 'procedures', 'orders', 'imaging_reports', 'progress_notes', 'care_plans', 'goals', 'referrals', 'prior_authorizations', 'coverages', 'medical_history', 'advance_directives'];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(table)}`);
    counts[table] = row!.n;
  }
  return counts;
}

describeEachBackend('fhir round trip: the seeded chart as a patient bundle', (t) => {
  let chart: SeededChart;
  let target: PracticeDatabase | undefined;
  let file: string;
  let first: any;
  let again: any;
  beforeAll(async () => {
    chart = await seedChart(t.db);
    // A signed note corrected by a later one: the correction must point to the note it replaces.
    const [note] = await t.db.select().from(progressNotes).where(eq(progressNotes.patientId, chart.patientId));
    await t.db.update(progressNotes).set({ status: 'amended' }).where(eq(progressNotes.id, note!.id));
    await t.db.insert(progressNotes).values({ patientId: chart.patientId, encounterId: note!.encounterId, authorId: chart.providerId, noteDate: '2026-03-03', assessment: 'Hypertension, not at goal; recheck in 2 weeks.', amendsNoteId: note!.id, signedAt: new Date('2026-03-03T09:30:00Z') });
    target = await receivingPractice(t.db, t.backend);
    const dir = await mkdtemp(join(tmpdir(), 'pk-roundtrip-'));
    first = (await runCli(['fhir', 'export', chart.mrn, '--json'], { database: t.handle, now })).json();
    file = join(dir, 'chart.json');
    await writeFile(file, JSON.stringify(first));
    await importFhir(target, file);
    const [patient] = await target.db.select({ mrn: patients.mrn }).from(patients);
    const exported = await runCli(['fhir', 'export', patient!.mrn, '--json'], { database: target, now });
    if (exported.code !== 0) throw new Error(`second export failed:\n${exported.stderr}`);
    again = exported.json();
  });
  afterAll(async () => {
    await target?.close();
  });

  it('keeps the chart number the MR identifier carries, and which note a correction replaces', async () => {
    expect((await target!.db.select({ mrn: patients.mrn }).from(patients)).map((p) => p.mrn)).toEqual([chart.mrn]);
    const notes = await target!.db.select({ id: progressNotes.id, amends: progressNotes.amendsNoteId, status: progressNotes.status }).from(progressNotes).orderBy(progressNotes.noteDate);
    expect(notes.map((n) => n.status)).toEqual(['amended', 'final']);
    expect(notes[1]!.amends).toBe(notes[0]!.id);
  });

  it('exports, imports into an empty database and exports again to the same record', () => {
    const before = comparable(fromBundle(first));
    // Every table the seed fills comes back: nothing the export wrote was dropped on the way.
    expect(Object.keys(before).sort()).toEqual(['AllergyIntolerance', 'CarePlan', 'Condition', 'Coverage', 'DiagnosticReport', 'DocumentReference', 'Encounter', 'Goal', 'Immunization', 'MedicationRequest', 'Observation', 'Organization', 'Patient', 'Practitioner', 'Procedure', 'ServiceRequest']);
    expect(comparable(fromBundle(again))).toEqual(before);
  });

  it('changes nothing when the same bundle is imported again', async () => {
    const counts = await tableCounts(target!.db);
    const second = await importFhir(target!, file);
    expect(second.counts).toMatchObject({ inserted: 0, updated: 0, rejected: 0 });
    expect(second.counts.unchanged).toBeGreaterThan(20);
    expect(await tableCounts(target!.db)).toEqual(counts);
  });

  it('keeps the clinician of a visit and the plan of a goal re-imported without them (as an incremental export sends them)', async () => {
    const kept = first.entry.filter((e: any) => ['Patient', 'Encounter', 'Goal'].includes(e.resource.resourceType));
    // A reference to a resource the bundle leaves out is "Type/id", as the export writes it then.
    let text = JSON.stringify({ ...first, entry: kept });
    for (const e of first.entry) if (!kept.includes(e)) text = text.replaceAll(`"${e.fullUrl}"`, `"${e.resource.resourceType}/${e.resource.id}"`);
    const partial = join(dirname(file), 'visit-only.json');
    await writeFile(partial, text);
    const run = await importFhir(target!, partial);
    expect(run.counts).toMatchObject({ read: 3, inserted: 0, updated: 0, unchanged: 3 });
    const visits = await queryRows<{ npi: string }>(target!.db, sql`select p.npi from encounters e join providers p on p.id = e.provider_id`);
    expect(visits).toEqual([{ npi: '1245319599' }]);
    const goals = await queryRows<{ plan: string }>(target!.db, sql`select c.title as plan from goals g join care_plans c on c.id = g.care_plan_id`);
    expect(goals).toEqual([{ plan: 'Hypertension plan' }]);
  });
});

describeEachBackend('fhir round trip: a demo practice as bulk NDJSON', (t) => {
  let target: PracticeDatabase | undefined;
  let first: Exported[];
  let again: Exported[];
  let firstDir: string;
  beforeAll(async () => {
    const demo = await runCli(['demo', '--patients', '12', '--no-pack', '--json'], { database: t.handle, now });
    if (demo.code !== 0) throw new Error(`demo failed:\n${demo.stderr}`);
    target = await receivingPractice(t.db, t.backend);
    const dir = await mkdtemp(join(tmpdir(), 'pk-roundtrip-demo-'));
    firstDir = join(dir, 'first');
    first = await bulkExport(t.handle, firstDir);
    await importFhir(target, firstDir);
    again = await bulkExport(target, join(dir, 'again'));
  });
  afterAll(async () => {
    await target?.close();
  });

  it('exports every patient, imports them into an empty database and exports again to the same records', () => {
    const before = comparable(first);
    expect(before.Patient).toHaveLength(12);
    expect(before.Encounter!.length).toBeGreaterThan(12);
    expect(comparable(again)).toEqual(before);
  });

  it('changes nothing when the same export is imported again', async () => {
    const counts = await tableCounts(target!.db);
    const second = await importFhir(target!, firstDir);
    expect(second.counts).toMatchObject({ inserted: 0, updated: 0, rejected: 0 });
    expect(await tableCounts(target!.db)).toEqual(counts);
  });
});

describeEachBackend('fhir round trip: the Synthea sample', (t) => {
  let target: PracticeDatabase | undefined;
  let first: Exported[];
  let again: Exported[];
  beforeAll(async () => {
    const imported = await runCli(['import', SYNTHEA, '--format', 'synthea', '--json'], { database: t.handle, now });
    if (imported.code !== 0 && imported.code !== 3) throw new Error(`Synthea import failed:\n${imported.stderr}`);
    target = await receivingPractice(t.db, t.backend);
    const dir = await mkdtemp(join(tmpdir(), 'pk-roundtrip-synthea-'));
    first = await bulkExport(t.handle, join(dir, 'first'));
    await importFhir(target, join(dir, 'first'));
    again = await bulkExport(target, join(dir, 'again'));
  });
  afterAll(async () => {
    await target?.close();
  });

  it('imports its own export of the Synthea patients and exports them again unchanged', () => {
    const before = comparable(first);
    expect(before.Patient!.length).toBeGreaterThan(0);
    expect(comparable(again)).toEqual(before);
  });
});
