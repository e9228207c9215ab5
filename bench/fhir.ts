// FHIR Bulk Data export of a 100,000-patient practice: resources/s and peak RSS, next to a bare
// COPY (SELECT * ...) TO STDOUT of the same tables measured in the same run.
//   npx tsx bench/fhir.ts [patients]                              embedded PGlite in memory
//   BENCH_DATABASE_URL=postgres://... npx tsx bench/fhir.ts       a scratch PostgreSQL database (it is filled!)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getTableName, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { PracticeDatabase } from '../src/db/client.js';
import type { Db } from '../src/db/types.js';
import { bulkExport } from '../src/fhir/export.js';
import { sourceTables } from '../src/fhir/sources.js';
import postgres from 'postgres';
import { openBenchDatabase } from './database.js';
import { reportFigures } from './figures.js';

const PATIENTS = Number(process.argv[2] ?? 100_000);
const NOW = new Date('2026-11-10T16:00:00Z');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Peak resident memory while fn runs, sampled every 50 ms. */
async function measured<T>(label: string, fn: () => Promise<T>): Promise<{ result: T; seconds: number; peakRss: number }> {
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const start = performance.now();
  try {
    const result = await fn();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const seconds = (performance.now() - start) / 1000;
    console.log(`${label.padEnd(52)} ${seconds.toFixed(2).padStart(8)} s   peak RSS ${mib(peakRss).padStart(9)}`);
    return { result, seconds, peakRss };
  } finally {
    clearInterval(timer);
  }
}

/** A practice in set-based inserts: two visits each with coded diagnoses, vitals with BP panels, a lab, a drug, a vaccine, coverage. */
async function generate(db: Db, n: number): Promise<void> {
  await db.execute(sql`insert into practice (legal_name, tin, billing_npi, is_test_data) values ('Bench Clinic', '123456789', '1234567893', true)`);
  await db.execute(sql`insert into providers (npi, first_name, last_name, is_test_data) values ('1245319599', 'Ana', 'Ruiz', true), ('1679576722', 'Ben', 'Cole', true)`);
  await db.execute(sql`insert into payers (name, payer_id) values ('Bench Mutual', 'BENCH1')`);
  await db.execute(sql`insert into patients (mrn, first_name, last_name, dob, sex, race, city, state, zip, phone_mobile, is_test_data)
    select 'B' || g, 'First' || g, 'Last' || g, date '1936-01-01' + (g * 7919 % 32000), case when g % 2 = 0 then 'female' else 'male' end,
      '2106-3', 'Springfield', 'IL', '62701', '555-555-' || lpad((g % 10000)::text, 4, '0'), true
    from generate_series(1, ${n}::int) g`);
  await db.execute(sql`insert into coverages (patient_id, payer_id, member_id) select id, 1, 'M' || id from patients`);
  await db.execute(sql`insert into encounters (patient_id, provider_id, starts_at, type_system, type_code)
    select p.id, 1 + p.id % 2, timestamptz '2024-11-15 15:00Z' + ((p.id * 37 + k * 211) % 720) * interval '1 day', 'http://www.ama-assn.org/go/cpt', '99213'
    from patients p cross join generate_series(1, 2) k`);
  await db.execute(sql`insert into encounter_diagnoses (encounter_id, position, code_system, code, display)
    select id, 1, 'http://hl7.org/fhir/sid/icd-10-cm', 'I10', 'Essential (primary) hypertension' from encounters`);
  await db.execute(sql`insert into problems (patient_id, code_system, code, display)
    select id, 'http://hl7.org/fhir/sid/icd-10-cm', 'E11.9', 'Type 2 diabetes' from patients where id % 10 = 0`);
  await db.execute(sql`insert into observations (patient_id, encounter_id, category, code_system, code, display, effective_at)
    select patient_id, id, 'vital-signs', 'http://loinc.org', '85354-9', 'Blood pressure panel', starts_at from encounters`);
  await db.execute(sql`insert into observations (patient_id, encounter_id, panel_id, category, code_system, code, value_numeric, value_unit, effective_at)
    select o.patient_id, o.encounter_id, o.id, 'vital-signs', 'http://loinc.org', c.code, c.value + o.id % 20, 'mm[Hg]', o.effective_at
    from observations o cross join (values ('8480-6', 120), ('8462-4', 75)) as c(code, value) where o.code = '85354-9'`);
  await db.execute(sql`insert into observations (patient_id, encounter_id, category, code_system, code, value_numeric, value_unit, effective_at)
    select patient_id, id, 'vital-signs', 'http://loinc.org', '29463-7', 60 + id % 50, 'kg', starts_at from encounters`);
  await db.execute(sql`insert into observations (patient_id, category, code_system, code, value_numeric, value_unit, effective_at)
    select id, 'laboratory', 'http://loinc.org', '4548-4', 6 + (id % 40) / 10.0, '%', timestamptz '2025-11-01 15:00Z' + (id % 360) * interval '1 day'
    from patients where id % 10 = 0`);
  await db.execute(sql`insert into medications (patient_id, prescriber_id, rxnorm_code, display, start_date)
    select id, 1, '314076', 'lisinopril 10 MG Oral Tablet', date '2025-01-01' + id % 300 from patients where id % 3 = 0`);
  await db.execute(sql`insert into immunizations (patient_id, cvx_code, occurrence_date) select id, '158', date '2025-09-01' + (id % 60) from patients where id % 5 < 2`);
  await db.execute(sql`analyze`);
}

