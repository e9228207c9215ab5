// practice valueset import (FHIR JSON and CSV, merge and replace, bad input) and the quality report's
// file outputs (CSV with formulas neutralised, files readable by the owner only, PDF).
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { CodeSystem } from '../../src/codes/systems.js';
import { queryRows } from '../../src/db/query.js';
import { loadedValueSetOids } from '../../src/measures/valuesets.js';
import { encounters, observations, patients, providers } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const OFFICE_VISIT = '2.16.840.1.113883.3.464.1003.101.12.1001';
const MAMMOGRAPHY = '2.16.840.1.113883.3.464.1003.108.12.1018';

function valueSet(oid: string, version: string, codes: [string, string, string?][], total?: number) {
  return {
    resourceType: 'ValueSet',
    id: `${oid}-${version}`,
    url: `http://cts.nlm.nih.gov/fhir/ValueSet/${oid}`,
    version,
    title: `Test ${oid.split('.').at(-1)}`,
    expansion: { total: total ?? codes.length, contains: codes.map(([system, code, display]) => ({ system, code, display })) },
  };
}

describeEachBackend('value set import and report files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-quality-'));
  const expansion = (oid: string, year: number) => sql`select y.value_set_id from value_set_years y where y.oid = ${oid} and y.performance_year = ${year}`;
  const codesOf = async (oid: string, year = 2026) =>
    (await queryRows<{ code: string }>(t.db, sql`select code from value_set_codes where value_set_id in (${expansion(oid, year)}) order by code`)).map((r) => r.code);

  beforeAll(async () => {
    const [provider] = await t.db.insert(providers).values({ npi: '1234567893', firstName: 'Ann', lastName: 'Lee', tin: '123456789' }).returning({ id: providers.id });
    for (const [i, mrn] of ['=HYPERLINK("x")', 'B2'].entries()) {
      const [p] = await t.db.insert(patients).values({ mrn, firstName: 'Pat', lastName: `Test${i}`, dob: '1970-01-01', sex: 'female' }).returning({ id: patients.id });
      await t.db.insert(encounters).values({ patientId: p!.id, providerId: provider!.id, startsAt: new Date('2026-03-01T15:00:00Z'), typeSystem: CodeSystem.cpt, typeCode: '99213' });
      if (i === 1) {
        await t.db.insert(observations).values({ patientId: p!.id, category: 'imaging', codeSystem: CodeSystem.loinc, code: '24606-6', effectiveAt: new Date('2026-02-01T12:00:00Z') });
      }
    }
  });

  it('loads a FHIR expansion, keeps CPT codes without their licensed text, and warns when cut short', async () => {
    const file = join(dir, 'office.json');
    writeFileSync(file, JSON.stringify(valueSet(OFFICE_VISIT, '20180310', [[CodeSystem.cpt, '99213', 'Office visit descriptor'], ['urn:oid:2.16.840.1.113883.6.96', '185463005', 'Visit out of hours']], 3)));
    const run = await runCli(['valueset', 'import', file, '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ files: 1, incomplete: [OFFICE_VISIT], valueSets: [{ oid: OFFICE_VISIT, codes: 2, action: 'added' }] });
    expect(run.stderr).toContain('incomplete');
    const rows = await queryRows<{ code_system: string; display: string | null }>(
      t.db,
      sql`select code_system, display from value_set_codes where value_set_id in (${expansion(OFFICE_VISIT, 2026)}) order by code`,
    );
    expect(rows).toEqual([
      { code_system: CodeSystem.snomed, display: 'Visit out of hours' },
      { code_system: CodeSystem.cpt, display: null },
    ]);
  });

  it('merges a second file of the same version and replaces on a new version (CSV)', async () => {
    const csv = join(dir, 'mammo.csv');
    writeFileSync(csv, `OID,code system,code,display\n${MAMMOGRAPHY},LOINC,24606-6,Mammogram\n${MAMMOGRAPHY},loinc,old-1,\n`);
    expect((await runCli(['valueset', 'import', csv], { database: t.handle })).code).toBe(0);
    expect(await codesOf(MAMMOGRAPHY)).toEqual(['24606-6', 'old-1']);
    const json = join(dir, 'mammo.json');
    writeFileSync(json, JSON.stringify(valueSet(MAMMOGRAPHY, '20210304', [[CodeSystem.loinc, '24606-6'], [CodeSystem.loinc, '24604-1']])));
    const replaced = await runCli(['valueset', 'import', json, '--json'], { database: t.handle });
    expect(replaced.json().valueSets[0].action).toBe('replaced');
    expect(await codesOf(MAMMOGRAPHY)).toEqual(['24604-1', '24606-6']);
    writeFileSync(json, JSON.stringify(valueSet(MAMMOGRAPHY, '20210304', [[CodeSystem.loinc, '24605-8']])));
    await runCli(['valueset', 'import', json], { database: t.handle });
    expect(await codesOf(MAMMOGRAPHY)).toEqual(['24604-1', '24605-8', '24606-6']);
  });

  it("keeps each performance year's expansion: loading 2027 leaves 2026 as it was", async () => {
    const file = join(dir, 'mammo-2027.json');
    writeFileSync(file, JSON.stringify(valueSet(MAMMOGRAPHY, '20260501', [[CodeSystem.loinc, '24604-1']])));
    const run = await runCli(['valueset', 'import', file, '--year', '2027', '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ year: 2027, valueSets: [{ oid: MAMMOGRAPHY, version: '20260501', action: 'added' }] });
    expect(await codesOf(MAMMOGRAPHY, 2027)).toEqual(['24604-1']);
    expect(await codesOf(MAMMOGRAPHY, 2026)).toEqual(['24604-1', '24605-8', '24606-6']);
    expect([...(await loadedValueSetOids(t.db, 2027, [MAMMOGRAPHY, OFFICE_VISIT]))]).toEqual([MAMMOGRAPHY]);
    expect((await loadedValueSetOids(t.db, 2026, [MAMMOGRAPHY, OFFICE_VISIT])).size).toBe(2);
    // The 2026 measures still read 2026's expansion (B2's mammogram is 24606-6).
    const report = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS125', '--json'], { database: t.handle });
    expect(report.json().measures[0].groups[0].overall).toMatchObject({ den: 2, numer: 1 });
    // The same version loaded for another year is one stored expansion; the CSV's own version, no
    // longer any year's, was removed.
    const again = await runCli(['valueset', 'import', join(dir, 'mammo.json'), '--year', '2028', '--json'], { database: t.handle });
    expect(again.json().valueSets[0]).toMatchObject({ version: '20210304', action: 'added' });
    const versions = await queryRows<{ version: string }>(t.db, sql`select version from value_sets where oid = ${MAMMOGRAPHY} order by version`);
    expect(versions.map((v) => v.version)).toEqual(['20210304', '20260501']);
    expect((await runCli(['valueset', 'import', file, '--year', 'next'], { database: t.handle })).code).toBe(2);
  });

  it('imports nothing when any file is bad, and says which line', async () => {
    const bad = join(dir, 'bad');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(bad);
    writeFileSync(join(bad, 'a.json'), JSON.stringify(valueSet('2.16.9.9', '1', [[CodeSystem.loinc, '1-8']])));
    writeFileSync(join(bad, 'b.csv'), 'oid,system,code\nnot-an-oid,LOINC,1-8\n2.16.9.9,LOINC\n');
    const run = await runCli(['valueset', 'import', bad], { database: t.handle });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 2');
    expect(run.stderr).toContain('line 3');
    expect(await codesOf('2.16.9.9')).toEqual([]);
    const dry = await runCli(['valueset', 'import', join(bad, 'a.json'), '--dry-run', '--json'], { database: t.handle });
    expect(dry.json()).toMatchObject({ dryRun: true, valueSets: [{ action: 'added' }] });
    expect(await codesOf('2.16.9.9')).toEqual([]);
    expect((await runCli(['valueset', 'import', join(dir, 'missing')], { database: t.handle })).code).toBe(2);
  });

  it('warns, without failing, when a measure runs with some of its value sets not loaded', async () => {
    const run = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS125', '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Some value sets of CMS125 are not loaded for 2026');
    expect(run.stderr).toContain('practice valueset import');
    expect(run.json()).toMatchObject({ measures: [{ id: 'CMS125' }] });
  });

  it('writes detail CSV readable by the owner only, with spreadsheet formulas neutralised', async () => {
    const out = join(dir, 'detail.csv');
    const run = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS125', '--detail', '--format', 'csv', '--out', out], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(`"'=HYPERLINK(""x"")"`);
    expect(text.split('\n')[0]).toBe('measure,rate_group,mrn,source_ids,provider_npi,ip,den,denex,numer,denexcep,strata,still_due');
    expect(text).toContain('CMS125,Group_1,B2,,1234567893,1,1,0,1,0,Stratification_1_2');
  });

  it('gives per-provider summary CSV and a PDF with the chart', async () => {
    const csv = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS125', '--format', 'csv'], { database: t.handle });
    expect(csv.stdout).toContain('CMS125,CMS125v14,112,,all patients,,no,2,2,0,1,0,0.5000');
    expect(csv.stdout).toContain('"Lee, Ann",1234567893');
    const pdf = join(dir, 'quality.pdf');
    const run = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS125', '--format', 'pdf', '--out', pdf], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    expect(statSync(pdf).mode & 0o777).toBe(0o600);
    expect((await runCli(['report', 'quality', '--format', 'pdf'], { database: t.handle })).code).toBe(2);
  });

  it('writes a QPP submission for a group or an individual', async () => {
    const run = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS125', '--format', 'qpp', '--tin', '123456789', '--provider', '1234567893'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({
      entityType: 'individual',
      taxpayerIdentificationNumber: '123456789',
      nationalProviderIdentifier: '1234567893',
      performanceYear: 2026,
      measurementSets: [
        {
          category: 'quality',
          submissionMethod: 'electronicHealthRecord',
          measurements: [{ measureId: '112', value: { isEndToEndReported: true, performanceMet: 1, performanceNotMet: 1, eligiblePopulation: 2, eligiblePopulationExclusion: 0 } }],
        },
      ],
    });
    expect((await runCli(['report', 'quality', '--format', 'qpp'], { database: t.handle })).code).toBe(2);
  });
});
