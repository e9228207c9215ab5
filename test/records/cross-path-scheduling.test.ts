// One coverage, one appointment, one answer (issue #22): a table of good and bad values goes through every
// path that records a patient's insurance (`insurance add`, a CSV insurance row, a FHIR Coverage, a Synthea
// payer_transitions row) or an appointment (`appointments book`, a CSV appointments row, a FHIR Appointment),
// and every path accepts or refuses it alike, in the declaration's words, and stores the same values. The CLI
// names the field by its option ("--member-id must be ...", "--end: ..."); an import gives the reason as is.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { patients, payers } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { NOW, NPI_A, seedPractice } from '../chart/setup.js';
import { coding, reasonsBy } from './paths.js';

type Path = 'cli' | 'csv' | 'fhir' | 'synthea';
type Json = Record<string, any>;

interface Case {
  name: string;
  /** The reason every path gives, as an import words it, or 'accepted'. */
  answer: string | 'accepted';
  /** What an accepted record is stored as (columns as text), on every path. */
  stored?: Record<string, string | null>;
  cli?: string[];
  csv?: Record<string, string>;
  fhir?: Json;
  synthea?: Record<string, string>;
}

const RELATIONSHIP = 'http://terminology.hl7.org/CodeSystem/subscriber-relationship';

const coverageCases: Case[] = [
  {
    name: 'a payer order as a number, the relationship as FHIR codes it',
    answer: 'accepted',
    stored: { priority: '2', relationship: '18' },
    cli: ['--order', '2', '--relationship', 'self'],
    csv: { priority: '2', relationship: 'Self' },
    fhir: { order: 2, relationship: coding(RELATIONSHIP, 'self') },
  },
  {
    name: 'a payer order in the short word files use',
    answer: 'accepted',
    stored: { priority: '3' },
    cli: ['--order', 'tert'],
    csv: { priority: 'Tert' },
  },
  {
    name: 'the dates it is in force, as each source writes them',
    answer: 'accepted',
    stored: { effective_from: '2025-01-01', effective_to: '2025-12-31' },
    cli: ['--start', '1/1/2025', '--end', '2025-12-31'],
    csv: { effective_from: '1/1/2025', effective_to: '12/31/2025' },
    fhir: { period: { start: '2025-01-01', end: '2025-12-31' } },
    synthea: { START_DATE: '2025-01-01', END_DATE: '2025-12-31' },
  },
  {
    name: 'a coverage that ends before it starts',
    answer: 'the coverage ends before it starts',
    cli: ['--start', '2025-06-01', '--end', '2025-01-31'],
    csv: { effective_from: '2025-06-01', effective_to: '2025-01-31' },
    fhir: { period: { start: '2025-06-01', end: '2025-01-31' } },
    synthea: { START_DATE: '2025-06-01', END_DATE: '2025-01-31' },
  },
  {
    name: 'a start on a day the calendar does not have',
    answer: 'the coverage start is not a real calendar date',
    cli: ['--start', '2025-02-30'],
    csv: { effective_from: '2025-02-30' },
    fhir: { period: { start: '2025-02-30' } },
    synthea: { START_DATE: '2025-02-30' },
  },
  {
    name: 'a member id with a space in it',
    answer: 'the member id must be as printed on the card: 2 to 80 letters and digits (hyphens allowed between), no spaces or other signs',
    cli: ['--member-id', 'XJ 123'],
    csv: { member_id: 'XJ 123' },
    fhir: { subscriberId: 'XJ 123' },
    synthea: { MEMBERID: 'XJ 123' },
  },
  {
    name: 'a payer order that is not one',
    answer: 'the payer order must be one of: primary, secondary, tertiary',
    cli: ['--order', 'fourth'],
    csv: { priority: 'fourth' },
    fhir: { order: 'fourth' },
  },
  {
    name: 'a relationship that is not one',
    answer: "the patient's relationship to the subscriber must be one of: self, spouse, child, other",
    cli: ['--relationship', 'cousin'],
    csv: { relationship: 'cousin' },
    fhir: { relationship: coding(RELATIONSHIP, 'cousin') },
    synthea: { PLAN_OWNERSHIP: 'cousin' },
  },
];