/** The baseline: every row of the same tables through COPY to stdout, counted and thrown away. */
async function copyOut(handle: PracticeDatabase, connections: postgres.Sql[]): Promise<number> {
  const dialect = new PgDialect();
  let bytes = 0;
  for (const [i, table] of sourceTables().entries()) {
    const name = sql.identifier(getTableName(table));
    if (handle.client.backend === 'pglite') {
      const { sql: text } = dialect.sqlToQuery(sql`copy (select * from ${name}) to '/dev/blob'`);
      const result = await handle.client.pglite.query(text);
      bytes += result.blob?.size ?? 0;
    } else {
      // postgres.js 3.4 stalls the query after a second COPY TO on one connection (seen here), so each
      // table is copied on a connection of its own, opened before the clock starts.
      const { sql: text } = dialect.sqlToQuery(sql`copy (select * from ${name}) to stdout`);
      const readable = await connections[i]!.unsafe(text).readable();
      await pipeline(readable, new Writable({ write: (chunk: Buffer, _enc, done) => ((bytes += chunk.length), done()) }));
    }
  }
  return bytes;
}

export interface FhirBenchFigures {
  resourcesPerSecond: number;
  copyToSeconds: number;
  exportSeconds: number;
  /** Export time over the COPY TO time of the same tables, same run. */
  ratio: number;
}

/** One measured run on a fresh bench database (PGlite, or BENCH_DATABASE_URL): for `npm run bench`. */
export async function benchFhir(patients: number): Promise<FhirBenchFigures> {
  const handle = await openBenchDatabase();
  console.log(`FHIR bulk export bench: ${patients.toLocaleString()} patients on ${handle.backend === 'pglite' ? 'PGlite (memory)' : handle.location}`);
  await measured('generate the practice (SQL)', () => generate(handle.db, patients));
  const out = await mkdtemp(join(tmpdir(), 'pk-fhir-bench-'));
  const rssAt: string[] = [];
  let total = 0;
  const exported = await measured('fhir export --all (NDJSON files)', () =>
    bulkExport(handle.db, {
      outDir: out,
      onStart: (n) => (total = n),
      onProgress: (done) => {
        const quarter = Math.floor((done / total) * 4);
        if (quarter > rssAt.length) rssAt.push(`${quarter * 25}%: ${mib(process.memoryUsage().rss)}`);
      },
    }, NOW),
  );
  const resources = exported.result.total;
  console.log(`  ${resources.toLocaleString()} resources, ${Math.round(resources / exported.seconds).toLocaleString()} resources/s; RSS during the run ${rssAt.join(', ')}`);
  const connections = handle.backend === 'postgres' ? sourceTables().map(() => postgres(process.env.BENCH_DATABASE_URL!, { max: 1, onnotice: () => undefined })) : [];
  await Promise.all(connections.map((c) => c`select 1`));
  const baseline = await measured('baseline: COPY (SELECT * ...) TO STDOUT, same tables', () => copyOut(handle, connections));
  await Promise.all(connections.map((c) => c.end()));
  console.log(`  ${mib(baseline.result)} of rows, ${Math.round(total / baseline.seconds).toLocaleString()} rows/s (export is ${(exported.seconds / baseline.seconds).toFixed(1)}x its time)`);
  reportFigures('fhir', {
    backend: handle.backend,
    patients,
    resources,
    exportSeconds: Number(exported.seconds.toFixed(3)),
    copySeconds: Number(baseline.seconds.toFixed(3)),
    exportVsCopy: Number((exported.seconds / baseline.seconds).toFixed(2)),
    peakRssMb: Math.round(exported.peakRss / 1024 / 1024),
  });
  await rm(out, { recursive: true, force: true });
  await handle.close();
  return {
    resourcesPerSecond: Math.round(resources / exported.seconds),
    copyToSeconds: Number(baseline.seconds.toFixed(3)),
    exportSeconds: Number(exported.seconds.toFixed(3)),
    ratio: Number((exported.seconds / baseline.seconds).toFixed(2)),
  };
}

// Run as a script (npx tsx bench/fhir.ts); imported, it only exports benchFhir.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) benchFhir(PATIENTS).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
