// One patient, one answer (issues #22 and #20 "one voice"): a table of good and bad patient values goes through
// every path that registers a patient (`patients add`, a CSV patient row, a FHIR Patient, a Synthea
// patients.csv row), and every path accepts or refuses it alike, in the same words: the CLI after the option
// typed ("--dob: the date of birth is in the future."), an import as a row's reason (without the full stop).
// Then badly written dates and numbers of other record kinds through every path: one reader, one wording.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { patients } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { NOW, seedPractice } from '../chart/setup.js';
import { coding, CVX, FUTURE, ICD10, reasonsBy, RXNORM } from './paths.js';

type Path = 'cli' | 'csv' | 'fhir' | 'synthea';
type Json = Record<string, any>;

interface PatientCase {
  name: string;
  /** The reason every path gives, as an import words it, or 'accepted'. */
  answer: string | 'accepted';
  /** What an accepted patient is stored as, on every path. */
  stored?: Record<string, string | null>;
  /** Options of `patients add` besides the chart number (first, last and dob are given unless set here). */
  cli?: Record<string, string | undefined>;
  csv?: Record<string, string>;
  fhir?: Json;
  synthea?: Record<string, string>;
}

// NOW is 2026-03-10 in the practice: the 1st of April is ahead.
const BAD_FORM = 'April the 23rd, 1980';

