// Runs every ratio benchmark side by side in one run, on one PostgreSQL server, and prints the ratios.
//   npm run bench                      small sizes (minutes)
//   npm run bench -- --quick           smaller still (a few minutes on 2 cores)
//   npm run bench -- --full            the sizes the targets are stated at (an hour or more)
//   npm run bench -- --quick --json    ends with one JSON line: {"ratios": {...}, "figures": {...}, "machine": {...}}
// Uses BENCH_DATABASE_URL (an admin URL: each bench gets a scratch database created and dropped there),
// otherwise starts a throwaway PostgreSQL server as CI does (scripts/pg-server.sh) and stops it after.
// Each bench's own lines go to stderr; the table (or the JSON line) to stdout.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, full: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
});
const root = join(import.meta.dirname, '..');
const size = values.full ? 'full' : values.quick ? 'quick' : 'small';

/** Rows per bench at each size; the targets (issue #21) are stated at the full sizes. */
const sizes = {
  quick: { patients: 20_000, labs: 50_000, claims: 5_000, fhirPatients: 2_000, qualityPatients: 2_000 },
  small: { patients: 200_000, labs: 500_000, claims: 50_000, fhirPatients: 20_000, qualityPatients: 20_000 },
  full: { patients: 1_000_000, labs: 1_000_000, claims: 50_000, fhirPatients: 100_000, qualityPatients: 100_000 },
}[size];

const benches: { name: string; script: string; args: string[]; env: 'DATABASE_URL' | 'BENCH_DATABASE_URL' }[] = [
  { name: 'import', script: 'bench/import.ts', args: ['--patients', String(sizes.patients), '--observations', String(sizes.labs)], env: 'DATABASE_URL' },
  { name: 'claims', script: 'bench/claims.ts', args: [String(sizes.claims)], env: 'BENCH_DATABASE_URL' },
  { name: 'fhir', script: 'bench/fhir.ts', args: [String(sizes.fhirPatients)], env: 'BENCH_DATABASE_URL' },
  { name: 'quality', script: 'bench/quality.ts', args: [String(sizes.qualityPatients), '0'], env: 'BENCH_DATABASE_URL' },
];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The admin URL: BENCH_DATABASE_URL, or a server started here (stopped on exit). */
function serverUrl(): { url: string; stop: () => void } {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, stop: () => undefined };
  const state = `/tmp/practicekit-bench-pg.${process.pid}.state`;
  const env = { ...process.env, PK_PG_STATE: state };
  const started = execFileSync('bash', [join(root, 'scripts/pg-server.sh'), 'start'], { env, encoding: 'utf8' });
  const url = /TEST_DATABASE_URL=(\S+)/.exec(started)?.[1];
  if (!url) throw new Error(`scripts/pg-server.sh printed no URL: ${started}`);
  return { url, stop: () => execFileSync('bash', [join(root, 'scripts/pg-server.sh'), 'stop'], { env, stdio: 'ignore' }) };
}

function databaseUrl(admin: string, name: string): string {
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

async function runBench(bench: (typeof benches)[number], admin: string): Promise<Record<string, unknown>> {
  const name = `bench_${bench.name}_${process.pid}`;
  const sql = postgres(admin, { max: 1, onnotice: () => undefined });
  await sql`create database ${sql(name)}`;
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, bench.script), ...bench.args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_JSON: '1', [bench.env]: databaseUrl(admin, name) },
    });
    let figures: Record<string, unknown> | undefined;
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('BENCH_JSON ')) figures = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, unknown>;
        else log(`  ${line}`);
      }
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0 || !figures) throw new Error(`${bench.script} failed (exit ${code})${figures ? '' : ' and printed no figures'}`);
    return figures;
  } finally {
    await sql`drop database if exists ${sql(name)} with (force)`;
    await sql.end();
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

log(`practicekit benchmarks (${size}): building the CLI first`);
execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const server = serverUrl();
const loadBefore = loadavg();
const figures: Record<string, Record<string, unknown>> = {};
try {
  for (const bench of benches) {
    log(`\n== ${bench.script} ${bench.args.join(' ')}`);
    figures[bench.name] = await runBench(bench, server.url);
  }
} finally {
  server.stop();
}

const ratios = {
  importPatientsVsFloor: num(figures.import?.patientsVsFloor),
  importLabsVsFloor: num(figures.import?.labsVsFloor),
  claimsVsBareRead: num(figures.claims?.claimsVsBareRead),
  fhirExportVsCopy: num(figures.fhir?.exportVsCopy),
};
const machine = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  loadBefore: loadBefore.map((l) => Number(l.toFixed(2))),
  loadAfter: loadavg().map((l) => Number(l.toFixed(2))),
  node: process.version,
  size,
};

if (values.json) {
  process.stdout.write(`${JSON.stringify({ ratios, figures, machine })}\n`);
} else {
  const rows: [string, string, string][] = [
    ['import patients vs the COPY + upsert floor', String(ratios.importPatientsVsFloor ?? 'n/a'), '>= 0.70'],
    ['import lab results vs the floor', String(ratios.importLabsVsFloor ?? 'n/a'), '>= 0.70'],
    ['claims build + check + export vs a bare read', `${ratios.claimsVsBareRead ?? 'n/a'}x`, '<= 3x'],
    ['FHIR bulk export vs COPY TO', `${ratios.fhirExportVsCopy ?? 'n/a'}x`, '<= 3x'],
    [`8 quality measures, ${sizes.qualityPatients.toLocaleString('en-US')} patients`, `${num(figures.quality?.qualitySeconds) ?? 'n/a'} s`, '< 60 s at 1,000,000'],
    [`demo, ${sizes.qualityPatients.toLocaleString('en-US')} patients`, `${num(figures.quality?.demoSeconds) ?? 'n/a'} s`, '< 120 s at 100,000'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`${'figure'.padEnd(width)}  ${'measured'.padStart(10)}  target\n`);
  for (const [label, value, target] of rows) process.stdout.write(`${label.padEnd(width)}  ${value.padStart(10)}  ${target}\n`);
  process.stdout.write(`\n${machine.cores} cores (${machine.cpu}), load ${machine.loadBefore.join(' ')} before and ${machine.loadAfter.join(' ')} after; ${size} sizes\n`);
}
