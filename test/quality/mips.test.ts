// The MIPS quality estimate (practice report mips) against a score worked out by hand from the CMS rules.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { CodeSystem } from '../../src/codes/systems.js';
import { npiCheckDigit } from '../../src/codes/npi.js';
import { providers } from '../../src/db/schema/index.js';
import type { QualityReport } from '../../src/measures/run.js';
import { MIPS_2026_ECQM_BENCHMARKS } from '../../src/reports/quality/benchmarks.js';
import { achievementPoints, estimateMips } from '../../src/reports/mips/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { pdfPages } from '../helpers/pdf-text.js';
import { Chart, VALUESETS } from './charts.js';

// 25 men of 56 with diabetes, one office visit each in 2026: 5 with a last HbA1c above 9 %, 20 at 7 %.
const diabetics = Array.from({ length: 25 }, (_, i) =>
  new Chart(`diabetic ${i + 1}`, '1970-06-15', 'male').visit('2026-03-10', '99213', [CodeSystem.icd10cm, 'E11.9']).result('2026-05-01', '4548-4', i < 5 ? 10 : 7),
);
const npi = (i: number) => `1999800${String(i).padStart(2, '0')}` + npiCheckDigit(`1999800${String(i).padStart(2, '0')}`);

// The hand computation, from the CMS 2026 eCQM benchmarks (src/reports/quality/benchmarks.ts) and the
// scoring rules (src/reports/mips/query.ts):
//
// What the practice's report holds (checked first below):
//   CMS122 (Q001, inverse): 25 cases, 5 in the numerator: rate 20 %.
//   CMS130 (Q113): 25 cases (all 56, an office visit), none screened: rate 0 %. No 2026 eCQM benchmark.
//   CMS2 (Q134): 25 cases (12+, an office visit), none screened: rate 0 %.
//   CMS69 (Q128): 25 cases (18+, an office visit), no BMI: rate 0 %.
//   CMS125, CMS138, CMS165, CMS117: no eligible patients (men; one ordinary visit; no hypertension; no children).
//
// CMS122: percentiles 12.5, 17.18, 20.86, 24.85, 29.525, 36.72, 49.53, 71.68, 93.98 (inverse: a rate at or
//   below a percentile reaches it). 20 % is at or below the seven from 20.86 up: decile 1 + 7 = 8, which
//   runs from 20.86 % down to 17.18 %. Partial points: (20.86 - 20) / (20.86 - 17.18) = 0.86 / 3.68
//   = 0.233696. Points 8.233696.
//   Next decile (9) starts at 17.18 %: 5 - n <= 0.1718 x 25 = 4.295, so n = 1 gap: 4/25 = 16 %, in
//   decile 9 (from 17.18 % down to 12.5 %): 9 + (17.18 - 16) / (17.18 - 12.5) = 9 + 1.18 / 4.68 = 9.252137.
// CMS2: percentiles from 2.7: 0 % is below the first, decile 1 (0 % to 2.7 %): 1 + 0 / 2.7 = 1 point.
//   Next decile: 0 + n >= 0.027 x 25 = 0.675, n = 1: 4 %, decile 2 (2.7 % to 11.42 %):
//   2 + (4 - 2.7) / (11.42 - 2.7) = 2 + 1.3 / 8.72 = 2.149083.
// CMS69: percentiles from 31.26: decile 1, 1 + 0 / 31.26 = 1 point.
// CMS130: no benchmark: 0 points for a practice of 16 clinicians, 3 for a small practice (15 or fewer).
//
// Category, 16 clinicians: the six best including an outcome measure (CMS122), of which there are four:
//   8.233696 + 1 + 1 + 0 = 10.233696 of 60 = 17.05616 %; x 30 % = 5.116848 final-score points.
//   Closing the one CMS122 gap: (9.252137 - 8.233696) / 60 = +1.697402 category points;
//   the one CMS2 gap: (2.149083 - 1) / 60 = +1.915138.
// Small practice (3 clinicians): CMS130 earns 3, plus the 6-point bonus:
//   8.233696 + 1 + 1 + 3 + 6 = 19.233696 of 60 = 32.05616 %.
const HAND = {
  cms122: { decile: 8, points: 8 + 0.86 / 3.68, next: { gaps: 1, points: 9 + 1.18 / 4.68 } },
  cms2: { decile: 1, points: 1, next: { gaps: 1, points: 2 + 1.3 / 8.72 } },
  cms69: { decile: 1, points: 1 },
  large: { points: 8 + 0.86 / 3.68 + 2, percent: ((8 + 0.86 / 3.68 + 2) / 60) * 100 },
  small: { percent: ((8 + 0.86 / 3.68 + 2 + 3 + 6) / 60) * 100 },
};

