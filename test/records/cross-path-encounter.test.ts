// One visit, one answer (issue #22): a table of good and bad visit and charge values goes through every path
// that records them (`encounters add`, a CSV encounters or charges row, a FHIR Encounter, a Synthea
// encounters.csv row), and every path accepts or refuses it alike, in the same words: the CLI after the
// option it names ("--date: "), an import as a row's reason (without the full stop). What is accepted is
// stored alike.
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
import { NOW, NPI_A, seedPractice } from '../chart/setup.js';
import { coding, FUTURE, ICD10, reasonsBy } from './paths.js';

type Path = 'cli' | 'csv' | 'fhir' | 'synthea';
type Json = Record<string, any>;

interface VisitCase {
  name: string;
  /** The reason every path gives, as an import words it, or 'accepted'. */
  answer: string | 'accepted';
  /** What an accepted visit is stored as, on every path (starts_at in UTC, diagnoses in claim order). */
  stored?: Record<string, string | null>;
  /** Options of `encounters add` that replace the defaults (--date, --dx, --provider, --duration). */
  cli?: Record<string, string>;
  csv?: Record<string, string>;
  /** Encounter elements; `diagnoses` lists ICD-10-CM codes the test writes as ranked Conditions. */
  fhir?: Json;
  synthea?: Record<string, string>;
}