const patientCases: PatientCase[] = [
  {
    name: 'a birth date and sex as each source writes them',
    answer: 'accepted',
    stored: { dob: '1980-04-23', sex: 'female' },
    cli: { '--dob': '1980-04-23', '--sex': 'F' },
    csv: { dob: '1980-04-23', sex: 'F' },
    fhir: { birthDate: '1980-04-23', gender: 'female' },
    synthea: { BIRTHDATE: '1980-04-23', GENDER: 'F' },
  },
  {
    name: 'a birth date as people type it',
    answer: 'accepted',
    stored: { dob: '1980-04-23' },
    cli: { '--dob': '4/23/1980' },
    csv: { dob: '4/23/1980' },
  },
  {
    name: 'a state written out, a ZIP+4 without its hyphen',
    answer: 'accepted',
    stored: { state: 'MA', zip: '02134-1234' },
    cli: { '--state': 'massachusetts', '--zip': '021341234' },
    csv: { state: 'massachusetts', zip: '021341234' },
    fhir: { address: [{ state: 'massachusetts', postalCode: '021341234' }] },
    synthea: { STATE: 'Massachusetts', ZIP: '021341234' },
  },
  {
    name: 'a name typed in capitals',
    answer: 'accepted',
    stored: { first_name: 'Juniper' },
    cli: { '--first': 'JUNIPER' },
    csv: { first_name: 'JUNIPER' },
    fhir: { name: [{ family: 'Test', given: ['JUNIPER'] }] },
    synthea: { FIRST: 'JUNIPER' },
  },
  {
    name: 'a birth date in the future',
    answer: 'the date of birth is in the future',
    cli: { '--dob': FUTURE },
    csv: { dob: FUTURE },
    fhir: { birthDate: FUTURE },
    synthea: { BIRTHDATE: FUTURE },
  },
  {
    name: 'a birth date before 1900',
    answer: 'the date of birth is before 1900: please check the year',
    cli: { '--dob': '1889-05-01' },
    csv: { dob: '1889-05-01' },
    fhir: { birthDate: '1889-05-01' },
    synthea: { BIRTHDATE: '1889-05-01' },
  },
  {
    name: 'a birth date on a day the calendar does not have',
    answer: 'the date of birth is not a real calendar date',
    cli: { '--dob': '2023-02-30' },
    csv: { dob: '2023-02-30' },
    fhir: { birthDate: '2023-02-30' },
    synthea: { BIRTHDATE: '2023-02-30' },
  },
  {
    name: 'a birth date in words',
    answer: 'the date of birth is not a date (e.g. 2026-03-01)',
    cli: { '--dob': BAD_FORM },
    csv: { dob: BAD_FORM },
    fhir: { birthDate: BAD_FORM },
    synthea: { BIRTHDATE: BAD_FORM },
  },
  {
    name: 'no birth date',
    answer: 'the date of birth is required',
    cli: { '--dob': undefined },
    csv: { dob: '' },
    fhir: { birthDate: undefined },
    synthea: { BIRTHDATE: '' },
  },
  {
    name: 'no first name',
    answer: 'the first name is required',
    cli: { '--first': undefined },
    csv: { first_name: '' },
    fhir: { name: [{ family: 'Test' }] },
    synthea: { FIRST: '' },
  },
  {
    name: 'a sex that is not one',
    answer: 'the sex must be one of: male, female, other, unknown (or M, F, O, U)',
    cli: { '--sex': 'Q' },
    csv: { sex: 'Q' },
    fhir: { gender: 'q' },
    synthea: { GENDER: 'Q' },
  },
  {
    name: 'a ZIP code that lost its leading zero',
    answer: 'the ZIP code has lost its leading zero(s), probably in a spreadsheet; write it as text with all 5 digits',
    cli: { '--zip': '2134' },
    csv: { zip: '2134' },
    fhir: { address: [{ city: 'Boston', postalCode: '2134' }] },
    synthea: { ZIP: '2134' },
  },
  {
    name: 'a state that is not one',
    answer: 'the state must be a two-letter USPS code such as MA or NY',
    cli: { '--state': 'ZZ' },
    csv: { state: 'ZZ' },
    fhir: { address: [{ state: 'ZZ' }] },
    synthea: { STATE: 'ZZ' },
  },
  {
    // Words an object already answers to (its members) are no vocabulary's words.
    name: 'a sex and a state that are names of an object member',
    answer: 'the sex must be one of: male, female, other, unknown (or M, F, O, U); the state must be a two-letter USPS code such as MA or NY',
    cli: { '--sex': 'constructor', '--state': 'toString' },
    csv: { sex: 'constructor', state: 'toString' },
    fhir: { gender: 'constructor', address: [{ state: 'toString' }] },
    synthea: { GENDER: 'constructor', STATE: 'toString' },
  },
  {
    name: 'a phone number that is not one',
    answer: 'the home phone is not a US phone number (10 digits, e.g. 555-123-4567)',
    cli: { '--home-phone': '555-12' },
    csv: { phone: '555-12' },
    fhir: { telecom: [{ system: 'phone', use: 'home', value: '555-12' }] },
  },
  {
    name: 'an email address that is not one',
    answer: 'the email address is not valid (it should look like name@example.com)',
    cli: { '--email': 'rowan-at-example' },
    csv: { email: 'rowan-at-example' },
    fhir: { telecom: [{ system: 'email', value: 'rowan-at-example' }] },
  },
  {
    name: 'a death before the birth',
    answer: 'the date of death is before the date of birth',
    csv: { deceased_date: '1970-01-01' },
    fhir: { deceasedDateTime: '1970-01-01' },
    synthea: { DEATHDATE: '1970-01-01' },
  },
];

/** Bad dates and numbers of other kinds, through each import path that carries the field. */
interface RecordCase {
  name: string;
  answer: string;
  /** Options after "<command> add <chart number>", and the option the CLI puts before the reason. */
  cli?: { args: string[]; option: string };
  csv: Record<string, string>;
  fhir: Json;
  synthea?: Record<string, string>;
}
interface RecordKind {
  csvKind: string;
  /** The command that records the kind, for the cases the CLI takes as text (a number, not a date option). */
  command?: string;
  fhirType: string;
  fhirPatientField: 'subject' | 'patient';
  syntheaFile: string;
  syntheaHeader: string[];
  cases: RecordCase[];
}

