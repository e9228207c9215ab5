import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { fhirItems } from '../../src/import/fhir.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { seedChart } from '../fhir/seed.js';

const bundle = join(import.meta.dirname, '../../fixtures/import/fhir-transaction-bundle.json');
const cms165 = join(import.meta.dirname, '../../fixtures/ecqm/CMS165FHIRControllingHighBP');
// The 2026 decks test the period's edges with dates up to 2027-01-01: they are loaded once the period is over.
const afterTheDecks = new Date('2027-01-15T15:00:00Z');

describeEachBackend('practice import --format fhir', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, cwd: dir });
  const rows = <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pk-import-fhir-'));
  });

  it('imports a transaction bundle: urn:uuid references, BP components, not-done events, skipped types, dangling patients', async () => {
    const run = await cli(['import', bundle, '--format', 'fhir', '--reject-file', join(dir, 'bundle.rejects.csv'), '--json']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json().counts).toEqual({ read: 13, inserted: 11, updated: 0, unchanged: 0, rejected: 1, skipped: 1 });
    expect(run.json().rejectReasons[0].reason).toMatch(/patient is neither in this import nor on file/);
    const [patient] = await rows<Record<string, string>>(sql`select p.first_name, p.middle_name, p.state, p.phone_home, i.value from patients p join patient_identifiers i on i.patient_id = p.id and i.system = 'fhir'`);
    expect(patient).toEqual({ first_name: 'Ana', middle_name: 'M', state: 'MA', phone_home: '617-555-0142', value: '11111111-1111-4111-8111-111111111111' });
    const bp = await rows<{ code: string; value: number | null; panel: string | null; visit: boolean }>(
      sql`select o.code, o.value_numeric::float as value, p.code as panel, o.encounter_id is not null as visit from observations o left join observations p on p.id = o.panel_id order by o.code`,
    );
    expect(bp).toEqual([
      { code: '8462-4', value: 86, panel: '85354-9', visit: true },
      { code: '8480-6', value: 138, panel: '85354-9', visit: true },
      { code: '85354-9', value: null, panel: null, visit: true },
    ]);
    const notDone = await rows<Record<string, string>>(sql`select kind, code, reason_code from not_done_events order by kind`);
    expect(notDone).toEqual([
      { kind: 'follow-up', code: '306206005', reason_code: '105480006' },
      { kind: 'procedure', code: '71651007', reason_code: '183944003' },
      { kind: 'vaccine', code: '140', reason_code: 'PATOBJ' },
    ]);
    expect(await rows(sql`select cvx_code from immunizations`)).toEqual([{ cvx_code: '08' }]);
    expect(await rows(sql`select kind, rxnorm_code from medications`)).toEqual([{ kind: 'statement', rxnorm_code: '314076' }]);
    expect(await rows(sql`select p.name, c.member_id from coverages c join payers p on p.id = c.payer_id`)).toEqual([{ name: 'Acme Health', member_id: 'M123' }]);
    expect(await rows(sql`select qualifier, code from record_qualifiers`)).toEqual([{ qualifier: 'discharge-disposition', code: '428361000124107' }]);
  });

  it('loads the eCQM test cases (one folder per patient) and a second run changes nothing', async () => {
    const first = await runCli(['import', cms165, '--format', 'fhir', '--reject-file', join(dir, 'ecqm.rejects.csv'), '--json'], { database: t.handle, cwd: dir, now: afterTheDecks });
    expect(first.code, first.stderr).toBe(0);
    const counts = first.json().counts;
    expect(counts.read).toBe(counts.inserted + counts.skipped);
    expect(first.json().ignoredFiles).toEqual(['expected.json', 'madie-testcases.json']);
    const [cases] = await rows<{ n: number }>(sql`select count(*)::int as n from patient_identifiers where system = 'fhir'`);
    expect(cases!.n).toBe(68 + 1);
    const [known] = await rows<{ n: number }>(sql`select count(*)::int as n from patient_identifiers where system = 'fhir' and value = '045f7e0b-bfb3-4ee0-a06d-83c853f6a81e'`);
    expect(known!.n).toBe(1);
    const [periods] = await rows<{ n: number }>(sql`select count(*)::int as n from observation_periods`);
    expect(periods!.n).toBeGreaterThan(0);
    const again = await runCli(['import', cms165, '--format', 'fhir', '--json'], { database: t.handle, cwd: dir, now: afterTheDecks });
    expect(again.json().counts).toMatchObject({ inserted: 0, updated: 0, unchanged: counts.inserted, rejected: 0 });
  });

  it('takes the chart number our export carries only when it is free', async () => {
    const chart = await seedChart(t.db, 'FHIR-1001');
    const file = join(dir, 'chart.json');
    await writeFile(file, (await cli(['fhir', 'export', chart.mrn, '--json'])).stdout);
    // Read as another system's export: FHIR-1001 is already someone else's chart here.
    const run = await cli(['import', file, '--format', 'fhir', '--source', 'other-practice', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().counts.rejected).toBe(0);
    const found = await rows<{ mrn: string; old: string | null }>(
      sql`select p.mrn, (select i.value from patient_identifiers i where i.patient_id = p.id and i.system = 'urn:example:old-ehr') as old
          from patients p join patient_identifiers k on k.patient_id = p.id and k.system = 'other-practice'`,
    );
    expect(found).toEqual([{ mrn: `pat-${chart.patientId}`, old: null }]);
    const [links] = await rows<{ providers: number; visits: number }>(
      sql`select (select count(*)::int from providers where npi = '1245319599') as providers,
                 (select count(*)::int from encounters where source_system = 'other-practice' and provider_id = ${chart.providerId}) as visits`,
    );
    // The clinician is matched by NPI, not created again, and the visit points to them.
    expect(links).toEqual({ providers: 1, visits: 1 });
  });

  it('refuses a file that is not FHIR before writing anything', async () => {
    const run = await cli(['import', join(import.meta.dirname, '../../fixtures/import/problems.csv'), '--format', 'fhir']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('not valid JSON');
  });
});

