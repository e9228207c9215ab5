// Claims at scale: 50,000 claims built from unbilled charges, scrubbed and exported as one 837P file,
// each step next to a bare SQL read of the same rows measured in the same run.
// Rows are generated in SQL here (generate_series).
//   npx tsx bench/claims.ts [claims]                               embedded PGlite in memory
//   BENCH_DATABASE_URL=postgres://... npx tsx bench/claims.ts        a scratch PostgreSQL database (it is filled!)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { buildClaims } from '../src/claims/build.js';
import { scrubClaims } from '../src/claims/edits.js';
import { exportClaims } from '../src/claims/export-837p.js';
import { queryRows } from '../src/db/query.js';
import type { Db } from '../src/db/types.js';
import { openBenchDatabase } from './database.js';
import { reportFigures } from './figures.js';

const CLAIMS = Number(process.argv[2] ?? 50_000);
const NOW = new Date('2026-11-10T16:00:00Z');
const TODAY = '2026-11-10';
const actor = { actor: 'bench', command: 'bench/claims' };

async function timed<T>(label: string, fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = performance.now();
  const result = await fn();
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label.padEnd(52)} ${seconds.toFixed(2).padStart(7)} s`);
  return { result, seconds };
}

/** One visit per claim: half with one charge, half with two; one patient in five is a dependent, one in ten has a second coverage. */
async function generate(db: Db, n: number): Promise<void> {
  const patients = Math.ceil(n / 4);
  await db.execute(sql`insert into practice (legal_name, tin, billing_npi, taxonomy_code, address1, city, state, zip, phone, time_zone, is_test_data)
    values ('Bench Clinic', '123456789', '1234567893', '207Q00000X', '100 Main St', 'Springfield', 'IL', '62701-0001', '555-555-0100', 'America/Chicago', true)`);
  await db.execute(sql`insert into clearinghouses (name, sender_id, receiver_id, submitter_contact_name, submitter_contact_phone, usage_indicator, is_default)
    values ('Bench Clearinghouse', 'BENCHCLINIC', 'CLEARHOUSE01', 'Billing', '5555550100', 'T', true)`);
  await db.execute(sql`insert into payers (name, payer_id, claim_filing_indicator) select 'Payer ' || g, 'P' || lpad(g::text, 5, '0'), 'CI' from generate_series(1, 20) g`);
  await db.execute(sql`insert into providers (npi, first_name, last_name, taxonomy_code, is_test_data) values ('1999999992', 'Ana', 'Rivera', '207Q00000X', true)`);
  await db.execute(sql`insert into patients (mrn, first_name, last_name, dob, sex, address1, city, state, zip, is_test_data)
    select 'B' || g, 'First' || g, 'Last' || g, date '1940-01-01' + (g * 7919 % 25000), case when g % 2 = 0 then 'female' else 'male' end,
           g || ' Oak St', 'Springfield', 'IL', '62702', true
    from generate_series(1, ${patients}::int) g`);
  await db.execute(sql`insert into coverages (patient_id, payer_id, member_id, group_number, relationship, subscriber_first_name, subscriber_last_name)
    select id, 1 + id % 20, 'M' || lpad(id::text, 9, '0'), 'GRP' || (id % 50), case when id % 5 = 0 then '19' else '18' end,
           case when id % 5 = 0 then 'Parent' end, case when id % 5 = 0 then 'Last' || id end
    from patients`);
  // One patient in ten has a secondary coverage: their claims carry it in loops 2320/2330A/2330B.
  await db.execute(sql`insert into coverages (patient_id, payer_id, priority, member_id, relationship)
    select id, 1 + (id + 7) % 20, 2, 'S' || lpad(id::text, 9, '0'), '18' from patients where id % 10 = 0`);
  await db.execute(sql`insert into encounters (patient_id, provider_id, starts_at)
    select 1 + g % ${patients}::int, 1, timestamptz '2026-06-01 15:00Z' + (g % 150) * interval '1 day' from generate_series(1, ${n}::int) g`);
  await db.execute(sql`insert into encounter_diagnoses (encounter_id, position, code_system, code)
    select e.id, k, 'http://hl7.org/fhir/sid/icd-10-cm', (array['E11.9', 'I10', 'J06.9', 'Z00.00'])[k + e.id % 2]
    from encounters e cross join generate_series(1, 2) k`);
  await db.execute(sql`insert into charges (patient_id, encounter_id, service_date, code_system, code, amount_cents, diagnosis_pointers, place_of_service)
    select e.patient_id, e.id, (e.starts_at at time zone 'America/Chicago')::date, 'http://www.ama-assn.org/go/cpt',
           case when k = 1 then '99214' else '83036' end, case when k = 1 then 15000 else 3500 end,
           case when k = 1 then '{1,2}'::int[] else '{1}'::int[] end, '11'
    from encounters e cross join generate_series(1, 2) k where k = 1 or e.id % 2 = 0`);
  await db.execute(sql`analyze`);
}

/** The same rows the export writes, read with one plain join and no processing. */
const bareRead = sql`
  select c.id, c.patient_control_number, c.total_cents, p.last_name, p.first_name, p.dob, cov.member_id, py.payer_id,
         l.line_number, l.code, l.charge_cents, l.diagnosis_pointers, l.service_date
  from claims c join patients p on p.id = c.patient_id join coverages cov on cov.id = c.coverage_id
  join payers py on py.id = c.payer_id join claim_lines l on l.claim_id = c.id
  order by c.id, l.line_number`;

async function main(): Promise<void> {
  const handle = await openBenchDatabase();
  const db = handle.db;
  const out = mkdtempSync(join(tmpdir(), 'pk-bench-claims-'));
  try {
    console.log(`practicekit claims bench: ${CLAIMS.toLocaleString()} claims on ${handle.backend}\n`);
    await timed('generate the practice (SQL)', () => generate(db, CLAIMS));
    const built = await timed('claims build', () => buildClaims(db, actor));
    console.log(`  ${built.result.claims.toLocaleString()} claims, ${built.result.lines.toLocaleString()} lines: ${(built.result.claims / built.seconds).toFixed(0)} claims/s`);
    const bare = await timed('bare SQL read of the same claims and lines', () => queryRows(db, bareRead));
    const scrub = await timed('claims check (every edit, set-based)', () => scrubClaims(db, {}, TODAY));
    console.log(`  ${scrub.result.checked.toLocaleString()} checked, ${scrub.result.failures.length} failures: ${(scrub.result.checked / scrub.seconds).toFixed(0)} claims/s`);
    const exported = await timed('claims export --all (837P, atomic)', () => exportClaims(db, actor, { outDir: out, now: NOW }));
    const size = exported.result.file ? statSync(exported.result.file).size : 0;
    console.log(`  ${exported.result.claims.toLocaleString()} claims, ${(size / 1e6).toFixed(1)} MB: ${(exported.result.claims / exported.seconds).toFixed(0)} claims/s`);
    console.log(`\nbaseline: bare read ${bare.result.length.toLocaleString()} rows in ${bare.seconds.toFixed(2)} s;`,
      `export is ${(exported.seconds / bare.seconds).toFixed(1)}x, check ${(scrub.seconds / bare.seconds).toFixed(1)}x, build ${(built.seconds / bare.seconds).toFixed(1)}x the bare read`);
    const pipeline = built.seconds + scrub.seconds + exported.seconds;
    reportFigures('claims', {
      backend: handle.backend,
      claims: built.result.claims,
      buildSeconds: Number(built.seconds.toFixed(3)),
      checkSeconds: Number(scrub.seconds.toFixed(3)),
      exportSeconds: Number(exported.seconds.toFixed(3)),
      bareReadSeconds: Number(bare.seconds.toFixed(3)),
      claimsVsBareRead: Number((pipeline / bare.seconds).toFixed(2)),
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
    await handle.close();
  }
}

await main();
