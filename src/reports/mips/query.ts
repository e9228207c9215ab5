// The MIPS quality performance category score a practice can expect from its eCQM results, and which
// care gaps are worth closing: the CMS scoring rules for the performance year applied to the report.
//
// Rules (CMS, CY 2026 Physician Fee Schedule final rule, MIPS quality performance category; unchanged in
// substance since the CY 2023 rule): a measure with a benchmark, at least 20 cases and data completeness
// of at least 75 % earns 1 to 10 achievement points by its decile, with partial points for where the
// rate falls inside the decile (linear between the decile's bounds; decile 1 runs from 0 %); decile 10
// earns 10. A measure topped out in its benchmark is capped at 7 points. A measure without a benchmark,
// below the case minimum, or below the data completeness threshold earns 0 points, 3 for a small
// practice (15 or fewer clinicians). The category score is the six best measures' points, one of them
// an outcome or high-priority measure when any was reported, out of 60 (six times 10), plus 6 bonus
// points for a small practice, capped at 100 %; the category is 30 % of the MIPS final score.
// Improvement scoring (up to 10 percentage points against last year's score) needs last year's
// category score, which this estimate does not have: it is left out and said so.
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/query.js';
import type { DbOrTx } from '../../db/types.js';
import { runQuality, type Counts, type QualityQuery, type QualityReport } from '../../measures/run.js';
import { decileOf, findBenchmark, type QualityBenchmark } from '../quality/benchmarks.js';

export interface MipsRules {
  performanceYear: number;
  requiredMeasures: number;
  caseMinimum: number;
  completenessThreshold: number;
  toppedOutCap: number;
  smallPracticeMaxClinicians: number;
  smallPracticeFloor: number;
  smallPracticeBonus: number;
  /** The quality category's share of the MIPS final score (0..1). */
  categoryWeight: number;
}

export const MIPS_2026_RULES: MipsRules = {
  performanceYear: 2026,
  requiredMeasures: 6,
  caseMinimum: 20,
  completenessThreshold: 0.75,
  toppedOutCap: 7,
  smallPracticeMaxClinicians: 15,
  smallPracticeFloor: 3,
  smallPracticeBonus: 6,
  categoryWeight: 0.3,
};

/**
 * Outcome and high-priority measures among ours (QPP measures-data.json, 2026: measureType
 * "intermediateOutcome", highPriority true): one of them must be among the six scored when reported.
 */
export const MIPS_OUTCOME_MEASURES = new Set(['001', '236']);

export type PointsBasis = 'benchmark' | 'topped-out cap' | 'no benchmark' | 'below case minimum' | 'data completeness below threshold' | 'no eligible patients';

export interface GapStep {
  /** Care gaps to close (patients to move into the numerator; out of it for an inverse measure). */
  gaps: number;
  /** The measure's achievement points after closing them. */
  points: number;
  /** What that adds to the quality category score (percentage points, 0..100 scale). */
  categoryGain: number;
}

export interface MeasureScore {
  measure: string;
  qualityId: string;
  title: string;
  group: string;
  inverse: boolean;
  outcome: boolean;
  /** Performance denominator: DEN - DEX - DNX. */
  cases: number;
  numer: number;
  rate: number | null;
  dataCompleteness: number;
  decile: number | null;
  toppedOut: boolean;
  points: number;
  basis: PointsBasis;
  /** Open care gaps: patients not meeting the measure (in the numerator, for an inverse one). */
  gaps: number;
  /** The fewest gaps that reach the next decile, or null when none is in reach. */
  nextDecile: GapStep | null;
  /** Every open gap closed. */
  allGaps: GapStep | null;
  /** Counted among the six scored measures. */
  scored: boolean;
}

export interface CategoryScore {
  /** The scored measures' achievement points. */
  points: number;
  possible: number;
  bonus: number;
  /** Category score, 0..100. */
  percent: number;
  /** Its contribution to the final score (category score x weight), out of weight x 100. */
  finalScorePoints: number;
}

export interface MipsEstimate {
  performanceYear: number;
  period: QualityReport['period'];
  provider: string | null;
  clinicians: number;
  smallPractice: boolean;
  measures: MeasureScore[];
  category: CategoryScore;
  notes: string[];
}

const EPSILON = 1e-9;

/** A rate (0..1) and a benchmark as the direct-measure case: an inverse measure's scale turned over. */
function asDirect(benchmark: Pick<QualityBenchmark, 'inverse' | 'percentiles'>, rate: number): { percent: number; bounds: number[] } {
  const percent = rate * 100;
  if (!benchmark.inverse) return { percent, bounds: [...benchmark.percentiles] };
  return { percent: 100 - percent, bounds: [...benchmark.percentiles].reverse().map((p) => 100 - p) };
}