const appointmentCases: Case[] = [
  {
    name: 'a time written with PM, a length in minutes',
    answer: 'accepted',
    // 2:15 PM in New York on the 20th of March (daylight time) is 18:15 UTC.
    stored: { starts_at: '2026-03-20 18:15', duration_minutes: '30', status: 'scheduled' },
    cli: ['--at', '2026-03-20 2:15pm', '--duration', '30'],
    csv: { date: '3/20/2026', time: '2:15 PM', duration: '30' },
    fhir: { status: 'booked', start: '2026-03-20T14:15:00-04:00', minutesDuration: 30 },
  },
  {
    name: 'a length given by the end, the status by FHIR',
    answer: 'accepted',
    stored: { starts_at: '2026-03-02 14:00', duration_minutes: '20', status: 'kept' },
    csv: { date: '2026-03-02', time: '09:00', duration: '20', status: 'fulfilled' },
    fhir: { status: 'fulfilled', start: '2026-03-02T09:00:00-05:00', end: '2026-03-02T09:20:00-05:00' },
  },
  {
    name: 'cancelled spelt the American way',
    answer: 'accepted',
    stored: { status: 'cancelled' },
    csv: { date: '2026-03-03', time: '10:00', status: 'canceled' },
    fhir: { status: 'cancelled', start: '2026-03-03T10:00:00-05:00' },
  },
  {
    name: 'a length that is not a whole number of minutes',
    answer: 'the length must be a whole number of minutes (1 to 480)',
    cli: ['--at', '2026-03-21 09:00', '--duration', '7.5'],
    csv: { date: '2026-03-21', time: '09:00', duration: '7.5' },
    fhir: { status: 'booked', start: '2026-03-21T09:00:00-04:00', minutesDuration: 7.5 },
  },
  {
    name: 'a length longer than a day in clinic',
    answer: 'the length must be a whole number of minutes (1 to 480)',
    cli: ['--at', '2026-03-22 09:00', '--duration', '600'],
    csv: { date: '2026-03-22', time: '09:00', duration: '600' },
    fhir: { status: 'booked', start: '2026-03-22T09:00:00-04:00', minutesDuration: 600 },
  },
  {
    name: 'a day the calendar does not have',
    answer: 'the appointment date is not a real calendar date',
    cli: ['--at', '2026-04-31 09:00'],
    csv: { date: '2026-04-31', time: '09:00' },
    fhir: { status: 'booked', start: '2026-04-31T09:00:00-04:00' },
  },
  {
    name: 'a time of day the clock does not have',
    answer: 'the start time is not a time of day (e.g. 14:30 or 2:30 PM)',
    cli: ['--at', '2026-03-23 25:00'],
    csv: { date: '2026-03-23', time: '25:00' },
    fhir: { status: 'booked', start: '2026-03-23T25:00:00-04:00' },
  },
  {
    name: 'a status that is not one',
    answer: 'the appointment status must be one of: scheduled, kept, no-show, cancelled, rescheduled',
    csv: { date: '2026-03-04', time: '09:00', status: 'maybe' },
    fhir: { status: 'maybe', start: '2026-03-04T09:00:00-05:00' },
  },
];

/** The option a CLI reason names its field by → the field as the declaration names it. */
const OPTION_LABELS: Record<string, string> = { '--member-id': 'the member id', '--order': 'the payer order', '--relationship': "the patient's relationship to the subscriber", '--start': 'the coverage start', '--end': 'the coverage end', '--at': 'the appointment time', '--duration': 'the length' };