const recordKinds: RecordKind[] = [
  {
    csvKind: 'problems',
    fhirType: 'Condition',
    fhirPatientField: 'subject',
    syntheaFile: 'conditions.csv',
    syntheaHeader: ['START', 'STOP', 'PATIENT', 'ENCOUNTER', 'SYSTEM', 'CODE', 'DESCRIPTION'],
    cases: [
      { name: 'an onset on a day the calendar does not have', answer: 'the onset date is not a real calendar date', csv: { code: 'I10', onset_date: '2025-02-30' }, fhir: { code: coding(ICD10, 'I10'), onsetDateTime: '2025-02-30' }, synthea: { CODE: 'I10', SYSTEM: 'ICD-10-CM', START: '2025-02-30' } },
      { name: 'an onset in words', answer: 'the onset date is not a date (e.g. 2026-03-01)', csv: { code: 'I10', onset_date: 'last spring' }, fhir: { code: coding(ICD10, 'I10'), onsetDateTime: 'last spring' }, synthea: { CODE: 'I10', SYSTEM: 'ICD-10-CM', START: 'last spring' } },
    ],
  },
  {
    csvKind: 'immunizations',
    fhirType: 'Immunization',
    fhirPatientField: 'patient',
    syntheaFile: 'immunizations.csv',
    syntheaHeader: ['DATE', 'PATIENT', 'ENCOUNTER', 'CODE', 'DESCRIPTION'],
    cases: [
      { name: 'given in a month the calendar does not have', answer: 'the date given is not a real calendar date', csv: { cvx: '140', date: '2025-13-01' }, fhir: { status: 'completed', vaccineCode: coding(CVX, '140'), occurrenceDateTime: '2025-13-01' }, synthea: { CODE: '140', DATE: '2025-13-01' } },
      { name: 'a dose that is not a number', answer: 'the dose must be a number (0 or more)', csv: { cvx: '140', date: '2025-10-02', dose: 'half mL' }, fhir: { status: 'completed', vaccineCode: coding(CVX, '140'), occurrenceDateTime: '2025-10-02', doseQuantity: { value: 'half', unit: 'mL' } } },
    ],
  },
  {
    csvKind: 'medications',
    command: 'medications',
    fhirType: 'MedicationRequest',
    fhirPatientField: 'subject',
    syntheaFile: 'medications.csv',
    syntheaHeader: ['START', 'STOP', 'PATIENT', 'PAYER', 'ENCOUNTER', 'CODE', 'DESCRIPTION'],
    cases: [
      { name: 'a quantity that is not a number', answer: 'the quantity must be a number (0 or more)', csv: { drug_name: 'metformin', rxnorm: '860975', quantity: 'lots' }, fhir: { status: 'active', intent: 'order', medicationCodeableConcept: coding(RXNORM, '860975'), dispenseRequest: { quantity: { value: 'lots' } } } },
      { name: 'refills that are not a whole number', cli: { args: ['--name', 'metformin', '--rxnorm', '860975', '--refills', '1.5'], option: '--refills' }, answer: 'the number of refills must be a whole number', csv: { drug_name: 'metformin', rxnorm: '860975', refills: '1.5' }, fhir: { status: 'active', intent: 'order', medicationCodeableConcept: coding(RXNORM, '860975'), dispenseRequest: { numberOfRepeatsAllowed: 1.5 } } },
      { name: 'a stop date on a day the calendar does not have', answer: 'the stop date is not a real calendar date', csv: { drug_name: 'metformin', rxnorm: '860975', stop_date: '2025-04-31' }, fhir: { resourceType: 'MedicationStatement', status: 'completed', medicationCodeableConcept: coding(RXNORM, '860975'), effectivePeriod: { start: '2025-04-01', end: '2025-04-31' } }, synthea: { CODE: '860975', DESCRIPTION: 'metformin', START: '2025-04-01', STOP: '2025-04-31' } },
    ],
  },
  {
    csvKind: 'vitals',
    command: 'vitals',
    fhirType: 'Observation',
    fhirPatientField: 'subject',
    syntheaFile: 'observations.csv',
    syntheaHeader: ['DATE', 'PATIENT', 'ENCOUNTER', 'CATEGORY', 'CODE', 'DESCRIPTION', 'VALUE', 'UNITS', 'TYPE'],
    cases: [
      {
        name: 'a weight that is not a number',
        answer: 'Body weight must be a number (0 or more)',
        cli: { args: ['--weight', 'heavy'], option: '--weight' },
        csv: { date: '2025-10-02', weight: 'heavy' },
        fhir: { status: 'final', category: [coding('http://terminology.hl7.org/CodeSystem/observation-category', 'vital-signs')], code: coding('http://loinc.org', '29463-7'), effectiveDateTime: '2025-10-02', valueQuantity: { value: 'heavy', unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } },
        synthea: { DATE: '2025-10-02', CATEGORY: 'vital-signs', CODE: '29463-7', DESCRIPTION: 'Body Weight', VALUE: 'heavy', UNITS: 'kg', TYPE: 'numeric' },
      },
    ],
  },
];