/** Achievement points 1..10 of a rate against a benchmark: the decile, plus the share of it the rate has passed. */
export function achievementPoints(benchmark: Pick<QualityBenchmark, 'inverse' | 'percentiles'>, rate: number): { decile: number; points: number } {
  const { percent, bounds } = asDirect(benchmark, rate);
  // Decile d (1..10) starts at lows[d-1]: decile 1 at 0 %, decile 2 at the 10th percentile...
  const lows = [0, ...bounds];
  const decile = decileOf(benchmark, rate);
  if (decile === 10) return { decile, points: 10 };
  const low = lows[decile - 1]!;
  const high = lows[decile]!;
  const share = high > low ? Math.min(1, Math.max(0, (percent - low) / (high - low))) : 0;
  return { decile, points: decile + share };
}

/** Points of a measure under the rules, and on what basis. */
function measurePoints(
  benchmark: QualityBenchmark | undefined,
  /** The eligible population (DEN - DEX): a measure without any is not reported. */
  eligible: number,
  cases: number,
  rate: number | null,
  completeness: number,
  rules: MipsRules,
  smallPractice: boolean,
): { decile: number | null; points: number; basis: PointsBasis } {
  const floor = smallPractice ? rules.smallPracticeFloor : 0;
  if (eligible === 0) return { decile: null, points: 0, basis: 'no eligible patients' };
  if (completeness + EPSILON < rules.completenessThreshold) return { decile: null, points: floor, basis: 'data completeness below threshold' };
  if (!benchmark) return { decile: null, points: floor, basis: 'no benchmark' };
  if (cases < rules.caseMinimum || rate === null) return { decile: null, points: floor, basis: 'below case minimum' };
  const { decile, points } = achievementPoints(benchmark, rate);
  if (benchmark.toppedOut && points > rules.toppedOutCap) return { decile, points: rules.toppedOutCap, basis: 'topped-out cap' };
  return { decile, points, basis: 'benchmark' };
}

/** The six best measures (the best outcome measure among them when there is one) and the category score. */
export function categoryScore(measures: Pick<MeasureScore, 'measure' | 'points' | 'outcome'>[], rules: MipsRules, smallPractice: boolean): { category: CategoryScore; scored: Set<string> } {
  const byPoints = [...measures].sort((a, b) => b.points - a.points || a.measure.localeCompare(b.measure));
  const outcome = byPoints.find((m) => m.outcome);
  const chosen = outcome ? [outcome, ...byPoints.filter((m) => m !== outcome).slice(0, rules.requiredMeasures - 1)] : byPoints.slice(0, rules.requiredMeasures);
  const points = chosen.reduce((sum, m) => sum + m.points, 0);
  const possible = rules.requiredMeasures * 10;
  const bonus = smallPractice && measures.length > 0 ? rules.smallPracticeBonus : 0;
  const percent = Math.min(100, ((points + bonus) / possible) * 100);
  return {
    category: { points, possible, bonus, percent, finalScorePoints: percent * rules.categoryWeight },
    scored: new Set(chosen.map((m) => m.measure)),
  };
}

export interface MipsInput {
  report: QualityReport;
  /** Clinicians in the practice (its TIN): 15 or fewer is a small practice. */
  clinicians: number;
  /** Data completeness per measure id (0..1) when not every eligible case is submitted; 1 otherwise. */
  completeness?: Record<string, number>;
  /** Benchmarks to score against; the performance year's CMS file by default. */
  benchmarks?: (measure: string, year: number, group: string, groupCount: number) => QualityBenchmark | undefined;
  rules?: MipsRules;
}

/** Gaps to close so the rate reaches `bound` (percent on the measure's own scale), or null past the open gaps. */
function gapsToReach(bound: number, inverse: boolean, numer: number, cases: number): number | null {
  const needed = inverse ? Math.ceil(numer - (bound / 100) * cases - EPSILON) : Math.ceil((bound / 100) * cases - numer - EPSILON);
  const open = inverse ? numer : cases - numer;
  const n = Math.max(1, needed);
  return n <= open ? n : null;
}

