import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { and, desc, eq } from 'drizzle-orm';
import { auditLog } from '../../src/db/schema/index.js';
import { uuidV5 } from '../../src/fhir/ids.js';
import { textToSoap, soapToText } from '../../src/fhir/notes.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { seedChart, type SeededChart } from './seed.js';

const now = new Date('2026-04-01T12:00:00Z');

describeEachBackend('fhir export of one patient', (t) => {
  let chart: SeededChart;
  let dir: string;
  beforeAll(async () => {
    chart = await seedChart(t.db);
    dir = await mkdtemp(join(tmpdir(), 'pk-fhir-'));
  });

  it('prints a US Core bundle whose references all resolve inside it', async () => {
    const run = await runCli(['fhir', 'export', chart.mrn, '--json'], { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    const bundle = run.json();
    expect(bundle.resourceType).toBe('Bundle');
    const types = bundle.entry.map((e: any) => e.resource.resourceType);
    expect(types[0]).toBe('Patient');
    for (const type of ['Organization', 'Practitioner', 'Encounter', 'Condition', 'Observation', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'Procedure', 'DiagnosticReport', 'DocumentReference', 'CarePlan', 'Goal', 'ServiceRequest', 'Coverage']) {
      expect(types, type).toContain(type);
    }
    const fullUrls = new Set(bundle.entry.map((e: any) => e.fullUrl));
    const references = JSON.stringify(bundle).match(/"reference":"[^"]+"/g) ?? [];
    expect(references.length).toBeGreaterThan(20);
    for (const r of references) expect(fullUrls.has(r.slice(13, -1)), r).toBe(true);
    // Only this patient: the other patient's asthma is not in it.
    expect(JSON.stringify(bundle)).not.toContain('J45.909');
  });

  it('maps the rows to their profiles, codes and systems', async () => {
    const bundle = (await runCli(['fhir', 'export', chart.mrn, '--json'], { database: t.handle, now })).json();
    const of = (type: string) => bundle.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === type);
    const patient = of('Patient')[0];
    expect(patient.identifier[0]).toMatchObject({ system: 'urn:practicekit:mrn', value: chart.mrn });
    expect(patient.extension[0].extension[0].valueCoding).toEqual({ system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3', display: 'White' });
    const bp = of('Observation').find((o: any) => o.code.coding[0].code === '85354-9');
    expect(bp.meta.profile).toContain('http://hl7.org/fhir/us/core/StructureDefinition/us-core-blood-pressure');
    expect(bp.component.map((c: any) => [c.code.coding[0].code, c.valueQuantity])).toEqual([
      ['8480-6', { value: 142, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' }],
      ['8462-4', { value: 91, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' }],
    ]);
    // Components are inside the panel, not separate Observations.
    expect(of('Observation').filter((o: any) => o.code.coding[0].code === '8480-6')).toHaveLength(0);
    const smoking = of('Observation').find((o: any) => o.code.coding[0].code === '72166-2');
    expect(smoking.meta.profile).toEqual(['http://hl7.org/fhir/us/core/StructureDefinition/us-core-smokingstatus']);
    expect(smoking.valueCodeableConcept.coding[0]).toEqual({ system: 'http://snomed.info/sct', code: '8517006' });
    const conditions = of('Condition');
    expect(conditions.map((c: any) => c.category[0].coding[0].code).sort()).toEqual(['encounter-diagnosis', 'encounter-diagnosis', 'problem-list-item', 'problem-list-item']);
    expect(conditions.find((c: any) => c.code.coding[0].code === 'I10').code.coding[0].system).toBe('http://hl7.org/fhir/sid/icd-10-cm');
    const encounter = of('Encounter')[0];
    expect(encounter.diagnosis.map((d: any) => d.rank)).toEqual([1, 2]);
    expect(of('MedicationRequest')[0].medicationCodeableConcept.coding[0].system).toBe('http://www.nlm.nih.gov/research/umls/rxnorm');
    expect(of('Immunization')[0].vaccineCode.coding[0]).toMatchObject({ system: 'http://hl7.org/fhir/sid/cvx', code: '141' });
    expect(of('Practitioner')[0].identifier[0]).toEqual({ system: 'http://hl7.org/fhir/sid/us-npi', value: '1245319599' });
    expect(of('Procedure')[0].code.coding[0].system).toBe('http://www.ama-assn.org/go/cpt');
    const lab = of('DiagnosticReport').find((d: any) => d.category[0].coding[0].code === 'LAB');
    expect(lab.result).toHaveLength(1);
    const note = of('DocumentReference')[0];
    expect(textToSoap(Buffer.from(note.content[0].attachment.data, 'base64').toString('utf8'))).toEqual({ subjective: 'Feels well.', objective: 'BP 142/91.', assessment: 'Hypertension, not at goal.', plan: 'Start lisinopril.' });
    expect(of('CarePlan')[0].text.div).toContain('&#60;by summer&#62;');
    const referral = of('ServiceRequest').find((r: any) => r.id.startsWith('ref-'));
    expect(referral.performer[0]).toEqual({ type: 'Practitioner', identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1104025329' }, display: 'Dr. Nick Riviera' });
    expect(referral.identifier[0].value).toBe('PA-778899');
  });

  it('gives the same ids and content on every export', async () => {
    const first = (await runCli(['fhir', 'export', chart.mrn, '--json'], { database: t.handle, now })).stdout;
    const second = (await runCli(['fhir', 'export', chart.mrn, '--json'], { database: t.handle, now })).stdout;
    expect(second).toBe(first);
  });

  it('writes the bundle to a file only its owner can read, and it validates', async () => {
    const file = join(dir, 'chart.json');
    const run = await runCli(['fhir', 'export', chart.mrn, '--out', file], { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Wrote \d+ resources/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const [audit] = await t.db.select().from(auditLog).where(and(eq(auditLog.action, 'export'), eq(auditLog.entityId, String(chart.patientId)))).orderBy(desc(auditLog.id)).limit(1);
    expect(audit).toMatchObject({ entity: 'patients', actor: 'test-user', details: { format: 'fhir-bundle', toFile: true } });
    const check = await runCli(['fhir', 'validate', file], { database: t.handle });
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toMatch(/^\d+ resource\(s\) checked: valid FHIR R4 and US Core\.\n$/);
    expect(check.stderr).toBe('');
  });

  it('says plainly when the chart number is unknown, without echoing it', async () => {
    const run = await runCli(['fhir', 'export', 'NO-SUCH-9'], { database: t.handle });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/chart number/);
    expect(run.stderr).not.toContain('NO-SUCH-9');
    expect(run.stdout).toBe('');
  });

  it('refuses contradictory or missing arguments as usage errors', async () => {
    expect((await runCli(['fhir', 'export'], { database: t.handle })).code).toBe(2);
    expect((await runCli(['fhir', 'export', '--all'], { database: t.handle })).code).toBe(2);
    expect((await runCli(['fhir', 'export', chart.mrn, '--since', '2026-01-01'], { database: t.handle })).code).toBe(2);
    const bad = await runCli(['fhir', 'export', '--all', '--since', 'last tuesday', '--out', dir], { database: t.handle });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since must be a date like 2026-03-01 (or 3/1/2026).');
  });
});

describe('fhir validate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pk-fhir-validate-'));
  });

  it('reports each problem on its own line and exits 1', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(
      file,
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Patient', id: 'p', meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'] }, gender: 'male' } },
          { fullUrl: 'urn:uuid:2', resource: { resourceType: 'Observation', id: 'o', status: 'final', code: { coding: [{ code: '1234-5' }] }, subject: { reference: 'urn:uuid:404' } } },
          { fullUrl: 'urn:uuid:3', resource: { resourceType: 'Condition', id: 'c', meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-problems-health-concerns'] }, subject: { reference: 'urn:uuid:1' }, code: { text: 'x' } } },
        ],
      }),
    );
    const run = await runCli(['fhir', 'validate', file]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^entry 1 \(Patient\/p\): Patient\.identifier: Missing required property/));
    expect(lines).toContainEqual(expect.stringMatching(/^entry 1 \(Patient\/p\): Patient\.name: /));
    expect(lines).toContainEqual(expect.stringMatching(/^entry 2 \(Observation\/o\): .*no code system/));
    expect(lines).toContainEqual(expect.stringMatching(/^entry 2 \(Observation\/o\): .*points at nothing in this bundle/));
    expect(lines).toContainEqual(expect.stringMatching(/^entry 3 \(Condition\/c\): Condition\.category: Missing an element US Core requires/));
    expect(run.stderr).toMatch(/problem\(s\)/);
  });

  it('checks NDJSON line by line and says which line is not JSON', async () => {
    const file = join(dir, 'Patient.ndjson');
    const patient = { resourceType: 'Patient', id: 'a', gender: 'nope', contact: [{ gender: 'martian' }], telecom: [{ system: 'phone', value: '1' }] };
    await writeFile(file, `${JSON.stringify(patient)}\n{not json\n`);
    const run = await runCli(['fhir', 'validate', file, '--json']);
    expect(run.code).toBe(1);
    const doc = run.json();
    expect(doc.valid).toBe(false);
    expect(doc.problems.map((p: any) => [p.where, p.path])).toEqual([
      ['line 2', undefined],
      ['line 1 (Patient/a)', 'Patient.contact[0]'],
      ['line 1 (Patient/a)', 'Patient.gender'],
      ['line 1 (Patient/a)', 'Patient.contact[0].gender'],
    ]);
  });

  it('says so when the file cannot be read', async () => {
    const run = await runCli(['fhir', 'validate', join(dir, 'missing.json')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Cannot read missing\.json/);
  });
});

describe('fhir helpers', () => {
  it('makes RFC 4122 version 5 UUIDs', () => {
    // The RFC's DNS-namespace example value, as other implementations compute it.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('turns SOAP sections into text and back', () => {
    const note = { subjective: 'a\n\nb', objective: null, assessment: 'c', plan: 'Plan: d' };
    expect(textToSoap(soapToText(note))).toEqual(note);
    expect(textToSoap('free text')).toEqual({ subjective: null, objective: null, assessment: 'free text', plan: null });
  });
});
