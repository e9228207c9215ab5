// The QRDA Category III export: read the XML back and check the CDA header, the CMS program and
// performer, one Measure Reference and Results organizer per measure (one population set and rate per
// CMS138 group), counts and strata equal to the JSON report's, and supplemental data that sums to each count.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, isNull } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { CodeSystem } from '../../src/codes/systems.js';
import { coverages, encounters, patients, payers, practice, providers } from '../../src/db/schema/index.js';
import { measureDefinitions } from '../../src/measures/definitions/index.js';
import { measureVersionId } from '../../src/reports/quality/render-qrda.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { Chart, VALUESETS } from './charts.js';

const TIN = '123456789';
const NPI = '1234567893';
const SNOMED = CodeSystem.snomed;
const smokingStatus = (chart: Chart, value: string) => chart.visit('2026-02-01', '99396').result('2026-02-01', '72166-2', [SNOMED, value], { category: 'social-history' });
const charts = [
  new Chart('mammogram, white, Medicare', '1960-01-01').demographic('2106-3', '2186-5').visit('2026-04-01').result('2026-02-01', '24606-6', undefined, { category: 'imaging' }),
  new Chart('no mammogram, Hispanic, Medicaid', '1970-01-01').demographic('2054-5', '2135-2').visit('2026-04-01'),
  new Chart('no mammogram, race unknown', '1975-05-05').visit('2026-05-01'),
  new Chart('diabetic, A1c 10', '1970-06-15').demographic('2028-9').visit('2026-03-10', '99213', [CodeSystem.icd10cm, 'E11.9']).result('2026-05-01', '4548-4', 10),
  new Chart('diabetic, A1c 7, man', '1965-06-15', 'male').visit('2026-03-10', '99213', [CodeSystem.icd10cm, 'E11.9']).result('2026-05-01', '4548-4', 7),
  smokingStatus(new Chart('smoker, not helped', '1980-01-01', 'male'), '77176002'),
  smokingStatus(new Chart('never smoked', '1990-01-01', 'unknown'), '266919005'),
];

