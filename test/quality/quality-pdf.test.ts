// The quality PDF and JSON: benchmark deciles (inverse measures run the other way), the rate by month
// (year to date), and the rates per provider, on a demo practice with the published value sets.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { QualityReport } from '../../src/measures/run.js';
import { benchmarkDecile, decileOf, findBenchmark, MIPS_2026_ECQM_BENCHMARKS, withBenchmarks } from '../../src/reports/quality/benchmarks.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { pdfPages } from '../helpers/pdf-text.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/ecqm');
const now = new Date('2026-11-28T15:30:00Z');
const counts = (den: number, numer: number) => ({ ip: den, den, denex: 0, numer, denexcep: 0, rate: den ? numer / den : null });

describe('benchmark deciles', () => {
  it('places a direct rate at or above a decile bound in that decile', () => {
    const cms165 = findBenchmark('CMS165', 2026, 'Group_1', 1)!;
    expect(decileOf(cms165, 0.7)).toBe(6); // 68.98 <= 70 < 72
    expect(decileOf(cms165, 0.6898)).toBe(6); // a bound is inclusive
    expect(decileOf(cms165, 0.4)).toBe(1);
    expect(decileOf(cms165, 0.9)).toBe(10);
  });

  it('runs the other way for the inverse CMS122: a lower rate is a higher decile', () => {
    const cms122 = findBenchmark('CMS122', 2026, 'Group_1', 1)!;
    expect(cms122.inverse).toBe(true);
    expect(decileOf(cms122, 0.1)).toBe(10);
    expect(decileOf(cms122, 0.125)).toBe(10);
    expect(decileOf(cms122, 0.3)).toBe(5); // 29.525 < 30 <= 36.72
    expect(decileOf(cms122, 0.95)).toBe(1);
  });

  it('scores only the combined CMS138 rate, has none for CMS125/CMS130, and flags fewer than 20 cases', () => {
    expect(benchmarkDecile('CMS138', 2026, 'Group_1', 3, counts(50, 25))).toBeNull();
    expect(benchmarkDecile('CMS138', 2026, 'Group_3', 3, counts(50, 25))).toMatchObject({ decile: 4, cases: 50, scored: true });
    expect(benchmarkDecile('CMS125', 2026, 'Group_1', 1, counts(50, 25))).toBeNull();
    expect(benchmarkDecile('CMS130', 2026, 'Group_1', 1, counts(50, 25))).toBeNull();
    expect(benchmarkDecile('CMS2', 2026, 'Group_1', 1, counts(19, 19))).toMatchObject({ decile: 10, scored: false });
    expect(benchmarkDecile('CMS2', 2027, 'Group_1', 1, counts(50, 25))).toBeNull();
    expect(benchmarkDecile('CMS2', 2026, 'Group_1', 1, counts(0, 0))).toBeNull();
    for (const b of MIPS_2026_ECQM_BENCHMARKS) expect([...b.percentiles], b.measure).toEqual([...b.percentiles].sort((x, y) => x - y));
  });

  it('adds decile, benchmark and trend to every rate group', () => {
    const group = (id: string, overall: ReturnType<typeof counts>) => ({ id, title: id, inverse: false, overall, providers: [], strata: [] });
    const report: QualityReport = {
      period: { start: '2026-01-01', end: '2026-12-31', timeZone: 'UTC' },
      program: 'mips',
      provider: null,
      tin: null,
      measures: [{ id: 'CMS69', version: 'CMS69v14', title: 'BMI', qualityId: '128', inverse: false, groups: [group('Group_1', counts(40, 36))] }],
    };
    const point = { month: '2026-01', through: '2026-01-31', ...counts(4, 2) };
    const [g] = withBenchmarks(report, [{ measure: 'CMS69', group: 'Group_1', points: [point] }]).measures[0]!.groups;
    expect(g).toMatchObject({ decile: 6, benchmark: { qualityId: '128', collectionType: 'eCQM', cases: 40, scored: true }, trend: [point] });
    expect(withBenchmarks({ ...report, program: 'hedis' }, []).measures[0]!.groups[0]).toMatchObject({ decile: null, benchmark: null, trend: [] });
  });
});