export function estimateMips(input: MipsInput): MipsEstimate {
  const rules = input.rules ?? MIPS_2026_RULES;
  const lookup = input.benchmarks ?? findBenchmark;
  const smallPractice = input.clinicians <= rules.smallPracticeMaxClinicians;
  const year = Number(input.report.period.start.slice(0, 4));
  const base: (Omit<MeasureScore, 'nextDecile' | 'allGaps' | 'scored'> & { benchmark?: QualityBenchmark; counts: Counts })[] = [];
  for (const m of input.report.measures) {
    if (!m.qualityId) continue;
    // A measure with several rates is scored on the one its benchmark names (CMS138: the combined rate).
    const benchmarked = m.groups.find((g) => lookup(m.id, year, g.id, m.groups.length));
    const group = benchmarked ?? m.groups[m.groups.length - 1]!;
    const benchmark = lookup(m.id, year, group.id, m.groups.length);
    const counts = group.overall;
    const cases = counts.den - counts.denex - counts.denexcep;
    const completeness = input.completeness?.[m.id] ?? 1;
    const scored = measurePoints(benchmark, counts.den - counts.denex, cases, counts.rate, completeness, rules, smallPractice);
    base.push({
      measure: m.id,
      qualityId: m.qualityId,
      title: m.title,
      group: group.id,
      inverse: group.inverse,
      outcome: MIPS_OUTCOME_MEASURES.has(m.qualityId),
      cases,
      numer: counts.numer,
      rate: counts.rate,
      dataCompleteness: completeness,
      toppedOut: benchmark?.toppedOut ?? false,
      gaps: group.inverse ? counts.numer : cases - counts.numer,
      ...scored,
      benchmark,
      counts,
    });
  }
  // Only measures with eligible patients can be submitted, and so scored.
  const reportable = (list: typeof base) => list.filter((m) => m.basis !== 'no eligible patients');
  const { category, scored } = categoryScore(reportable(base), rules, smallPractice);
  // What closing gaps on one measure adds to the category, the others as they are.
  const step = (index: number, gaps: number | null): GapStep | null => {
    if (gaps === null || gaps === 0) return null;
    const m = base[index]!;
    const numer = m.inverse ? m.numer - gaps : m.numer + gaps;
    const after = measurePoints(m.benchmark, m.counts.den - m.counts.denex, m.cases, m.cases > 0 ? numer / m.cases : null, m.dataCompleteness, rules, smallPractice);
    const changed = base.map((x, i) => (i === index ? { ...x, points: after.points } : x));
    return { gaps, points: after.points, categoryGain: categoryScore(reportable(changed), rules, smallPractice).category.percent - category.percent };
  };
  const measures: MeasureScore[] = base.map((m, i) => {
    const { benchmark, counts: _counts, ...rest } = m;
    let next: GapStep | null = null;
    if (m.basis === 'benchmark' && m.decile !== null && m.decile < 10 && benchmark) {
      // The next decile's bound on the measure's own scale (ascending percentiles; turned for inverse).
      const bound = m.inverse ? benchmark.percentiles[9 - m.decile]! : benchmark.percentiles[m.decile - 1]!;
      next = step(i, gapsToReach(bound, m.inverse, m.numer, m.cases));
    }
    return { ...rest, nextDecile: next, allGaps: m.basis === 'benchmark' ? step(i, m.gaps) : null, scored: scored.has(m.measure) };
  });
  const notes = [
    `Scored with the CMS rules for ${rules.performanceYear}: ${rules.caseMinimum} cases and ${rules.completenessThreshold * 100}% data completeness for a benchmark score; topped-out measures capped at ${rules.toppedOutCap} points; the ${rules.requiredMeasures} best measures out of ${rules.requiredMeasures * 10} points.`,
    smallPractice
      ? `Small practice (${input.clinicians} clinicians, ${rules.smallPracticeMaxClinicians} or fewer): measures that cannot be scored against a benchmark earn ${rules.smallPracticeFloor} points, and ${rules.smallPracticeBonus} bonus points are added.`
      : `${input.clinicians} clinicians: measures that cannot be scored against a benchmark earn 0 points.`,
    'Data completeness is taken as 100%: an eCQM submission from this record reports every eligible patient (CMS requires 75%).',
    'Improvement scoring (up to 10 more percentage points against last year) is not included: it needs last year\'s category score.',
  ];
  return { performanceYear: year, period: input.report.period, provider: input.report.provider, clinicians: input.clinicians, smallPractice, measures, category, notes };
}

/** The practice's clinicians: its active providers (a small practice has 15 or fewer). */
export async function practiceClinicians(db: DbOrTx): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from providers where active`);
  return Number(row?.n ?? 0);
}

/** The estimate for a quality query: the report's rates, scored. */
export async function mipsReport(db: DbOrTx, query: QualityQuery): Promise<MipsEstimate> {
  const report = await runQuality(db, query);
  return estimateMips({ report, clinicians: await practiceClinicians(db) });
}
