// All eight 2026 quality measures on a demo practice (100,000 patients by default): the set-based SQL
// run, next to a straightforward per-patient evaluation (the same measure logic, one patient at a time)
// timed on a sample in the same run and extrapolated to the whole practice.
//   npx tsx bench/quality.ts [patients] [sample]                 embedded PGlite in memory (sample 0: no baseline)
//   BENCH_DATABASE_URL=postgres://... npx tsx bench/quality.ts   a scratch PostgreSQL database (it is filled!)
//   BENCH_REUSE=1 ...                                            measure a database an earlier run filled
// The machine's load average is printed with the figures: on a shared machine they vary with it.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/query.js';
import { countPatients, runDemo } from '../src/demo/run.js';
import { compileMeasure, flagColumn, POPULATIONS } from '../src/measures/compile.js';
import { refreshStatistics, runQuality, selectMeasures, summariseMeasure } from '../src/measures/run.js';
import { importValueSets, measureValueSetCodes } from '../src/measures/valuesets.js';
import { openBenchDatabase } from './database.js';
import { reportFigures } from './figures.js';

const PATIENTS = Number(process.argv[2] ?? 100_000);
const SAMPLE = Number(process.argv[3] ?? 20);
const REUSE = process.env.BENCH_REUSE === '1';
const NOW = new Date('2026-11-10T16:00:00Z');
const FIXTURES = join(import.meta.dirname, '../fixtures/ecqm');
const actor = { actor: 'bench', command: 'bench/quality' };
const period = { start: '2026-01-01', end: '2026-12-31', timeZone: 'America/New_York' };

const seconds = (start: number) => (performance.now() - start) / 1000;
const load = () => `load ${loadavg().map((n) => n.toFixed(2)).join(' ')}`;
const line = (label: string, s: number, note = '') => console.log(`${label.padEnd(58)} ${s.toFixed(2).padStart(8)} s  ${note || load()}`);

async function main() {
  const handle = await openBenchDatabase();
  const db = handle.db;
  console.log(`quality bench: ${PATIENTS.toLocaleString('en-US')} demo patients on ${handle.backend === 'pglite' ? 'PGlite (memory)' : handle.location}`);
  let start = performance.now();
  const existing = await countPatients(db);
  let demoSeconds: number | null = null;
  if (REUSE && existing > 0) {
    console.log(`reusing the ${existing.toLocaleString('en-US')} patients already there (BENCH_REUSE=1)`);
  } else {
    await runDemo(handle, actor, { patients: PATIENTS, seed: 1, now: NOW });
    demoSeconds = seconds(start);
    line('create the demo practice (practice demo)', demoSeconds);
  }
  start = performance.now();
  await importValueSets(db, actor, [join(FIXTURES, 'valuesets'), join(FIXTURES, 'valuesets-supplement')]);
  line('load the 2026 value sets', seconds(start));
  start = performance.now();
  await refreshStatistics(db);
  const analyze = seconds(start);
  line('refresh planner statistics (analyze)', analyze);

  const measures = selectMeasures(2026, 'mips');
  // What `practice report quality` runs: the eight measures, several at a time (see runQuality).
  start = performance.now();
  const report = await runQuality(db, { period, program: 'mips', measures });
  const setBased = seconds(start);
  line(`practice report quality: ${measures.length} measures, all patients`, setBased);
  // Then one at a time, so a slow one shows.
  let oneByOne = 0;
  for (const measure of measures) {
    start = performance.now();
    await summariseMeasure(db, measure, { period, program: 'mips', measures: [measure] });
    const s = seconds(start);
    oneByOne += s;
    line(`  ${measure.id}`, s);
  }
  line(`the same measures one at a time`, oneByOne);
  const figures = {
    backend: handle.backend,
    patients: PATIENTS,
    demoSeconds: demoSeconds === null ? null : Number(demoSeconds.toFixed(2)),
    qualitySeconds: Number(setBased.toFixed(3)),
    measures: measures.length,
  };
  for (const m of report.measures) {
    for (const g of m.groups) {
      const c = g.overall;
      console.log(`  ${`${m.id} ${m.groups.length > 1 ? g.id : ''}`.padEnd(18)} IP ${String(c.ip).padStart(6)}  DEN ${String(c.den).padStart(6)}  DEX ${String(c.denex).padStart(5)}  NUM ${String(c.numer).padStart(6)}  DNX ${String(c.denexcep).padStart(4)}  rate ${c.rate === null ? 'n/a' : `${(c.rate * 100).toFixed(1)}%`}`);
    }
  }

  if (SAMPLE === 0) {
    console.log('per-patient evaluation skipped (sample 0)');
    reportFigures('quality', figures);
    await handle.close();
    return;
  }
  // The per-patient baseline: the same compiled logic, asked once per patient and measure.
  const ids = (await queryRows<{ id: number }>(db, sql`select id from patients order by random() limit ${SAMPLE}`)).map((r) => Number(r.id));
  const codes = new Map(await Promise.all(measures.map(async (m) => [m.id, await measureValueSetCodes(db, m)] as const)));
  const setFlags = new Map<string, boolean>();
  for (const m of measures) {
    for (const row of await queryRows<Record<string, unknown>>(db, compileMeasure(m, period, sql`p.id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`, codes.get(m.id)))) {
      m.groups.forEach((_, g) => POPULATIONS.forEach((p) => setFlags.set(`${m.id}|${row.patient_id}|${g}|${p}`, row[flagColumn(g, p)] === true)));
    }
  }
  let mismatches = 0;
  start = performance.now();
  for (const id of ids) {
    for (const m of measures) {
      const [row] = await queryRows<Record<string, unknown>>(db, compileMeasure(m, period, sql`p.id = ${id}`, codes.get(m.id)));
      m.groups.forEach((_, g) =>
        POPULATIONS.forEach((p) => {
          if ((row?.[flagColumn(g, p)] === true) !== (setFlags.get(`${m.id}|${id}|${g}|${p}`) ?? false)) mismatches++;
        }),
      );
    }
  }
  const sampleTime = seconds(start);
  const perPatient = (sampleTime / ids.length) * PATIENTS;
  line(`per-patient evaluation, ${ids.length} sampled patients`, sampleTime, mismatches ? `${mismatches} flag(s) differ!` : 'same flags as the set-based run');
  line(`per-patient evaluation, extrapolated to ${PATIENTS.toLocaleString('en-US')}`, perPatient);
  console.log(`  set-based is ${(perPatient / setBased).toFixed(0)}x faster (target: 8 measures on 100,000 patients under 10 s on PostgreSQL, 100x)`);
  reportFigures('quality', {
    ...figures,
    sampledPatients: ids.length,
    perPatientSeconds: Number(perPatient.toFixed(1)),
    perPatientVsSetBased: Number((perPatient / setBased).toFixed(0)),
    flagMismatches: mismatches,
  });
  await handle.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
