// QI-Core status and intent rules, end to end: records imported as FHIR (the import stores each status
// and intent) and measured by report quality. A result that is not final, amended or corrected, a
// medication request that is only a plan, a visit that did not happen and anything entered in error
// never count.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { VALUESETS } from './charts.js';

const LOINC = 'http://loinc.org';
const CPT = 'http://www.ama-assn.org/go/cpt';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
const SNOMED = 'http://snomed.info/sct';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

type Json = Record<string, any>;
const patient = (id: string, birthDate = '1970-06-15'): Json => ({ resourceType: 'Patient', id, identifier: [{ system: 'urn:test', value: id }], name: [{ family: id, given: ['Test'] }], gender: 'male', birthDate });
const visit = (id: string, who: string, day: string, cpt: string, status = 'finished', dx?: string): Json[] => {
  const encounter: Json = { resourceType: 'Encounter', id, status, class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, type: [{ coding: [{ system: CPT, code: cpt }] }], subject: { reference: `Patient/${who}` }, period: { start: `${day}T14:00:00Z`, end: `${day}T14:30:00Z` } };
  if (!dx) return [encounter];
  encounter.diagnosis = [{ condition: { reference: `Condition/${id}-dx` }, rank: 1 }];
  return [encounter, { resourceType: 'Condition', id: `${id}-dx`, subject: { reference: `Patient/${who}` }, code: { coding: [{ system: ICD10, code: dx }] } }];
};
const a1c = (id: string, who: string, day: string, value: number, status: string): Json => ({
  resourceType: 'Observation', id, status, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
  code: { coding: [{ system: LOINC, code: '4548-4' }] }, subject: { reference: `Patient/${who}` }, effectiveDateTime: `${day}T12:00:00Z`, valueQuantity: { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
});
const smoker = (id: string, who: string, day: string): Json => ({
  resourceType: 'Observation', id, status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'social-history' }] }],
  code: { coding: [{ system: LOINC, code: '72166-2' }] }, subject: { reference: `Patient/${who}` }, effectiveDateTime: `${day}T12:00:00Z`, valueCodeableConcept: { coding: [{ system: SNOMED, code: '160603005' }] },
});
const cessationDrug = (id: string, who: string, day: string, intent: string, status = 'active'): Json => ({
  resourceType: 'MedicationRequest', id, status, intent, medicationCodeableConcept: { coding: [{ system: RXNORM, code: '1232585' }] }, subject: { reference: `Patient/${who}` }, authoredOn: day,
});

const resources: Json[] = [
  // CMS122: the latest A1c that counts decides; a preliminary 10 % after a final 7 % is not a result.
  patient('a1c-preliminary'), ...visit('v1', 'a1c-preliminary', '2026-03-10', '99213', 'finished', 'E11.9'),
  a1c('o1', 'a1c-preliminary', '2026-04-01', 7, 'final'), a1c('o2', 'a1c-preliminary', '2026-09-01', 10, 'preliminary'),
  // An amended result counts as a result.
  patient('a1c-amended'), ...visit('v2', 'a1c-amended', '2026-03-10', '99213', 'finished', 'E11.9'), a1c('o3', 'a1c-amended', '2026-04-01', 7, 'amended'),
  // A result entered in error is no test at all: poor control by the measure's definition.
  patient('a1c-in-error'), ...visit('v3', 'a1c-in-error', '2026-03-10', '99213', 'finished', 'E11.9'), a1c('o4', 'a1c-in-error', '2026-04-01', 7, 'entered-in-error'),
  // A cancelled visit is not a visit: no diabetic in the measure.
  patient('visit-cancelled'), ...visit('v4', 'visit-cancelled', '2026-03-10', '99213', 'cancelled', 'E11.9'),
  // CMS138: tobacco users at a preventive visit; a cessation drug counts only as an order.
  patient('drug-ordered'), ...visit('v5', 'drug-ordered', '2026-02-01', '99396'), smoker('o5', 'drug-ordered', '2026-02-01'), cessationDrug('m1', 'drug-ordered', '2026-02-01', 'order'),
  patient('drug-planned'), ...visit('v6', 'drug-planned', '2026-02-01', '99396'), smoker('o6', 'drug-planned', '2026-02-01'), cessationDrug('m2', 'drug-planned', '2026-02-01', 'plan'),
  patient('drug-proposed'), ...visit('v7', 'drug-proposed', '2026-02-01', '99396'), smoker('o7', 'drug-proposed', '2026-02-01'), cessationDrug('m3', 'drug-proposed', '2026-02-01', 'proposal'),
  patient('drug-in-error'), ...visit('v8', 'drug-in-error', '2026-02-01', '99396'), smoker('o8', 'drug-in-error', '2026-02-01'), cessationDrug('m4', 'drug-in-error', '2026-02-01', 'original-order', 'entered-in-error'),
  patient('drug-original-order'), ...visit('v9', 'drug-original-order', '2026-02-01', '99396'), smoker('o9', 'drug-original-order', '2026-02-01'), cessationDrug('m5', 'drug-original-order', '2026-02-01', 'original-order'),
];

describeEachBackend('QI-Core status and intent rules', (t) => {
  let rows = new Map<string, any>();
  beforeAll(async () => {
    const load = await runCli(['valueset', 'import', VALUESETS], { database: t.handle });
    expect(load.code, load.stderr).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'pk-status-'));
    const file = join(dir, 'bundle.json');
    writeFileSync(file, JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) }));
    const run = await runCli(['import', file, '--format', 'fhir', '--reject-file', join(dir, 'rejects.csv'), '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    const report = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS122,CMS138', '--detail', '--json'], { database: t.handle });
    expect(report.code, report.stderr).toBe(0);
    rows = new Map(report.json().rows.map((r: any) => [`${r.measure} ${r.group} ${r.sourceIds}`, r]));
  });

  it('stores each medication request with the intent it was sent with', async () => {
    const stored = await queryRows<{ source_id: string; intent: string; status: string }>(t.db, sql`select source_id, intent, status from medications order by source_id`);
    expect(stored.map((m) => [m.source_id, m.intent, m.status])).toEqual([
      ['MedicationRequest/m1', 'order', 'active'],
      ['MedicationRequest/m2', 'plan', 'active'],
      ['MedicationRequest/m3', 'proposal', 'active'],
      ['MedicationRequest/m4', 'original-order', 'entered-in-error'],
      ['MedicationRequest/m5', 'original-order', 'active'],
    ]);
  });

  it('reads only final, amended and corrected results (CMS122)', () => {
    const cms122 = (id: string) => rows.get(`CMS122 Group_1 ${id}`);
    expect(cms122('a1c-preliminary')).toMatchObject({ ip: true, numer: false });
    expect(cms122('a1c-amended')).toMatchObject({ ip: true, numer: false });
    expect(cms122('a1c-in-error')).toMatchObject({ ip: true, numer: true });
    expect(cms122('visit-cancelled')).toBeUndefined();
  });

  it('counts a medication request only with an order intent and a live status (CMS138)', () => {
    const helped = (id: string) => rows.get(`CMS138 Group_2 ${id}`);
    expect(helped('drug-ordered')).toMatchObject({ den: true, numer: true });
    expect(helped('drug-original-order')).toMatchObject({ den: true, numer: true });
    expect(helped('drug-planned')).toMatchObject({ den: true, numer: false });
    expect(helped('drug-proposed')).toMatchObject({ den: true, numer: false });
    expect(helped('drug-in-error')).toMatchObject({ den: true, numer: false });
  });
});
