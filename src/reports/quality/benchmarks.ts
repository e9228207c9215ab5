// MIPS quality benchmarks for our eCQMs, as published by CMS, and the decile a performance rate falls in.
// Data, not code: next year's benchmarks are a new table, not an edit of this one.
//
// Source: CMS QPP benchmark file benchmarks/2026.json in github.com/CMSgov/qpp-measures-data (read at
// commit 42c865a0), submissionMethod "electronicHealthRecord", performance year 2026, built from
// 2024 data. CMS publishes each benchmark as the 10th..90th percentiles of the rates reported in the
// baseline year; those are the bounds of deciles 2..10 (its older "deciles" field said so in as many
// words: "the inclusive lower bounds of deciles 2 through 10"). The file has no eCQM benchmark for
// Q112 (CMS125) or Q113 (CMS130) for 2026, so those measures show no decile.
import type { Counts, GroupResult, GroupTrend, MeasureResult, QualityReport, TrendPoint } from '../../measures/run.js';

export interface QualityBenchmark {
  /** Our measure id (CMS eCQM). */
  measure: string;
  /** MIPS quality ID. */
  qualityId: string;
  performanceYear: number;
  /** The year whose reported rates the benchmark was built from. */
  benchmarkYear: number;
  collectionType: 'eCQM';
  /** For a measure with several rates, the rate group the benchmark scores (CMS138: the combined rate). */
  group?: string;
  /** Lower is better: the deciles run the other way. */
  inverse: boolean;
  /** CMS marks a benchmark topped out when its top deciles repeat 100 % (0 % when inverse). */
  toppedOut: boolean;
  /**
   * Percent rates at the 10th, 20th ... 90th percentile, ascending as CMS lists them. For a direct
   * measure they are the lowest rates of deciles 2..10; for an inverse one the highest rates of
   * deciles 10..2 (a rate at or below the 10th percentile is in decile 10).
   */
  percentiles: readonly [number, number, number, number, number, number, number, number, number];
}

export const BENCHMARK_SOURCE =
  'Benchmark source: CMS MIPS 2026 quality benchmarks (eCQM collection type, built from 2024 data), qpp-measures-data benchmarks/2026.json. ' +
  'Decile N starts at the (N-1)0th percentile; for the inverse measure (CMS122) a lower rate is a higher decile. ' +
  'CMS publishes no 2026 eCQM benchmark for CMS125 (Q112) or CMS130 (Q113): no decile is shown for them. ' +
  'MIPS scores a measure against its benchmark only with 20 or more cases; a decile marked * has fewer.';

/** MIPS scores a rate against the benchmark only from this many cases (performance denominator). */
export const MIN_CASES = 20;

export const MIPS_2026_ECQM_BENCHMARKS: readonly QualityBenchmark[] = [
  { measure: 'CMS122', qualityId: '001', performanceYear: 2026, benchmarkYear: 2024, collectionType: 'eCQM', inverse: true, toppedOut: false, percentiles: [12.5, 17.18, 20.86, 24.85, 29.525, 36.72, 49.53, 71.68, 93.98] },
  { measure: 'CMS165', qualityId: '236', performanceYear: 2026, benchmarkYear: 2024, collectionType: 'eCQM', inverse: false, toppedOut: false, percentiles: [45.28, 55.56, 61.54, 65.61, 68.98, 72, 75, 78.7, 84.04] },
  { measure: 'CMS138', qualityId: '226', performanceYear: 2026, benchmarkYear: 2024, collectionType: 'eCQM', group: 'Group_3', inverse: false, toppedOut: false, percentiles: [19.23, 33.33, 46.58, 61.57, 75.97, 87.41, 94.74, 98.82, 100] },
  { measure: 'CMS2', qualityId: '134', performanceYear: 2026, benchmarkYear: 2024, collectionType: 'eCQM', inverse: false, toppedOut: false, percentiles: [2.7, 11.42, 21.65, 31.79, 42.685, 53.935, 67.48, 80.72, 93.44] },
  { measure: 'CMS69', qualityId: '128', performanceYear: 2026, benchmarkYear: 2024, collectionType: 'eCQM', inverse: false, toppedOut: false, percentiles: [31.26, 38.65, 61.6, 77.91, 85.71, 90.17, 91.5, 94.76, 96.69] },
  { measure: 'CMS117', qualityId: '240', performanceYear: 2026, benchmarkYear: 2024, collectionType: 'eCQM', inverse: false, toppedOut: false, percentiles: [8, 12.93, 16.39, 19.51, 23.065, 27.02, 30.67, 35.14, 43.48] },
];

