import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { queryRows } from '../../src/db/query.js';
import { practice } from '../../src/db/schema/index.js';
import { parseDate, parseField } from '../../src/import/fields.js';
import { splitFullName } from '../../src/import/names.js';
import type { Prompter } from '../../src/cli/prompt.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const NOW = new Date('2026-03-10T15:00:00Z');
const today = DateTime.fromJSDate(NOW, { zone: 'utc' });

describe('normalising what people type', () => {
  const mdy = { dateOrder: 'mdy' as const, today };
  const dmy = { dateOrder: 'dmy' as const, today };
  const value = (p: { value: unknown } | { problem: string }) => ('value' in p ? p.value : `problem: ${p.problem}`);

  it('reads dates in the usual forms, with the date order settling ambiguity', () => {
    expect(value(parseDate('1985-03-04', mdy))).toBe('1985-03-04');
    expect(value(parseDate('3/4/85', mdy))).toBe('1985-03-04');
    expect(value(parseDate('3/4/85', dmy))).toBe('1985-04-03');
    expect(value(parseDate('03-04-1985', mdy))).toBe('1985-03-04');
    expect(value(parseDate('4 Mar 1985', mdy))).toBe('1985-03-04');
    expect(value(parseDate('Mar 4, 1985', mdy))).toBe('1985-03-04');
    expect(value(parseDate('19850304', mdy))).toBe('1985-03-04');
    expect(value(parseDate('31134', mdy))).toBe('1985-03-28');
    expect(value(parseDate('31/12/1990', mdy))).toMatch(/--date-order dmy/);
    expect(value(parseDate('2/30/1990', mdy))).toMatch(/not a real calendar date/);
  });

  it('checks a date with a time as strictly in ISO form as in any other', () => {
    expect(value(parseField('datetime', '2026-02-03 08:15', 'collected', mdy))).toBe('2026-02-03T08:15:00');
    expect(value(parseField('datetime', '2026-02-03T08:15:30Z', 'collected', mdy))).toBe('2026-02-03T08:15:00Z');
    expect(value(parseField('datetime', '2020-02-30 08:00', 'collected', mdy))).toMatch(/not a real calendar date/);
    expect(value(parseField('datetime', '2020-02-03 25:00', 'collected', mdy))).toMatch(/not a time of day/);
    expect(value(parseField('datetime', '2/30/2020 08:00', 'collected', mdy))).toMatch(/not a real calendar date/);
  });

  it('never puts a two-digit-year birth date in the future', () => {
    expect(value(parseField('past-date', '1/1/25', 'date of birth', mdy))).toBe('2025-01-01');
    expect(value(parseField('past-date', '12/1/26', 'date of birth', mdy))).toBe('1926-12-01');
    expect(value(parseField('past-date', '2027-01-01', 'date of birth', mdy))).toMatch(/in the future/);
  });

  it('refuses values a spreadsheet mangled, and normalises codes', () => {
    expect(value(parseField('id', '1.23E+05', 'chart number', mdy))).toMatch(/spreadsheet/);
    expect(value(parseField('zip', '2134', 'ZIP', mdy))).toMatch(/leading zero/);
    expect(value(parseField('zip', '02134', 'ZIP', mdy))).toBe('02134');
    expect(value(parseField('phone', '(617) 555-0101', 'phone', mdy))).toBe('617-555-0101');
    expect(value(parseField('sex', '2', 'sex', mdy))).toBe('female');
    expect(value(parseField('ndc', '0093-1111-01', 'NDC', mdy))).toBe('00093111101');
    expect(value(parseField('cvx', '8', 'CVX', mdy))).toBe('08');
    expect(value(parseField('loinc', '4548-3', 'LOINC', mdy))).toMatch(/check digit/);
    expect(value(parseField('quantity', '180 lbs', 'weight', mdy))).toEqual({ value: 180, unit: '[lb_av]' });
    expect(value(parseField('money', '$1,175.50', 'charge', mdy))).toBe(117550);
  });

  it('splits "DOE, JOHN A" and "John A Doe"', () => {
    expect(splitFullName('DOE, JOHN A')).toEqual({ last: 'Doe', first: 'John', middle: 'A' });
    expect(splitFullName('John A Doe')).toEqual({ last: 'Doe', first: 'John', middle: 'A' });
  });
});

