// Oversized cells and rows the database refuses: each costs only its own row (named, with its field and the
// limit or the database's reason, never its value), the rest imports; a file that cannot be read to its end
// is refused before anything is written.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { importKinds, kindSpecs } from '../../src/import/columns.js';
import { MAX_ROW_CHARACTERS } from '../../src/import/csv.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const NOW = new Date('2026-03-10T15:00:00Z');
/** A value no message may repeat: were it in stderr or stdout, the row's data would have leaked. */
const SECRET = 'Zebulon';

describeEachBackend('import limits and rows the database refuses', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW, cwd: dir });
  const count = async (query: ReturnType<typeof sql>) => (await queryRows<{ n: number }>(t.db, query))[0]!.n;
  const rejects = (file: string) => parse(readFileSync(join(dir, file), 'utf8'), { columns: true }) as Record<string, string>[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-import-limits-'));
    writeFileSync(join(dir, 'chart.csv'), 'chart_number,last_name,first_name,dob\nL1,Ames,Ann,1980-01-02\nL2,Burr,Bo,1970-03-04\nL3,Cole,Cy,1960-05-06\n');
    expect((await cli(['import', 'chart.csv', '--kind', 'patients'])).code).toBe(0);
  });

  it('rejects the row with a 3 MB cell by field and limit, and imports the other three', async () => {
    const huge = SECRET.repeat(Math.ceil((3 * 1024 * 1024) / SECRET.length)).slice(0, 3 * 1024 * 1024);
    writeFileSync(join(dir, 'four.csv'), ['chart_number,last_name,first_name,dob', 'M1,Dunn,Di,1950-07-08', `M2,${huge},Ed,1951-02-03`, 'M3,Fox,Flo,1952-04-05', 'M4,Gray,Gus,1953-06-07'].join('\n') + '\n');
    const run = await cli(['import', 'four.csv', '--kind', 'patients', '--json']);
    expect(run.code, run.stderr).toBe(3);
    const doc = run.json();
    expect(doc.counts).toMatchObject({ read: 4, inserted: 3, rejected: 1 });
    expect(doc.rejectReasons).toEqual([{ reason: 'last_name is 3,145,728 characters; the limit is 100', rows: 1 }]);
    expect(run.stderr + run.stdout.replace(/"rejectFile": "[^"]*"/, '')).not.toContain(SECRET);
    const [rejected] = rejects('four.rejects.csv');
    expect(rejected).toMatchObject({ chart_number: 'M2', row_number: '3', reject_reason: 'last_name is 3,145,728 characters; the limit is 100' });
    // The row as it was read, so it can be fixed and imported again.
    expect(rejected!.last_name).toBe(huge);
    expect(await count(sql`select count(*)::int as n from patients where mrn like 'M%'`)).toBe(3);
  });

  it('checks the limits of every kind of CSV before parsing a cell', async () => {
    for (const kind of importKinds) {
      const fields = kindSpecs[kind].fields.map((f) => f.name);
      const file = `long-${kind}.csv`;
      writeFileSync(join(dir, file), `${fields.join(',')}\n${fields.map((f) => (f === 'chart_number' ? 'X'.repeat(81) : '')).join(',')}\n`);
      const run = await cli(['import', file, '--kind', kind, '--json']);
      expect(run.code, `${kind}: ${run.stderr}`).toBe(3);
      expect(rejects(file.replace('.csv', '.rejects.csv'))[0]!.reject_reason, kind).toContain('chart_number is 81 characters; the limit is 80');
    }
  });

  it('isolates the rows the database refuses (a result too large for its column) and imports the rest', async () => {
    const big = '98765432109';
    writeFileSync(join(dir, 'visits.csv'), `chart_number,date,duration,reason\nL1,2026-01-05,15,${SECRET} cough\nL2,2026-01-06,${big},${SECRET} rash\nL3,2026-01-07,20,${SECRET} check\n`);
    const visits = await cli(['import', 'visits.csv', '--kind', 'encounters', '--json']);
    expect(visits.code, visits.stderr).toBe(3);
    expect(visits.json().counts).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    // The visit's declaration bounds its length, so this one never reaches the database.
    expect(rejects('visits.rejects.csv')).toEqual([
      expect.objectContaining({ chart_number: 'L2', row_number: '3', reject_reason: 'the visit length must be a whole number of minutes (1 to 1440)' }),
    ]);
    expect(visits.stderr + visits.stdout).not.toContain(big);
    expect(visits.stderr + visits.stdout).not.toContain(SECRET);
    expect(await count(sql`select count(*)::int as n from encounters`)).toBe(2);

    // A prothrombin time has no plausible-range check: a result too large for its column reaches the database,
    // which refuses that row alone.
    writeFileSync(join(dir, 'labs.csv'), `chart_number,loinc,value,unit,date\nL1,5902-2,12,s,2026-01-05\nL2,5902-2,${big},s,2026-01-06\nL3,5902-2,13,s,2026-01-07\n`);
    const labs = await cli(['import', 'labs.csv', '--kind', 'labs', '--json']);
    expect(labs.code, labs.stderr).toBe(3);
    expect(labs.json().counts).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    expect(rejects('labs.rejects.csv')).toEqual([
      expect.objectContaining({ chart_number: 'L2', row_number: '3', reject_reason: expect.stringMatching(/^the database refused the row: a number is too large for the database to store.*\[SQLSTATE 22003\]$/) }),
    ]);
    expect(labs.stderr + labs.stdout).not.toContain(big);

    // A place of service is read by the charge's declaration too: refused before the database, the same way.
    writeFileSync(join(dir, 'fees.csv'), 'chart_number,service_date,code,amount,place_of_service\nL1,2026-01-05,99213,100.00,11\nL2,2026-01-06,99213,100.00,1234\nL3,2026-01-07,99214,150.00,11\n');
    const fees = await cli(['import', 'fees.csv', '--kind', 'charges', '--json']);
    expect(fees.code, fees.stderr).toBe(3);
    expect(fees.json().counts).toMatchObject({ read: 3, inserted: 2, rejected: 1 });
    expect(rejects('fees.rejects.csv').map((r) => [r.row_number, r.reject_reason])).toEqual([['3', '"1234" is not a CMS place-of-service code; a practice office is 11, telehealth 02 or 10']]);
    expect(await count(sql`select count(*)::int as n from charges`)).toBe(2);
    // The run's counts and its audit entry say what was kept.
    const [run] = await queryRows<{ inserted: number; rejected: number }>(t.db, sql`select inserted, rejected from import_runs order by id desc limit 1`);
    expect(run).toEqual({ inserted: 2, rejected: 1 });

    // A rerun finds the good rows on file and rejects the bad one again.
    const again = await cli(['import', 'fees.csv', '--kind', 'charges', '--json']);
    expect(again.json().counts).toMatchObject({ read: 3, inserted: 0, unchanged: 2, rejected: 1 });
    expect(await count(sql`select count(*)::int as n from charges`)).toBe(2);
  });

  it('isolates refused rows the same way in a dry run, writing nothing', async () => {
    writeFileSync(join(dir, 'dry.csv'), 'chart_number,loinc,value,unit,date\nL1,5902-2,12,s,2026-02-05\nL2,5902-2,98765432109,s,2026-02-06\n');
    const before = await count(sql`select count(*)::int as n from observations`);
    const run = await cli(['import', 'dry.csv', '--kind', 'labs', '--dry-run', '--json']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json().counts).toMatchObject({ read: 2, inserted: 1, rejected: 1 });
    expect(await count(sql`select count(*)::int as n from observations`)).toBe(before);
  });

  it('refuses, before writing anything, a file with a row too long to tell where it ends', async () => {
    const runs = await count(sql`select count(*)::int as n from import_runs`);
    writeFileSync(join(dir, 'runaway.csv'), `chart_number,last_name,first_name,dob\nR1,Hale,Hal,1960-01-01\nR2,"${SECRET.repeat(Math.ceil(MAX_ROW_CHARACTERS / SECRET.length) + 1)},Ida,1961-01-01\nR3,Ives,Ian,1962-01-01\n`);
    const run = await cli(['import', 'runaway.csv', '--kind', 'patients']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('runaway.csv cannot be read as CSV: row 3 is longer than 16,777,216 characters');
    expect(run.stderr).toContain('Nothing was imported');
    expect(run.stderr).not.toContain(SECRET);
    expect(await count(sql`select count(*)::int as n from import_runs`)).toBe(runs);
    expect(await count(sql`select count(*)::int as n from patients where mrn like 'R%'`)).toBe(0);
  });

  it('rejects a Synthea row with an oversized cell by its column, and imports the rest', async () => {
    const synthea = join(dir, 'synthea');
    mkdirSync(synthea);
    writeFileSync(
      join(synthea, 'patients.csv'),
      `Id,BIRTHDATE,DEATHDATE,FIRST,LAST,GENDER,ADDRESS\ns-1,1970-01-01,,Jo,Kerr,F,1 Main St\ns-2,1971-01-01,,Al,Lamb,M,${SECRET.repeat(200)}\n`,
    );
    const run = await cli(['import', synthea, '--format', 'synthea', '--json']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json().counts).toMatchObject({ inserted: 1, rejected: 1 });
    expect(run.json().rejectReasons).toEqual([{ reason: 'ADDRESS is 1,400 characters; the limit is 1,000', rows: 1 }]);
    expect(run.stderr).not.toContain(SECRET);
  });
});
