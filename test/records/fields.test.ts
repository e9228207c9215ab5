// Adding a field is one edit (issue #22): each record kind's fields are declared once (src/records/), and the
// command's options and the CSV import's columns are made from them. Every declared option is an option of
// `<kind> add` and every declared column a column of the import, in the declaration's order, and the command
// and the import have no field the declaration does not; a field added to a copy of a declaration shows up in both.
import { describe, expect, it } from 'vitest';
import { ENTRY_KINDS } from '../../src/chart/entries.js';
import { HISTORY_KINDS } from '../../src/chart/history.js';
import { declaredColumns, declaredRequired, kindSpecs } from '../../src/import/columns.js';
import { ALLERGY_FIELDS } from '../../src/records/allergy.js';
import { APPOINTMENT_FIELDS } from '../../src/records/appointment.js';
import { COVERAGE_FIELDS } from '../../src/records/coverage.js';
import { CHARGE_FIELDS, ENCOUNTER_FIELDS } from '../../src/records/encounter.js';
import { HISTORY_FIELDS, HISTORY_OPTIONS, HISTORY_TYPES } from '../../src/records/history.js';
import { IMMUNIZATION_FIELDS } from '../../src/records/immunization.js';
import { LAB_FIELDS } from '../../src/records/lab.js';
import { MEDICATION_FIELDS } from '../../src/records/medication.js';
import { NOTE_FIELDS } from '../../src/records/note.js';
import { PATIENT_FIELDS } from '../../src/records/patient.js';
import { PROBLEM_FIELDS } from '../../src/records/problem.js';
import { byOption, fieldOptions, type RecordFields } from '../../src/records/record.js';
import { VITAL_FIELDS } from '../../src/records/vital.js';
import { runCli } from '../helpers/cli.js';

/** Each declared kind, with the options its command has of its own (not a record's field) and the import's own columns. */
const kinds: { kind: 'problems' | 'medications' | 'allergies' | 'immunizations' | 'vitals' | 'labs' | 'notes'; fields: RecordFields; commandOnly: string[] }[] = [
  { kind: 'problems', fields: PROBLEM_FIELDS, commandOnly: [] },
  { kind: 'medications', fields: MEDICATION_FIELDS, commandOnly: ['--prescriber', '--reported', '--override'] },
  { kind: 'allergies', fields: ALLERGY_FIELDS, commandOnly: [] },
  { kind: 'immunizations', fields: IMMUNIZATION_FIELDS, commandOnly: ['--given-by', '--historical'] },
  { kind: 'vitals', fields: VITAL_FIELDS, commandOnly: [] },
  { kind: 'labs', fields: LAB_FIELDS, commandOnly: ['--order', '--partial'] },
  { kind: 'notes', fields: NOTE_FIELDS, commandOnly: ['--provider'] },
];
const IMPORT_ONLY = ['chart_number', 'record_id'];
const flag = (flags: string) => flags.split(' ')[0]!;
const declaredOptions = (fields: RecordFields) => Object.values(fields).flatMap((f) => (f.option ? [flag(f.option.flags)] : []));
const declaredColumnNames = (fields: RecordFields) => Object.values(fields).flatMap((f) => (f.column ? [f.column.name] : []));

