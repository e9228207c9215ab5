// Edge rules of the eight 2026 measures, on patients written for each rule: age on the boundary,
// results on the last day, most recent result wins, exclusion beats numerator, look-back edges, the
// practice time zone, multi-rate CMS138 and the CMS117 antigen schedule.
import { beforeAll, describe, expect, it } from 'vitest';
import { CodeSystem } from '../../src/codes/systems.js';
import { practice } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { Chart, VALUESETS, vaccinatedChild } from './charts.js';

const diabetic = (label: string, dob = '1970-06-15') => new Chart(label, dob).visit('2026-03-10', '99213', [CodeSystem.icd10cm, 'E11.9']);
const SNOMED = CodeSystem.snomed;

const charts = {
  a1c9: diabetic('A1c exactly 9.0').result('2026-05-01', '4548-4', 9.0),
  a1c91: diabetic('A1c 9.1').result('2026-05-01', '4548-4', 9.1),
  a1cLatestWins: diabetic('A1c high then good').result('2026-02-01', '4548-4', 12).result('2026-11-01', '4548-4', 7),
  a1cLowestOnLastDay: diabetic('two A1c on the last day').result('2026-11-01T08:00:00Z', '4548-4', 10).result('2026-11-01T16:00:00Z', '4548-4', 8),
  a1cLastDayOfPeriod: diabetic('A1c on 31 Dec').result('2026-02-01', '4548-4', 10).result('2026-12-31T23:00:00Z', '4548-4', 6.5),
  a1cNextYear: diabetic('A1c on 1 Jan next year').result('2027-01-01T01:00:00Z', '4548-4', 6.5),
  // 03:00 UTC on 1 January 2026 is still 2025 in New York: the practice's only visit is last year's there.
  visitNewYearLocally: new Chart('visit at 03:00 UTC on 1 Jan', '1970-06-15').visit('2026-01-01T03:00:00Z', '99213', [CodeSystem.icd10cm, 'E11.9']).result('2026-05-01', '4548-4', 10),
  // 02:00 UTC on 1 January 2027 is 31 December in New York: there, the high reading is the year's last.
  bpHighOnNewYearsEveLocally: new Chart('BP 150/95 at 02:00 UTC on 1 Jan', '1960-01-01')
    .visit('2026-03-01', '99213', [CodeSystem.icd10cm, 'I10'])
    .bloodPressure('2026-02-01', 120, 70)
    .bloodPressure('2027-01-01T02:00:00Z', 150, 95),
  a1cNoValue: diabetic('A1c without a result').result('2026-06-01', '4548-4'),
  a1cExcluded: diabetic('palliative, no A1c').problem(CodeSystem.icd10cm, 'Z51.5', '2026-04-01'),
  age75: diabetic('75 on 31 Dec', '1951-12-31'),
  age76: diabetic('76 on 31 Dec', '1950-12-31'),
  bpTwoReadingsOneDay: new Chart('BP 150/85 and 135/95 same day', '1960-01-01')
    .visit('2026-03-01', '99213', [CodeSystem.icd10cm, 'I10'])
    .bloodPressure('2026-02-01', 120, 70)
    .bloodPressure('2026-09-01', 150, 85)
    .bloodPressure('2026-09-01', 135, 95),
  bpLatestHigh: new Chart('BP good then high', '1960-01-01').visit('2026-03-01', '99213', [CodeSystem.icd10cm, 'I10']).bloodPressure('2026-02-01', 120, 70).bloodPressure('2026-10-01', 145, 80),
  bpDiagnosedInJuly: new Chart('hypertension from July', '1960-01-01').visit('2026-07-01', '99213', [CodeSystem.icd10cm, 'I10']).bloodPressure('2026-08-01', 120, 70),
  mammoFirstDay: new Chart('mammogram 2024-10-01', '1970-01-01').visit('2026-04-01').result('2024-10-01', '24606-6', undefined, { category: 'imaging' }),
  mammoDayBefore: new Chart('mammogram 2024-09-30', '1970-01-01').visit('2026-04-01').result('2024-09-30', '24606-6', undefined, { category: 'imaging' }),
  mammoMan: new Chart('man with mammogram', '1970-01-01', 'male').visit('2026-04-01').result('2026-03-01', '24606-6', undefined, { category: 'imaging' }),
  colonoscopyEdge: new Chart('colonoscopy 2017-01-01', '1960-05-05', 'male').visit('2026-04-01').procedure('2017-01-01', CodeSystem.cpt, '45378'),
  colonoscopyOld: new Chart('colonoscopy 2016-12-31', '1960-05-05', 'male').visit('2026-04-01').procedure('2016-12-31', CodeSystem.cpt, '45378'),
  colon45: new Chart('45 on 31 Dec', '1981-01-01', 'male').visit('2026-04-01'),
  colon46: new Chart('46 on 31 Dec', '1980-12-31', 'male').visit('2026-04-01'),
  smokerHelped: new Chart('smoker counselled', '1980-01-01')
    .visit('2026-02-01', '99396')
    .result('2026-02-01', '72166-2', [SNOMED, '77176002'], { category: 'social-history' })
    .procedure('2026-02-01', CodeSystem.cpt, '99406'),
  smokerNotHelped: new Chart('smoker not counselled', '1980-01-01').visit('2026-02-01', '99396').result('2026-02-01', '72166-2', [SNOMED, '77176002'], { category: 'social-history' }),
  exSmoker: new Chart('quit, latest screening wins', '1980-01-01')
    .visit('2026-02-01', '99396')
    .result('2026-02-01', '72166-2', [SNOMED, '77176002'], { category: 'social-history' })
    .result('2026-08-01', '72166-2', [SNOMED, '8517006'], { category: 'social-history' }),
  oneOfficeVisit: new Chart('one office visit only', '1980-01-01').visit('2026-02-01').result('2026-02-01', '72166-2', [SNOMED, '8517006'], { category: 'social-history' }),
  childComplete: vaccinatedChild('child fully vaccinated', '2025-03-20'),
  childMmrTooEarly: vaccinatedChild('MMR before the 1st birthday', '2025-03-14'),
  bmiNormal: new Chart('BMI 22', '1990-01-01').visit('2026-05-05').result('2026-05-05', '39156-5', 22, { category: 'laboratory' }),
  bmiHighNoPlan: new Chart('BMI 31, no plan', '1990-01-01').visit('2026-05-05').result('2026-05-05', '39156-5', 31),
  bmiDeclined: new Chart('BMI declined', '1990-01-01').visit('2026-05-05').declined('2026-05-05', '39156-5', [SNOMED, '183945002']),
  depressionNegative: new Chart('PHQ negative 10 days before', '1990-01-01').visit('2026-05-15').result('2026-05-05', '73832-8', [SNOMED, '428171000124102'], { category: 'survey' }),
  depressionTooEarly: new Chart('PHQ 15 days before', '1990-01-01').visit('2026-05-20').result('2026-05-05', '73832-8', [SNOMED, '428171000124102'], { category: 'survey' }),
};