// NOW is 2026-03-10 11:00 in New York (EDT since 8 March): noon there on the 9th is 16:00 UTC.
const visitCases: VisitCase[] = [
  {
    name: 'a visit date and time as each source writes them',
    answer: 'accepted',
    stored: { starts_at: '2026-03-09 14:15' },
    cli: { '--date': '2026-03-09 10:15' },
    csv: { date: '3/9/2026', time: '10:15 AM' },
    fhir: { period: { start: '2026-03-09T10:15:00-04:00' } },
    synthea: { START: '2026-03-09T14:15:00Z' },
  },
  {
    name: 'a visit date alone: noon in the practice',
    answer: 'accepted',
    stored: { starts_at: '2026-03-09 16:00' },
    cli: { '--date': '2026-03-09' },
    csv: { date: '2026-03-09', time: '' },
    fhir: { period: { start: '2026-03-09' } },
    synthea: { START: '2026-03-09' },
  },
  {
    name: 'diagnoses in claim order, in any case',
    answer: 'accepted',
    stored: { diagnoses: 'E11.9,I10' },
    cli: { '--dx': 'e11.9,I10' },
    csv: { diagnoses: 'e11.9; I10' },
    fhir: { diagnoses: ['e11.9', 'I10'] },
  },
  {
    name: 'a visit class as files write it',
    answer: 'accepted',
    stored: { encounter_class: 'VR' },
    csv: { visit_class: 'Telehealth' },
    fhir: { class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' } },
    synthea: { ENCOUNTERCLASS: 'virtual' },
  },
  {
    name: 'a visit in the future',
    answer: 'the visit date is in the future: book an appointment instead',
    cli: { '--date': FUTURE },
    csv: { date: FUTURE },
    fhir: { period: { start: FUTURE } },
    synthea: { START: `${FUTURE}T14:00:00Z` },
  },
  {
    name: 'a visit on a day the calendar does not have',
    answer: 'the visit date is not a real calendar date',
    cli: { '--date': '2026-02-30' },
    csv: { date: '2026-02-30' },
    fhir: { period: { start: '2026-02-30' } },
    synthea: { START: '2026-02-30T14:00:00Z' },
  },
  {
    name: 'a visit date in words',
    answer: 'the visit date is not a date (e.g. 2026-03-01)',
    cli: { '--date': 'last tuesday' },
    csv: { date: 'last tuesday' },
    fhir: { period: { start: 'last tuesday' } },
    synthea: { START: 'last tuesday' },
  },
  {
    name: 'no visit date',
    answer: 'the visit date is missing',
    csv: { date: '', time: '' },
    fhir: { period: {} },
    synthea: { START: '' },
  },
  {
    name: 'a time of day that is not one',
    answer: 'the visit time "25:00" is not a time of day (e.g. 14:30 or 2:30 PM)',
    cli: { '--date': '2026-03-09 25:00' },
    csv: { date: '2026-03-09', time: '25:00' },
  },
  {
    name: 'a diagnosis that is an ICD-10-CM category',
    answer: 'E11.0 is an ICD-10-CM category, not a billable code; choose a billable code: E11.00, E11.01',
    cli: { '--dx': 'E11.0' },
    csv: { diagnoses: 'E11.0' },
    fhir: { diagnoses: ['E11.0'] },
  },
  {
    name: 'a diagnosis that is no ICD-10-CM code',
    answer: '"XYZ" is not an ICD-10-CM code (e.g. E11.9)',
    cli: { '--dx': 'XYZ' },
    csv: { diagnoses: 'XYZ' },
    fhir: { diagnoses: ['XYZ'] },
  },
  {
    name: 'the same diagnosis twice',
    answer: 'I10 is listed twice in the diagnoses',
    cli: { '--dx': 'I10,i10' },
    csv: { diagnoses: 'I10, i10' },
    fhir: { diagnoses: ['I10', 'i10'] },
  },
  {
    name: 'a visit length that is not whole minutes from 1 to 1440',
    answer: 'the visit length must be a whole number of minutes (1 to 1440)',
    cli: { '--duration': '12.5' },
    csv: { duration: '12.5' },
    fhir: { length: { value: 0, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' } },
  },
  {
    name: 'a visit class that is not one',
    answer: 'the visit class must be one of: AMB, VR, HH, IMP, EMER, ACUTE, NONAC, OBSENC, PRENC, SS, FLD',
    csv: { visit_class: 'spaceship' },
    fhir: { class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'SPACESHIP' } },
    synthea: { ENCOUNTERCLASS: 'spaceship' },
  },
  {
    name: "a rendering provider's NPI that fails its check digit",
    answer: 'NPI 1234567890 fails its check digit: it is probably mistyped',
    cli: { '--provider': '1234567890' },
    csv: { provider_npi: '1234567890' },
  },
];

interface ChargeCase {
  name: string;
  answer: string | 'accepted';
  stored?: Record<string, string | null>;
  /** --cpt and, when it is not 95.00, --amount. */
  cli?: { cpt: string; amount?: string };
  csv?: Record<string, string>;
}

const chargeCases: ChargeCase[] = [
  {
    name: 'a HCPCS code in small letters with a modifier',
    answer: 'accepted',
    stored: { code: 'G0439', modifiers: '{25}', amount_cents: '17550' },
    cli: { cpt: 'g0439:25', amount: '175.50' },
    csv: { code: 'g0439', modifiers: '25', amount: '$175.50' },
  },
  {
    name: 'a code that is no CPT or HCPCS code',
    answer: '"9921" is not a CPT or HCPCS code (5 digits such as 99214, or a letter and 4 digits such as G0439)',
    cli: { cpt: '9921' },
    csv: { code: '9921' },
  },
  {
    name: 'a modifier that is not one',
    answer: 'the modifier(s) ABC are not valid: a modifier is two letters or digits, e.g. 25',
    cli: { cpt: '99213:ABC' },
    csv: { modifiers: 'ABC' },
  },
  {
    name: 'five modifiers',
    answer: 'a charge line takes at most 4 modifiers',
    cli: { cpt: '99213:25:59:76:77:91' },
    csv: { modifiers: '25,59,76,77,91' },
  },
  {
    name: 'a diagnosis pointer past the twelfth place',
    answer: 'diagnosis pointer "13" is not a place from 1 to 12 (or a letter A to L)',
    cli: { cpt: '99213@13' },
    csv: { diagnosis_pointers: '13' },
  },
  {
    name: 'the same diagnosis pointer twice',
    answer: 'diagnosis pointer 2 is given twice',
    cli: { cpt: '99213@2,2' },
    csv: { diagnosis_pointers: '2,2' },
  },
  { name: 'an amount that is no amount of money', answer: 'the amount must be an amount of money like 125.00', csv: { amount: 'a lot' } },
  { name: 'no units', answer: 'the units must be a whole number, 1 or more', csv: { units: '0' } },
  { name: 'a drug given without its quantity', answer: 'a drug charge gives the quantity given and its unit with the NDC', csv: { code: 'J3420', ndc: '00002-8215-01' } },
  {
    name: 'a drug with its quantity and unit as people write them',
    answer: 'accepted',
    stored: { code: 'J3420', ndc_code: '00002821501', ndc_quantity: '1.000', ndc_unit: 'ML' },
    csv: { code: 'J3420', ndc: '00002-8215-01', ndc_quantity: '1', ndc_unit: 'ml' },
  },
];

const fhirId = (row: string[]) => /\/([a-z]+-[0-9]+)\)/.exec(row.join(' '))?.[1];
const SYNTHEA_ENCOUNTER_COLUMNS = ['Id', 'START', 'STOP', 'PATIENT', 'ENCOUNTERCLASS', 'CODE', 'DESCRIPTION', 'REASONCODE', 'REASONDESCRIPTION'];
const OPTION_PREFIX = /^--[a-z-]+(?: [^:\s]+)?: /;

describeEachBackend('one visit, one answer on every path', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW, cwd: dir });
  const answers = new Map<string, Map<Path, string>>();
  const answer = (key: string, path: Path, value: string) => {
    if (!answers.has(key)) answers.set(key, new Map());
    answers.get(key)!.set(path, value);
  };
  const visitMrn = (path: Path, i: number) => `${path}-v${i}`;
  const chargeMrn = (path: Path, i: number) => `${path}-c${i}`;

  /** The CLI's refusal as an import words it: each issue without the option it names and its full stop. */
  const cliAnswer = (run: Awaited<ReturnType<typeof cli>>): string => {
    if (run.code === 0) return 'accepted';
    const { message, issues } = run.json().error as { message: string; issues?: { message: string }[] };
    const sentences = issues && issues.length > 1 ? issues.map((i) => i.message) : [message];
    return sentences.map((m) => (m.endsWith('.') ? m.replace(OPTION_PREFIX, '').slice(0, -1) : `(not a sentence): ${m}`)).join('; ');
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-cross-path-encounter-'));
    await seedPractice(t.db);
    const charts = [...visitCases.keys()].flatMap((i) => [visitMrn('cli', i), visitMrn('csv', i)]).concat([...chargeCases.keys()].flatMap((i) => [chargeMrn('cli', i), chargeMrn('csv', i)]));
    await t.db.insert(patients).values(charts.map((mrn) => ({ mrn, firstName: 'Rowan', lastName: 'Visit', dob: '1970-01-15', searchName: 'visit rowan' })));

    // The CLI: one visit per case, priced with --amount.
    for (const [i, c] of visitCases.entries()) {
      if (!c.cli) continue;
      const options = { '--provider': NPI_A, '--date': '2026-03-09 10:15', '--cpt': '99213', '--amount': '95.00', '--dx': 'I10', ...c.cli };
      answer(c.name, 'cli', cliAnswer(await cli(['encounters', 'add', visitMrn('cli', i), ...Object.entries(options).map(([o, v]) => `${o}=${v}`), '--no-note', '--json'])));
    }
    for (const [i, c] of chargeCases.entries()) {
      if (!c.cli) continue;
      const args = ['encounters', 'add', chargeMrn('cli', i), `--provider=${NPI_A}`, '--date=2026-03-09', '--dx=I10,E11.9', `--cpt=${c.cli.cpt}`, `--amount=${c.cli.amount ?? '95.00'}`, '--no-note', '--json'];
      answer(`charge: ${c.name}`, 'cli', cliAnswer(await cli(args)));
    }

    // The CSV import: one encounters file and one charges file, a row per case, keyed by chart number.
    const csvImport = async (kind: string, rows: Record<string, string>[], key: string) => {
      const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      writeFileSync(join(dir, `${kind}.csv`), stringify([columns, ...rows.map((r) => columns.map((col) => r[col] ?? ''))]));
      const run = await cli(['import', `${kind}.csv`, '--kind', kind, '--reject-file', `${kind}.rejects.csv`, '--json']);
      expect(run.code, run.stderr).toBeLessThanOrEqual(3);
      return reasonsBy(join(dir, `${kind}.rejects.csv`), (row, header) => row[header.indexOf(key)]);
    };
    const visitRows = [...visitCases.entries()].filter(([, c]) => c.csv);
    const visitReasons = await csvImport('encounters', visitRows.map(([i, c]) => ({ chart_number: visitMrn('csv', i), date: '2026-03-09', time: '10:15', visit_code: '99213', diagnoses: 'I10', ...c.csv })), 'chart_number');
    for (const [i, c] of visitRows) answer(c.name, 'csv', visitReasons.get(visitMrn('csv', i)) ?? 'accepted');
    const chargeRows = [...chargeCases.entries()].filter(([, c]) => c.csv);
    const chargeReasons = await csvImport('charges', chargeRows.map(([i, c]) => ({ chart_number: chargeMrn('csv', i), service_date: '2026-03-09', code: '99213', amount: '95.00', ...c.csv })), 'chart_number');
    for (const [i, c] of chargeRows) answer(`charge: ${c.name}`, 'csv', chargeReasons.get(chargeMrn('csv', i)) ?? 'accepted');

    // The FHIR import: one bundle, a patient and an Encounter (with its ranked Conditions) per case.
    const fhirCases = [...visitCases.entries()].filter(([, c]) => c.fhir);
    const entries = fhirCases.flatMap(([i, c]) => {
      const { diagnoses = ['I10'], ...encounter } = c.fhir! as { diagnoses?: string[] } & Json;
      const subject = { reference: `Patient/${visitMrn('fhir', i)}` };
      const conditions = diagnoses.map((code, k) => ({ resourceType: 'Condition', id: `dx-${i}-${k}`, subject, category: [coding('http://terminology.hl7.org/CodeSystem/condition-category', 'encounter-diagnosis')], code: coding(ICD10, code) }));
      return [
        { resource: { resourceType: 'Patient', id: visitMrn('fhir', i), name: [{ family: 'Visit', given: ['Fern'] }], birthDate: '1970-01-15', gender: 'female' } },
        ...conditions.map((resource) => ({ resource })),
        {
          resource: {
            resourceType: 'Encounter',
            id: `enc-${i}`,
            status: 'finished',
            class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
            subject,
            period: { start: '2026-03-09T10:15:00-04:00' },
            ...encounter,
            diagnosis: conditions.map((d, k) => ({ condition: { reference: `Condition/${d.id}` }, rank: k + 1 })),
          },
        },
      ];
    });
    writeFileSync(join(dir, 'visits.json'), JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: entries }));
    const fhirRun = await cli(['import', 'visits.json', '--format', 'fhir', '--reject-file', 'visits.fhir-rejects.csv', '--json']);
    expect(fhirRun.code, fhirRun.stderr).toBeLessThanOrEqual(3);
    const fhirReasons = reasonsBy(join(dir, 'visits.fhir-rejects.csv'), fhirId);
    for (const [i, c] of fhirCases) answer(c.name, 'fhir', fhirReasons.get(`enc-${i}`) ?? 'accepted');

    // The Synthea import: a patient and an encounters.csv row per case.
    const syntheaCases = [...visitCases.entries()].filter(([, c]) => c.synthea);
    const folder = mkdtempSync(join(dir, 'synthea-visits-'));
    writeFileSync(join(folder, 'patients.csv'), stringify([['Id', 'BIRTHDATE', 'DEATHDATE', 'FIRST', 'LAST', 'GENDER'], ...syntheaCases.map(([i]) => [visitMrn('synthea', i), '1970-01-15', '', 'Sage', 'Visit', 'F'])]));
    const syntheaRow = (i: number, c: VisitCase) =>
      SYNTHEA_ENCOUNTER_COLUMNS.map((col) => ({ Id: `visit-${i}`, PATIENT: visitMrn('synthea', i), START: '2026-03-09T14:15:00Z', ENCOUNTERCLASS: 'ambulatory', CODE: '185349003', DESCRIPTION: 'Encounter for check up', ...c.synthea })[col] ?? '');
    writeFileSync(join(folder, 'encounters.csv'), stringify([SYNTHEA_ENCOUNTER_COLUMNS, ...syntheaCases.map(([i, c]) => syntheaRow(i, c))]));
    const rejects = join(dir, 'visits.synthea-rejects.csv');
    const syntheaRun = await cli(['import', folder, '--format', 'synthea', '--reject-file', rejects, '--json']);
    expect(syntheaRun.code, syntheaRun.stderr).toBeLessThanOrEqual(3);
    // Columns: file, the row as read, its row number (the header is row 1), the reason.
    const syntheaReasons = reasonsBy(rejects, (row) => (row[0] === 'encounters.csv' ? row.at(-2) : undefined));
    syntheaCases.forEach(([, c], k) => answer(c.name, 'synthea', syntheaReasons.get(String(k + 2)) ?? 'accepted'));
  });

  const columnsOf = (stored: Record<string, unknown>) => Object.keys(stored).map((col) => sql.raw(`${col}::text as ${col}`));

  describe('visits', () => {
    for (const [i, c] of visitCases.entries()) {
      it(`${c.name}: ${c.answer === 'accepted' ? 'accepted' : 'refused'} alike on every path`, async () => {
        const paths = (['cli', 'csv', 'fhir', 'synthea'] as Path[]).filter((p) => c[p]);
        expect(Object.fromEntries(answers.get(c.name)!)).toEqual(Object.fromEntries(paths.map((p) => [p, c.answer])));
        for (const path of paths) {
          const rows = await queryRows<Record<string, string>>(
            t.db,
            sql`select ${sql.join(columnsOf(c.stored ?? {}).concat(sql`e.id::text as id`), sql`, `)} from (
                  select e.id, to_char(e.starts_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as starts_at, e.encounter_class,
                         (select string_agg(d.code, ',' order by d.position) from encounter_diagnoses d where d.encounter_id = e.id) as diagnoses
                  from encounters e join patients p on p.id = e.patient_id where p.mrn = ${visitMrn(path, i)}) e`,
          );
          if (c.answer !== 'accepted') expect(rows, `${path} records nothing for a refused visit`).toEqual([]);
          else expect(rows.map(({ id: _id, ...stored }) => stored), `${path} stores it as the others do`).toEqual([c.stored]);
        }
      });
    }
  });

  describe('charges', () => {
    for (const [i, c] of chargeCases.entries()) {
      it(`${c.name}: ${c.answer === 'accepted' ? 'accepted' : 'refused'} alike on every path`, async () => {
        const paths = (['cli', 'csv'] as const).filter((p) => c[p]);
        expect(Object.fromEntries(answers.get(`charge: ${c.name}`)!)).toEqual(Object.fromEntries(paths.map((p) => [p, c.answer])));
        for (const path of paths) {
          const rows = await queryRows<Record<string, string>>(
            t.db,
            sql`select ${sql.join(columnsOf(c.stored ?? { code: null }), sql`, `)} from charges c join patients p on p.id = c.patient_id where p.mrn = ${chargeMrn(path, i)}`,
          );
          if (c.answer !== 'accepted') expect(rows, `${path} records no charge for a refused line`).toEqual([]);
          else expect(rows, `${path} stores it as the others do`).toEqual([c.stored]);
        }
      });
    }
  });
});
