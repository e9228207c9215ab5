// The cross-check of test/quality/cross-check.test.ts on a larger demo practice: every patient's
// populations in the eight measures, from our SQL and from the official ELM run by cql-execution over
// our FHIR export, must agree. Prints per measure the patients in each population, the disagreements
// (and the first few of them), and both engines' times.
//   npx tsx bench/cross-check.ts [patients] [seed]            embedded PGlite in memory (default 400, seed 17)
//   BENCH_DATABASE_URL=postgres://... npx tsx bench/cross-check.ts   a scratch PostgreSQL database (it is filled!)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runDemo } from '../src/demo/run.js';
import { bulkExport } from '../src/fhir/export.js';
import { qualityDetail, selectMeasures } from '../src/measures/run.js';
import { importValueSets } from '../src/measures/valuesets.js';
import { bundlesFromExport, evaluateMeasure, MEASURE_LIBRARIES } from '../test/quality/cql-engine.js';
import { openBenchDatabase } from './database.js';
import { reportFigures } from './figures.js';

const PATIENTS = Number(process.argv[2] ?? 400);
const SEED = Number(process.argv[3] ?? 17);
const NOW = new Date('2026-12-30T17:00:00Z');
const FIXTURES = join(import.meta.dirname, '../fixtures/ecqm');
const actor = { actor: 'bench', command: 'bench/cross-check' };
const period = { start: '2026-01-01', end: '2026-12-31', timeZone: 'America/New_York' };
const POPULATIONS = ['ip', 'den', 'denex', 'numer', 'denexcep'] as const;

async function main() {
  const handle = await openBenchDatabase();
  const db = handle.db;
  console.log(`cross-check: ${PATIENTS} demo patients (seed ${SEED}) on ${handle.backend === 'pglite' ? 'PGlite (memory)' : handle.location}`);
  await runDemo(handle, actor, { patients: PATIENTS, seed: SEED, now: NOW });
  await importValueSets(db, actor, [join(FIXTURES, 'valuesets'), join(FIXTURES, 'valuesets-supplement')]);
  const dir = mkdtempSync(join(tmpdir(), 'pk-cross-check-'));
  let disagreements = 0;
  let sqlTotal = 0;
  let engineTotal = 0;
  let measures = 0;
  try {
    await bulkExport(db, { outDir: dir }, NOW);
    const { bundles, mrnOf } = bundlesFromExport(dir);
    for (const measure of selectMeasures(2026, 'mips')) {
      if (!MEASURE_LIBRARIES[measure.id]) continue;
      let start = performance.now();
      const rows = await qualityDetail(db, { period, program: 'mips', measures: [measure] });
      const sqlSeconds = (performance.now() - start) / 1000;
      start = performance.now();
      const official = await evaluateMeasure(measure.id, bundles, 2026, '-05:00');
      const engineSeconds = (performance.now() - start) / 1000;
      const ours = new Map(rows.map((r) => [`${r.mrn} ${r.group}`, r]));
      const counts = measure.groups.map(() => Object.fromEntries(POPULATIONS.map((p) => [p, 0])) as Record<(typeof POPULATIONS)[number], number>);
      const misses: string[] = [];
      for (const [patientId, flags] of official) {
        flags.forEach((f, g) => {
          const mine = ours.get(`${mrnOf.get(patientId)} ${measure.groups[g]!.id}`);
          for (const p of POPULATIONS) {
            if (f[p]) counts[g]![p]++;
            if (Boolean(mine?.[p]) !== f[p]) misses.push(`${mrnOf.get(patientId)} ${measure.groups[g]!.id} ${p}: official ${f[p]}`);
          }
        });
      }
      disagreements += misses.length;
      sqlTotal += sqlSeconds;
      engineTotal += engineSeconds;
      measures++;
      const summary = counts.map((c, g) => `${measure.groups[g]!.id} ${POPULATIONS.map((p) => `${p} ${c[p]}`).join(' ')}`).join('; ');
      console.log(`${measure.id.padEnd(7)} ${misses.length === 0 ? 'agrees' : `${misses.length} disagreements`}  sql ${sqlSeconds.toFixed(2)} s, cql-execution ${engineSeconds.toFixed(1)} s  ${summary}`);
      for (const miss of misses.slice(0, 5)) console.log(`        ${miss}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await handle.close();
  }
  reportFigures('crossCheck', {
    backend: handle.backend,
    patients: PATIENTS,
    measures,
    disagreements,
    sqlSeconds: Number(sqlTotal.toFixed(3)),
    engineSeconds: Number(engineTotal.toFixed(3)),
    engineVsSql: Number((engineTotal / sqlTotal).toFixed(1)),
  });
  console.log(disagreements === 0 ? 'every patient agrees in every population of every measure' : `${disagreements} disagreement(s)`);
  process.exitCode = disagreements === 0 ? 0 : 1;
}

await main();
