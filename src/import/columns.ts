// The columns each kind of CSV import understands, as one table: canonical name, the header variants
// people type, the value type, the most characters a cell may hold, and which fields must be present.
// Headers match ignoring case, spaces and punctuation ("Date of Birth", "DOB", "D.O.B." all find dob).
import { stringify } from 'csv-stringify/sync';
import type { FieldType } from './fields.js';
import { ALLERGY_CATEGORIES, ALLERGY_FIELDS, ALLERGY_CRITICALITIES, ALLERGY_SEVERITIES, ALLERGY_STATUSES } from '../records/allergy.js';
import { IMMUNIZATION_FIELDS } from '../records/immunization.js';
import { ENCOUNTER_CLASSES } from '../records/encounter.js';
import { MEDICATION_FIELDS, MEDICATION_STATUSES } from '../records/medication.js';
import { NOTE_FIELDS } from '../records/note.js';
import { PROBLEM_FIELDS, PROBLEM_STATUSES } from '../records/problem.js';
import { vitalByCsvField } from '../records/vital.js';
import type { Vocabulary } from '../records/record.js';

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
/** A field named in its reasons as its record's declaration names it, so every path words a bad date or number alike. */
const named = (what: string, field: FieldSpec): FieldSpec => ({ ...field, what });
/** A vital sign's column is named in reasons as the sign is ("Body weight"), as `vitals add` names it. */
const vitalDisplay = (csvField: string): string => vitalByCsvField(csvField)!.display;
/** A field whose cells the record's declaration reads. */
const declared = (field: FieldSpec): FieldSpec => ({ ...field, declared: true });

const chart = f('chart_number', 'id', "the patient's chart number", 'chart #', 'chart no', 'chart', 'mrn', 'medical record number', 'patient id', 'patient #', 'account number', 'acct #');
const recordId = (what: string) => f('record_id', 'id', `the ${what}'s id in the old system (makes re-imports update it)`, `${what} id`, 'id', 'source id', 'legacy id');
const date = (label: string, ...aliases: string[]) => f('date', 'date', label, 'date', ...aliases);
/** "active, inactive or resolved": a vocabulary's codes, for a column's description. */
const choices = (vocabulary: Vocabulary) => `${vocabulary.codes.slice(0, -1).join(', ')} or ${vocabulary.codes.at(-1)}`;
const codeSystem = f('code_system', 'text', 'code system (ICD-10-CM, SNOMED, or a URI)', 'system', 'coding system', 'code type');

