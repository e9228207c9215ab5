// A patient with every kind of chart entry, each made with the real commands (history, smoking status,
// advance directives, orders and the results that answer them, entries marked entered in error): the FHIR
// bundle validates as R4 / US Core, and imported into an empty practice it gives the same chart.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { patients, practice } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, describeEachBackend } from '../helpers/db.js';
import { NOW, NPI_A, seedPractice } from '../chart/setup.js';

/** Chart JSON without what differs between two databases: row ids and the links made of them. */
function withoutIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIds);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    // A status note ("superseded by entry 12") names row ids; FHIR carries the link itself (relatesTo).
    if (key === 'id' || key.endsWith('Id') || key === 'statusNote') continue;
    out[key] = withoutIds(child);
  }
  return out;
}

const LISTS = [['history', 'medical'], ['history', 'family'], ['history', 'social'], ['history', 'surgical'], ['history', 'smoking'], ['advance-directives'], ['orders'], ['labs']];

describeEachBackend('fhir round trip: every kind of chart entry', (t) => {
  const cli = (args: string[], database = t.handle) => runCli(args, { database, now: NOW });
  let target: PracticeDatabase | undefined;
  let bundle: any;
  let file: string;

  async function chart(database: PracticeDatabase | typeof t.handle) {
    const show = await cli(['patients', 'show', 'H1', '--json'], database);
    expect(show.code, show.stderr).toBe(0);
    const lists: Record<string, unknown> = {};
    for (const list of LISTS) {
      const run = await cli([...list, 'list', 'H1', '--all', '--json'], database);
      expect(run.code, run.stderr).toBe(0);
      lists[list.join(' ')] = run.json();
    }
    return withoutIds({ summary: show.json(), lists });
  }

  beforeAll(async () => {
    await seedPractice(t.db);
    await t.db.insert(patients).values({ mrn: 'H1', firstName: 'Hana', lastName: 'History', dob: '1958-02-03', sex: 'female', searchName: 'history hana' });
    const steps = [
      ['history', 'medical', 'add', 'H1', '--condition', 'Pneumonia', '--icd10', 'J18.9', '--date', '2019-01-01', '--note', 'hospitalised a week'],
      ['history', 'medical', 'add', 'H1', '--condition', 'Chickenpox', '--snomed', '38907003'],
      ['history', 'medical', 'add', 'H1', '--condition', 'Hepatitis A'],
      ['history', 'family', 'add', 'H1', '--relation', 'mother', '--condition', 'Breast cancer', '--icd10', 'C50.919', '--onset-age', '52', '--note', 'died of it at 60'],
      ['history', 'family', 'add', 'H1', '--relation', 'maternal-grandfather', '--condition', 'Myocardial infarction', '--snomed', '22298006'],
      ['history', 'family', 'add', 'H1', '--relation', 'brother', '--condition', 'Asthma'],
      ['history', 'social', 'add', 'H1', '--text', 'Alcohol: 2 glasses of wine a week', '--since', '2015-01-01'],
      ['history', 'social', 'add', 'H1', '--text', 'Works night shifts', '--note', 'nurse'],
      ['history', 'surgical', 'add', 'H1', '--procedure', 'Appendectomy', '--snomed', '80146002', '--date', '2015-06-01'],
      ['history', 'surgical', 'add', 'H1', '--procedure', 'Knee arthroscopy', '--cpt', '29881', '--note', 'at the county hospital'],
      ['history', 'surgical', 'add', 'H1', '--procedure', 'Tonsillectomy'],
      ['history', 'smoking', 'add', 'H1', '--status', 'former', '--date', '2026-03-01 09:00'],
      ['advance-directives', 'add', 'H1', '--kind', 'living-will', '--date', '2020-05-01', '--custodian', 'Hal History (husband)'],
      ['advance-directives', 'add', 'H1', '--kind', 'molst', '--date', '2025-11-02', '--location', 'scanned; original on the fridge', '--note', 'reviewed with the patient'],
      ['advance-directives', 'add', 'H1', '--kind', 'dnr'],
      ['orders', 'add', 'H1', '--lab', '4548-4', '--name', 'Hemoglobin A1c', '--reason', 'E11.9', '--provider', NPI_A, '--date', '2026-03-02 10:00'],
      ['orders', 'add', 'H1', '--imaging', '71046', '--name', 'Chest X-ray, 2 views', '--reason-text', 'cough for 3 weeks', '--provider', NPI_A, '--date', '2026-03-04 08:30'],
      ['orders', 'add', 'H1', '--lab', '2345-7', '--name', 'Glucose', '--provider', NPI_A, '--date', '2026-03-05 08:30'],
    ];
    for (const step of steps) {
      const run = await cli(step);
      expect(run.code, `${step.join(' ')}\n${run.stderr}`).toBe(0);
    }
    const orders = (await cli(['orders', 'list', 'H1', '--json'])).json().orders as { id: number; code: string }[];
    const a1c = orders.find((o) => o.code === '4548-4')!.id;
    const glucose = orders.find((o) => o.code === '2345-7')!.id;
    const directives = (await cli(['advance-directives', 'list', 'H1', '--json'])).json()['advance-directives'] as { id: number; kind: string }[];
    const family = (await cli(['history', 'family', 'list', 'H1', '--json'])).json().family as { id: number; relation: string }[];
    const surgical = (await cli(['history', 'surgical', 'list', 'H1', '--json'])).json().surgical as { id: number; procedure: string }[];
    const social = (await cli(['history', 'social', 'list', 'H1', '--json'])).json().social as { id: number; text: string }[];
    const illnesses = (await cli(['history', 'medical', 'list', 'H1', '--json'])).json().medical as { id: number; condition: string }[];
    const later = [
      ['labs', 'add', 'H1', '--loinc', '4548-4', '--value', '7.9', '--unit', '%', '--high', '5.6', '--order', String(a1c), '--date', '2026-03-03 09:00'],
      // A newer living will supersedes the old one; the DNR was put on the wrong chart.
      ['advance-directives', 'add', 'H1', '--kind', 'living-will', '--date', '2025-05-01', '--supersedes', String(directives.find((d) => d.kind === 'living-will')!.id)],
      ['advance-directives', 'entered-in-error', 'H1', String(directives.find((d) => d.kind === 'dnr')!.id), '--reason', 'wrong chart'],
      ['history', 'family', 'entered-in-error', 'H1', String(family.find((f) => f.relation === 'brother')!.id), '--reason', 'wrong chart'],
      ['history', 'surgical', 'entered-in-error', 'H1', String(surgical.find((s) => s.procedure === 'Tonsillectomy')!.id), '--reason', 'wrong chart'],
      ['history', 'social', 'entered-in-error', 'H1', String(social.find((s) => s.text === 'Works night shifts')!.id), '--reason', 'wrong chart'],
      ['orders', 'entered-in-error', 'H1', String(glucose), '--reason', 'ordered twice'],
      ['history', 'medical', 'entered-in-error', 'H1', String(illnesses.find((i) => i.condition === 'Hepatitis A')!.id), '--reason', 'wrong chart'],
      // A correction: the patient remembered when she had chickenpox.
      ['history', 'medical', 'add', 'H1', '--condition', 'Chickenpox', '--snomed', '38907003', '--date', '1964-06-01', '--replaces', String(illnesses.find((i) => i.condition === 'Chickenpox')!.id)],
      // A correction: the grandfather's age at onset was left out.
      ['history', 'family', 'add', 'H1', '--relation', 'maternal-grandfather', '--condition', 'Myocardial infarction', '--snomed', '22298006', '--onset-age', '70', '--replaces', String(family.find((f) => f.relation === 'maternal-grandfather')!.id)],
    ];
    for (const step of later) {
      const run = await cli(step);
      expect(run.code, `${step.join(' ')}\n${run.stderr}`).toBe(0);
    }
    const exported = await cli(['fhir', 'export', 'H1', '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    bundle = exported.json();
    file = join(await mkdtemp(join(tmpdir(), 'pk-chart-roundtrip-')), 'chart.json');
    await writeFile(file, JSON.stringify(bundle));
    target = await createTestDatabase(t.backend);
    const [ours] = await t.db.select().from(practice);
    await target.db.insert(practice).values({ ...ours!, id: undefined });
  });
  afterAll(async () => {
    await target?.close();
  });

  const resources = (type: string) => bundle.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === type);

  it('validates as FHIR R4 and US Core', async () => {
    const check = await cli(['fhir', 'validate', file]);
    expect(check.stdout).toMatch(/^\d+ resource\(s\) checked: valid FHIR R4 and US Core\.\n$/);
    expect(check.code).toBe(0);
  });

  it('carries every kind of entry with its standard codes and FHIR statuses', () => {
    const family = resources('FamilyMemberHistory');
    expect(family.map((f: any) => [f.relationship.coding?.[0].code, f.status]).sort()).toEqual([['BRO', 'entered-in-error'], ['MGRFTH', 'completed'], ['MGRFTH', 'entered-in-error'], ['MTH', 'completed']]);
    const mother = family.find((f: any) => f.relationship.coding[0].code === 'MTH');
    expect(mother.condition[0]).toMatchObject({ code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C50.919' }], text: 'Breast cancer' }, onsetAge: { value: 52, code: 'a' } });
    const observations = resources('Observation');
    const smoking = observations.find((o: any) => o.code.coding[0].code === '72166-2');
    expect(smoking).toMatchObject({ category: [{ coding: [{ code: 'social-history' }] }], valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '8517006' }] } });
    const narrative = observations.filter((o: any) => o.code.coding[0].code === '29762-2');
    expect(narrative.map((o: any) => [o.valueString, o.status]).sort()).toEqual([['Alcohol: 2 glasses of wine a week', 'final'], ['Works night shifts', 'entered-in-error']]);
    const surgeries = resources('Procedure').filter((p: any) => p.asserter);
    expect(surgeries.map((p: any) => [p.code.text, p.status, p.performedDateTime ?? p.performedString]).sort()).toEqual([
      ['Appendectomy', 'completed', '2015-06-01'],
      ['Knee arthroscopy', 'completed', 'date unknown'],
      ['Tonsillectomy', 'entered-in-error', 'date unknown'],
    ]);
    // Past illnesses: US Core problem-list-item Conditions that are over (resolved, abated), in the past illness category.
    const past = resources('Condition').filter((c: any) => c.category.some((k: any) => k.coding[0].code === '11348-0'));
    expect(past.map((c: any) => [c.code.text, c.clinicalStatus?.coding[0].code ?? null, c.verificationStatus?.coding[0].code ?? null, c.onsetDateTime ?? null]).sort()).toEqual([
      ['Chickenpox', null, 'entered-in-error', null],
      ['Chickenpox', 'resolved', null, '1964-06-01'],
      ['Hepatitis A', null, 'entered-in-error', null],
      ['Pneumonia', 'resolved', null, '2019-01-01'],
    ]);
    const pneumonia = past.find((c: any) => c.code.text === 'Pneumonia');
    expect(pneumonia).toMatchObject({ category: [{ coding: [{ code: 'problem-list-item' }] }, { coding: [{ system: 'http://loinc.org', code: '11348-0' }] }], code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J18.9' }] }, note: [{ text: 'hospitalised a week' }] });
    expect(pneumonia.abatementDateTime).toBe(pneumonia.recordedDate);
    expect(pneumonia.asserter.reference).toBe(pneumonia.subject.reference);
    const directives = resources('DocumentReference').filter((d: any) => d.category[0].coding[0].code === '42348-3');
    expect(directives.map((d: any) => [d.type.coding[0].code, d.status]).sort()).toEqual([['81351-9', 'entered-in-error'], ['86533-7', 'current'], ['86533-7', 'superseded'], ['93037-0', 'current']]);
    expect(directives.every((d: any) => d.meta.profile.includes('http://hl7.org/fhir/us/core/StructureDefinition/us-core-adi-documentreference'))).toBe(true);
    const requests = resources('ServiceRequest');
    expect(requests.map((r: any) => r.status).sort()).toEqual(['active', 'completed', 'entered-in-error']);
    const a1cOrder = requests.find((r: any) => r.code.coding[0].code === '4548-4');
    expect(a1cOrder.reasonCode[0].coding[0]).toEqual({ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' });
    const result = observations.find((o: any) => o.code.coding[0].code === '4548-4');
    expect(result.basedOn[0].reference).toBe(bundle.entry.find((e: any) => e.resource === a1cOrder).fullUrl);
  });

  it('imports into an empty practice as the same chart, and a second import changes nothing', async () => {
    const first = await runCli(['import', file, '--format', 'fhir', '--json'], { database: target!, now: NOW });
    expect(first.code, first.stderr + first.stdout.slice(0, 3000)).toBe(0);
    expect(first.json().counts.rejected).toBe(0);
    const source = (await chart(t.handle)) as any;
    expect(source.summary.pastMedicalHistory.map((i: any) => i.condition)).toEqual(['Chickenpox', 'Pneumonia']);
    expect(source.summary.familyHistory).toHaveLength(2);
    expect(source.summary.surgicalHistory).toHaveLength(2);
    expect(source.summary.socialHistory.entries).toHaveLength(1);
    expect(source.summary.advanceDirectives).toHaveLength(2);
    expect(await chart(target!)).toEqual(source);
    // The newer living will still points at the one it superseded.
    const directives = (await cli(['advance-directives', 'list', 'H1', '--all', '--json'], target!)).json()['advance-directives'] as any[];
    const wills = directives.filter((d) => d.kind === 'living-will');
    expect(wills.find((d) => d.status === 'current').replacesId).toBe(wills.find((d) => d.status === 'superseded').id);
    // And the corrected family history entry at the one it corrects.
    const relatives = (await cli(['history', 'family', 'list', 'H1', '--all', '--json'], target!)).json().family as any[];
    const grandfather = relatives.filter((f) => f.relation === 'maternal-grandfather');
    expect(grandfather.find((f) => f.status === 'active')).toMatchObject({ onsetAge: 70, replacesId: grandfather.find((f) => f.status === 'entered-in-error').id });
    const illnesses = (await cli(['history', 'medical', 'list', 'H1', '--all', '--json'], target!)).json().medical as any[];
    const chickenpox = illnesses.filter((i) => i.condition === 'Chickenpox');
    expect(chickenpox.find((i) => i.status === 'active')).toMatchObject({ date: '1964-06-01', replacesId: chickenpox.find((i) => i.status === 'entered-in-error').id });
    // Imported as history, not as problems: the problem list stays empty.
    expect((await cli(['problems', 'list', 'H1', '--all', '--json'], target!)).json()).toMatchObject({ count: 0 });
    const again = await runCli(['import', file, '--format', 'fhir', '--json'], { database: target!, now: NOW });
    expect(again.json().counts).toMatchObject({ inserted: 0, updated: 0, rejected: 0 });
    const reexported = (await cli(['fhir', 'export', 'H1', '--json'], target!)).json();
    const types = (b: any) => b.entry.map((e: any) => e.resource.resourceType).sort();
    expect(types(reexported)).toEqual(types(bundle));
  });
});