type Flags = { ip: boolean; den: boolean; denex: boolean; numer: boolean; denexcep: boolean; unmetParts?: string[] };

describeEachBackend('quality measure edge rules', (t) => {
  let rows: Map<string, Flags & { group: string }>[];
  const flagsOf = (measure: string, chart: Chart, group = 'Group_1') =>
    rows.find((m) => m.has(`${measure}|${group}|${chart.label}`))?.get(`${measure}|${group}|${chart.label}`) ?? { ip: false, den: false, denex: false, numer: false, denexcep: false };

  beforeAll(async () => {
    const load = await runCli(['valueset', 'import', VALUESETS], { database: t.handle });
    expect(load.code, load.stderr).toBe(0);
    for (const chart of Object.values(charts)) await chart.save(t.db);
    const run = await runCli(['report', 'quality', '--period', '2026', '--detail', '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    rows = [new Map(run.json().rows.map((r: any) => [`${r.measure}|${r.group}|${r.sourceIds}`, r]))];
  });

  describe('CMS122 (inverse)', () => {
    it('9.0 exactly is not poor control; 9.1 is', () => {
      expect(flagsOf('CMS122', charts.a1c9)).toMatchObject({ den: true, numer: false });
      expect(flagsOf('CMS122', charts.a1c91)).toMatchObject({ den: true, numer: true });
    });
    it('the most recent test wins, and the lowest value on its day', () => {
      expect(flagsOf('CMS122', charts.a1cLatestWins).numer).toBe(false);
      expect(flagsOf('CMS122', charts.a1cLowestOnLastDay).numer).toBe(false);
    });
    it('counts a test on the last day of the period and not the day after', () => {
      expect(flagsOf('CMS122', charts.a1cLastDayOfPeriod).numer).toBe(false);
      expect(flagsOf('CMS122', charts.a1cNextYear).numer).toBe(true);
    });
    it('a test without a result is poor control', () => {
      expect(flagsOf('CMS122', charts.a1cNoValue).numer).toBe(true);
    });
    it('an exclusion beats the numerator (no test, palliative care)', () => {
      expect(flagsOf('CMS122', charts.a1cExcluded)).toMatchObject({ den: true, denex: true, numer: false });
    });
    it('takes 75 on the last day and not 76', () => {
      expect(flagsOf('CMS122', charts.age75).ip).toBe(true);
      expect(flagsOf('CMS122', charts.age76).ip).toBe(false);
    });
  });

  it('CMS165: lowest systolic and lowest diastolic of the latest day, from different readings', () => {
    expect(flagsOf('CMS165', charts.bpTwoReadingsOneDay)).toMatchObject({ den: true, numer: true });
    expect(flagsOf('CMS165', charts.bpLatestHigh)).toMatchObject({ den: true, numer: false });
    expect(flagsOf('CMS165', charts.bpDiagnosedInJuly).ip).toBe(false);
  });

  it('CMS125: the look-back starts on 1 October two years before; women only', () => {
    expect(flagsOf('CMS125', charts.mammoFirstDay).numer).toBe(true);
    expect(flagsOf('CMS125', charts.mammoDayBefore)).toMatchObject({ den: true, numer: false });
    expect(flagsOf('CMS125', charts.mammoMan).ip).toBe(false);
  });

  it('CMS130: a colonoscopy counts for ten years, from 46', () => {
    expect(flagsOf('CMS130', charts.colonoscopyEdge).numer).toBe(true);
    expect(flagsOf('CMS130', charts.colonoscopyOld)).toMatchObject({ den: true, numer: false });
    expect(flagsOf('CMS130', charts.colon45).ip).toBe(false);
    expect(flagsOf('CMS130', charts.colon46).ip).toBe(true);
  });

  it('CMS138: three rates; cessation only for users; the latest screening decides', () => {
    expect(flagsOf('CMS138', charts.smokerHelped, 'Group_1').numer).toBe(true);
    expect(flagsOf('CMS138', charts.smokerHelped, 'Group_2')).toMatchObject({ den: true, numer: true });
    expect(flagsOf('CMS138', charts.smokerHelped, 'Group_3').numer).toBe(true);
    expect(flagsOf('CMS138', charts.smokerNotHelped, 'Group_2')).toMatchObject({ den: true, numer: false });
    expect(flagsOf('CMS138', charts.smokerNotHelped, 'Group_3').numer).toBe(false);
    expect(flagsOf('CMS138', charts.exSmoker, 'Group_2')).toMatchObject({ ip: true, den: false });
    expect(flagsOf('CMS138', charts.exSmoker, 'Group_3').numer).toBe(true);
    expect(flagsOf('CMS138', charts.oneOfficeVisit, 'Group_1').ip).toBe(false);
  });

  it('CMS117: every antigen by the 2nd birthday; MMR only from the 1st', () => {
    expect(flagsOf('CMS117', charts.childComplete)).toMatchObject({ den: true, numer: true });
    expect(flagsOf('CMS117', charts.childMmrTooEarly)).toMatchObject({ den: true, numer: false });
  });

  it('CMS117: a care gap names the vaccines that child still lacks, not the whole series', async () => {
    expect(flagsOf('CMS117', charts.childMmrTooEarly)).toMatchObject({ unmetParts: ['MMR 1 dose'] });
    const run = await runCli(['report', 'care-gaps', '--measure', 'CMS117', '--period', '2026', '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    const gaps = run.json().gaps;
    expect(gaps.map((g: any) => g.mrn)).not.toContain(charts.childComplete.mrn);
    expect(gaps.find((g: any) => g.mrn === charts.childMmrTooEarly.mrn).missing).toBe('childhood vaccines still due by the 2nd birthday: MMR 1 dose');
    const hedis = await runCli(['report', 'quality', '--period', '2026', '--program', 'hedis', '--measures', 'CIS-E', '--detail', '--json'], { database: t.handle });
    const combo10 = hedis.json().rows.find((r: any) => r.sourceIds === charts.childMmrTooEarly.label && r.group === 'CIS-E_COMBO10');
    expect(combo10).toMatchObject({ numer: false, unmetParts: ['MMR 1 dose'] });
  });

  it('CMS69: a normal BMI meets it, a high one needs a plan, a declined BMI is an exception', () => {
    expect(flagsOf('CMS69', charts.bmiNormal).numer).toBe(true);
    expect(flagsOf('CMS69', charts.bmiHighNoPlan)).toMatchObject({ den: true, numer: false, denexcep: false });
    expect(flagsOf('CMS69', charts.bmiDeclined)).toMatchObject({ den: true, numer: false, denexcep: true });
  });

  it('CMS2: a screening counts within 14 days before the visit, not 15', () => {
    expect(flagsOf('CMS2', charts.depressionNegative).numer).toBe(true);
    expect(flagsOf('CMS2', charts.depressionTooEarly)).toMatchObject({ den: true, numer: false });
  });

  it('turns timestamps into days in the practice time zone', async () => {
    // 01:00 UTC on 1 January is still 31 December in New York.
    await t.db.insert(practice).values({ legalName: 'Test Practice', tin: '123456789', billingNpi: '1234567893', timeZone: 'America/New_York' });
    const run = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS122', '--detail', '--json'], { database: t.handle });
    const row = run.json().rows.find((r: any) => r.sourceIds === charts.a1cNextYear.label);
    expect(row.numer).toBe(false);
    expect(flagsOf('CMS122', charts.visitNewYearLocally)).toMatchObject({ ip: true, numer: true });
    expect(run.json().rows.find((r: any) => r.sourceIds === charts.visitNewYearLocally.label)).toBeUndefined();
    expect(flagsOf('CMS165', charts.bpHighOnNewYearsEveLocally)).toMatchObject({ den: true, numer: true });
    const bp = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS165', '--detail', '--json'], { database: t.handle });
    expect(bp.json().rows.find((r: any) => r.sourceIds === charts.bpHighOnNewYearsEveLocally.label)).toMatchObject({ den: true, numer: false });
    await t.db.delete(practice);
  });

  it('prints a summary table with the inverse measure marked, and rates per stratum', async () => {
    const run = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS122,CMS125'], { database: t.handle });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('CMS122 (lower is better)');
    expect(run.stdout).toContain('Age 52-74');
    expect(run.stderr).toBe('');
  });

  it('lists care gaps: denominator patients not (yet) meeting the measure', async () => {
    const run = await runCli(['report', 'care-gaps', '--measure', 'CMS125', '--period', '2026', '--json'], { database: t.handle });
    expect(run.code).toBe(0);
    const mrns = run.json().gaps.map((g: any) => g.mrn);
    expect(mrns).toContain(charts.mammoDayBefore.mrn);
    expect(mrns).not.toContain(charts.mammoFirstDay.mrn);
    const inverse = await runCli(['report', 'care-gaps', '--measure', 'CMS122', '--period', '2026', '--json'], { database: t.handle });
    const gaps = inverse.json().gaps.map((g: any) => g.mrn);
    expect(gaps).toContain(charts.a1c91.mrn);
    expect(gaps).not.toContain(charts.a1c9.mrn);
    expect(gaps).not.toContain(charts.a1cExcluded.mrn);
  });

  it('HEDIS-style GSD reports two rates, < 8% and > 9% (lower is better)', async () => {
    const run = await runCli(['report', 'quality', '--period', '2026', '--program', 'hedis', '--measures', 'GSD', '--detail', '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    const flag = (chart: Chart, group: string) => run.json().rows.find((r: any) => r.sourceIds === chart.label && r.group === group)?.numer;
    expect(flag(charts.a1cLatestWins, 'GSD_LT8')).toBe(true);
    expect(flag(charts.a1c9, 'GSD_LT8')).toBe(false);
    expect(flag(charts.a1c9, 'GSD_GT9')).toBe(false);
    expect(flag(charts.a1c91, 'GSD_GT9')).toBe(true);
    const summary = await runCli(['report', 'quality', '--period', '2026', '--program', 'hedis', '--measures', 'GSD'], { database: t.handle });
    expect(summary.stdout).toContain('GSD (lower is better)');
  });

  it('refuses a period or measure it does not know, with exit 2', async () => {
    const bad = await runCli(['report', 'quality', '--period', '2026-13-01..2026-12-31'], { database: t.handle });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a reporting period');
    const unknown = await runCli(['report', 'quality', '--period', '2026', '--measures', 'CMS999'], { database: t.handle });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('CMS999');
    const year = await runCli(['report', 'quality', '--period', '2019'], { database: t.handle });
    expect(year.code).toBe(2);
    expect(year.stderr).toContain('2026');
  });
});
