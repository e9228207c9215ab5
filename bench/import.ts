// Import speed next to a raw COPY of the same file, measured in the same run on the same database.
//   npx tsx bench/import.ts [--patients 1000000] [--observations 5000000]
// Uses DATABASE_URL (PostgreSQL) when set, else an embedded database in a temporary folder (the floor is then
// measured on that same database). Needs dist/
// (npm run build): the import runs as the real CLI in a child process so its peak RSS can be reported.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { reportFigures } from './figures.js';

const { values } = parseArgs({ options: { patients: { type: 'string', default: '1000000' }, observations: { type: 'string', default: '5000000' } } });
const patientRows = Number(values.patients);
const observationRows = Number(values.observations);
const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'pk-bench-import-'));
const databaseUrl = process.env.DATABASE_URL;

/** Deterministic rows (a counter, no randomness) so runs compare. */
async function writeCsv(file: string, header: string, rows: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${header}\n`);
  for (let i = 0; i < rows; i++) if (!out.write(`${line(i)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

const loinc = [['4548-4', 'Hemoglobin A1c', '%'], ['2345-7', 'Glucose', 'mg/dL'], ['2093-3', 'Cholesterol', 'mg/dL'], ['8480-6', 'Systolic BP', 'mm[Hg]']] as const;

async function rawCopy(file: string, table: string, columns: string): Promise<number> {
  const started = performance.now();
  if (databaseUrl) {
    const { default: postgres } = await import('postgres');
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`drop table if exists ${table}; create table ${table} (${columns})`);
    const t0 = performance.now();
    await pipeline(createReadStream(file), await sql.unsafe(`copy ${table} from stdin (format csv, header true)`).writable());
    const seconds = (performance.now() - t0) / 1000;
    await sql.unsafe(`drop table ${table}`);
    await sql.end();
    return seconds;
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir: join(work, 'copy-db') });
  await db.exec(`drop table if exists ${table}; create table ${table} (${columns})`);
  const blob = new Blob([readFileSync(file)]);
  const t0 = performance.now();
  await db.query(`copy ${table} from '/dev/blob' (format csv, header true)`, [], { blob });
  const seconds = (performance.now() - t0) / 1000;
  await db.close();
  void started;
  return seconds;
}

/**
 * The floor for any import that keeps the schema's integrity (PostgreSQL only): COPY into a staging table,
 * then one INSERT ... SELECT ... ON CONFLICT into the real table with its indexes, checks and foreign keys.
 * Rolled back, so the import after it starts from the same state.
 */
const floorInserts: Record<string, string> = {
  patients: `insert into patients (mrn, first_name, last_name, middle_name, dob, sex, address1, city, state, zip, phone_home, email, search_name)
    select chart_number, first_name, last_name, middle_name, dob, case sex when 'F' then 'female' else 'male' end, address1, city, state, zip, phone, email,
      lower(last_name || ' ' || first_name) from bench_stage on conflict (mrn) do nothing`,
  labs: `insert into observations (source_system, source_id, patient_id, category, code_system, code, value_numeric, value_unit, effective_at)
    select 'bench', s.chart_number || '|' || s.loinc || '|' || s.effective_at, p.id, 'laboratory', 'http://loinc.org', s.loinc, s.value, s.unit, s.effective_at
    from bench_stage s join patients p on p.mrn = s.chart_number on conflict (source_system, source_id) do nothing`,
};

async function schemaFloor(file: string, kind: string, columns: string): Promise<number | null> {
  if (!databaseUrl) return embeddedFloor(file, kind, columns);
  const { default: postgres } = await import('postgres');
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  try {
    const t0 = performance.now();
    await sql.begin(async (tx) => {
      await tx.unsafe(`create temp table bench_stage (${columns.replace(' primary key', '')}) on commit drop`);
      await pipeline(createReadStream(file), await tx.unsafe('copy bench_stage from stdin (format csv, header true)').writable());
      await tx.unsafe(floorInserts[kind]!);
      throw new RolledBack((performance.now() - t0) / 1000);
    });
    return null;
  } catch (error) {
    if (error instanceof RolledBack) return error.seconds;
    throw error;
  } finally {
    await sql.end();
  }
}

/** The same floor on the practice's embedded database (the folder the import then writes to), rolled back too. */
async function embeddedFloor(file: string, kind: string, columns: string): Promise<number> {
  const { openEmbedded } = await import('../src/db/client.js');
  const handle = await openEmbedded({ dataDir: join(work, 'practice-db'), waitSeconds: 30, owner: { pid: process.pid, user: 'bench', command: 'bench/import', since: new Date().toISOString() } });
  if (handle.client.backend !== 'pglite') throw new Error('expected the embedded database');
  const { pglite } = handle.client;
  const blob = new Blob([readFileSync(file)]);
  try {
    const t0 = performance.now();
    await pglite.exec(`begin; create temp table bench_stage (${columns.replace(' primary key', '')}) on commit drop`);
    await pglite.query(`copy bench_stage from '/dev/blob' (format csv, header true)`, [], { blob });
    await pglite.exec(floorInserts[kind]!);
    const seconds = (performance.now() - t0) / 1000;
    await pglite.exec('rollback');
    return seconds;
  } finally {
    await handle.close();
  }
}