describeEachBackend('report mips: the MIPS quality estimate', (t) => {
  beforeAll(async () => {
    const load = await runCli(['valueset', 'import', VALUESETS], { database: t.handle });
    expect(load.code, load.stderr).toBe(0);
    for (const chart of diabetics) await chart.save(t.db);
  });

  it('reports the counts the hand computation starts from', async () => {
    const run = await runCli(['report', 'quality', '--period', '2026', '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    const overall = (id: string) => run.json().measures.find((m: any) => m.id === id).groups.at(-1).overall;
    expect(overall('CMS122')).toMatchObject({ den: 25, denex: 0, numer: 5, denexcep: 0 });
    for (const id of ['CMS130', 'CMS2', 'CMS69']) expect(overall(id)).toMatchObject({ den: 25, denex: 0, numer: 0, denexcep: 0 });
    for (const id of ['CMS125', 'CMS138', 'CMS165', 'CMS117']) expect(overall(id).den).toBe(0);
  });

  it('scores a practice of 16 clinicians as worked out by hand', async () => {
    await t.db.insert(providers).values(Array.from({ length: 16 }, (_, i) => ({ npi: npi(i), firstName: 'Clin', lastName: `Ician ${i}` })));
    const run = await runCli(['report', 'mips', '--period', '2026', '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    const estimate = run.json();
    const m = (id: string) => estimate.measures.find((x: any) => x.measure === id);
    expect(estimate.smallPractice).toBe(false);
    expect(m('CMS122')).toMatchObject({ cases: 25, decile: HAND.cms122.decile, basis: 'benchmark', gaps: 5, scored: true });
    expect(m('CMS122').points).toBeCloseTo(HAND.cms122.points, 6);
    expect(m('CMS122').nextDecile.gaps).toBe(1);
    expect(m('CMS122').nextDecile.points).toBeCloseTo(HAND.cms122.next.points, 6);
    expect(m('CMS122').nextDecile.categoryGain).toBeCloseTo(((HAND.cms122.next.points - HAND.cms122.points) / 60) * 100, 6);
    expect(m('CMS122').careGaps).toBe('practice report care-gaps --measure CMS122 --period 2026');
    expect(m('CMS2')).toMatchObject({ decile: 1, points: 1, basis: 'benchmark', gaps: 25 });
    expect(m('CMS2').nextDecile.gaps).toBe(HAND.cms2.next.gaps);
    expect(m('CMS2').nextDecile.points).toBeCloseTo(HAND.cms2.next.points, 6);
    expect(m('CMS69')).toMatchObject({ decile: 1, points: 1 });
    expect(m('CMS130')).toMatchObject({ decile: null, points: 0, basis: 'no benchmark' });
    for (const id of ['CMS125', 'CMS138', 'CMS165', 'CMS117']) expect(m(id)).toMatchObject({ basis: 'no eligible patients', points: 0, scored: false });
    expect(estimate.category.points).toBeCloseTo(HAND.large.points, 6);
    expect(estimate.category.bonus).toBe(0);
    expect(estimate.category.percent).toBeCloseTo(HAND.large.percent, 6);
    expect(estimate.category.finalScorePoints).toBeCloseTo(HAND.large.percent * 0.3, 6);

    const table = await runCli(['report', 'mips', '--period', '2026'], { database: t.handle });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('Quality category: 10.23 of 60 points = 17.1%');
    expect(table.stdout).toContain('CMS2: close 1 gap(s) to gain 1.15 points (+1.9 on the category): practice report care-gaps --measure CMS2 --period 2026');
  });

  it('gives a small practice 3 points for a measure without a benchmark and the 6 bonus points', async () => {
    await t.db.update(providers).set({ active: false });
    await t.db.update(providers).set({ active: true }).where(inArray(providers.npi, [npi(0), npi(1), npi(2)]));
    const run = await runCli(['report', 'mips', '--period', '2026', '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    const estimate = run.json();
    expect(estimate).toMatchObject({ smallPractice: true, clinicians: 3 });
    expect(estimate.measures.find((x: any) => x.measure === 'CMS130')).toMatchObject({ points: 3, basis: 'no benchmark' });
    expect(estimate.category.bonus).toBe(6);
    expect(estimate.category.percent).toBeCloseTo(HAND.small.percent, 6);
  });

  it('has a page in the monthly pack', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pk-mips-')), 'pack.pdf');
    const run = await runCli(['report', 'monthly', '--month', '2026-11', '--format', 'pdf', '--out', out], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    const page = (await pdfPages(readFileSync(out))).find((p) => p.includes('MIPS quality estimate'));
    expect(page).toBeDefined();
    expect(page).toContain('Quality category score');
    expect(page).toMatch(/\* CMS122 25 20\.0% 8 8\.23 benchmark close 1 gap\(s\)/);
  });

  it('refuses a provider it does not know', async () => {
    const run = await runCli(['report', 'mips', '--period', '2026', '--provider', '1234567893'], { database: t.handle });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
  });
});


describe('MIPS scoring rules on their own', () => {
  const report = (id: string, counts: { den: number; numer: number }): QualityReport => ({
    period: { start: '2026-01-01', end: '2026-12-31', timeZone: 'UTC' },
    program: 'mips',
    provider: null,
    tin: null,
    measures: [
      {
        id,
        version: id,
        title: id,
        qualityId: id === 'CMS165' ? '236' : '134',
        inverse: false,
        groups: [{ id: 'Group_1', title: '', inverse: false, providers: [], strata: [], overall: { ip: counts.den, den: counts.den, denex: 0, denexcep: 0, numer: counts.numer, rate: counts.numer / counts.den } }],
      },
    ],
  });
  const cms165 = MIPS_2026_ECQM_BENCHMARKS.find((b) => b.measure === 'CMS165')!;

  it('caps a topped-out measure at 7 points', () => {
    // 95/100 = 95 % is past the 90th percentile (84.04): decile 10, 10 points, capped at 7 when topped out.
    const toppedOut = { ...cms165, toppedOut: true };
    const estimate = estimateMips({ report: report('CMS165', { den: 100, numer: 95 }), clinicians: 20, benchmarks: () => toppedOut });
    expect(estimate.measures[0]).toMatchObject({ decile: 10, points: 7, basis: 'topped-out cap' });
  });

  it('gives no points below 20 cases or below 75 % data completeness', () => {
    expect(estimateMips({ report: report('CMS165', { den: 19, numer: 19 }), clinicians: 20 }).measures[0]).toMatchObject({ points: 0, basis: 'below case minimum' });
    expect(estimateMips({ report: report('CMS165', { den: 40, numer: 30 }), clinicians: 20, completeness: { CMS165: 0.7 } }).measures[0]).toMatchObject({ points: 0, basis: 'data completeness below threshold' });
    expect(estimateMips({ report: report('CMS165', { den: 19, numer: 19 }), clinicians: 5 }).measures[0]).toMatchObject({ points: 3, basis: 'below case minimum' });
  });

  it('gives partial points inside a decile', () => {
    // 70 % against 68.98 (decile 6 from the 50th percentile) .. 72 (decile 7): 6 + 1.02 / 3.02.
    expect(achievementPoints(cms165, 0.7)).toEqual({ decile: 6, points: 6 + (70 - 68.98) / (72 - 68.98) });
  });
});
