// The columns each kind of CSV import understands, as one table: canonical name, the header variants
// people type, the value type, the most characters a cell may hold, and which fields must be present.
// Headers match ignoring case, spaces and punctuation ("Date of Birth", "DOB", "D.O.B." all find dob).
// A kind declared in src/records/ gets its columns from its declaration's fields; only the import's own
// columns (the chart number, the old system's id) are written here.
import { stringify } from 'csv-stringify/sync';
import { ALLERGY_FIELDS } from '../records/allergy.js';
import { IMMUNIZATION_FIELDS } from '../records/immunization.js';
import { LAB_FIELDS } from '../records/lab.js';
import { MEDICATION_FIELDS } from '../records/medication.js';
import { CHARGE_FIELDS, ENCOUNTER_FIELDS } from '../records/encounter.js';
import { HISTORY_FIELDS } from '../records/history.js';
import { NOTE_FIELDS } from '../records/note.js';
import { PATIENT_FIELDS } from '../records/patient.js';
import { PROBLEM_FIELDS } from '../records/problem.js';
import { VITAL_FIELDS } from '../records/vital.js';
import { type FieldType, type RecordFields } from '../records/record.js';
import { COVERAGE_FIELDS } from '../records/coverage.js';
import { APPOINTMENT_FIELDS } from '../records/appointment.js';

export interface FieldSpec {
  name: string;
  type: FieldType;
  aliases: string[];
  /** What the field is, for the template's documentation and the mapping wizard. */
  label: string;
  /** The most characters a cell may hold: a longer one rejects its row before it is parsed or written. */
  max: number;
  /**
   * The record's declaration (src/records/) reads the cell as written, so a value gets the same answer and
   * words as on every other path; the type then only helps the mapping wizard guess the column.
   */
  declared?: boolean;
  /** How a reason names the field, when a record's declaration has its own name for it ("the onset date"). */
  what?: string;
}

export interface KindSpec {
  fields: FieldSpec[];
  /** Each group needs at least one of its fields mapped (e.g. last_name or full_name). */
  required: string[][];
}

/**
 * The most characters a cell of each type may hold, unless its field says otherwise: generous for what
 * people type, small enough that a pasted document or a runaway cell never reaches the database.
 */
export const typeLimits: Record<FieldType, number> = {
  text: 1_000,
  id: 80,
  date: 40,
  'past-date': 40,
  datetime: 60,
  time: 20,
  sex: 20,
  phone: 40,
  email: 254,
  zip: 20,
  state: 60,
  race: 100,
  ethnicity: 100,
  loinc: 20,
  rxnorm: 20,
  ndc: 20,
  'ndc-unit': 40,
  cvx: 20,
  procedure: 20,
  modifiers: 40,
  number: 30,
  integer: 20,
  money: 30,
  quantity: 60,
};

const f = (name: string, type: FieldType, label: string, ...aliases: string[]): FieldSpec => ({ name, type, label, aliases, max: typeLimits[type] });
/** A field whose cells are allowed more, or fewer, characters than its type's limit. */
const sized = (max: number, field: FieldSpec): FieldSpec => ({ ...field, max });
/** A declaration's columns (src/records/), in its order, each named in reasons as the declaration names its field. */
export function declaredColumns(fields: RecordFields): FieldSpec[] {
  return Object.values(fields).flatMap(({ label, column }) =>
    column ? [{ name: column.name, type: column.type, label: column.description, aliases: [...(column.aliases ?? [])], max: column.max ?? typeLimits[column.type], what: label, ...(column.asWritten ? { declared: true } : {}) }] : [],
  );
}

/**
 * A declaration's required fields as column groups (one column of a group is enough), after the chart number;
 * `standsFor` adds the import's own columns that can stand in for one (a whole name for the last name).
 */
export function declaredRequired(fields: RecordFields, standsFor: Record<string, string[]> = {}): string[][] {
  const groups = new Map<true | string, string[]>();
  for (const [name, field] of Object.entries(fields)) {
    if (!field.required || !field.column) continue;
    const key = field.required === true ? name : field.required;
    groups.set(key, [...(groups.get(key) ?? []), field.column.name, ...(standsFor[field.column.name] ?? [])]);
  }
  return [['chart_number'], ...groups.values()];
}

const chart = f('chart_number', 'id', "the patient's chart number", 'chart #', 'chart no', 'chart', 'mrn', 'medical record number', 'patient id', 'patient #', 'account number', 'acct #');
const recordId = (what: string) => f('record_id', 'id', `the ${what}'s id in the old system (makes re-imports update it)`, `${what} id`, 'id', 'source id', 'legacy id');

