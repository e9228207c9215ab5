// The productivity report and the monthly pack on a demo practice (100,000 patients by default), next
// to the same aggregation written as one plain SQL query, measured in the same run.
//   npx tsx bench/productivity.ts [patients]                 embedded PGlite in memory
//   BENCH_DATABASE_URL=postgres://... npx tsx bench/productivity.ts   a scratch PostgreSQL database (it is filled!)
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/query.js';
import { runDemo } from '../src/demo/run.js';
import { writeMonthlyPack } from '../src/reports/monthly/render.js';
import { comparisonPeriods, lastFullMonth } from '../src/reports/periods.js';
import { productivityReport } from '../src/reports/productivity/query.js';
import { loadRvuYear } from '../src/rvu/load.js';
import { openBenchDatabase } from './database.js';
import { reportFigures } from './figures.js';

const PATIENTS = Number(process.argv[2] ?? 100_000);
const NOW = new Date('2026-11-10T16:00:00Z');
const MONTH = lastFullMonth(NOW.toISOString().slice(0, 10));
const RUNS = 3;
const actor = { actor: 'bench', command: 'bench/productivity' };

/** Median of RUNS timed runs, in seconds. */
async function median(label: string, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    times.push((performance.now() - start) / 1000);
  }
  const m = times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
  console.log(`${label.padEnd(62)} ${m.toFixed(2).padStart(7)} s  (median of ${RUNS})`);
  return m;
}

/**
 * The report's figures per provider and period written by hand as one statement: RVUs by service year
 * with the same modifier rules, finished visits, patients seen, minutes, no-shows, payments, adjustments.
 */
function bareQuery(month: string) {
  const periods = comparisonPeriods(month);
  const p = sql.join(periods.map((x) => sql`(${x.name}::text, ${x.from}::date, ${x.to}::date)`), sql`, `);
  const from = periods.map((x) => x.from).sort()[0]!;
  const to = periods.map((x) => x.to).sort().at(-1)!;
  return sql`
    with p(period, from_date, to_date) as (values ${p}),
    rv as (
      select c.provider_id, c.service_date,
        v.work_rvu * c.units * case when '50' = any(c.modifiers) then 1.5 else 1 end * case when '51' = any(c.modifiers) then 0.5 else 1 end as w,
        (v.work_rvu + case when coalesce(c.place_of_service, l.place_of_service) in ('02','19','21','22','23','24','26','31','34','41','42','51','52','53','56','61')
          then v.pe_facility_rvu else v.pe_non_facility_rvu end + v.mp_rvu) * c.units
          * case when '50' = any(c.modifiers) then 1.5 else 1 end * case when '51' = any(c.modifiers) then 0.5 else 1 end as t,
        c.amount_cents, v.id is null as missing
      from charges c left join locations l on l.id = c.location_id
      left join rvu_values v on v.year = extract(year from c.service_date)::int and v.hcpcs = c.code
        and v.modifier = case when 'TC' = any(c.modifiers) then 'TC' when '26' = any(c.modifiers) then '26' else '' end
      where c.status <> 'void' and c.service_date >= ${from}::date and c.service_date < ${to}::date
    ),
    ch as (select p.period, rv.provider_id, sum(rv.w) w, sum(rv.t) t, sum(rv.amount_cents) cents, count(*) filter (where rv.missing) missing
      from rv join p on rv.service_date >= p.from_date and rv.service_date < p.to_date group by 1, 2),
    en as (select p.period, e.provider_id, count(*) visits, count(*) filter (where e.is_new_patient) new_visits, count(distinct e.patient_id) patients,
        sum(coalesce(e.duration_minutes, extract(epoch from e.ends_at - e.starts_at) / 60)) minutes
      from encounters e join p on e.starts_at >= (p.from_date::timestamp at time zone 'America/New_York') and e.starts_at < (p.to_date::timestamp at time zone 'America/New_York')
      where e.status = 'finished' group by 1, 2),
    ap as (select p.period, a.provider_id, count(*) filter (where a.status = 'kept') kept, count(*) filter (where a.status = 'no-show') no_shows
      from appointments a join p on a.starts_at >= (p.from_date::timestamp at time zone 'America/New_York') and a.starts_at < (p.to_date::timestamp at time zone 'America/New_York')
      group by 1, 2),
    pay as (select p.period, cl.rendering_provider_id provider_id, sum(m.amount_cents) cents
      from payments m join p on m.paid_on >= p.from_date and m.paid_on < p.to_date left join claims cl on cl.id = m.claim_id group by 1, 2),
    adj as (select p.period, cl.rendering_provider_id provider_id, sum(m.amount_cents) cents
      from adjustments m join p on m.adjusted_on >= p.from_date and m.adjusted_on < p.to_date left join claims cl on cl.id = m.claim_id
      where m.group_code <> 'PR' group by 1, 2)
    select * from ch
      full join en using (period, provider_id) full join ap using (period, provider_id)
      full join pay using (period, provider_id) full join adj using (period, provider_id)`;
}

