// What bench/run.ts runs and how it puts the benches' figures together: plain data and pure functions, so a
// test can check the plan, the children's environment and the JSON shape without running a bench.

export type BenchSize = 'quick' | 'small' | 'full';
export type BenchName = 'import' | 'claims' | 'fhir' | 'quality' | 'productivity' | 'recall' | 'startup' | 'crossCheck';

/** Rows (or patients) per bench at each size; the targets (issue #21) are stated at the full sizes. */
export const benchSizes: Record<BenchSize, Record<BenchName | 'labs', number>> = {
  quick: { import: 20_000, labs: 50_000, claims: 5_000, fhir: 2_000, quality: 2_000, productivity: 1_000, recall: 5_000, startup: 500, crossCheck: 100 },
  small: { import: 200_000, labs: 500_000, claims: 50_000, fhir: 20_000, quality: 20_000, productivity: 10_000, recall: 50_000, startup: 2_000, crossCheck: 400 },
  full: { import: 1_000_000, labs: 1_000_000, claims: 50_000, fhir: 100_000, quality: 100_000, productivity: 100_000, recall: 100_000, startup: 2_000, crossCheck: 1_000 },
};

export interface BenchPlan {
  name: BenchName;
  script: string;
  args: string[];
  /**
   * Where the child finds its scratch database: the CLI reads DATABASE_URL (bench/import runs the built CLI),
   * the bench scripts that call domain code read BENCH_DATABASE_URL; 'none' runs on the embedded database
   * in a temporary folder (bench/startup measures exactly that).
   */
  database: 'DATABASE_URL' | 'BENCH_DATABASE_URL' | 'none';
}

export function benchPlan(size: BenchSize): BenchPlan[] {
  const n = benchSizes[size];
  return [
    { name: 'import', script: 'bench/import.ts', args: ['--patients', String(n.import), '--observations', String(n.labs)], database: 'DATABASE_URL' },
    { name: 'claims', script: 'bench/claims.ts', args: [String(n.claims)], database: 'BENCH_DATABASE_URL' },
    { name: 'fhir', script: 'bench/fhir.ts', args: [String(n.fhir)], database: 'BENCH_DATABASE_URL' },
    // Three sampled patients give the per-patient baseline without dominating the run.
    { name: 'quality', script: 'bench/quality.ts', args: [String(n.quality), '3'], database: 'BENCH_DATABASE_URL' },
    { name: 'productivity', script: 'bench/productivity.ts', args: [String(n.productivity)], database: 'BENCH_DATABASE_URL' },
    { name: 'recall', script: 'bench/recall.ts', args: [String(n.recall)], database: 'BENCH_DATABASE_URL' },
    { name: 'startup', script: 'bench/startup.ts', args: [String(n.startup)], database: 'none' },
    { name: 'crossCheck', script: 'bench/cross-check.ts', args: [String(n.crossCheck)], database: 'BENCH_DATABASE_URL' },
  ];
}

/** Variables that choose a database: a child gets only the one its plan names, never one inherited from the shell. */
const databaseVariables = ['DATABASE_URL', 'BENCH_DATABASE_URL', 'TEST_DATABASE_URL', 'PRACTICE_DATA_DIR', 'PRACTICE_NAME'];

export function childEnv(plan: BenchPlan, scratchUrl: string | null, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const child: NodeJS.ProcessEnv = { ...env, BENCH_JSON: '1' };
  for (const name of databaseVariables) delete child[name];
  if (plan.database !== 'none') {
    if (!scratchUrl) throw new Error(`${plan.script} needs a scratch database URL`);
    child[plan.database] = scratchUrl;
  }
  return child;
}

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  loadBefore: number[];
  loadAfter: number[];
  node: string;
  size: BenchSize;
}

export type Figures = Partial<Record<BenchName, Record<string, unknown>>>;