type El = XMLBuilder;
const all = (node: El, name: string): El[] => node.filter((n) => n.node.nodeName === name, false, true);
const kids = (node: El, name: string): El[] => node.filter((n) => n.node.nodeName === name, false, false);
const kid = (node: El, name: string): El => {
  const found = kids(node, name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
const attr = (node: El, name: string) => (node.node as unknown as { getAttribute(n: string): string | null }).getAttribute(name);
const templateIds = (node: El) => kids(node, 'templateId').map((t) => `${attr(t, 'root')}|${attr(t, 'extension') ?? ''}`);
/** The aggregate count (the SUBJ entryRelationship) of a population or supplemental data element. */
const intValue = (observation: El) => {
  const counts = kids(observation, 'entryRelationship').filter((e) => attr(e, 'typeCode') === 'SUBJ');
  expect(counts).toHaveLength(1);
  return Number(attr(kid(kid(counts[0]!, 'observation'), 'value'), 'value'));
};

describeEachBackend('QRDA Category III export', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-qrda-'));
  const measures = ['CMS122', 'CMS125', 'CMS138'];

  beforeAll(async () => {
    expect((await runCli(['valueset', 'import', VALUESETS], { database: t.handle })).code).toBe(0);
    await t.db.insert(practice).values({ legalName: 'Good & Well <Clinic>', tin: TIN, billingNpi: NPI, timeZone: 'UTC' });
    for (const chart of charts) await chart.save(t.db);
    const [provider] = await t.db.insert(providers).values({ npi: NPI, firstName: 'Ann', lastName: 'Lee' }).returning({ id: providers.id });
    await t.db.update(encounters).set({ providerId: provider!.id }).where(isNull(encounters.providerId));
    const [medicare] = await t.db.insert(payers).values({ name: 'Medicare', payerId: 'MCR01', claimFilingIndicator: 'MB' }).returning({ id: payers.id });
    const [medicaid] = await t.db.insert(payers).values({ name: 'Medicaid', payerId: 'MCD01', claimFilingIndicator: 'MC' }).returning({ id: payers.id });
    const patientId = async (chart: Chart) => (await t.db.select({ id: patients.id }).from(patients).where(eq(patients.mrn, chart.mrn)))[0]!.id;
    await t.db.insert(coverages).values([
      { patientId: await patientId(charts[0]!), payerId: medicare!.id, memberId: 'M1' },
      { patientId: await patientId(charts[1]!), payerId: medicaid!.id, memberId: 'M2' },
    ]);
  });

  it('writes the document to a file only the owner can read, and warns about stand-in measure ids', async () => {
    const out = join(dir, 'group.xml');
    const run = await runCli(['report', 'quality', '--period', '2026', '--measures', measures.join(','), '--format', 'qrda3', '--out', out], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(run.stderr).toContain('stand-in ids');
    const doc = create(readFileSync(out, 'utf8')).root();
    expect(doc.node.nodeName).toBe('ClinicalDocument');
    expect((doc.node as unknown as { namespaceURI: string }).namespaceURI).toBe('urn:hl7-org:v3');
    expect(attr(kid(doc, 'realmCode'), 'code')).toBe('US');
    expect(attr(kid(doc, 'typeId'), 'extension')).toBe('POCD_HD000040');
    expect(templateIds(doc)).toEqual(['2.16.840.1.113883.10.20.27.1.1|2017-06-01', '2.16.840.1.113883.10.20.27.1.2|2025-05-01']);
    expect(attr(kid(doc, 'code'), 'code')).toBe('55184-6');
    expect(attr(kid(doc, 'confidentialityCode'), 'code')).toBe('N');
    expect(attr(kid(doc, 'languageCode'), 'code')).toBe('en');
    expect(attr(all(kid(doc, 'recordTarget'), 'id')[0]!, 'nullFlavor')).toBe('NA');
    expect(attr(all(kid(doc, 'informationRecipient'), 'id')[0]!, 'extension')).toBe('MIPS_GROUP');
    // The group performer: no NPI, the TIN; the practice name escaped, not broken.
    const performer = all(kid(doc, 'documentationOf'), 'assignedEntity')[0]!;
    expect(attr(kid(performer, 'id'), 'nullFlavor')).toBe('NA');
    expect(attr(kid(kid(performer, 'representedOrganization'), 'id'), 'extension')).toBe(TIN);
    expect(kid(kid(performer, 'representedOrganization'), 'name').node.textContent).toBe('Good & Well <Clinic>');
    for (const part of ['author', 'custodian', 'legalAuthenticator']) expect(kids(doc, part)).toHaveLength(1);
    const sections = all(doc, 'section');
    expect(sections.map((s) => attr(kid(s, 'code'), 'code'))).toEqual(['55186-1', '55187-9']);
    const parameters = all(sections[1]!, 'act')[0]!;
    expect([attr(all(parameters, 'low')[0]!, 'value'), attr(all(parameters, 'high')[0]!, 'value')]).toEqual(['20260101', '20261231']);
  });

  it("reports each measure's populations with the JSON report's counts, and supplemental data summing to them", async () => {
    const out = join(dir, 'counts.xml');
    expect((await runCli(['report', 'quality', '--period', '2026', '--measures', measures.join(','), '--format', 'qrda3', '--out', out], { database: t.handle })).code).toBe(0);
    const json = (await runCli(['report', 'quality', '--period', '2026', '--measures', measures.join(','), '--tin', TIN, '--format', 'json'], { database: t.handle })).json();
    const doc = create(readFileSync(out, 'utf8')).root();
    const organizers = all(doc, 'organizer');
    expect(organizers).toHaveLength(measures.length);
    let checkedStrata = 0;
    organizers.forEach((organizer, i) => {
      const definition = measureDefinitions.find((m) => m.id === measures[i] && m.program === 'mips')!;
      const reported = json.measures[i];
      expect(reported.id).toBe(definition.id);
      const measureId = all(kid(organizer, 'reference'), 'id')[0]!;
      expect([attr(measureId, 'root'), attr(measureId, 'extension')]).toEqual(['2.16.840.1.113883.4.738', measureVersionId(definition)]);
      const observations = kids(organizer, 'component').map((c) => kid(c, 'observation'));
      const rates = observations.filter((o) => attr(kid(o, 'code'), 'code') === '72510-1');
      const populations = observations.filter((o) => attr(kid(o, 'code'), 'code') === 'ASSERTION');
      // CMS138: one rate and one population set per group.
      expect(rates).toHaveLength(definition.groups.length);
      const expected = reported.groups.flatMap((g: any, gi: number) => {
        const codes = ['IPOP', 'DENOM', ...(definition.groups[gi]!.exclusion ? ['DENEX'] : []), 'NUMER', ...(definition.groups[gi]!.exception ? ['DENEXCEP'] : [])];
        const byCode: Record<string, number> = { IPOP: g.overall.ip, DENOM: g.overall.den, DENEX: g.overall.denex, NUMER: g.overall.numer, DENEXCEP: g.overall.denexcep };
        return codes.map((c) => [c, byCode[c]]);
      });
      expect(populations.map((p) => [attr(kid(p, 'value'), 'code'), intValue(p)])).toEqual(expected);
      // The measure's own strata (CMS125 age bands) under each population, with the JSON's counts.
      const keys: Record<string, string> = { IPOP: 'ip', DENOM: 'den', DENEX: 'denex', NUMER: 'numer', DENEXCEP: 'denexcep' };
      let group = -1;
      for (const p of populations) {
        const code = attr(kid(p, 'value'), 'code')!;
        if (code === 'IPOP') group += 1;
        const strata = kids(p, 'entryRelationship')
          .map((e) => kid(e, 'observation'))
          .filter((o) => templateIds(o).includes('2.16.840.1.113883.10.20.27.3.4|2016-09-01'))
          .map((o) => [kid(kid(o, 'value'), 'originalText').node.textContent, intValue(o)]);
        expect(strata).toEqual(reported.groups[group].strata.map((st: any) => [st.title, st[keys[code]!]]));
      }
      const populationIds = populations.map((p) => attr(all(kid(p, 'reference'), 'id')[0]!, 'root'));
      expect(new Set(populationIds).size).toBe(populationIds.length);
      rates.forEach((rate, gi) => {
        const value = kid(rate, 'value');
        const want = reported.groups[gi].overall.rate;
        if (want === null) expect(attr(value, 'nullFlavor')).toBe('NA');
        else expect(Number(attr(value, 'value'))).toBeCloseTo(want, 6);
        // The rate points at its own group's numerator.
        const numerator = populations.filter((p) => attr(kid(p, 'value'), 'code') === 'NUMER')[gi]!;
        expect(attr(all(rate, 'id')[0]!, 'root')).toBe(attr(all(kid(numerator, 'reference'), 'id')[0]!, 'root'));
      });
      for (const population of populations) {
        const count = intValue(population);
        const elements = kids(population, 'entryRelationship').filter((e) => attr(e, 'typeCode') === 'COMP').map((e) => kid(e, 'observation'));
        for (const loinc of ['76689-9', '69490-1', '72826-1', '48768-6']) {
          const strata = elements.filter((e) => attr(kid(e, 'code'), 'code') === loinc);
          expect(strata.length, `${definition.id} ${loinc}`).toBeGreaterThan(0);
          expect(strata.reduce((n, s) => n + intValue(s), 0), `${definition.id} ${loinc}`).toBe(count);
          checkedStrata += strata.length;
        }
      }
    });
    expect(json.measures[1].groups[0].strata.map((st: any) => st.ip)).toEqual([1, 3]);
    // CMS125's four women: one on Medicare (A), one on Medicaid (B), two without coverage (D).
    const cms125 = organizers[1]!;
    const ipop = kids(cms125, 'component').map((c) => kid(c, 'observation')).find((o) => attr(kid(o, 'value'), 'code') === 'IPOP')!;
    const payer = (code: string) =>
      kids(ipop, 'entryRelationship')
        .map((e) => kid(e, 'observation'))
        .filter((o) => attr(kid(o, 'code'), 'code') === '48768-6' && attr(all(o, 'translation')[0]!, 'code') === code)
        .map(intValue)[0];
    expect([payer('A'), payer('B'), payer('D')]).toEqual([1, 1, 2]);
    expect(intValue(ipop)).toBe(4);
    expect(checkedStrata).toBeGreaterThan(0);
  });

  it('reports an individual clinician as MIPS_INDIV with the NPI', async () => {
    const out = join(dir, 'individual.xml');
    const run = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS125', '--provider', NPI, '--format', 'qrda3', '--out', out], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    const doc = create(readFileSync(out, 'utf8')).root();
    expect(attr(all(kid(doc, 'informationRecipient'), 'id')[0]!, 'extension')).toBe('MIPS_INDIV');
    const performer = all(kid(doc, 'documentationOf'), 'assignedEntity')[0]!;
    expect([attr(kid(performer, 'id'), 'root'), attr(kid(performer, 'id'), 'extension')]).toEqual(['2.16.840.1.113883.4.6', NPI]);
  });

  it('refuses without a file, for HEDIS, and with --detail (exit 2)', async () => {
    for (const args of [[], ['--program', 'hedis', '--out', join(dir, 'h.xml')], ['--detail', '--out', join(dir, 'd.xml')]]) {
      const run = await runCli(['report', 'quality', '--period', '2026', '--format', 'qrda3', ...args], { database: t.handle });
      expect(run.code, args.join(' ')).toBe(2);
    }
  });
});