describe('FHIR resources as import items', () => {
  const unit = (resources: any[]) => ({ name: 'test', resources: resources.map((resource, i) => ({ resource, where: `entry ${i + 1}` })) });
  const patient = { resourceType: 'Patient', id: 'p1', name: [{ family: 'Test', given: ['Ann'] }], birthDate: '1970-01-01' };

  it('keeps a visit\'s ranked diagnoses with the visit, and a Condition with a clinical status on the problem list', () => {
    const items = fhirItems(
      unit([
        patient,
        { resourceType: 'Encounter', id: 'e1', status: 'finished', subject: { reference: 'Patient/p1' }, period: { start: '2026-01-05T10:00:00Z' }, length: { value: 1, code: 'h' }, diagnosis: [{ condition: { reference: 'Condition/dx2' }, rank: 2 }, { condition: { reference: 'Condition/dx1' }, rank: 1 }, { condition: { reference: 'Condition/c1' } }] },
        { resourceType: 'Condition', id: 'dx1', code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }] }, subject: { reference: 'Patient/p1' } },
        { resourceType: 'Condition', id: 'dx2', code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' }] }, subject: { reference: 'Patient/p1' } },
        { resourceType: 'Condition', id: 'c1', clinicalStatus: { coding: [{ code: 'active' }] }, code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] }, subject: { reference: 'Patient/p1' } },
      ]),
      'fhir',
      { today: '2026-03-10' },
    );
    expect(items.map((i) => (i.skip ? 'skipped' : i.records.map((r) => r.target).join(',') || 'patient'))).toEqual(['patient', 'encounters', 'skipped', 'skipped', 'problems']);
    expect(items[1]!.records[0]!.values.durationMinutes).toBe(60);
    expect(items[1]!.diagnoses!.map((d) => [d.position, d.code])).toEqual([[2, 'E11.9'], [1, 'I10'], [3, '44054006']]);
  });

  it('checks vital signs and lab values with the same plausibility table as the CLI and CSV import', () => {
    const observation = (id: string, code: string, quantity: Record<string, unknown>) => ({ resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, subject: { reference: 'Patient/p1' }, effectiveDateTime: '2026-01-05T10:00:00Z', valueQuantity: quantity });
    const items = fhirItems(
      unit([
        patient,
        observation('hr', '8867-4', { value: 7, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' }),
        observation('wt', '29463-7', { value: 180 }),
        observation('a1c', '4548-4', { value: -3, unit: '%', system: 'http://unitsofmeasure.org', code: '%' }),
        observation('ok', '29463-7', { value: 180, unit: 'lb', system: 'http://unitsofmeasure.org', code: '[lb_av]' }),
      ]),
      'fhir',
      { today: '2026-03-10' },
    );
    expect(items.slice(1).map((i) => i.problems)).toEqual([
      [expect.stringContaining('Heart rate 7 /min is outside the plausible range')],
      [expect.stringContaining('has no unit')],
      [expect.stringContaining('Hemoglobin A1c -3 % is outside the plausible range')],
      [],
    ]);
    expect(items[4]!.records[0]!.values).toMatchObject({ valueUnit: 'kg' });
  });

  it('puts a Condition in the past illness category (LOINC 11348-0) in the past medical history, not on the problem list', () => {
    const condition = { resourceType: 'Condition', subject: { reference: 'Patient/p1' }, clinicalStatus: { coding: [{ code: 'resolved' }] }, code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J18.9' }], text: 'Pneumonia' }, onsetDateTime: '2019-01-01' };
    const items = fhirItems(
      unit([
        patient,
        { ...condition, id: 'past', category: [{ coding: [{ code: 'problem-list-item' }] }, { coding: [{ system: 'http://loinc.org', code: '11348-0' }] }] },
        { ...condition, id: 'resolved-here', category: [{ coding: [{ code: 'problem-list-item' }] }] },
      ]),
      'fhir',
      { today: '2026-03-10' },
    );
    expect(items[1]!.records.map((r) => [r.target, r.values.kind, r.values.description, r.values.code, r.values.onsetDate, r.values.status])).toEqual([['medicalHistory', 'past-illness', 'Pneumonia', 'J18.9', '2019-01-01', 'active']]);
    expect(items[2]!.records.map((r) => [r.target, r.values.clinicalStatus])).toEqual([['problems', 'resolved']]);
  });

  it('reads a referral to a named clinician as a referral with its prior authorization, and a referral order as an order', () => {
    const referral = {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      category: [{ coding: [{ system: 'http://snomed.info/sct', code: '3457005' }] }],
      code: { coding: [{ system: 'http://snomed.info/sct', code: '3457005' }] },
      subject: { reference: 'Patient/p1' },
      authoredOn: '2026-01-05T10:00:00Z',
    };
    const items = fhirItems(
      unit([
        { ...referral, id: 'r1', identifier: [{ system: 'urn:practicekit:prior-authorization', value: 'PA-1' }], performer: [{ type: 'Practitioner', identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1104025329' }, display: 'Dr. Out' }], reasonCode: [{ text: 'Chest pain' }] },
        { ...referral, id: 'r2' },
      ]),
      'fhir',
      { today: '2026-03-10' },
    );
    expect(items[0]!.records.map((r) => r.target)).toEqual(['priorAuthorizations', 'referrals']);
    expect(items[0]!.records[1]!.values).toMatchObject({ toName: 'Dr. Out', toNpi: '1104025329', reason: 'Chest pain', status: 'sent' });
    expect(items[0]!.records[1]!.links).toContainEqual({ column: 'priorAuthorizationId', target: 'priorAuthorizations', sourceId: 'ServiceRequest/r1#prior-authorization' });
    expect(items[1]!.records.map((r) => [r.target, r.values.kind])).toEqual([['orders', 'referral']]);
  });
});