describeEachBackend('quality report PDF and JSON with deciles and trends', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-quality-pdf-'));
  const quality = (...args: string[]) => runCli(['report', 'quality', '--measures', 'CMS122,CMS165', ...args], { database: t.handle, now });
  let year: any;

  beforeAll(async () => {
    const demo = await runCli(['demo', '--patients', '300', '--seed', '5', '--no-pack', '--records-only', '--json'], { database: t.handle, now });
    expect(demo.code, demo.stderr).toBe(0);
    const sets = await runCli(['valueset', 'import', join(FIXTURES, 'valuesets'), join(FIXTURES, 'valuesets-supplement')], { database: t.handle });
    expect(sets.code, sets.stderr).toBe(0);
    const run = await quality('--period', '2026', '--format', 'json');
    expect(run.code, run.stderr).toBe(0);
    year = run.json();
  }, 300_000);

  it('gives each rate its decile and a year-to-date trend that matches the same report run to that month', async () => {
    const cms165 = year.measures.find((m: { id: string }) => m.id === 'CMS165').groups[0];
    const cms122 = year.measures.find((m: { id: string }) => m.id === 'CMS122').groups[0];
    expect(cms165.overall.den).toBeGreaterThan(20);
    expect(cms165.decile).toBe(decileOf(findBenchmark('CMS165', 2026, 'Group_1', 1)!, cms165.overall.rate));
    expect(cms165.benchmark).toMatchObject({ qualityId: '236', inverse: false, scored: true });
    expect(cms122.benchmark).toMatchObject({ qualityId: '001', inverse: true });
    // Up to today (28 November): eleven months, the last one cut at today.
    expect(cms165.trend.map((p: { month: string }) => p.month)).toEqual(Array.from({ length: 11 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`));
    expect(cms165.trend[2].through).toBe('2026-03-31');
    expect(cms165.trend.at(-1).through).toBe('2026-11-28');

    const march = (await quality('--period', '2026-01-01..2026-03-31', '--json')).json();
    const marchCms165 = march.measures.find((m: { id: string }) => m.id === 'CMS165').groups[0].overall;
    expect(marchCms165.den).toBeGreaterThan(0);
    expect(cms165.trend[2]).toEqual({ month: '2026-03', through: '2026-03-31', ...marchCms165 });
  }, 300_000);

  it('draws the cover with deciles, the bars per provider and a page per measure with the months', async () => {
    const cms165 = year.measures.find((m: { id: string }) => m.id === 'CMS165').groups[0];
    const out = join(dir, 'quality.pdf');
    const run = await quality('--period', '2026', '--format', 'pdf', '--out', out);
    expect(run.code, run.stderr).toBe(0);
    const pages = await pdfPages(readFileSync(out));
    const cover = pages[0]!;
    expect(cover).toContain('Demo Family Practice PC (fictional)');
    expect(cover).toContain('CMS122 Diabetes');
    expect(cover).toContain('(lower is better)');
    expect(cover).toContain('Decile');
    const rate = `${(cms165.overall.rate * 100).toFixed(1)}%`;
    expect(cover).toMatch(new RegExp(`CMS165 Controlling High Blood Pressure ${cms165.overall.den} ${cms165.overall.denex} ${cms165.overall.numer} ${cms165.overall.denexcep} ${rate.replace('.', '\\.')} ${cms165.decile}\\b`));
    expect(cover).toContain('Benchmark source: CMS MIPS 2026');

    const providerPage = pages.find((p) => p.includes('Rates per provider'))!;
    for (const name of ['Demowell, Alex', 'Samplefield, Priya', 'Testwood, Jordan', 'Mockley, Sam']) expect(providerPage).toContain(name);
    expect(providerPage).toContain('CMS165');

    const measurePage = pages.filter((p) => p.includes('CMS165 (CMS165v14)')).join(' ');
    expect(measurePage).toContain('Rate by month, year to date');
    const march = cms165.trend[2];
    expect(measurePage).toContain(`Mar 2026 2026-03-31 ${march.ip} ${march.den} ${march.denex} ${march.numer} ${march.denexcep}`);
    expect(measurePage).toContain(`Nov 2026 2026-11-28`);
    expect(measurePage).toContain('Demowell, Alex (');
  }, 300_000);
});