/** The headline ratios, each a figure over its baseline measured in the same run; null when the bench gave none. */
export interface Ratios {
  /** Import rows/s over the COPY + upsert floor's rows/s (target >= 0.70). */
  importPatientsVsFloor: number | null;
  importLabsVsFloor: number | null;
  /** Claims build + check + export time over a bare read of the same rows (target <= 3). */
  claimsVsBareRead: number | null;
  /** 835 posting time over the same bare read. */
  claimsPostingVsBareRead: number | null;
  /** FHIR bulk export time over COPY TO of the same tables (target <= 3). */
  fhirExportVsCopy: number | null;
  /** The per-patient evaluation, extrapolated, over the set-based measures (target >= 100). */
  qualityPerPatientVsSetBased: number | null;
  /** The productivity report over one plain SQL query of the same figures (target < 2). */
  productivityVsBareQuery: number | null;
  /** A compiled recall rule's due set over the same set written by hand. */
  recallRuleVsBareQuery: number | null;
  /** recall list over a bare SQL read of the same open recalls. */
  recallListVsBareQuery: number | null;
  /** practice --help over a bare node process start. */
  startupHelpVsNode: number | null;
  /** The official engine (cql-execution over our FHIR export) over our SQL, same measures and patients. */
  crossCheckEngineVsSql: number | null;
}

export interface BenchResults {
  ratios: Ratios;
  figures: Figures;
  machine: Machine;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function composeResults(figures: Figures, machine: Machine): BenchResults {
  const ratios: Ratios = {
    importPatientsVsFloor: num(figures.import?.patientsVsFloor),
    importLabsVsFloor: num(figures.import?.labsVsFloor),
    claimsVsBareRead: num(figures.claims?.claimsVsBareRead),
    claimsPostingVsBareRead: num(figures.claims?.postingVsBareRead),
    fhirExportVsCopy: num(figures.fhir?.exportVsCopy),
    qualityPerPatientVsSetBased: num(figures.quality?.perPatientVsSetBased),
    productivityVsBareQuery: num(figures.productivity?.reportVsBareQuery),
    recallRuleVsBareQuery: num(figures.recall?.ruleVsBareQuery),
    recallListVsBareQuery: num(figures.recall?.listVsBareQuery),
    startupHelpVsNode: num(figures.startup?.helpVsNode),
    crossCheckEngineVsSql: num(figures.crossCheck?.engineVsSql),
  };
  return { ratios, figures, machine };
}

const show = (v: number | null, unit = '') => (v === null ? 'n/a' : `${v}${unit}`);

/** The human-readable table `npm run bench` prints without --json. */
export function renderTable(results: BenchResults): string {
  const { ratios: r, figures: f, machine: m } = results;
  const n = benchSizes[m.size];
  const rows: [string, string, string][] = [
    ['import patients vs the COPY + upsert floor', show(r.importPatientsVsFloor), '>= 0.70'],
    ['import lab results vs the floor', show(r.importLabsVsFloor), '>= 0.70'],
    ['claims build + check + export vs a bare read', show(r.claimsVsBareRead, 'x'), '<= 3x'],
    ['835 posting vs a bare read', show(r.claimsPostingVsBareRead, 'x'), 'comparable'],
    ['FHIR bulk export vs COPY TO', show(r.fhirExportVsCopy, 'x'), '<= 3x'],
    [`8 quality measures, ${n.quality.toLocaleString('en-US')} patients`, show(num(f.quality?.qualitySeconds), ' s'), '< 60 s at 1,000,000'],
    ['  per-patient evaluation vs set-based', show(r.qualityPerPatientVsSetBased, 'x'), '>= 100x'],
    [`demo, ${n.quality.toLocaleString('en-US')} patients`, show(num(f.quality?.demoSeconds), ' s'), '< 120 s at 100,000'],
    ['productivity report vs one plain query', show(r.productivityVsBareQuery, 'x'), '< 2x'],
    ['recall rule due set vs hand-written SQL', show(r.recallRuleVsBareQuery, 'x'), ''],
    ['recall list vs a bare read', show(r.recallListVsBareQuery, 'x'), ''],
    ['practice --help vs node -e 0', show(r.startupHelpVsNode, 'x'), ''],
    ['cql-execution vs our SQL (cross-check)', show(r.crossCheckEngineVsSql, 'x'), `${show(num(f.crossCheck?.disagreements))} disagreements`],
  ];
  const width = Math.max(...rows.map((row) => row[0].length));
  const lines = [`${'figure'.padEnd(width)}  ${'measured'.padStart(10)}  target`];
  for (const [label, value, target] of rows) lines.push(`${label.padEnd(width)}  ${value.padStart(10)}  ${target}`.trimEnd());
  lines.push('', `${m.cores} cores (${m.cpu}), load ${m.loadBefore.join(' ')} before and ${m.loadAfter.join(' ')} after; ${m.size} sizes`);
  return `${lines.join('\n')}\n`;
}