export const kindSpecs = {
  patients: {
    fields: [
      chart,
      f('external_id', 'id', "the patient's id in the old system", 'old id', 'legacy id', 'external id', 'old system id', 'patient number'),
      declared(sized(100, f('last_name', 'text', 'family name', 'last name', 'last', 'surname', 'family name', 'lname'))),
      declared(sized(100, f('first_name', 'text', 'given name', 'first name', 'first', 'given name', 'fname'))),
      declared(sized(100, f('middle_name', 'text', 'middle name or initial', 'middle name', 'middle', 'mi', 'middle initial'))),
      sized(200, f('full_name', 'text', 'whole name, "DOE, JOHN A" or "John A Doe"', 'name', 'patient name', 'patient', 'full name')),
      declared(f('dob', 'past-date', 'date of birth', 'date of birth', 'birth date', 'birthdate', 'd.o.b.', 'birthday')),
      declared(f('sex', 'sex', 'sex: M, F, U (or male/female, 1/2)', 'gender', 'sex at birth', 'administrative sex')),
      declared(sized(200, f('address1', 'text', 'street address', 'address', 'street', 'address line 1', 'address 1', 'street address'))),
      declared(sized(200, f('address2', 'text', 'address line 2', 'address line 2', 'address 2', 'apt', 'suite'))),
      declared(sized(100, f('city', 'text', 'city', 'town'))),
      declared(f('state', 'state', 'state (MA or Massachusetts)', 'st', 'province')),
      declared(f('zip', 'zip', 'ZIP code', 'zip code', 'zipcode', 'postal code', 'postcode')),
      declared(f('phone', 'phone', 'home phone', 'home phone', 'telephone', 'phone number', 'tel', 'phone #')),
      declared(f('mobile_phone', 'phone', 'mobile phone', 'cell', 'cell phone', 'mobile', 'mobile phone')),
      declared(f('work_phone', 'phone', 'work phone', 'work phone', 'business phone')),
      declared(f('email', 'email', 'e-mail address', 'e-mail', 'email address')),
      declared(f('race', 'race', 'race (word or CDC code)')),
      declared(f('ethnicity', 'ethnicity', 'ethnicity (word or CDC code)')),
      declared(sized(100, f('language', 'text', 'preferred language', 'preferred language', 'primary language'))),
      declared(f('deceased_date', 'past-date', 'date of death', 'date of death', 'death date', 'deceased', 'dod')),
    ],
    required: [['last_name', 'full_name'], ['first_name', 'full_name'], ['dob']],
  },
  problems: {
    fields: [
      chart,
      recordId('problem'),
      f('code', 'text', 'ICD-10-CM (with or without the dot) or SNOMED CT code', 'icd10', 'icd-10', 'icd 10 code', 'icd code', 'dx', 'dx code', 'diagnosis code', 'snomed'),
      codeSystem,
      f('description', 'text', 'what the problem is', 'problem', 'diagnosis', 'problem name', 'condition'),
      named(PROBLEM_FIELDS.onsetDate, f('onset_date', 'date', 'when it started', 'onset', 'date of onset', 'date diagnosed', 'diagnosed', 'start date')),
      named(PROBLEM_FIELDS.abatementDate, f('resolved_date', 'date', 'when it resolved', 'resolved', 'resolution date', 'end date', 'abatement date')),
      f('status', 'text', choices(PROBLEM_STATUSES), 'problem status', 'clinical status'),
    ],
    required: [['chart_number'], ['code']],
  },
  medications: {
    fields: [
      chart,
      recordId('medication'),
      f('rxnorm', 'rxnorm', 'RxNorm concept id', 'rxcui', 'rxnorm code', 'rx norm'),
      f('ndc', 'ndc', 'National Drug Code (11 digits, or 10 with hyphens)', 'ndc code', 'national drug code'),
      f('drug_name', 'text', 'the drug as written', 'medication', 'drug', 'medication name', 'drug name', 'description'),
      named(MEDICATION_FIELDS.dose, f('dose', 'quantity', 'dose with its unit (e.g. 10 mg)', 'strength', 'dosage')),
      f('route', 'text', 'route (oral, ...)', 'route of administration'),
      f('frequency', 'text', 'how often (sig)', 'sig', 'directions', 'instructions'),
      named(MEDICATION_FIELDS.startDate, f('start_date', 'date', 'when it was started', 'start', 'started', 'date prescribed', 'prescribed')),
      named(MEDICATION_FIELDS.stopDate, f('stop_date', 'date', 'when it was stopped', 'stop', 'stopped', 'end date', 'discontinued')),
      named(MEDICATION_FIELDS.quantity, f('quantity', 'number', 'quantity dispensed', 'qty', 'dispense')),
      named(MEDICATION_FIELDS.refills, f('refills', 'integer', 'refills', 'refill', '# refills')),
      f('status', 'text', choices(MEDICATION_STATUSES), 'med status'),
    ],
    required: [['chart_number'], ['rxnorm', 'ndc'], ['drug_name', 'rxnorm', 'ndc']],
  },
  allergies: {
    fields: [
      chart,
      recordId('allergy'),
      f('substance', 'text', 'what the patient is allergic to', 'allergen', 'allergy', 'allergic to', 'agent'),
      f('code', 'text', 'RxNorm, SNOMED CT or UNII code of the substance', 'allergen code', 'substance code'),
      f('code_system', 'text', 'code system (RxNorm, SNOMED, UNII, or a URI)', 'system', 'coding system', 'code type'),
      f('category', 'text', choices(ALLERGY_CATEGORIES), 'type', 'allergy type'),
      f('reaction', 'text', 'the reaction', 'reactions', 'manifestation'),
      f('severity', 'text', choices(ALLERGY_SEVERITIES)),
      f('criticality', 'text', `risk of a serious reaction: ${choices(ALLERGY_CRITICALITIES)}`, 'risk'),
      named(ALLERGY_FIELDS.onsetDate, f('onset_date', 'date', 'when it started', 'onset', 'date noted', 'noted')),
      f('status', 'text', choices(ALLERGY_STATUSES), 'allergy status'),
    ],
    required: [['chart_number'], ['substance']],
  },
  immunizations: {
    fields: [
      chart,
      recordId('immunization'),
      f('cvx', 'cvx', 'CVX vaccine code', 'cvx code', 'vaccine code'),
      f('vaccine', 'text', 'the vaccine as written', 'vaccine name', 'immunization', 'description'),
      named(IMMUNIZATION_FIELDS.occurrenceDate, date('date given', 'date given', 'administered', 'date administered', 'given')),
      f('lot_number', 'text', 'lot number', 'lot', 'lot #', 'lot no'),
      named(IMMUNIZATION_FIELDS.expirationDate, f('expiration_date', 'date', 'lot expiration date', 'expires', 'expiration', 'exp date', 'lot expiration')),
      f('manufacturer', 'text', 'manufacturer', 'mfr', 'maker'),
      f('site', 'text', 'body site', 'injection site'),
      f('route', 'text', 'route'),
      named(IMMUNIZATION_FIELDS.doseQuantity, f('dose', 'quantity', 'dose with unit (e.g. 0.5 mL)', 'dose amount')),
    ],
    required: [['chart_number'], ['cvx'], ['date']],
  },
  labs: {
    fields: [
      chart,
      recordId('result'),
      f('loinc', 'loinc', 'LOINC code with its check digit (e.g. 4548-4)', 'loinc code', 'test code', 'loinc #'),
      f('test_name', 'text', 'the test as written', 'test', 'lab', 'lab test', 'description', 'component'),
      f('value', 'text', 'the result (number or text)', 'result', 'result value', 'value'),
      f('unit', 'text', 'unit (mg/dL, %, ...)', 'units', 'uom'),
      f('reference_range', 'text', 'normal range', 'ref range', 'normal range', 'range', 'reference'),
      f('flag', 'text', 'abnormal flag (H, L, N, A)', 'abnormal flag', 'abn', 'interpretation'),
      f('date', 'datetime', 'when the sample was taken', 'collected', 'collection date', 'result date', 'date collected', 'resulted'),
    ],
    required: [['chart_number'], ['loinc'], ['value'], ['date']],
  },
  vitals: {
    fields: [
      chart,
      f('date', 'datetime', 'when they were taken', 'date taken', 'visit date', 'taken'),
      f('bp', 'text', 'blood pressure as 120/80', 'blood pressure', 'b/p'),
      named(vitalDisplay('systolic'), f('systolic', 'number', 'systolic pressure', 'sbp', 'systolic bp')),
      named(vitalDisplay('diastolic'), f('diastolic', 'number', 'diastolic pressure', 'dbp', 'diastolic bp')),
      named(vitalDisplay('pulse'), f('pulse', 'quantity', 'heart rate per minute', 'heart rate', 'hr', 'pulse rate')),
      named(vitalDisplay('respiratory_rate'), f('respiratory_rate', 'quantity', 'breaths per minute', 'resp', 'respirations', 'rr', 'resp rate')),
      named(vitalDisplay('temperature'), f('temperature', 'quantity', "temperature (°F or °C by the practice's unit setting, unless written)", 'temp', 'temperature f')),
      named(vitalDisplay('weight'), f('weight', 'quantity', "weight (lb or kg by the practice's unit setting, unless written)", 'wt', 'weight lbs', 'weight lb')),
      named(vitalDisplay('height'), f('height', 'quantity', "height (in or cm by the practice's unit setting, unless written)", 'ht', 'height in')),
      named(vitalDisplay('bmi'), f('bmi', 'number', 'body mass index', 'body mass index')),
      named(vitalDisplay('spo2'), f('spo2', 'quantity', 'oxygen saturation %', 'o2 sat', 'pulse ox', 'oxygen saturation', 'sat')),
    ],
    required: [['chart_number'], ['date'], ['bp', 'systolic', 'pulse', 'respiratory_rate', 'temperature', 'weight', 'height', 'bmi', 'spo2']],
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
    fields: [
      chart,
      recordId('note'),
      named(NOTE_FIELDS.noteDate, date('date of the note', 'note date', 'visit date', 'dos')),
      sized(100_000, f('subjective', 'text', 'S: what the patient reports', 's', 'history of present illness', 'hpi')),
      sized(100_000, f('objective', 'text', 'O: findings', 'o', 'exam', 'findings')),
      sized(100_000, f('assessment', 'text', 'A: assessment', 'a', 'impression')),
      sized(100_000, f('plan', 'text', 'P: plan', 'p')),
      sized(100_000, f('note', 'text', 'free-text note (kept as the subjective part)', 'text', 'note text', 'comments', 'progress note')),
    ],
    required: [['chart_number'], ['date'], ['subjective', 'objective', 'assessment', 'plan', 'note']],
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
      f('member_id', 'id', 'member / subscriber id', 'member #', 'subscriber id', 'policy number', 'policy #', 'id number', 'insured id'),
      f('group_number', 'id', 'group number', 'group', 'group #', 'group no'),
      f('plan_name', 'text', 'plan name', 'plan name'),
      f('priority', 'text', 'primary, secondary, tertiary (or 1, 2, 3)', 'order', 'coverage order', 'level'),
      f('relationship', 'text', 'patient is the subscriber\'s: self, spouse, child, other', 'relationship to subscriber', 'relation to insured'),
      f('effective_from', 'date', 'coverage start', 'effective date', 'start date', 'effective'),
      f('effective_to', 'date', 'coverage end', 'termination date', 'end date', 'term date'),
    ],
    required: [['chart_number'], ['payer_name', 'payer_id'], ['member_id']],
  },
  appointments: {
    fields: [
      chart,
      recordId('appointment'),
      date('appointment date', 'appt date', 'appointment date'),
      f('time', 'time', 'start time', 'appt time', 'appointment time', 'start time'),
      f('duration', 'integer', 'minutes', 'minutes', 'length', 'duration minutes'),
      f('reason', 'text', 'what it is for', 'visit reason', 'appointment type', 'type'),
      f('status', 'text', 'scheduled, kept, no-show, cancelled', 'appt status'),
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
