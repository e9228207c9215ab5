import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog, valueSetYears } from '../../src/db/schema/index.js';
import { writeMonthlyPack } from '../../src/reports/monthly/render.js';
import { neutralizeCell, numberFormats } from '../../src/reports/format.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { pdfPages } from '../helpers/pdf-text.js';
import { NPI_A, NPI_B, PRACTICE_NAME, seedScenario } from './scenario.js';



const SHARED = resolve('fixtures', 'rvu-2025');
const CMS_2026 = resolve('fixtures', 'rvu', 'pprrvu-2026-cms-layout.csv');
const GPCI_CMS_2026 = resolve('fixtures', 'rvu', 'gpci-cms-layout.csv');
const MONTH = ['report', 'productivity', '--month', '2026-01'];

describe('report formatting', () => {
  it('neutralises spreadsheet formulas in text cells, not in numbers', () => {
    expect(['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx', 'plain', -12.5].map(neutralizeCell)).toEqual([
      "'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "'\rx", 'plain', '-12.5',
    ]);
  });

  it('formats figures in the given locale', () => {
    const de = numberFormats('de-DE');
    expect(de.decimal(1234.5)).toBe('1.234,50');
    expect(de.change(110, 100)).toMatch(/^\+10,0\s%$/);
    expect(numberFormats('en-US').money(123456)).toBe('$1,234.56');
  });
});