async function main(): Promise<void> {
  const handle = await openBenchDatabase();
  const db = handle.db;
  console.log(`productivity bench: ${PATIENTS.toLocaleString('en-US')} demo patients on ${handle.backend === 'pglite' ? 'PGlite (memory)' : handle.location}, month ${MONTH}`);
  let start = performance.now();
  await runDemo(handle, actor, { patients: PATIENTS, seed: 1, now: NOW });
  console.log(`${'create the demo practice'.padEnd(62)} ${((performance.now() - start) / 1000).toFixed(2).padStart(7)} s`);
  // The shared CY2025 subset stands in for every year of the demo's history (timing, not payment truth).
  const content = readFileSync(resolve('fixtures', 'rvu-2025', 'pprrvu-2025d-office-subset.csv'), 'latin1');
  for (const year of [2024, 2025, 2026]) {
    await loadRvuYear(db, actor, { year, file: { content, fileName: 'pprrvu-2025d-office-subset.csv' }, conversionFactor: 32.3465 });
  }
  await db.execute(sql`analyze`);
  const [counts] = await queryRows<{ charges: number; encounters: number }>(
    db,
    sql`select (select count(*)::int from charges) as charges, (select count(*)::int from encounters) as encounters`,
  );
  console.log(`  ${counts!.charges.toLocaleString('en-US')} charges, ${counts!.encounters.toLocaleString('en-US')} encounters`);

  const report = await median('report productivity (4 periods, per provider, with totals)', () => productivityReport(db, { month: MONTH }));
  const bare = await median('  baseline: the same aggregation as one plain SQL query', () => queryRows(db, bareQuery(MONTH)));
  console.log(`  report / baseline: ${(report / bare).toFixed(2)}x (target under 2x)`);
  const sample = await productivityReport(db, { month: MONTH });
  console.log(`  ${sample.groups.length} providers, ${sample.totals.month.workRvu.toLocaleString('en-US')} work RVUs in the month`);

  start = performance.now();
  const out = join(tmpdir(), `practicekit-bench-pack-${process.pid}.pdf`);
  await writeMonthlyPack(db, { month: MONTH, out, now: NOW });
  const packSeconds = (performance.now() - start) / 1000;
  console.log(`${'report monthly (the whole PDF pack)'.padEnd(62)} ${packSeconds.toFixed(2).padStart(7)} s  ${out}`);
  reportFigures('productivity', {
    backend: handle.backend,
    patients: PATIENTS,
    charges: counts!.charges,
    reportSeconds: Number(report.toFixed(3)),
    bareQuerySeconds: Number(bare.toFixed(3)),
    reportVsBareQuery: Number((report / bare).toFixed(2)),
    monthlyPackSeconds: Number(packSeconds.toFixed(3)),
  });
  await handle.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