export const kindSpecs = {
  patients: {
    fields: [
      chart,
      f('external_id', 'id', "the patient's id in the old system", 'old id', 'legacy id', 'external id', 'old system id', 'patient number'),
      ...declaredColumns(PATIENT_FIELDS),
      sized(200, f('full_name', 'text', 'whole name, "DOE, JOHN A" or "John A Doe"', 'name', 'patient name', 'patient', 'full name')),
    ],
    // The patient's key is its chart number or old id, else its name and birth date: no chart number needed.
    required: declaredRequired(PATIENT_FIELDS, { last_name: ['full_name'], first_name: ['full_name'] }).slice(1),
  },
  problems: {
    fields: [chart, recordId('problem'), ...declaredColumns(PROBLEM_FIELDS)],
    required: declaredRequired(PROBLEM_FIELDS),
  },
  medications: {
    fields: [chart, recordId('medication'), ...declaredColumns(MEDICATION_FIELDS)],
    required: declaredRequired(MEDICATION_FIELDS),
  },
  allergies: {
    fields: [chart, recordId('allergy'), ...declaredColumns(ALLERGY_FIELDS)],
    required: declaredRequired(ALLERGY_FIELDS),
  },
  immunizations: {
    fields: [chart, recordId('immunization'), ...declaredColumns(IMMUNIZATION_FIELDS)],
    required: declaredRequired(IMMUNIZATION_FIELDS),
  },
  labs: {
    fields: [chart, recordId('result'), ...declaredColumns(LAB_FIELDS)],
    required: declaredRequired(LAB_FIELDS),
  },
  vitals: {
    fields: [chart, ...declaredColumns(VITAL_FIELDS)],
    required: declaredRequired(VITAL_FIELDS),
  },
  encounters: {
    fields: [chart, recordId('visit'), ...declaredColumns(ENCOUNTER_FIELDS)],
    required: declaredRequired(ENCOUNTER_FIELDS),
  },
  charges: {
    fields: [chart, recordId('charge'), f('visit_id', 'id', "the visit's id in the old system", 'encounter id', 'visit #'), ...declaredColumns(CHARGE_FIELDS)],
    required: declaredRequired(CHARGE_FIELDS),
  },
  notes: {
    fields: [chart, recordId('note'), ...declaredColumns(NOTE_FIELDS)],
    required: declaredRequired(NOTE_FIELDS),
  },
  history: {
    fields: [chart, recordId('history'), ...declaredColumns(HISTORY_FIELDS)],
    required: declaredRequired(HISTORY_FIELDS),
  },
  insurance: {
    fields: [chart, recordId('policy'), ...declaredColumns(COVERAGE_FIELDS)],
    required: declaredRequired(COVERAGE_FIELDS),
  },
  appointments: {
    fields: [chart, recordId('appointment'), ...declaredColumns(APPOINTMENT_FIELDS)],
    required: declaredRequired(APPOINTMENT_FIELDS),
  },
} satisfies Record<string, KindSpec>;

export type ImportKind = keyof typeof kindSpecs;
export const importKinds = Object.keys(kindSpecs) as ImportKind[];

/** "Date of Birth", "date_of_birth", "D.O.B." → "dateofbirth" / "dob". */
export function headerKey(header: string): string {
  return header
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/#/g, 'number')
    .replace(/[^a-z0-9]/g, '');
}

export function kindColumns(kind: ImportKind): { name: string; label: string }[] {
  return (kindSpecs[kind].fields as FieldSpec[]).map((field) => ({ name: field.name, label: field.label }));
}

export function templateCsv(kind: ImportKind): string {
  return stringify([kindSpecs[kind].fields.map((field) => field.name)]);
}

/** Column index per field, from header names (canonical or a known variant), then the mapping file. */
export function mapHeaders(kind: ImportKind, headers: string[], mapping: Record<string, string> = {}): Map<string, number> {
  const fields = kindSpecs[kind].fields as FieldSpec[];
  const lookup = new Map<string, string>();
  for (const field of fields) {
    for (const alias of [field.name, ...field.aliases]) if (!lookup.has(headerKey(alias))) lookup.set(headerKey(alias), field.name);
  }
  const mapped = new Map<string, number>();
  headers.forEach((header, i) => {
    const field = lookup.get(headerKey(header));
    if (field && !mapped.has(field)) mapped.set(field, i);
  });
  const byKey = new Map(headers.map((h, i) => [headerKey(h), i]));
  for (const [header, field] of Object.entries(mapping)) {
    const i = byKey.get(headerKey(header));
    if (i !== undefined && fields.some((x) => x.name === field)) mapped.set(field, i);
  }
  return mapped;
}

/** Required groups with no field mapped, each named by its fields. */
export function unmappedRequired(kind: ImportKind, mapped: Map<string, number>): string[][] {
  return kindSpecs[kind].required.filter((group) => !group.some((name) => mapped.has(name)));
}
