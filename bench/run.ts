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
import { benchPlan, childEnv, composeResults, renderTable, type BenchPlan, type BenchSize, type Figures } from './results.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, full: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
});
const root = join(import.meta.dirname, '..');
const size: BenchSize = values.full ? 'full' : values.quick ? 'quick' : 'small';
const benches = benchPlan(size);

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

/** Runs one bench in a child process on a scratch database of its own; its figures, and whether it exited 0. */
async function runBench(bench: BenchPlan, admin: string): Promise<{ figures: Record<string, unknown> | undefined; code: number | null }> {
  const name = `bench_${bench.name.toLowerCase()}_${process.pid}`;
  const sql = postgres(admin, { max: 1, onnotice: () => undefined });
  if (bench.database !== 'none') await sql`create database ${sql(name)}`;
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, bench.script), ...bench.args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: childEnv(bench, bench.database === 'none' ? null : databaseUrl(admin, name), process.env),
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
    return { figures, code };
  } finally {
    if (bench.database !== 'none') await sql`drop database if exists ${sql(name)} with (force)`;
    await sql.end();
  }
}

log(`practicekit benchmarks (${size}): building the CLI first`);
execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const server = serverUrl();
const loadBefore = loadavg();
const figures: Figures = {};
const failed: string[] = [];
try {
  for (const bench of benches) {
    log(`\n== ${bench.script} ${bench.args.join(' ')}`);
    const run = await runBench(bench, server.url);
    // A bench that fails is reported and the others still run; its figures (if it printed any) are kept.
    if (run.figures) figures[bench.name] = run.figures;
    if (run.code !== 0 || !run.figures) {
      failed.push(bench.name);
      log(`${bench.script} failed (exit ${run.code})${run.figures ? '' : ' and printed no figures'}`);
    }
  }
} finally {
  server.stop();
}

const results = composeResults(figures, {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  loadBefore: loadBefore.map((l) => Number(l.toFixed(2))),
  loadAfter: loadavg().map((l) => Number(l.toFixed(2))),
  node: process.version,
  size,
});
process.stdout.write(values.json ? `${JSON.stringify(results)}\n` : renderTable(results));
if (failed.length) {
  log(`\nFailed: ${failed.join(', ')} (their figures are n/a or partial).`);
  process.exitCode = 3;
}