export interface DecileResult {
  /** 1..10; 10 is the best. */
  decile: number;
  /** Performance denominator (DEN - DEX - DNX) the rate was computed on. */
  cases: number;
  /** False under MIN_CASES: MIPS would not score the rate against the benchmark. */
  scored: boolean;
  benchmark: QualityBenchmark;
}

export function findBenchmark(measure: string, performanceYear: number, group: string, groupCount: number): QualityBenchmark | undefined {
  return MIPS_2026_ECQM_BENCHMARKS.find(
    (b) => b.measure === measure && b.performanceYear === performanceYear && (b.group ? b.group === group : groupCount === 1),
  );
}

/** The decile of a rate (0..1) against a benchmark: a direct rate at or above a bound reaches it; an inverse one at or below. */
export function decileOf(benchmark: Pick<QualityBenchmark, 'inverse' | 'percentiles'>, rate: number): number {
  // Rounded so a rate like 0.6898 meets the bound 68.98 despite binary fractions.
  const percent = Math.round(rate * 1e8) / 1e6;
  const reached = benchmark.percentiles.filter((bound) => (benchmark.inverse ? percent <= bound : percent >= bound)).length;
  return 1 + reached;
}

export function benchmarkDecile(measure: string, performanceYear: number, group: string, groupCount: number, counts: Counts): DecileResult | null {
  const benchmark = findBenchmark(measure, performanceYear, group, groupCount);
  if (!benchmark || counts.rate === null) return null;
  const cases = counts.den - counts.denex - counts.denexcep;
  return { decile: decileOf(benchmark, counts.rate), cases, scored: cases >= MIN_CASES, benchmark };
}

export interface BenchmarkedGroup extends GroupResult {
  /** The benchmark decile of the overall rate; null without a benchmark or a rate. */
  decile: number | null;
  benchmark: (Omit<QualityBenchmark, 'measure' | 'performanceYear'> & { cases: number; scored: boolean }) | null;
  /** Year-to-date counts at the end of each month. */
  trend: TrendPoint[];
}

export interface BenchmarkedReport extends Omit<QualityReport, 'measures'> {
  measures: (Omit<MeasureResult, 'groups'> & { groups: BenchmarkedGroup[] })[];
}

/** The report with each rate group's benchmark decile and monthly trend (for JSON and the PDF). */
export function withBenchmarks(report: QualityReport, trends: GroupTrend[]): BenchmarkedReport {
  const year = Number(report.period.start.slice(0, 4));
  return {
    ...report,
    measures: report.measures.map((m) => ({
      ...m,
      groups: m.groups.map((g) => {
        const found = report.program === 'mips' ? benchmarkDecile(m.id, year, g.id, m.groups.length, g.overall) : null;
        const benchmark = found && (({ measure: _m, performanceYear: _y, ...rest }) => rest)(found.benchmark);
        return {
          ...g,
          decile: found?.decile ?? null,
          benchmark: found && benchmark ? { ...benchmark, cases: found.cases, scored: found.scored } : null,
          trend: trends.find((t) => t.measure === m.id && t.group === g.id)?.points ?? [],
        };
      }),
    })),
  };
}