describe('a record kind declared once', () => {
  for (const { kind, fields, commandOnly } of kinds) {
    it(`${kind}: every declared field is an option and a column, and nothing else is`, () => {
      const options = ENTRY_KINDS[kind].options.map((o) => flag(o.flags));
      expect(options.filter((o) => !commandOnly.includes(o))).toEqual(declaredOptions(fields));
      expect(ENTRY_KINDS[kind].options.filter((o) => !commandOnly.includes(flag(o.flags)))).toEqual(fieldOptions(fields));
      const columns = kindSpecs[kind].fields.map((c) => c.name);
      expect(columns.filter((c) => !IMPORT_ONLY.includes(c))).toEqual(declaredColumnNames(fields));
      // Each column is named in a reason as the declaration names its field.
      for (const column of kindSpecs[kind].fields.filter((c) => !IMPORT_ONLY.includes(c.name))) {
        expect(column.what, column.name).toBe(Object.values(fields).find((f) => f.column?.name === column.name)!.label);
      }
    });
  }

  it('patients: every declared option is an option of add and edit, every column one of the patient import', async () => {
    for (const command of ['add', 'edit']) {
      const help = (await runCli(['patients', command, '--help'])).stdout;
      const listed = [...help.matchAll(/^ {2}(--[a-z0-9-]+)/gm)].map((m) => m[1]!);
      expect(listed.filter((o) => !['--not-a-duplicate', '--help'].includes(o)), command).toEqual(declaredOptions(PATIENT_FIELDS));
    }
    const columns = kindSpecs.patients.fields.map((c) => c.name);
    expect(columns.filter((c) => !['chart_number', 'external_id', 'full_name'].includes(c))).toEqual(declaredColumnNames(PATIENT_FIELDS));
    expect(kindSpecs.patients.required).toEqual([['last_name', 'full_name'], ['first_name', 'full_name'], ['dob']]);
  });

  // Kinds whose command is not an entry kind: their options read from --help, with the command's own options.
  const commanded: { kind: 'insurance' | 'appointments' | 'encounters' | 'charges'; fields: RecordFields; commands: string[][]; commandOnly: string[]; importOnly: string[] }[] = [
    { kind: 'insurance', fields: COVERAGE_FIELDS, commands: [['insurance', 'add'], ['insurance', 'edit']], commandOnly: [], importOnly: [] },
    { kind: 'appointments', fields: APPOINTMENT_FIELDS, commands: [['appointments', 'book']], commandOnly: ['--provider', '--location', '--double-book'], importOnly: [] },
    // A visit's options and its charge lines' are those of `encounters add`, which lists them the biller's way round.
    { kind: 'encounters', fields: ENCOUNTER_FIELDS, commands: [], commandOnly: [], importOnly: [] },
    { kind: 'charges', fields: CHARGE_FIELDS, commands: [], commandOnly: [], importOnly: ['visit_id'] },
  ];
  const helpOptions = async (command: string[]) => [...(await runCli([...command, '--help'])).stdout.matchAll(/^ {2}(--[a-z0-9-]+)/gm)].map((m) => m[1]!).filter((o) => o !== '--help');

  for (const { kind, fields, commands, commandOnly, importOnly } of commanded) {
    it(`${kind}: every declared field is an option and a column, and nothing else is`, async () => {
      for (const command of commands) expect((await helpOptions(command)).filter((o) => !commandOnly.includes(o)), command.join(' ')).toEqual(declaredOptions(fields));
      const columns = kindSpecs[kind].fields as { name: string; what?: string }[];
      expect(columns.map((c) => c.name).filter((c) => ![...IMPORT_ONLY, ...importOnly].includes(c))).toEqual(declaredColumnNames(fields));
      for (const column of columns.filter((c) => ![...IMPORT_ONLY, ...importOnly].includes(c.name))) {
        expect(column.what, column.name).toBe(Object.values(fields).find((f) => f.column?.name === column.name)!.label);
      }
      expect(kindSpecs[kind].required).toEqual(declaredRequired(fields));
    });
  }

  it('history: each type\'s options are its declared fields, every column one of the history import, and nothing else is', async () => {
    const commands: Record<string, string> = { 'past-illness': 'medical', surgery: 'surgical', family: 'family', social: 'social' };
    for (const type of HISTORY_TYPES.codes) {
      const fields = HISTORY_OPTIONS[type];
      // --replaces is the correction every chart entry's add takes (src/commands/clinical-entry.ts).
      expect((await helpOptions(['history', commands[type]!, 'add'])).filter((o) => o !== '--replaces'), type).toEqual(declaredOptions(fields));
      expect(HISTORY_KINDS.find((k) => k.command === commands[type])!.options, type).toEqual(fieldOptions(fields));
      // A type's field is a field of the history entry: its problems carry the same name on every path.
      for (const field of Object.keys(fields)) expect(Object.keys(HISTORY_FIELDS), `${type} ${field}`).toContain(field);
    }
    const columns = kindSpecs.history.fields as { name: string; what?: string }[];
    expect(columns.map((c) => c.name).filter((c) => !IMPORT_ONLY.includes(c))).toEqual(declaredColumnNames(HISTORY_FIELDS));
    expect(columns.map((c) => c.name)).toEqual(['chart_number', 'record_id', 'kind', 'description', 'code', 'code_system', 'relation', 'onset_date', 'note']);
    for (const column of columns.filter((c) => !IMPORT_ONLY.includes(c.name))) {
      expect(column.what, column.name).toBe(Object.values(HISTORY_FIELDS as RecordFields).find((f) => f.column?.name === column.name)!.label);
    }
    expect(kindSpecs.history.required).toEqual([['chart_number'], ['kind'], ['description']]);
  });

  it('encounters add: its options are the visit\'s and its charge lines\' declared options, and its own', async () => {
    const options = await helpOptions(['encounters', 'add']);
    expect(options.filter((o) => !['--location', '--note-file', '--no-note'].includes(o)).sort()).toEqual([...declaredOptions(ENCOUNTER_FIELDS), ...declaredOptions(CHARGE_FIELDS)].sort());
  });

  it('a field added to a declaration shows up as an option, a column and, when required, a required column', () => {
    const copy: RecordFields = {
      ...PROBLEM_FIELDS,
      severity: { label: 'the severity', required: 'grade', option: { flags: '--severity <grade>', description: 'mild, moderate or severe' }, column: { name: 'severity', type: 'text', description: 'how severe', aliases: ['grade'], max: 20 } },
    };
    expect(fieldOptions(copy).at(-1)).toEqual({ flags: '--severity <grade>', description: 'mild, moderate or severe' });
    expect(declaredColumns(copy).at(-1)).toEqual({ name: 'severity', type: 'text', label: 'how severe', aliases: ['grade'], max: 20, what: 'the severity' });
    expect(declaredRequired(copy)).toEqual([['chart_number'], ['code'], ['severity']]);
    // A problem with it is reported after its option, in the declaration's words.
    expect(byOption([{ path: 'severity', code: 'CHOICE', message: 'the severity must be one of: mild, moderate, severe.' }], copy)).toEqual([
      { path: '--severity', code: 'CHOICE', message: '--severity: the severity must be one of: mild, moderate, severe.' },
    ]);
  });
});
