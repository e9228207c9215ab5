// Recall refresh and list on a 100,000-patient practice, each next to a bare SQL query of the same set
// measured in the same run. Rows are generated in SQL here (generate_series), not by the demo command.
//   npx tsx bench/recall.ts [patients]             embedded PGlite in memory
//   BENCH_DATABASE_URL=postgres://... npx tsx bench/recall.ts   a scratch PostgreSQL database (it is filled!)
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/query.js';
import type { Db } from '../src/db/types.js';
import { compileRecallRule } from '../src/recall/compile.js';
import { listRecalls } from '../src/recall/list.js';
import { refreshRecalls } from '../src/recall/refresh.js';
import { listRecallRules } from '../src/recall/rules.js';
import { openBenchDatabase } from './database.js';
import { reportFigures } from './figures.js';

const PATIENTS = Number(process.argv[2] ?? 100_000);
const NOW = new Date('2026-11-10T16:00:00Z');
const TODAY = '2026-11-10';
const actor = { actor: 'bench', command: 'bench/recall' };

/** The seconds each timed step took, by label, for the figures. */
const took = new Map<string, number>();

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  const seconds = (performance.now() - start) / 1000;
  took.set(label, seconds);
  console.log(`${label.padEnd(58)} ${seconds.toFixed(2).padStart(7)} s`);
  return result;
}

/** A practice in set-based inserts: visits, preventive visits, diabetes with A1c results, mammograms, flu shots, no-shows. */
async function generate(db: Db, n: number): Promise<void> {
  await db.execute(sql`insert into practice (legal_name, tin, billing_npi, time_zone, is_test_data) values ('Bench Clinic', '123456789', '1234567893', 'America/Chicago', true)`);
  await db.execute(sql`insert into patients (mrn, first_name, last_name, dob, sex, email, phone_mobile, is_test_data)
    select 'B' || g, 'First' || g, 'Last' || g, date '1936-01-01' + (g * 7919 % 32000), case when g % 2 = 0 then 'female' else 'male' end,
      case when g % 3 = 0 then 'p' || g || '@example.org' end, case when g % 3 = 1 then '555-555-' || lpad((g % 10000)::text, 4, '0') end, true
    from generate_series(1, ${n}::int) g`);
  await db.execute(sql`insert into encounters (patient_id, starts_at, type_system, type_code, follow_up_weeks)
    select p.id, timestamptz '2024-11-15 15:00Z' + ((p.id * 37 + k * 211) % 720) * interval '1 day',
      case when k = 1 and p.id % 3 = 0 then 'http://www.ama-assn.org/go/cpt' end, case when k = 1 and p.id % 3 = 0 then '99396' end,
      case when k = 2 and p.id % 10 = 0 then 6 end
    from patients p cross join generate_series(1, 2) k`);
  await db.execute(sql`insert into problems (patient_id, code_system, code, display)
    select id, 'http://hl7.org/fhir/sid/icd-10-cm', 'E11.9', 'Type 2 diabetes' from patients where id % 10 = 0`);
  await db.execute(sql`insert into observations (patient_id, category, code_system, code, value_numeric, value_unit, effective_at)
    select id, 'laboratory', 'http://loinc.org', '4548-4', 6 + (id % 40) / 10.0, '%', timestamptz '2025-11-01 15:00Z' + (id % 360) * interval '1 day'
    from patients where id % 10 = 0 and id % 7 <> 0`);
  await db.execute(sql`insert into procedures (patient_id, code_system, code, performed_start)
    select id, 'http://www.ama-assn.org/go/cpt', '77067', timestamptz '2024-01-01 15:00Z' + (id % 900) * interval '1 day'
    from patients where sex = 'female' and id % 5 < 3`);
  await db.execute(sql`insert into immunizations (patient_id, cvx_code, occurrence_date)
    select id, '158', date '2026-09-01' + (id % 60) from patients where id % 5 < 2`);
  await db.execute(sql`insert into appointments (patient_id, starts_at, status)
    select id, timestamptz '2026-10-01 15:00Z' + (id % 30) * interval '1 day', 'no-show' from patients where id % 33 = 0`);
  await db.execute(sql`analyze`);
}

