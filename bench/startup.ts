// Start-up costs of the CLI and the embedded database, and a default-size demo, each next to a baseline
// measured in the same run (a bare `node -e 0` process; the first open for the demo's fixed cost).
//   npm run build && npx tsx bench/startup.ts [patients]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openEmbedded } from '../src/db/client.js';
import { reportFigures } from './figures.js';

const PATIENTS = Number(process.argv[2] ?? 2000);
const RUNS = 5;
const owner = { pid: process.pid, user: 'bench', command: 'bench/startup', since: new Date().toISOString() };
const root = mkdtempSync(join(tmpdir(), 'pk-bench-startup-'));

function seconds(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function practice(args: string[]): void {
  const run = spawnSync(process.execPath, ['bin/practice.js', ...args], { encoding: 'utf8', env: { ...process.env, PRACTICE_USER: 'bench' } });
  if (run.status !== 0) throw new Error(`practice ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
}

function line(label: string, value: number, baseline?: [string, number]): void {
  const extra = baseline ? `   (${baseline[0]}: ${baseline[1].toFixed(3)} s, ${(value / baseline[1]).toFixed(1)}x)` : '';
  console.log(`${label.padEnd(50)} ${value.toFixed(3).padStart(8)} s${extra}`);
}

async function timedOpen(dataDir: string): Promise<number> {
  const start = performance.now();
  const handle = await openEmbedded({ dataDir, waitSeconds: 10, owner });
  const elapsed = (performance.now() - start) / 1000;
  await handle.close();
  return elapsed;
}

try {
  const node = median(Array.from({ length: RUNS }, () => seconds(() => spawnSync(process.execPath, ['-e', '0']))));
  line('node -e 0 (process start)', node);
  const help = median(Array.from({ length: RUNS }, () => seconds(() => practice(['--help']))));
  line(`practice --help (median of ${RUNS})`, help, ['node -e 0', node]);

  const dataDir = join(root, 'open');
  const first = await timedOpen(dataDir);
  line('embedded database, first open (create + migrate)', first);
  const reopens: number[] = [];
  for (let i = 0; i < RUNS; i++) reopens.push(await timedOpen(dataDir));
  const reopen = median(reopens);
  line(`embedded database, reopen (median of ${RUNS})`, reopen, ['first open', first]);
  const status = seconds(() => practice(['--data-dir', dataDir, 'db', 'status']));
  line('practice db status (process + open + query)', status, ['reopen', reopen]);

  const demoDir = join(root, 'demo');
  const demo = seconds(() => practice(['--data-dir', demoDir, '--quiet', 'demo', '--patients', String(PATIENTS), '--seed', '1']));
  line(`practice demo --patients ${PATIENTS} (new folder)`, demo, ['first open', first]);
  const r = (v: number) => Number(v.toFixed(3));
  reportFigures('startup', {
    nodeSeconds: r(node),
    helpSeconds: r(help),
    helpVsNode: Number((help / node).toFixed(2)),
    firstOpenSeconds: r(first),
    reopenSeconds: r(reopen),
    statusSeconds: r(status),
    demoPatients: PATIENTS,
    demoSeconds: r(demo),
    demoVsFirstOpen: Number((demo / first).toFixed(2)),
  });
} finally {
  rmSync(root, { recursive: true, force: true });
}