class RolledBack extends Error {
  constructor(readonly seconds: number) {
    super('rolled back');
  }
}

/** Runs the real CLI in a child process; it reports its own peak RSS when it exits. */
async function practice(args: string[]): Promise<{ seconds: number; rssMb: number; stdout: string }> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { main } from ${JSON.stringify(join(root, 'dist/cli/main.js'))};
       const code = await main(process.argv.slice(1));
       process.stderr.write('RSS ' + process.resourceUsage().maxRSS + '\\n');
       process.exitCode = code;`,
      '--',
      ...(databaseUrl ? [] : ['--data-dir', join(work, 'practice-db')]),
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PRACTICE_USER: 'bench' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const t0 = performance.now();
  const [code] = (await once(child, 'exit')) as [number];
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0 && code !== 3) throw new Error(`practice ${args[0]} failed (${code}):\n${stderr}`);
  const rss = Number(/RSS (\d+)/.exec(stderr)?.[1] ?? 0) / 1024;
  return { seconds, rssMb: Math.round(rss), stdout };
}

async function practiceImport(file: string, kind: string): Promise<{ seconds: number; rssMb: number; counts: unknown }> {
  const run = await practice(['import', file, '--kind', kind, '--json', '--quiet']);
  return { seconds: run.seconds, rssMb: run.rssMb, counts: JSON.parse(run.stdout).counts };
}

const patientsFile = join(work, 'patients.csv');
const observationsFile = join(work, 'labs.csv');
console.log(`Generating ${patientRows.toLocaleString()} patients and ${observationRows.toLocaleString()} lab results in ${work} ...`);
await writeCsv(patientsFile, 'chart_number,last_name,first_name,middle_name,dob,sex,address1,city,state,zip,phone,email,race,ethnicity,language', patientRows, (i) =>
  [`C${i}`, `Last${i % 4999}`, `First${i % 7919}`, 'Q', `${1930 + (i % 90)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`, i % 2 ? 'F' : 'M', `${i} Main St`, 'Boston', 'MA', `0${String(2100 + (i % 800))}`, `617-555-${String(i % 10000).padStart(4, '0')}`, `p${i}@example.org`, 'white', 'nonhispanic', 'en'].join(','),
);
await writeCsv(observationsFile, 'chart_number,loinc,test_name,value,unit,date', observationRows, (i) => {
  const [code, name, unit] = loinc[i % loinc.length]!;
  return [`C${i % patientRows}`, code, name, (5 + (i % 200) / 10).toFixed(1), unit, `20${String(10 + (i % 15))}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')} 08:00`].join(',');
});

const patientColumns = 'chart_number text primary key, last_name text, first_name text, middle_name text, dob date, sex text, address1 text, city text, state text, zip text, phone text, email text, race text, ethnicity text, language text';
const labColumns = 'chart_number text, loinc text, test_name text, value numeric, unit text, effective_at timestamptz';
// The schema-floor step writes into the real tables, so the schema must exist before it runs.
await practice(['db', 'migrate']);
const results: string[] = [];
const figures: Record<string, number | null> = {};
for (const [label, file, kind, table, columns, rows] of [
  ['patients', patientsFile, 'patients', 'bench_copy_patients', patientColumns, patientRows],
  ['lab results', observationsFile, 'labs', 'bench_copy_labs', labColumns, observationRows],
] as const) {
  const copySeconds = await rawCopy(file, table, columns);
  const floorSeconds = await schemaFloor(file, kind, columns);
  const imported = await practiceImport(file, kind);
  const copyRate = Math.round(rows / copySeconds);
  const importRate = Math.round(rows / imported.seconds);
  const floor = floorSeconds === null ? '' : ` | COPY + upsert into the real table ${Math.round(rows / floorSeconds).toLocaleString()} rows/s`;
  results.push(
    `${label.padEnd(12)} ${rows.toLocaleString().padStart(10)} rows | raw COPY ${copyRate.toLocaleString().padStart(9)} rows/s${floor} | practice import ${importRate.toLocaleString().padStart(8)} rows/s (${Math.round((100 * importRate) / copyRate)}% of COPY${floorSeconds === null ? '' : `, ${Math.round((100 * floorSeconds) / imported.seconds)}% of the floor, target >= 70%`}) | peak RSS ${imported.rssMb} MB (target < 300)`,
  );
  console.log(results.at(-1));
  const key = kind === 'patients' ? 'patients' : 'labs';
  figures[`${key}Rows`] = rows;
  figures[`${key}ImportRowsPerSecond`] = importRate;
  figures[`${key}CopyRowsPerSecond`] = copyRate;
  figures[`${key}FloorRowsPerSecond`] = floorSeconds === null ? null : Math.round(rows / floorSeconds);
  figures[`${key}VsFloor`] = floorSeconds === null ? null : Number((floorSeconds / imported.seconds).toFixed(3));
  figures[`${key}PeakRssMb`] = imported.rssMb;
}
reportFigures('import', { ...figures, backend: databaseUrl ? 'postgres' : 'pglite' });
console.log(`\nBackend: ${databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}; import timings include process start-up. Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores.`);
rmSync(work, { recursive: true, force: true });