/** The A1c rule written by hand: diabetics 18+, due 3 months after an A1c >= 8, else 6; never tested: today. */
const bareA1c = sql`
  with dm as (
    select p.id from patients p
    where p.active and p.deceased_date is null and p.dob <= ${TODAY}::date - interval '18 years'
      and exists (select 1 from problems pr where pr.patient_id = p.id and pr.code like 'E11%' and pr.clinical_status = 'active')
  ), last as (
    select distinct on (o.patient_id) o.patient_id, (o.effective_at at time zone 'America/Chicago')::date as done, o.value_numeric
    from observations o where o.code in ('4548-4', '4549-2', '17856-6') order by o.patient_id, o.effective_at desc
  )
  select dm.id, case when l.done is null then ${TODAY}::date
    when l.value_numeric >= 8 then (l.done + interval '3 months')::date else (l.done + interval '6 months')::date end as due
  from dm left join last l on l.patient_id = dm.id`;

async function main(): Promise<void> {
  const handle = await openBenchDatabase();
  const db = handle.db;
  console.log(`recall bench: ${PATIENTS.toLocaleString()} patients on ${handle.backend === 'pglite' ? 'PGlite (memory)' : handle.location}`);
  await timed('generate the practice (SQL)', () => generate(db, PATIENTS));

  const first = await timed('recall refresh, first (all default rules)', () => refreshRecalls(db, actor, { now: NOW }));
  const openCount = first.rules.reduce((sum, r) => sum + r.open, 0);
  console.log(`  ${openCount.toLocaleString()} open recalls over ${first.rules.length} rules`);
  await timed('recall refresh, again (nothing changed)', () => refreshRecalls(db, actor, { now: NOW }));

  const a1cRule = (await listRecallRules(db)).find((r) => r.code === 'diabetes-a1c')!;
  const compiled = await timed('  compiled due set of diabetes-a1c alone', () =>
    queryRows<{ patient_id: number }>(db, compileRecallRule(a1cRule.definition, { ruleId: a1cRule.id, ruleCode: a1cRule.code, today: TODAY, timeZone: 'America/Chicago' })),
  );
  const bare = await timed('  baseline: bare SQL of the same due set', () => queryRows<{ id: number }>(db, bareA1c));
  console.log(`  same set size: ${compiled.length === bare.length ? 'yes' : 'NO'} (${compiled.length.toLocaleString()} vs ${bare.length.toLocaleString()})`);

  const listed = await timed('recall list --due-within 30d', () => listRecalls(db, { now: NOW, dueWithinDays: 30 }));
  const bareList = await timed('  baseline: bare SQL of open recalls due within 30 days', () =>
    queryRows<{ id: number }>(db, sql`select r.id, p.mrn, p.last_name, p.first_name, r.due_date from recalls r join patients p on p.id = r.patient_id
      where r.status = 'open' and r.due_date <= ${TODAY}::date + 30 order by r.due_date, p.last_name, p.first_name`),
  );
  console.log(`  same list size: ${listed.recalls.length === bareList.length ? 'yes' : 'NO'} (${listed.recalls.length.toLocaleString()})`);
  const s = (label: string) => took.get(label)!;
  const rule = s('  compiled due set of diabetes-a1c alone');
  const bareRule = s('  baseline: bare SQL of the same due set');
  const list = s('recall list --due-within 30d');
  const bareListSeconds = s('  baseline: bare SQL of open recalls due within 30 days');
  reportFigures('recall', {
    backend: handle.backend,
    patients: PATIENTS,
    openRecalls: openCount,
    refreshSeconds: Number(s('recall refresh, first (all default rules)').toFixed(3)),
    refreshAgainSeconds: Number(s('recall refresh, again (nothing changed)').toFixed(3)),
    ruleSeconds: Number(rule.toFixed(3)),
    bareRuleSeconds: Number(bareRule.toFixed(3)),
    ruleVsBareQuery: Number((rule / bareRule).toFixed(2)),
    sameDueSet: compiled.length === bare.length ? 1 : 0,
    listSeconds: Number(list.toFixed(3)),
    bareListSeconds: Number(bareListSeconds.toFixed(3)),
    listVsBareQuery: Number((list / bareListSeconds).toFixed(2)),
  });
  await handle.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
