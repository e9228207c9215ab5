// Claims at scale: 50,000 claims built from unbilled charges, scrubbed and exported as one 837P file,
// then paid by one 835 per payer (generated here from the exported claims: 80% paid, 10% CO-45,
// 10% PR-2 coinsurance per line) and posted; each step next to a bare SQL read of the same rows
// measured in the same run. Rows are generated in SQL here (generate_series).
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
import { postRemittance } from '../src/claims/post-835.js';
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

const x12 = (cents: number) => (cents / 100).toFixed(2);

/** One 835 per payer paying every exported claim of that payer, line by line with REF*6R, balanced. */
async function remittances(db: Db): Promise<string[]> {
  const lines = await queryRows<{ payer_id: string; payer: string; pcn: string; line_number: number; code: string; charge: number; units: number; dos: string }>(
    db,
    sql`select py.payer_id, py.name as payer, c.patient_control_number as pcn, l.line_number, l.code, l.charge_cents as charge, l.units,
               to_char(l.service_date, 'YYYYMMDD') as dos
        from claims c join payers py on py.id = c.payer_id join claim_lines l on l.claim_id = c.id
        where c.status = 'exported' order by py.payer_id, c.id, l.line_number`,
  );
  const byPayer = new Map<string, typeof lines>();
  for (const l of lines) byPayer.set(l.payer_id, [...(byPayer.get(l.payer_id) ?? []), l]);
  const files: string[] = [];
  let control = 500;
  for (const [payerId, payerLines] of byPayer) {
    control++;
    const claims: string[] = [];
    let total = 0;
    for (let i = 0; i < payerLines.length; ) {
      const pcn = payerLines[i]!.pcn;
      const own = [];
      while (i < payerLines.length && payerLines[i]!.pcn === pcn) own.push(payerLines[i++]!);
      const split = own.map((l) => ({ l, paid: Math.round(l.charge * 0.8), co: Math.round(l.charge * 0.1) })).map((x) => ({ ...x, pr: x.l.charge - x.paid - x.co }));
      const sum = (f: (x: (typeof split)[number]) => number) => split.reduce((a, x) => a + f(x), 0);
      total += sum((x) => x.paid);
      claims.push(`CLP*${pcn}*1*${x12(sum((x) => x.l.charge))}*${x12(sum((x) => x.paid))}*${x12(sum((x) => x.pr))}*12*${payerId}${pcn}*11*1`, `NM1*QC*1*PATIENT*BENCH`);
      for (const x of split) {
        claims.push(`SVC*HC:${x.l.code}*${x12(x.l.charge)}*${x12(x.paid)}**${x.l.units}`, `DTM*472*${x.l.dos}`, `CAS*CO*45*${x12(x.co)}`, `CAS*PR*2*${x12(x.pr)}`, `REF*6R*${pcn}-${x.l.line_number}`);
      }
    }
    const payer = payerLines[0]!.payer.toUpperCase();
    const set = [
      'ST*835*0001', `BPR*I*${x12(total)}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999999999*DA*654321*20261201`, `TRN*1*EFT${payerId}${control}*1512345678`,
      'DTM*405*20261201', `N1*PR*${payer}`, 'N3*PO BOX 1', 'N4*SPRINGFIELD*IL*627010000', `REF*2U*${payerId}`, 'PER*BL*EDI*TE*8005550100',
      'N1*PE*BENCH CLINIC*XX*1234567893', 'LX*1', ...claims,
    ];
    const isa = `ISA*00*          *00*          *ZZ*${payerId.padEnd(15)}*ZZ*BENCHCLINIC    *261201*0900*^*00501*${String(control).padStart(9, '0')}*0*T*:`;
    files.push([isa, `GS*HP*${payerId}*BENCHCLINIC*20261201*0900*${control}*X*005010X221A1`, ...set, `SE*${set.length + 1}*0001`, `GE*1*${control}`, `IEA*1*${String(control).padStart(9, '0')}`].map((seg) => `${seg}~`).join('\n'));
  }
  return files;
}

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
    const files = await remittances(db);
    const bareAgain = await timed('bare SQL read of the same claims and lines, again', () => queryRows(db, bareRead));
    const posted = await timed(`claims import-835 (${files.length} payments, one per payer)`, async () => {
      let claims = 0;
      let unmatched = 0;
      for (const [i, text] of files.entries()) {
        const result = await postRemittance(db, actor, text, { fileName: `era-${i + 1}.835`, today: TODAY });
        claims += result.claimsMatched;
        unmatched += result.unmatched.length;
      }
      return { claims, unmatched };
    });
    console.log(`  ${posted.result.claims.toLocaleString()} claims paid, ${posted.result.unmatched} unmatched: ${(posted.result.claims / posted.seconds).toFixed(0)} claims/s`);
    const pipeline = built.seconds + scrub.seconds + exported.seconds;
    console.log(`\nbaseline: bare read ${bare.result.length.toLocaleString()} rows in ${bare.seconds.toFixed(2)} s (again after export: ${bareAgain.seconds.toFixed(2)} s);`,
      `build+check+export ${pipeline.toFixed(2)} s is ${(pipeline / bare.seconds).toFixed(1)}x the bare read`,
      `(build ${(built.seconds / bare.seconds).toFixed(1)}x, check ${(scrub.seconds / bare.seconds).toFixed(1)}x, export ${(exported.seconds / bare.seconds).toFixed(1)}x);`,
      `835 posting is ${(posted.seconds / bareAgain.seconds).toFixed(1)}x`);
    reportFigures('claims', {
      backend: handle.backend,
      claims: built.result.claims,
      buildSeconds: Number(built.seconds.toFixed(3)),
      checkSeconds: Number(scrub.seconds.toFixed(3)),
      exportSeconds: Number(exported.seconds.toFixed(3)),
      bareReadSeconds: Number(bare.seconds.toFixed(3)),
      claimsVsBareRead: Number((pipeline / bare.seconds).toFixed(2)),
      postingSeconds: Number(posted.seconds.toFixed(3)),
      postingVsBareRead: Number((posted.seconds / bareAgain.seconds).toFixed(2)),
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
    await handle.close();
  }
}

await main();