const fhirId = (row: string[]) => /\/([a-z]+-[0-9]+)\)/.exec(row.join(' '))?.[1];
const SYNTHEA_PATIENT_COLUMNS = ['Id', 'BIRTHDATE', 'DEATHDATE', 'FIRST', 'LAST', 'SUFFIX', 'GENDER', 'ADDRESS', 'CITY', 'STATE', 'ZIP'];

describeEachBackend('one patient, one answer on every path', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW, cwd: dir });
  /** Per case and path: "accepted" or the reason given, as an import words it. */
  const answers = new Map<string, Map<Path, string>>();
  const answer = (key: string, path: Path, value: string) => {
    if (!answers.has(key)) answers.set(key, new Map());
    answers.get(key)!.set(path, value);
  };
  const mrnOf = (path: Path, i: number) => `${path}-${i}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-cross-path-patient-'));
    await seedPractice(t.db);
    // Each case its own last name: the same name and birth date twice would stop as a possible duplicate.
    const lastName = (i: number) => `Case${String.fromCharCode(97 + i)}`;

    // The CLI: one registration per case; a refusal names the option typed before each reason ("--dob: ...").
    for (const [i, c] of patientCases.entries()) {
      if (!c.cli) continue;
      const options: Record<string, string | undefined> = { '--first': 'Rowan', '--last': lastName(i), '--dob': '1975-06-01', ...c.cli, '--mrn': mrnOf('cli', i) };
      const args = Object.entries(options).flatMap(([option, value]) => (value === undefined ? [] : [`${option}=${value}`]));
      const run = await cli(['patients', 'add', ...args, '--json']);
      if (run.code === 0) answer(c.name, 'cli', 'accepted');
      else {
        // Several problems: each its own issue, as a reject row lists them, after one of the options this case typed.
        const { message, issues } = run.json().error as { message: string; issues: { message: string }[] };
        const reasons = issues.map((issue) => /^(--[a-z0-9-]+): (.*)\.$/.exec(issue.message)).map((m) => (m && m[1]! in c.cli! ? m[2] : undefined));
        answer(c.name, 'cli', reasons.every((r) => r !== undefined) ? reasons.join('; ') : `(not "--option: reason." for an option typed): ${message}`);
      }
    }

    // The CSV import: one row per case, keyed by its chart number.
    const csvCases = [...patientCases.entries()].filter(([, c]) => c.csv);
    const columns = ['chart_number', 'first_name', 'last_name', 'dob', ...new Set(csvCases.flatMap(([, c]) => Object.keys(c.csv!)))].filter((col, k, all) => all.indexOf(col) === k);
    const base = (i: number): Record<string, string> => ({ chart_number: mrnOf('csv', i), first_name: 'Rowan', last_name: lastName(i), dob: '1975-06-01' });
    writeFileSync(join(dir, 'patients.csv'), stringify([columns, ...csvCases.map(([i, c]) => columns.map((col) => ({ ...base(i), ...c.csv })[col] ?? ''))]));
    const csvRun = await cli(['import', 'patients.csv', '--kind', 'patients', '--reject-file', 'patients.rejects.csv', '--json']);
    expect(csvRun.code, csvRun.stderr).toBeLessThanOrEqual(3);
    const csvReasons = reasonsBy(join(dir, 'patients.rejects.csv'), (row, header) => row[header.indexOf('chart_number')]);
    for (const [i, c] of csvCases) answer(c.name, 'csv', csvReasons.get(mrnOf('csv', i)) ?? 'accepted');

    // The FHIR import: one bundle, one Patient per case.
    const fhirCases = [...patientCases.entries()].filter(([, c]) => c.fhir);
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: fhirCases.map(([i, c]) => ({ resource: { resourceType: 'Patient', name: [{ family: lastName(i), given: ['Rowan'] }], birthDate: '1975-06-01', gender: 'unknown', ...c.fhir, id: mrnOf('fhir', i) } })),
    };
    writeFileSync(join(dir, 'patients.json'), JSON.stringify(bundle));
    const fhirRun = await cli(['import', 'patients.json', '--format', 'fhir', '--reject-file', 'patients.fhir-rejects.csv', '--json']);
    expect(fhirRun.code, fhirRun.stderr).toBeLessThanOrEqual(3);
    const fhirReasons = reasonsBy(join(dir, 'patients.fhir-rejects.csv'), fhirId);
    for (const [i, c] of fhirCases) answer(c.name, 'fhir', fhirReasons.get(mrnOf('fhir', i)) ?? 'accepted');

    // The Synthea import: patients.csv, one row per case.
    const syntheaCases = [...patientCases.entries()].filter(([, c]) => c.synthea);
    const folder = mkdtempSync(join(dir, 'synthea-patients-'));
    const syntheaRow = (i: number, c: PatientCase) => SYNTHEA_PATIENT_COLUMNS.map((col) => ({ Id: mrnOf('synthea', i), BIRTHDATE: '1975-06-01', FIRST: 'Rowan', LAST: lastName(i), GENDER: 'M', ...c.synthea })[col] ?? '');
    writeFileSync(join(folder, 'patients.csv'), stringify([SYNTHEA_PATIENT_COLUMNS, ...syntheaCases.map(([i, c]) => syntheaRow(i, c))]));
    const syntheaRun = await cli(['import', folder, '--format', 'synthea', '--reject-file', join(dir, 'patients.synthea-rejects.csv'), '--json']);
    expect(syntheaRun.code, syntheaRun.stderr).toBeLessThanOrEqual(3);
    // Columns: file, the row as read, its row number (the header is row 1), the reason.
    const syntheaReasons = reasonsBy(join(dir, 'patients.synthea-rejects.csv'), (row) => row.at(-2));
    syntheaCases.forEach(([, c], k) => answer(c.name, 'synthea', syntheaReasons.get(String(k + 2)) ?? 'accepted'));

    // Other kinds: one patient per path, then each kind's rows.
    await t.db.insert(patients).values({ mrn: 'REC-csv', firstName: 'Rowan', lastName: 'Record', dob: '1970-01-15', searchName: 'record rowan' });
    for (const kind of recordKinds) {
      const key = (c: RecordCase) => `${kind.csvKind}: ${c.name}`;
      for (const c of kind.cases.filter((c) => c.cli)) {
        const run = await cli([kind.command!, 'add', 'REC-csv', ...c.cli!.args, '--json']);
        const message: string = run.code === 0 ? 'accepted' : run.json().error.message;
        const prefix = `${c.cli!.option}: `;
        answer(key(c), 'cli', message.startsWith(prefix) && message.endsWith('.') ? message.slice(prefix.length, -1) : `(not in the form "${prefix}reason."): ${message}`);
      }
      const cols = ['chart_number', 'record_id', ...new Set(kind.cases.flatMap((c) => Object.keys(c.csv)))];
      writeFileSync(join(dir, `${kind.csvKind}.csv`), stringify([cols, ...kind.cases.map((c, i) => cols.map((col) => (col === 'chart_number' ? 'REC-csv' : col === 'record_id' ? `case-${i}` : (c.csv[col] ?? ''))))]));
      const run = await cli(['import', `${kind.csvKind}.csv`, '--kind', kind.csvKind, '--reject-file', `${kind.csvKind}.rejects.csv`, '--json']);
      expect(run.code, run.stderr).toBeLessThanOrEqual(3);
      const reasons = reasonsBy(join(dir, `${kind.csvKind}.rejects.csv`), (row, header) => row[header.indexOf('record_id')]);
      kind.cases.forEach((c, i) => answer(key(c), 'csv', reasons.get(`case-${i}`) ?? 'accepted'));

      const fhirBundle = {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          { resource: { resourceType: 'Patient', id: 'rec-fhir', name: [{ family: 'Record', given: ['Fern'] }], birthDate: '1970-01-15', gender: 'female' } },
          ...kind.cases.map((c, i) => ({ resource: { resourceType: kind.fhirType, ...c.fhir, id: `case-${i}`, [kind.fhirPatientField]: { reference: 'Patient/rec-fhir' } } })),
        ],
      };
      writeFileSync(join(dir, `${kind.csvKind}.json`), JSON.stringify(fhirBundle));
      const fhir = await cli(['import', `${kind.csvKind}.json`, '--format', 'fhir', '--reject-file', `${kind.csvKind}.fhir-rejects.csv`, '--json']);
      expect(fhir.code, fhir.stderr).toBeLessThanOrEqual(3);
      const fhirByCase = reasonsBy(join(dir, `${kind.csvKind}.fhir-rejects.csv`), fhirId);
      kind.cases.forEach((c, i) => answer(key(c), 'fhir', fhirByCase.get(`case-${i}`) ?? 'accepted'));

      const rows = kind.cases.filter((c) => c.synthea);
      if (!rows.length) continue;
      const synthea = mkdtempSync(join(dir, `synthea-${kind.csvKind}-`));
      writeFileSync(join(synthea, 'patients.csv'), `Id,BIRTHDATE,DEATHDATE,FIRST,LAST,GENDER\nrec-synthea,1970-01-15,,Sage,Record,F\n`);
      const row = (c: RecordCase, i: number) => kind.syntheaHeader.map((col) => (col === 'PATIENT' ? 'rec-synthea' : (c.synthea![col] ?? (col === 'START' || col === 'DATE' ? `2025-01-${10 + i}` : ''))));
      writeFileSync(join(synthea, kind.syntheaFile), stringify([kind.syntheaHeader, ...rows.map(row)]));
      const rejects = join(dir, `${kind.csvKind}.synthea-rejects.csv`);
      const s = await cli(['import', synthea, '--format', 'synthea', '--reject-file', rejects, '--json']);
      expect(s.code, s.stderr).toBeLessThanOrEqual(3);
      const byRow = reasonsBy(rejects, (r) => (r[0] === kind.syntheaFile ? r.at(-2) : undefined));
      rows.forEach((c, i) => answer(key(c), 'synthea', byRow.get(String(i + 2)) ?? 'accepted'));
    }
  });

  describe('patients', () => {
    for (const [i, c] of patientCases.entries()) {
      it(`${c.name}: ${c.answer === 'accepted' ? 'accepted' : 'refused'} alike on every path`, async () => {
        const paths = (['cli', 'csv', 'fhir', 'synthea'] as Path[]).filter((p) => c[p]);
        const given = answers.get(c.name)!;
        expect(Object.fromEntries(given)).toEqual(Object.fromEntries(paths.map((p) => [p, c.answer])));
        if (c.answer !== 'accepted') {
          const written = await queryRows<{ mrn: string }>(t.db, sql`select mrn from patients where mrn in (${sql.join(paths.map((p) => sql`${mrnOf(p, i)}`), sql`, `)})`);
          expect(written, 'nothing is registered for a refused patient').toEqual([]);
          return;
        }
        const columns = Object.keys(c.stored!);
        for (const path of paths) {
          const rows = await queryRows<Record<string, string>>(t.db, sql`select ${sql.raw(columns.map((col) => `${col}::text as ${col}`).join(', '))} from patients where mrn = ${mrnOf(path, i)}`);
          expect(rows, `${path} stores it as the others do`).toEqual([c.stored]);
        }
      });
    }
  });

  for (const kind of recordKinds) {
    describe(`${kind.csvKind}: dates and numbers`, () => {
      for (const c of kind.cases) {
        it(`${c.name}: refused alike on every path`, () => {
          const paths = (['cli', 'csv', 'fhir', 'synthea'] as Path[]).filter((p) => c[p]);
          expect(Object.fromEntries(answers.get(`${kind.csvKind}: ${c.name}`)!)).toEqual(Object.fromEntries(paths.map((p) => [p, c.answer])));
        });
      }
    });
  }
});