/** A CLI refusal as an import words it: the option put back as the field's name, or taken off the front; no full stop. */
function asReason(issue: { path?: string; message: string }): string {
  const option = issue.path ?? '';
  const text = issue.message.startsWith(`${option}: `) ? issue.message.slice(option.length + 2) : issue.message.startsWith(`${option} `) ? `${OPTION_LABELS[option]}${issue.message.slice(option.length)}` : `(no option named): ${issue.message}`;
  return text.replace(/\.$/, '');
}

const fhirId = (row: string[]) => /\/(case-[0-9]+)\)/.exec(row.join(' '))?.[1];
const SYNTHEA_PAYER_COLUMNS = ['PATIENT', 'MEMBERID', 'START_DATE', 'END_DATE', 'PAYER', 'SECONDARY_PAYER', 'PLAN_OWNERSHIP', 'OWNER_NAME'];

describeEachBackend('one coverage, one appointment, one answer on every path', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW, cwd: dir });
  const answers = new Map<string, Map<Path, string>>();
  const answer = (key: string, path: Path, value: string) => {
    if (!answers.has(key)) answers.set(key, new Map());
    answers.get(key)!.set(path, value);
  };
  /** What identifies a case's record on a path: its member id (coverages) or its reason (appointments). */
  const tag = (path: Path, i: number) => `${path.toUpperCase()}${i}`;
  const cliAnswer = async (key: string, args: string[]) => {
    const run = await cli([...args, '--json']);
    if (run.code === 0) return answer(key, 'cli', 'accepted');
    const { message, issues } = run.json().error as { message: string; issues?: { path?: string; message: string }[] };
    answer(key, 'cli', (issues?.length ? issues : [{ message }]).map(asReason).join('; '));
  };
  /** An import's answers per case: the reject file's reason by the case's key, else accepted. */
  const importAnswers = async (path: Path, kind: string, args: string[], cases: [number, Case][], key: (row: string[], header: string[]) => string | undefined, caseKey: (i: number, k: number) => string) => {
    const rejects = join(dir, `${kind}.${path}-rejects.csv`);
    const run = await cli([...args, '--reject-file', rejects, '--json']);
    expect(run.code, run.stderr).toBeLessThanOrEqual(3);
    const reasons = reasonsBy(rejects, key);
    cases.forEach(([i, c], k) => answer(`${kind}: ${c.name}`, path, reasons.get(caseKey(i, k)) ?? 'accepted'));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-cross-path-scheduling-'));
    await seedPractice(t.db);
    await t.db.insert(payers).values({ name: 'Acme Health', payerId: 'ACME1' });
    // The CLI: one patient per coverage case, so no two primaries meet; the CSV rows share one.
    await t.db.insert(patients).values([...coverageCases.keys(), 'csv', 'appointments'].map((k) => ({ mrn: `SCH-${k}`, firstName: 'Rowan', lastName: 'Schedule', dob: '1970-01-15', searchName: 'schedule rowan' })));
    const fhirPatient = { resource: { resourceType: 'Patient', id: 'sch-fhir', name: [{ family: 'Schedule', given: ['Fern'] }], birthDate: '1970-01-15', gender: 'female' } };
    const of = (cases: Case[], path: Path) => [...cases.entries()].filter(([, c]) => c[path]);

    // Insurance.
    for (const [i, c] of of(coverageCases, 'cli')) await cliAnswer(`insurance: ${c.name}`, ['insurance', 'add', `SCH-${i}`, '--payer', 'ACME1', '--member-id', tag('cli', i), ...c.cli!]);
    const csvCoverage = of(coverageCases, 'csv');
    const coverageColumns = ['chart_number', 'record_id', 'payer_id', 'payer_name', 'member_id', ...new Set(csvCoverage.flatMap(([, c]) => Object.keys(c.csv!)))].filter((col, k, all) => all.indexOf(col) === k);
    writeFileSync(join(dir, 'insurance.csv'), stringify([coverageColumns, ...csvCoverage.map(([i, c]) => coverageColumns.map((col) => ({ chart_number: 'SCH-csv', record_id: `case-${i}`, payer_id: 'ACME1', payer_name: 'Acme Health', member_id: tag('csv', i), ...c.csv })[col] ?? ''))]));
    await importAnswers('csv', 'insurance', ['import', 'insurance.csv', '--kind', 'insurance'], csvCoverage, (row, header) => row[header.indexOf('record_id')], (i) => `case-${i}`);
    const fhirCoverage = of(coverageCases, 'fhir');
    writeFileSync(join(dir, 'insurance.json'), JSON.stringify({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [fhirPatient, ...fhirCoverage.map(([i, c]) => ({ resource: { resourceType: 'Coverage', status: 'active', subscriberId: tag('fhir', i), payor: [{ display: 'Acme Health' }], ...c.fhir, id: `case-${i}`, beneficiary: { reference: 'Patient/sch-fhir' } } }))],
    }));
    await importAnswers('fhir', 'insurance', ['import', 'insurance.json', '--format', 'fhir'], fhirCoverage, fhirId, (i) => `case-${i}`);
    const syntheaCoverage = of(coverageCases, 'synthea');
    const synthea = mkdtempSync(join(dir, 'synthea-'));
    writeFileSync(join(synthea, 'patients.csv'), `Id,BIRTHDATE,DEATHDATE,FIRST,LAST,GENDER\nsch-synthea,1970-01-15,,Sage,Schedule,F\n`);
    const syntheaRow = (i: number, c: Case) => SYNTHEA_PAYER_COLUMNS.map((col) => ({ PATIENT: 'sch-synthea', MEMBERID: tag('synthea', i), START_DATE: `2024-01-${10 + i}`, PAYER: 'acme-synthea', PLAN_OWNERSHIP: 'Self', ...c.synthea })[col] ?? '');
    writeFileSync(join(synthea, 'payer_transitions.csv'), stringify([SYNTHEA_PAYER_COLUMNS, ...syntheaCoverage.map(([i, c]) => syntheaRow(i, c))]));
    // Columns: file, the row as read, its row number (the header is row 1), the reason.
    await importAnswers('synthea', 'insurance', ['import', synthea, '--format', 'synthea'], syntheaCoverage, (r) => (r[0] === 'payer_transitions.csv' ? r.at(-2) : undefined), (_i, k) => String(k + 2));

    // Appointments.
    for (const [i, c] of of(appointmentCases, 'cli')) await cliAnswer(`appointments: ${c.name}`, ['appointments', 'book', 'SCH-appointments', '--provider', NPI_A, '--double-book', '--reason', tag('cli', i), ...c.cli!]);
    const csvAppointments = of(appointmentCases, 'csv');
    const appointmentColumns = ['chart_number', 'record_id', 'reason', ...new Set(csvAppointments.flatMap(([, c]) => Object.keys(c.csv!)))];
    writeFileSync(join(dir, 'appointments.csv'), stringify([appointmentColumns, ...csvAppointments.map(([i, c]) => appointmentColumns.map((col) => ({ chart_number: 'SCH-csv', record_id: `case-${i}`, reason: tag('csv', i), ...c.csv })[col] ?? ''))]));
    await importAnswers('csv', 'appointments', ['import', 'appointments.csv', '--kind', 'appointments'], csvAppointments, (row, header) => row[header.indexOf('record_id')], (i) => `case-${i}`);
    const fhirAppointments = of(appointmentCases, 'fhir');
    writeFileSync(join(dir, 'appointments.json'), JSON.stringify({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [fhirPatient, ...fhirAppointments.map(([i, c]) => ({ resource: { resourceType: 'Appointment', reasonCode: [{ text: tag('fhir', i) }], ...c.fhir, id: `case-${i}`, participant: [{ actor: { reference: 'Patient/sch-fhir' }, status: 'accepted' }] } }))],
    }));
    await importAnswers('fhir', 'appointments', ['import', 'appointments.json', '--format', 'fhir'], fhirAppointments, fhirId, (i) => `case-${i}`);
  });

  const kinds = [
    { kind: 'insurance', cases: coverageCases, stored: (columns: string[], path: Path, i: number) => sql`select ${sql.raw(columns.map((col) => `${col}::text as ${col}`).join(', '))} from coverages where member_id = ${tag(path, i)}` },
    {
      kind: 'appointments',
      cases: appointmentCases,
      stored: (columns: string[], path: Path, i: number) =>
        sql`select ${sql.raw(columns.map((col) => (col === 'starts_at' ? `to_char(starts_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as starts_at` : `${col}::text as ${col}`)).join(', '))} from appointments where reason = ${tag(path, i)} and source_system is distinct from 'roundtrip'`,
    },
  ];
  it('sends a booked appointment out as a FHIR Appointment that validates and comes back the same', async () => {
    const file = join(dir, 'appointments-export.json');
    const exported = await cli(['fhir', 'export', 'SCH-appointments', '--out', file]);
    expect(exported.code, exported.stderr).toBe(0);
    const check = await runCli(['fhir', 'validate', file], { database: t.handle });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const bundle = JSON.parse(readFileSync(file, 'utf8'));
    const booked = bundle.entry.map((e: Json) => e.resource).filter((r: Json) => r.resourceType === 'Appointment');
    expect(booked).toHaveLength(1);
    expect(booked[0]).toMatchObject({ status: 'booked', start: '2026-03-20T18:15:00.000Z', end: '2026-03-20T18:45:00.000Z', minutesDuration: 30, reasonCode: [{ text: 'CLI0' }] });
    // References are to the bundle's entries (their fullUrl) or Type/id.
    const typeOf = new Map(bundle.entry.flatMap((e: Json) => [[e.fullUrl, e.resource.resourceType], [`${e.resource.resourceType}/${e.resource.id}`, e.resource.resourceType]]));
    expect(booked[0].participant.map((p: Json) => typeOf.get(p.actor.reference))).toEqual(['Patient', 'Practitioner']);
    const back = await cli(['import', file, '--format', 'fhir', '--source', 'roundtrip', '--json']);
    expect(back.code, back.stderr).toBe(0);
    const columns = sql`to_char(a.starts_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as starts_at, a.duration_minutes, a.status, a.reason, pr.npi`;
    const original = await queryRows(t.db, sql`select ${columns} from appointments a left join providers pr on pr.id = a.provider_id where a.reason = 'CLI0' and a.source_system is null`);
    expect(await queryRows(t.db, sql`select ${columns} from appointments a left join providers pr on pr.id = a.provider_id where a.source_system = 'roundtrip'`)).toEqual(original);
    expect(original).toEqual([{ starts_at: '2026-03-20 18:15', duration_minutes: 30, status: 'scheduled', reason: 'CLI0', npi: NPI_A }]);
  });

  for (const { kind, cases, stored } of kinds) {
    describe(kind, () => {
      for (const [i, c] of cases.entries()) {
        it(`${c.name}: ${c.answer === 'accepted' ? 'accepted' : 'refused'} alike on every path`, async () => {
          const paths = (['cli', 'csv', 'fhir', 'synthea'] as Path[]).filter((p) => c[p]);
          expect(Object.fromEntries(answers.get(`${kind}: ${c.name}`)!)).toEqual(Object.fromEntries(paths.map((p) => [p, c.answer])));
          for (const path of paths) {
            const rows = await queryRows<Record<string, string>>(t.db, stored(Object.keys(c.stored ?? { id: '' }), path, i));
            if (c.answer === 'accepted') expect(rows, `${path} stores it as the others do`).toEqual([c.stored]);
            else expect(rows, `${path} stores nothing for a refused record`).toEqual([]);
          }
        });
      }
    });
  }
});
