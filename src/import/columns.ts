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
import { ENCOUNTER_CLASSES } from '../records/encounter.js';
import { NOTE_FIELDS } from '../records/note.js';
import { PATIENT_FIELDS } from '../records/patient.js';
import { PROBLEM_FIELDS } from '../records/problem.js';
import { VITAL_FIELDS } from '../records/vital.js';
import { choices, type FieldType, type RecordFields } from '../records/record.js';
import { COVERAGE_ORDERS, SUBSCRIBER_RELATIONSHIPS } from '../records/coverage.js';
import { APPOINTMENT_FIELDS, APPOINTMENT_LENGTH, APPOINTMENT_STATUSES } from '../records/appointment.js';

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
/** Insurance and appointments (not yet generated from their declarations): a column their declaration reads as written, named in reasons as it names the field. */
const declared = (field: FieldSpec): FieldSpec => ({ ...field, declared: true });
const named = (what: string, field: FieldSpec): FieldSpec => ({ ...field, what });

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
const date = (label: string, ...aliases: string[]) => f('date', 'date', label, 'date', ...aliases);
const codeSystem = f('code_system', 'text', 'code system (ICD-10-CM, SNOMED, or a URI)', 'system', 'coding system', 'code type');

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
    fields: [
      chart,
      recordId('visit'),
      declared(date('visit date (a time in the cell is read too)', 'visit date', 'date of service', 'dos', 'service date', 'encounter date')),
      declared(f('time', 'time', 'visit time', 'visit time', 'start time')),
      declared(f('visit_code', 'procedure', 'CPT/HCPCS visit code (e.g. 99213)', 'cpt', 'visit type code', 'e/m code', 'em code', 'code')),
      f('visit_type', 'text', 'kind of visit as written', 'type', 'visit type', 'encounter type'),
      declared(f('visit_class', 'text', `visit class: ${choices(ENCOUNTER_CLASSES)} (or office, telehealth, home, inpatient, emergency)`, 'class', 'encounter class', 'setting')),
      declared(f('provider_npi', 'id', "the rendering provider's NPI", 'npi', 'provider npi', 'rendering npi', 'rendering provider npi')),
      declared(f('diagnoses', 'text', 'ICD-10-CM diagnoses in claim order, e.g. E11.9, I10', 'dx', 'dx codes', 'diagnosis codes', 'icd10', 'icd-10')),
      f('reason', 'text', 'reason for the visit', 'chief complaint', 'cc', 'reason for visit'),
      declared(f('duration', 'integer', 'minutes', 'minutes', 'length')),
    ],
    required: [['chart_number'], ['date']],
  },
  charges: {
    fields: [
      chart,
      recordId('charge'),
      f('visit_id', 'id', "the visit's id in the old system", 'encounter id', 'visit #'),
      declared(f('service_date', 'date', 'date of service', 'dos', 'date of service', 'date', 'service date')),
      declared(f('code', 'procedure', 'CPT or HCPCS code', 'cpt', 'hcpcs', 'cpt code', 'procedure code', 'proc code')),
      declared(f('modifiers', 'modifiers', 'modifiers (e.g. 25 or 25,59)', 'modifier', 'mod', 'mods')),
      declared(f('units', 'integer', 'units', 'qty', 'unit', 'quantity')),
      declared(f('amount', 'money', 'charge amount (e.g. 125.00)', 'charge', 'fee', 'amount', 'billed')),
      declared(f('diagnosis_pointers', 'text', "the visit's diagnoses this line is for: places 1-12 or letters A-L, e.g. 1,2 (empty: the first four)", 'dx pointers', 'dx pointer', 'diagnosis pointer', 'pointers', 'pointer', 'dx ptr')),
      declared(f('place_of_service', 'text', 'place of service code (e.g. 11)', 'pos', 'place of service')),
      declared(f('ndc', 'ndc', 'NDC for drug charges', 'ndc code')),
      declared(f('ndc_quantity', 'number', 'amount of the drug given, in the NDC unit', 'ndc qty', 'drug quantity')),
      declared(f('ndc_unit', 'ndc-unit', 'unit of that amount: UN, ML, GR, ME (mg) or F2 (international units)', 'ndc uom', 'drug unit')),
    ],
    required: [['chart_number'], ['service_date'], ['code'], ['amount']],
  },
  notes: {
    fields: [chart, recordId('note'), ...declaredColumns(NOTE_FIELDS)],
    required: declaredRequired(NOTE_FIELDS),
  },
  history: {
    fields: [
      chart,
      recordId('history'),
      f('kind', 'text', 'past-illness, surgery, family or social (PMH, PSH, FH, SH)', 'type', 'history type', 'category'),
      f('description', 'text', 'what it is', 'history', 'condition', 'item', 'details'),
      f('code', 'text', 'ICD-10-CM or SNOMED CT code', 'icd10', 'icd code', 'dx code'),
      codeSystem,
      f('relation', 'text', 'for family history: mother, father, sibling...', 'relationship', 'family member', 'relative'),
      f('onset_date', 'date', 'when', 'date', 'onset', 'year'),
      sized(10_000, f('note', 'text', 'notes', 'notes', 'comment', 'comments')),
    ],
    required: [['chart_number'], ['kind'], ['description']],
  },
  insurance: {
    fields: [
      chart,
      recordId('policy'),
      f('payer_name', 'text', 'insurance company', 'insurance', 'payer', 'carrier', 'insurance company', 'plan'),
      f('payer_id', 'id', "payer id the clearinghouse routes on", 'payer #', 'payor id', 'carrier id'),
      declared(f('member_id', 'id', 'member / subscriber id', 'member #', 'subscriber id', 'policy number', 'policy #', 'id number', 'insured id')),
      declared(f('group_number', 'id', 'group number', 'group', 'group #', 'group no')),
      declared(f('plan_name', 'text', 'plan name', 'plan name')),
      declared(f('priority', 'text', `${choices(COVERAGE_ORDERS)} (or 1, 2, 3)`, 'order', 'coverage order', 'level')),
      declared(f('relationship', 'text', `patient is the subscriber's: ${choices(SUBSCRIBER_RELATIONSHIPS)}`, 'relationship to subscriber', 'relation to insured')),
      declared(f('effective_from', 'date', 'coverage start', 'effective date', 'start date', 'effective')),
      declared(f('effective_to', 'date', 'coverage end', 'termination date', 'end date', 'term date')),
    ],
    required: [['chart_number'], ['payer_name', 'payer_id'], ['member_id']],
  },
  appointments: {
    fields: [
      chart,
      recordId('appointment'),
      declared(named(APPOINTMENT_FIELDS.date, date('appointment date', 'appt date', 'appointment date'))),
      declared(named(APPOINTMENT_FIELDS.time, f('time', 'time', 'start time', 'appt time', 'appointment time', 'start time'))),
      declared(f('duration', 'integer', `minutes (1 to ${APPOINTMENT_LENGTH.max}, default ${APPOINTMENT_LENGTH.default})`, 'minutes', 'length', 'duration minutes')),
      declared(f('reason', 'text', 'what it is for', 'visit reason', 'appointment type', 'type')),
      declared(f('status', 'text', choices(APPOINTMENT_STATUSES), 'appt status')),
    ],
    required: [['chart_number'], ['date']],
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