describeEachBackend('productivity and the monthly pack', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-productivity-'));
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { database: t.handle, env, now: new Date('2026-02-01T12:00:00Z') });

  beforeAll(async () => {
    await seedScenario(t.db);
    expect((await cli(['rvu', 'load', join(SHARED, 'pprrvu-2025d-office-subset.csv'), '--year', '2025', '--conversion-factor', '32.3465'])).code).toBe(0);
    expect((await cli(['rvu', 'load', CMS_2026, '--year', '2026'])).code).toBe(0);
  });

  it('computes RVUs per provider by the year of service, with modifiers, units, place of service and missing codes', async () => {
    const run = await cli(['--json', ...MONTH]);
    expect(run.code, run.stderr).toBe(0);
    const report = run.json();
    expect(report.groups.map((g: { label: string }) => g.label)).toEqual(['Alvarez, Ada MD', 'Brooks, Ben DO', '(no provider)']);
    const [a, b, none] = report.groups;
    // A, January 2026 (2026 RVUs): 99213 1.30/2.85; 20610-50 x1.5 1.185/3.21; 20610-51 3 units x0.5 1.185/3.21;
    // 71046-26 at POS 22 (facility PE) 0.22/0.32; 36415 status X 0; G0439 has no 2026 RVU; the void 99214 is left out.
    expect(a.npi).toBe(NPI_A);
    expect(a.periods.month).toMatchObject({ workRvu: 3.89, totalRvu: 9.59, paymentEstimateCents: 32032, chargeLines: 6, units: 8, chargesCents: 59000, missingRvuLines: 1 });
    // B: 99214 at the hospital location (facility) 1.92/2.84; 71046-TC at the office 0/0.72.
    expect(b.periods.month).toMatchObject({ workRvu: 1.92, totalRvu: 3.56, paymentEstimateCents: 11891, chargeLines: 2, chargesCents: 21000 });
    // December 2025 uses 2025 RVUs, 31 December included: 2 x 99213 (1.30/2.75); B 99203 facility 1.60/2.45.
    expect(a.periods.previousMonth).toMatchObject({ workRvu: 2.6, totalRvu: 5.5, paymentEstimateCents: 17790 });
    expect(b.periods.previousMonth).toMatchObject({ workRvu: 1.6, totalRvu: 2.45, paymentEstimateCents: 7925 });
    expect(a.periods.sameMonthLastYear).toMatchObject({ workRvu: 1.92, totalRvu: 3.87 });
    expect(a.periods.yearToDate).toMatchObject({ workRvu: 3.89, totalRvu: 9.59 });
    expect(report.totals.month).toMatchObject({ workRvu: 5.81, totalRvu: 13.15, paymentEstimateCents: 43923, chargeLines: 8, chargesCents: 80000 });

    // Visits: A 3 finished (1 new), 2 patients, 75 minutes; the cancelled one is not counted. B's visit at
    // 22:00 on 31 January New York time counts in January, 40 minutes from its start and end.
    expect(a.periods.month).toMatchObject({ visits: 3, newPatientVisits: 1, establishedPatientVisits: 2, patientsSeen: 2, totalMinutes: 75, averageMinutesPerPatient: 37.5 });
    expect(b.periods.month).toMatchObject({ visits: 1, patientsSeen: 1, totalMinutes: 40, averageMinutesPerPatient: 40 });
    expect(a.periods.month).toMatchObject({ keptAppointments: 3, noShows: 1, noShowRate: 0.25 });
    expect(report.totals.month).toMatchObject({ visits: 4, patientsSeen: 3, noShowRate: 0.2 });
    // Money: the payer paid 50.00 on A's claim, CO-45 wrote off 20.00 (PR-1 is not a write-off);
    // the patient's 10.00 without a claim has no provider.
    expect(a.periods.month).toMatchObject({ paymentsCents: 5000, adjustmentsCents: 2000, collectionRate: 0.0877 });
    expect(none.periods.month).toMatchObject({ paymentsCents: 1000, chargeLines: 0, collectionRate: null });
    expect(report.totals.month).toMatchObject({ paymentsCents: 6000, adjustmentsCents: 2000, collectionRate: 0.0769 });

    expect(report.missingRvus).toEqual([{ code: 'G0439', modifier: '', year: 2026, chargeLines: 1, units: 1 }]);
    expect(report.statusCodes).toEqual([
      { status: 'A', meaning: 'active, paid under the fee schedule', chargeLines: 6, units: 8, workRvu: 5.81 },
      { status: 'X', meaning: 'statutory exclusion, paid on another fee schedule', chargeLines: 1, units: 1, workRvu: 0 },
      { status: 'missing', meaning: 'no RVU loaded for this code and year', chargeLines: 1, units: 1, workRvu: 0 },
    ]);
    expect(report.notes.join(' ')).toMatch(/1 charge line\(s\) have no RVU for their year \(2026\)/);
  });

  it('groups by code and by location, and filters one provider', async () => {
    const byCode = (await cli(['--json', ...MONTH, '--by', 'cpt'])).json();
    const code = (c: string) => byCode.groups.find((g: { key: string }) => g.key === c)?.periods.month;
    expect(code('20610')).toMatchObject({ workRvu: 2.37, totalRvu: 6.42, units: 4, visits: null });
    expect(code('G0439')).toMatchObject({ workRvu: 0, missingRvuLines: 1 });
    expect(byCode.totals.month.visits).toBe(4);

    const byLocation = (await cli(['--json', ...MONTH, '--by', 'location'])).json();
    const hospital = byLocation.groups.find((g: { label: string }) => g.label === '=HOSPITAL OUTPATIENT (HOPD)');
    expect(hospital.periods.month).toMatchObject({ workRvu: 1.92, totalRvu: 2.84, visits: 1 });

    const onlyB = (await cli(['--json', ...MONTH, '--provider', NPI_B])).json();
    expect(onlyB.groups).toHaveLength(1);
    expect(onlyB.totals.month).toMatchObject({ workRvu: 1.92, visits: 1, paymentsCents: 0 });
    expect(onlyB.missingRvus).toEqual([]);
  });

  it('says plainly what is wrong with the options', async () => {
    const month = await cli(['report', 'productivity', '--month', '2026-13']);
    expect(month.code).toBe(2);
    expect(month.stderr).toContain('--month must be a month such as 2026-10, not "2026-13".');
    const npi = await cli([...MONTH, '--provider', '1999999992']);
    expect(npi.code).toBe(1);
    expect(npi.stderr).toContain('The provider with NPI 1999999992 was not found.');
    expect((await cli([...MONTH, '--by', 'payer'])).code).toBe(2);
    const pdf = await cli([...MONTH, '--format', 'pdf']);
    expect(pdf.code).toBe(2);
    expect(pdf.stderr).toContain('A PDF needs a file: add --out report.pdf.');
  });

  it('prints a locale-formatted table, and machine-neutral, formula-safe CSV to a private file', async () => {
    const table = await cli(MONTH, { LANG: 'de_DE.UTF-8' });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Maple Street Family Medicine (test): productivity for January 2026');
    expect(table.stdout).toMatch(/Alvarez, Ada MD.*3,89.*\+49,6\s%/);
    expect(table.stdout).toContain('G0439');
    expect(table.stderr).toBe('');

    const out = join(dir, 'by-location.csv');
    const csv = await cli([...MONTH, '--by', 'location', '--format', 'csv', '--out', out], { LANG: 'de_DE.UTF-8' });
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(`Wrote the productivity report for 2026-01 to ${out}.\n`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^group_by,group_key,group_label,npi,period,period_start,period_end,work_rvu,total_rvu,payment_estimate,/);
    expect(lines.find((l) => l.includes('HOSPITAL') && l.includes(',month,'))).toMatch(/^location,\d+,'=HOSPITAL OUTPATIENT \(HOPD\),,month,2026-01-01,2026-02-01,1.92,2.84,94.86,1,1,0,1,0,1,1,40,40,/);
    expect(lines.find((l) => l.startsWith('location,total,Practice total,,month,'))).toContain(',5.81,13.15,439.23,8,10,1,');
  });

  it('estimates payment with the chosen locality GPCIs, and leaves a year without GPCIs unpriced', async () => {
    expect((await cli(['rvu', 'gpci', join(SHARED, 'gpci-2025.csv'), '--year', '2025', '--state', 'NY', '--locality', '01'])).code).toBe(0);
    let report = (await cli(['--json', ...MONTH])).json();
    // Manhattan 2025: 99213 office (1.30x1.065 + 1.35x1.166 + 0.10x1.656) x 32.3465 = $101.06, twice;
    // 99203 at the hospital (1.60x1.065 + 0.69x1.166 + 0.16x1.656) x 32.3465 = $89.71.
    expect(report.groups[0].periods.previousMonth.paymentEstimateCents).toBe(20212);
    expect(report.groups[1].periods.previousMonth.paymentEstimateCents).toBe(8971);
    expect(report.totals.month.paymentEstimateCents).toBeNull();
    expect(report.notes.join(' ')).toContain('No conversion factor or GPCI for this year');

    expect((await cli(['rvu', 'gpci', GPCI_CMS_2026, '--year', '2026'])).code).toBe(0);
    report = (await cli(['--json', ...MONTH, '--by', 'cpt'])).json();
    // 2026: 99213 office (1.30x1.065 + 1.46x1.166 + 0.09x1.656) x 33.4009 = $108.08.
    expect(report.groups.find((g: { key: string }) => g.key === '99213').periods.month.paymentEstimateCents).toBe(10808);
  });

  it('renders the productivity PDF with the figures, practice name, period and page numbers', async () => {
    const out = join(dir, 'productivity.pdf');
    const run = await cli([...MONTH, '--format', 'pdf', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const pages = await pdfPages(readFileSync(out));
    const text = pages.join('\n');
    expect(text).toContain('Work RVUs per provider, January 2026');
    expect(text).toMatch(/Alvarez, Ada MD 3\.89/);
    expect(text).toContain('Work RVUs per month, last 12 months');
    expect(text).toContain('G0439');
    pages.forEach((page, i) => {
      expect(page).toContain(PRACTICE_NAME);
      expect(page).toContain('January 2026');
      expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
    });
  });

  it('builds the monthly pack: productivity, quality availability, recalls, AR aging and denials', async () => {
    const run = await cli(['--json', 'report', 'monthly', '--month', '2026-01']);
    expect(run.code, run.stderr).toBe(0);
    const pack = run.json();
    expect(pack.productivity.totals.month.workRvu).toBe(5.81);
    expect(pack.trend).toHaveLength(12);
    expect(pack.trend.slice(-2)).toMatchObject([{ month: '2025-12', workRvu: 4.2 }, { month: '2026-01', workRvu: 5.81 }]);
    expect(pack.trend[0]).toMatchObject({ month: '2025-02', workRvu: 0 });
    // The 2026 value sets bundled with the toolkit were loaded on first use: rates without a command.
    expect(pack.qualityNote).toBeNull();
    expect(pack.quality.rates.length).toBeGreaterThanOrEqual(8);
    expect(pack.productivity.notes).toContain('RVU source: 2026 charges: RVUs from the 2026 fee schedule, file pprrvu-2026-cms-layout.csv.');
    expect(pack.recall).toEqual({ opened: 1, closed: 1, openNow: 1, overdueAtMonthEnd: 1, reminders: [
      { channel: 'email', sent: 2, recallsSent: 2, failed: 0, skipped: 0, pending: 0 },
      { channel: 'sms', sent: 0, recallsSent: 0, failed: 1, skipped: 0, pending: 0 },
    ] });
    // Aged at 31 January from the day each claim was sent: 25 days (590.00 - 50.00 paid - 20.00 written
    // off - 5.00 patient share), 60 days (80.00), 133 days (100.00, denied CO-50).
    expect(pack.claims).toMatchObject({ submitted: 1, decided: 2, denied: 1, denialRate: 0.5, deniedCents: 10000, openBalanceCents: 69500 });
    expect(pack.claims.aging).toEqual([
      { bucket: '0-30', claims: 1, balanceCents: 51500 },
      { bucket: '31-60', claims: 1, balanceCents: 8000 },
      { bucket: '61-90', claims: 0, balanceCents: 0 },
      { bucket: '91-120', claims: 0, balanceCents: 0 },
      { bucket: '120+', claims: 1, balanceCents: 10000 },
    ]);
    expect(pack.claims.topDenialReasons).toEqual([{ groupCode: 'CO', carcCode: '50', meaning: 'not medically necessary', claims: 1, amountCents: 10000 }]);
  });

  it('says so when recall tracking began in the month, since its first run opens the whole list', async () => {
    // The scenario's first recall was opened on 3 November 2025; January's pack has none of this.
    const first = (await cli(['--json', 'report', 'monthly', '--month', '2025-11'])).json();
    expect(first.recall).toMatchObject({ opened: 1, trackingBegan: '2025-11-03' });
    expect((await cli(['--json', 'report', 'monthly', '--month', '2026-01'])).json().recall.trackingBegan).toBeUndefined();
    const out = join(dir, 'first-recall-month.pdf');
    expect((await cli(['report', 'monthly', '--month', '2025-11', '--format', 'pdf', '--out', out])).code).toBe(0);
    expect((await pdfPages(readFileSync(out))).join(' ')).toContain('Recall tracking began on 2025-11-03: the recalls found by its first run count as opened this month.');
  });

  it('writes the monthly pack PDF with every section and the period on every page', async () => {
    const out = join(dir, 'pack.pdf');
    const run = await cli(['report', 'monthly', '--month', '2026-01', '--format', 'pdf', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`Wrote the monthly pack for 2026-01 to ${out}.\n`);
    const pages = await pdfPages(readFileSync(out));
    const text = pages.join('\n');
    for (const section of ['Productivity', 'Quality measures', 'Recall activity', 'Claims and accounts receivable', 'Top denial reasons']) {
      expect(text).toContain(section);
    }
    expect(text).toContain('CO-50 not medically necessary');
    expect(text).toMatch(/0-30 1 \$515\.00/);
    expect(text).toMatch(/120\+ 1 \$100\.00/);
    expect(text).toMatch(/Denial rate 50\.0%/);
    pages.forEach((page, i) => {
      expect(page).toContain(`${PRACTICE_NAME} - January 2026`);
      expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
    });

    const csv = await cli(['report', 'monthly', '--month', '2026-01', '--format', 'csv']);
    expect(csv.stdout).toContain('2026-01,ar aging,0-30,balanceCents,51500');
    expect(csv.stdout).toContain('2026-01,missing RVUs,G0439,chargeLines,1');
  });

  it('exports writeMonthlyPack for practice demo', async () => {
    const out = join(dir, 'demo-pack.pdf');
    const result = await writeMonthlyPack(t.db, { month: '2026-01', out, now: new Date('2026-02-01T12:00:00Z') });
    expect(result.file).toBe(out);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect((await pdfPages(readFileSync(out))).join(' ')).toContain('Monthly report: January 2026');
  });

  it('computes quality rates from the value sets bundled for 2026, loaded once on first use', async () => {
    const pack = (await cli(['--json', 'report', 'monthly', '--month', '2026-01'])).json();
    expect(pack.qualityNote).toBeNull();
    expect(pack.quality).toMatchObject({ from: '2026-01-01', to: '2026-01-31' });
    const cms122 = pack.quality.rates.find((r: { measure: string }) => r.measure.startsWith('CMS122'));
    // No patient of the scenario has diabetes: nobody is eligible, and the rate is absent rather than 0.
    expect(cms122).toMatchObject({ inverse: true, eligible: 0, rate: null });
    const years = await t.db.selectDistinct({ year: valueSetYears.performanceYear }).from(valueSetYears);
    expect(years).toEqual([{ year: 2026 }]);
    const loads = await t.db.select().from(auditLog).where(eq(auditLog.entity, 'value_sets'));
    expect(loads.map((l) => l.actor)).toEqual(['practicekit']);
  });
});