describeEachBackend('practice import <file.csv> --kind', (t) => {
  let dir: string;
  const cli = (args: string[], extra: Parameters<typeof runCli>[1] = {}) => runCli(args, { database: t.handle, now: NOW, cwd: dir, ...extra });
  const count = async (table: string) => (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from ${sql.identifier(table)}`))[0]!.n;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pk-import-csv-'));
    cpSync(join(import.meta.dirname, '../../fixtures/import'), dir, { recursive: true });
  });

  it('refuses a dry run to write anything, but reports the same counts', async () => {
    const run = await cli(['import', 'patients-messy.csv', '--kind', 'patients', '--dry-run', '--json', '--reject-file', 'dry.rejects.csv']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json().counts).toMatchObject({ read: 10, inserted: 5, rejected: 5 });
    expect(await count('patients')).toBe(0);
    expect(await count('import_runs')).toBe(0);
  });

  it('stops between batches at Ctrl-C, exits 130 and logs the run as interrupted', async () => {
    const stop = new AbortController();
    stop.abort();
    const run = await cli(['import', 'patients-messy.csv', '--kind', 'patients', '--batch-size', '2'], { signal: stop.signal });
    expect(run.code).toBe(130);
    expect(await count('patients')).toBe(0);
    const log = (await cli(['import', 'log', '--json'])).json();
    expect(log.map((r: { status: string }) => r.status)).toEqual(['interrupted']);
  });

  it('imports a messy transcription: every row in one bucket, rejects with row numbers and reasons', async () => {
    const run = await cli(['import', 'patients-messy.csv', '--kind', 'patients', '--json']);
    expect(run.code, run.stderr).toBe(3);
    const doc = run.json();
    expect(doc.counts).toEqual({ read: 10, inserted: 5, updated: 0, unchanged: 0, rejected: 5, skipped: 0 });
    expect(run.stderr).toContain('utf-8 with BOM, CRLF line endings');
    const rejectFile = join(dir, 'patients-messy.rejects.csv');
    expect(doc.rejectFile).toBe(rejectFile);
    expect(statSync(rejectFile).mode & 0o777).toBe(0o600);
    const rejects = parse(readFileSync(rejectFile), { columns: true }) as Record<string, string>[];
    expect(rejects.map((r) => [r.row_number, r['Chart #']])).toEqual([
      ['5', '1004'],
      ['6', '1.23E+05'],
      ['7', '1006'],
      ['8', '1007'],
      ['9', '1008'],
    ]);
    expect(rejects[0]!.reject_reason).toMatch(/--date-order dmy/);
    expect(rejects[1]!.reject_reason).toMatch(/1\.23E\+05/);
    expect(rejects[2]!.reject_reason).toMatch(/not a real calendar date/);
    expect(rejects[3]!.reject_reason).toMatch(/leading zero/);
    expect(rejects[4]!.reject_reason).toMatch(/in the future/);
    // The summary names the problems without the values (PHI).
    expect(doc.rejectReasons.map((r: { reason: string }) => r.reason).join(' ')).not.toContain('1975-02-30');
    const rows = await queryRows<Record<string, string>>(
      t.db,
      sql`select mrn, first_name, last_name, dob::text as dob, sex, phone_home, zip, state, search_name from patients order by mrn`,
    );
    expect(rows).toEqual([
      { mrn: '1001', first_name: 'Jane', last_name: 'Smith', dob: '1985-03-04', sex: 'female', phone_home: '617-555-0101', zip: '02134', state: 'MA', search_name: 'smith jane' },
      { mrn: '1002', first_name: 'John', last_name: 'Doe', dob: '1972-11-30', sex: 'male', phone_home: '617-555-0102', zip: '02139-1234', state: 'MA', search_name: 'doe john' },
      { mrn: '1003', first_name: 'An', last_name: 'Nguyen', dob: '1990-03-04', sex: 'female', phone_home: '617-555-0103', zip: '01730', state: 'MA', search_name: 'nguyen an' },
      { mrn: '1009', first_name: 'Ann', last_name: 'Old', dob: '1981-03-10', sex: 'female', phone_home: '617-555-0109', zip: '02134', state: 'MA', search_name: 'old ann' },
      { mrn: '1010', first_name: 'Lou', last_name: 'Clark', dob: '1930-12-25', sex: 'other', phone_home: '617-555-0110', zip: '02134', state: 'MA', search_name: 'clark lou' },
    ]);
    const log = await cli(['import', 'log', '--json']);
    expect(log.json()[0]).toMatchObject({ fileName: 'patients-messy.csv', kind: 'patients', status: 'completed', rowsRead: 10, inserted: 5, rejected: 5, actor: 'test-user' });
    expect(log.json()[0].fileSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes nothing when the same file is imported again, and updates exactly an edited row', async () => {
    const again = await cli(['import', 'patients-messy.csv', '--kind', 'patients', '--json']);
    expect(again.json().counts).toMatchObject({ read: 10, inserted: 0, updated: 0, unchanged: 5, rejected: 5 });
    const edited = readFileSync(join(dir, 'patients-messy.csv'), 'utf8').replace('617.555.0102', '617-555-0199');
    writeFileSync(join(dir, 'patients-edited.csv'), edited);
    const update = await cli(['import', 'patients-edited.csv', '--kind', 'patients', '--json']);
    expect(update.json().counts).toMatchObject({ inserted: 0, updated: 1, unchanged: 4, rejected: 5 });
    expect(await count('patients')).toBe(5);
  });

  it('reads Windows-1252 with semicolons, "LAST, FIRST" names and day-first dates', async () => {
    const run = await cli(['import', 'patients-1252-semicolon.csv', '--kind', 'patients', '--date-order', 'dmy', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('windows-1252');
    const rows = await queryRows<Record<string, string>>(t.db, sql`select first_name, middle_name, last_name, dob::text as dob from patients where mrn like '200%' order by mrn`);
    expect(rows).toEqual([
      { first_name: 'José', middle_name: 'A', last_name: 'Núñez', dob: '1965-03-07' },
      { first_name: 'Jürgen', middle_name: null, last_name: 'Müller', dob: '1950-11-15' },
      { first_name: 'Siobhán', middle_name: null, last_name: "O'Brien", dob: '1999-02-01' },
    ]);
  });

  it('reads tab-separated files', async () => {
    const run = await cli(['import', 'patients-tab.tsv', '--kind', 'patients', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().counts.inserted).toBe(2);
  });

  it.each([
    ['problems', { inserted: 4, rejected: 3 }, [/ICD-9/, /chart number "9999"/, /neither an ICD-10-CM nor a SNOMED/]],
    ['labs', { inserted: 3, rejected: 1 }, [/check digit/]],
    ['medications', { inserted: 2, rejected: 3 }, [/10-digit form with its hyphens/, /the medication has no RxNorm or NDC code/, /stopped before it was started/]],
    ['immunizations', { inserted: 2, rejected: 1 }, [/not a CVX/]],
    ['vitals', { inserted: 1, rejected: 2 }, [/systolic\/diastolic/, /systolic must be above/]],
    ['charges', { inserted: 4, rejected: 2 }, [/not a CPT or HCPCS/, /NDC unit "tablespoons" is not one a claim can carry/]],
  ])('imports %s with the reasons for each rejected row', async (kind, counts, reasons) => {
    const run = await cli(['import', `${kind}.csv`, '--kind', kind, '--json']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json().counts).toMatchObject(counts);
    const rejects = parse(readFileSync(join(dir, `${kind}.rejects.csv`)), { columns: true }) as Record<string, string>[];
    expect(rejects).toHaveLength(reasons.length);
    reasons.forEach((reason, i) => expect(rejects[i]!.reject_reason).toMatch(reason));
    const again = await cli(['import', `${kind}.csv`, '--kind', kind, '--json']);
    expect(again.json().counts).toMatchObject({ inserted: 0, updated: 0, unchanged: counts.inserted });
  });

  it('stores codes with their systems and vitals as LOINC observations', async () => {
    const problems = await queryRows<Record<string, string>>(t.db, sql`select code_system, code from problems order by code`);
    expect(problems).toEqual([
      { code_system: 'http://snomed.info/sct', code: '44054006' },
      { code_system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.9' },
      { code_system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' },
      { code_system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J45.909' },
    ]);
    const vitals = await queryRows<Record<string, string>>(
      t.db,
      sql`select code, value_numeric::float as value, value_unit, panel_id is not null as in_panel from observations where category = 'vital-signs' order by code`,
    );
    expect(vitals).toEqual([
      { code: '29463-7', value: 81.65, value_unit: 'kg', in_panel: false },
      { code: '8302-2', value: 165.1, value_unit: 'cm', in_panel: false },
      { code: '8310-5', value: 37, value_unit: 'Cel', in_panel: false },
      { code: '8462-4', value: 82, value_unit: 'mm[Hg]', in_panel: true },
      { code: '8480-6', value: 128, value_unit: 'mm[Hg]', in_panel: true },
      { code: '85354-9', value: null, value_unit: null, in_panel: false },
      { code: '8867-4', value: 72, value_unit: '/min', in_panel: false },
    ]);
    const [ndc] = await queryRows<{ ndc_code: string }>(t.db, sql`select ndc_code from medications where ndc_code is not null`);
    expect(ndc!.ndc_code).toBe('00093111101');
    const [charge] = await queryRows<{ modifiers: string[]; amount_cents: number }>(t.db, sql`select modifiers, amount_cents from charges where code = 'G0439'`);
    expect(charge!.amount_cents).toBe(117550);
    // A drug line keeps what loop 2410 sends: the 11-digit NDC, the amount given and its unit.
    const [drug] = await queryRows<{ ndc_code: string; ndc_quantity: string; ndc_unit: string }>(t.db, sql`select ndc_code, ndc_quantity, ndc_unit from charges where code = 'J1100'`);
    expect(drug).toEqual({ ndc_code: '00009004721', ndc_quantity: '1.000', ndc_unit: 'ML' });
  });

  it('keeps the last of a record repeated in one batch: an identical repeat is counted, a different one rejected', async () => {
    writeFileSync(
      join(dir, 'labs-repeated.csv'),
      [
        'Chart #,Result ID,LOINC,Result,Collected',
        '1001,R1,2345-7,101,2024-05-01',
        '1001,R2,2345-7,102,2024-05-02',
        '1001,R1,2345-7,111,2024-05-01',
        '1001,R2,2345-7,102,2024-05-02',
      ].join('\n'),
    );
    const run = await cli(['import', 'labs-repeated.csv', '--kind', 'labs', '--json']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json().counts).toMatchObject({ read: 4, inserted: 2, unchanged: 1, rejected: 1 });
    const rejects = parse(readFileSync(join(dir, 'labs-repeated.rejects.csv')), { columns: true }) as Record<string, string>[];
    expect(rejects.map((r) => [r.Result, r.reject_reason])).toEqual([['101', expect.stringMatching(/appears again at 4 with different details/)]]);
    const stored = await queryRows<{ source_id: string; value: number }>(t.db, sql`select source_id, value_numeric::float as value from observations where source_id in ('labs:R1', 'labs:R2') order by source_id`);
    expect(stored).toEqual([
      { source_id: 'labs:R1', value: 111 },
      { source_id: 'labs:R2', value: 102 },
    ]);
  });

  it("takes chart times without a zone as the practice's wall-clock times, and today as the practice's date", async () => {
    writeFileSync(
      join(dir, 'labs-zoned.csv'),
      ['Chart #,Result ID,LOINC,Result,Collected', '1001,Z1,2345-7,90,2026-01-01 02:00', '1001,Z2,2345-7,91,2026-07-04', '1001,Z3,2345-7,92,2026-07-04T09:30:00Z'].join('\n'),
    );
    writeFileSync(join(dir, 'visits-zoned.csv'), ['Chart #,Visit ID,Date,Time', '1001,V-Z1,3/10/2026,9:30 AM', '1001,V-Z2,7/4/2026,9:30 AM'].join('\n'));
    // Before the practice is set up the times are taken as UTC, and the import says so.
    const early = await cli(['import', 'labs-zoned.csv', '--kind', 'labs']);
    expect(early.code).toBe(0);
    expect(early.stderr).toContain('No practice time zone is set yet');
    await t.db.insert(practice).values({ legalName: 'Zone Test Practice', tin: '123456789', billingNpi: '1234567893', timeZone: 'America/New_York' });
    try {
      // Imported again once the zone is known, the same rows are corrected in place.
      const again = await cli(['import', 'labs-zoned.csv', '--kind', 'labs', '--json']);
      expect(again.code).toBe(0);
      expect(again.json().counts).toMatchObject({ inserted: 0, updated: 2, unchanged: 1 });
      expect(again.stderr).not.toContain('No practice time zone');
      // A visit is in the past: the July one is imported once July has come.
      expect((await cli(['import', 'visits-zoned.csv', '--kind', 'encounters'], { now: new Date('2026-07-10T15:00:00Z') })).code).toBe(0);
      const labs = await queryRows<{ source_id: string; at: string }>(
        t.db,
        sql`select source_id, to_char(effective_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as at from observations where source_id like 'labs:Z%' order by source_id`,
      );
      // 02:00 EST is 07:00 UTC; a date alone is midnight EDT, 04:00 UTC; a time with its zone stays as given.
      expect(labs.map((r) => r.at)).toEqual(['2026-01-01 07:00', '2026-07-04 04:00', '2026-07-04 09:30']);
      const visits = await queryRows<{ at: string }>(
        t.db,
        sql`select to_char(starts_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as at from encounters where source_id like '%V-Z%' order by source_id`,
      );
      // Before and after the change to daylight saving time (8 March 2026).
      expect(visits.map((r) => r.at)).toEqual(['2026-03-10 13:30', '2026-07-04 13:30']);
      // At 02:00 UTC on 10 March it is still the 9th in New York: a birth date of the 10th is in the future.
      writeFileSync(join(dir, 'born-tomorrow.csv'), ['Chart #,Last Name,First Name,DOB,Sex', '7001,Evening,Late,3/10/2026,F'].join('\n'));
      const born = await cli(['import', 'born-tomorrow.csv', '--kind', 'patients', '--json'], { now: new Date('2026-03-10T02:00:00Z') });
      expect(born.code).toBe(3);
      expect(born.json().rejectReasons.map((r: { reason: string }) => r.reason).join(' ')).toMatch(/in the future/);
    } finally {
      await t.db.delete(practice);
    }
  });

  it('finds a visit given only a date again on a re-import, under the key the import gave it before it was stored at noon', async () => {
    writeFileSync(join(dir, 'visits-by-day.csv'), ['Chart #,Date,Visit Code', '1001,2/20/2026,99213'].join('\n'));
    // The key the import gave this row before (chart number, the day at midnight, the visit code): a visit stored then is found again.
    const before = `visit:${createHash('sha256').update(JSON.stringify(['1001', '2026-02-20T00:00:00', '99213'])).digest('hex').slice(0, 24)}`;
    const first = await cli(['import', 'visits-by-day.csv', '--kind', 'encounters', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json().counts).toMatchObject({ inserted: 1 });
    const again = await cli(['import', 'visits-by-day.csv', '--kind', 'encounters', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().counts).toMatchObject({ inserted: 0, unchanged: 1 });
    const visits = await queryRows<{ source_id: string; at: string }>(
      t.db,
      sql`select source_id, to_char(starts_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as at from encounters where type_code = '99213' and starts_at::date = '2026-02-20'`,
    );
    // Stored at noon (no practice zone yet: UTC), keyed as before.
    expect(visits).toEqual([{ source_id: before, at: '2026-02-20 12:00' }]);
  });

  it('refuses a file it cannot read as the kind before writing anything', async () => {
    const before = await count('import_runs');
    const binary = await cli(['import', 'not-a-csv.csv', '--kind', 'patients']);
    expect(binary.code).toBe(1);
    expect(binary.stderr).toContain('not a text file');
    writeFileSync(join(dir, 'empty.csv'), '');
    const empty = await cli(['import', 'empty.csv', '--kind', 'patients']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('empty');
    const wrong = await cli(['import', 'unrecognised-columns.csv', '--kind', 'labs']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('does not look like a labs file');
    expect(await count('import_runs')).toBe(before);
  });

  it('without a terminal, exits 2 naming every required column it could not find', async () => {
    writeFileSync(join(dir, 'partial.csv'), 'Chart #,Pt Last,Pt First,Born\n4001,Stone,Ella,1970-01-01\n');
    const run = await cli(['import', 'partial.csv', '--kind', 'patients']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/last_name .*first_name .*dob/s);
    expect(await count('patients')).toBe(8 + 2);
  });

  it('takes the column mapping from --map', async () => {
    writeFileSync(join(dir, 'partial.map.json'), JSON.stringify({ columns: { 'Pt Last': 'last_name', 'Pt First': 'first_name', Born: 'dob' } }));
    const run = await cli(['import', 'partial.csv', '--kind', 'patients', '--map', 'partial.map.json', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().counts.inserted).toBe(1);
  });

  it('on a terminal, asks for the missing columns with guesses and saves the mapping', async () => {
    writeFileSync(join(dir, 'wizard.csv'), 'Chart #,Surname2,Forename,Born\n5001,Reed,Max,1966-06-16\n');
    const asked: string[] = [];
    const defaults: unknown[] = [];
    const prompter: Prompter = {
      async select(message, choices, options) {
        asked.push(message);
        defaults.push(options?.default);
        const wanted = message.includes('last_name') ? 'Surname2' : message.includes('first_name') ? 'Forename' : 'Born';
        return choices.find((c) => c.name === wanted)!.value;
      },
      confirm: async () => true,
      input: async () => 'wizard.map.json',
    };
    const run = await cli(['import', 'wizard.csv', '--kind', 'patients', '--json'], { prompter, tty: true });
    expect(run.code, run.stderr).toBe(0);
    expect(asked).toHaveLength(3);
    // The date column is guessed from its values.
    expect(defaults[2]).toBe(3);
    expect(JSON.parse(readFileSync(join(dir, 'wizard.map.json'), 'utf8')).columns).toEqual({ Surname2: 'last_name', Forename: 'first_name', Born: 'dob' });
  });

  it('writes an empty template with the canonical columns', async () => {
    const run = await cli(['import', 'template', '--kind', 'patients']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split(',')).toEqual(expect.arrayContaining(['chart_number', 'last_name', 'first_name', 'dob', 'sex', 'zip']));
  });
});

describeEachBackend('practice import --kind patients: matching patients already on file', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW, cwd: dir });
  const write = (name: string, lines: string[]) => writeFileSync(join(dir, name), `${lines.join('\n')}\n`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-import-match-'));
    write('first.csv', ['chart_number,last_name,first_name,dob,sex', '1001,Smith,Jane,1985-03-04,F', '1002,Doe,John,1972-11-30,M']);
    expect((await cli(['import', 'first.csv', '--kind', 'patients', '--json'])).json().counts).toMatchObject({ inserted: 2 });
  });

  it('refuses a chart number on file with another birth date, and counts a new chart number with a known name and birth date as a possible duplicate', async () => {
    // Another source system, so the rows are matched by chart number (a source's own ids come first).
    // Batch size 1 and the default: each step matches the rows of a batch as a set, whatever its size.
    for (const batch of ['1', '1000']) {
      write('second.csv', ['chart_number,last_name,first_name,dob,sex', '1002,Doe,John,1980-01-01,M', `30${batch},Smith,Jane,1985-03-04,F`, '1001,Smith,Jane,1985-03-04,F']);
      const run = await cli(['import', 'second.csv', '--kind', 'patients', '--source', 'other', '--batch-size', batch, '--json']);
      expect(run.code, run.stderr).toBe(3);
      expect(run.json()).toMatchObject({ counts: { read: 3, inserted: 1, unchanged: 1, rejected: 1 }, possibleDuplicates: 1 });
      const rejects = parse(readFileSync(join(dir, 'second.rejects.csv')), { columns: true }) as Record<string, string>[];
      expect(rejects.map((r) => [r.chart_number, r.reject_reason])).toEqual([['1002', 'chart number 1002 already belongs to a patient with a different date of birth']]);
    }
    const doe = await queryRows<{ dob: string }>(t.db, sql`select dob::text as dob from patients where mrn = '1002'`);
    expect(doe).toEqual([{ dob: '1972-11-30' }]);
    const smiths = await queryRows<{ mrn: string }>(t.db, sql`select mrn from patients where search_name = 'smith jane' order by mrn`);
    expect(smiths.map((r) => r.mrn)).toEqual(['1001', '301', '301000']);
  });

  it('links a row without a chart number to the patient with its name and birth date, and finds it again by its old id', async () => {
    write('old-ids.csv', ['external_id,last_name,first_name,dob,sex,city', 'X9,Doe,John,1972-11-30,M,Boston', 'X10,Stone,Ella,1970-01-01,F,']);
    const run = await cli(['import', 'old-ids.csv', '--kind', 'patients', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().counts).toMatchObject({ read: 2, inserted: 1, updated: 1 });
    const linked = await queryRows<{ mrn: string; city: string | null }>(
      t.db,
      sql`select p.mrn, p.city from patient_identifiers pi join patients p on p.id = pi.patient_id where pi.value in ('X9', 'X10') order by pi.value desc`,
    );
    expect(linked[0]).toEqual({ mrn: '1002', city: 'Boston' });
    expect(linked[1]!.mrn).toMatch(/^I[0-9A-F]{9}$/);
    const again = await cli(['import', 'old-ids.csv', '--kind', 'patients', '--json']);
    expect(again.json().counts).toMatchObject({ read: 2, inserted: 0, updated: 0, unchanged: 2 });
  });
});
