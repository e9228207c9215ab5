// A patient's history as they tell it, declared once: past illnesses, surgeries, family history (a relative's
// condition, the relative as HL7 v3 RoleCode words) and social history, each with the words files use for
// its type (PMH, PSH, FH, SH), its code, its date and a note. `history <type> add`, the CSV history kind and
// the FHIR import all check an entry here, so the same value is accepted, normalised or refused alike.
import { FAMILY_RELATIONS, relationKey } from '../codes/chart-vocabulary.js';
import { procedureCodeSystem } from '../codes/procedure-codes.js';
import { CodeSystem, normalizeCodeSystem } from '../codes/systems.js';
import { readDiagnosisCode } from './problem.js';
import { choices, RecordCheck, type Checked, type RecordContext, type RecordField, type RecordFields, type Vocabulary } from './record.js';

/** The types of history entry (the medical_history kinds) and the words files write for them. */
export const HISTORY_TYPES: Vocabulary<'past-illness' | 'surgery' | 'family' | 'social'> = {
  codes: ['past-illness', 'surgery', 'family', 'social'],
  words: { pmh: 'past-illness', medical: 'past-illness', 'past medical': 'past-illness', illness: 'past-illness', surgical: 'surgery', psh: 'surgery', fh: 'family', fhx: 'family', sh: 'social' },
};
export type HistoryType = (typeof HISTORY_TYPES.codes)[number];

/** The relatives a family history entry names: the words of FAMILY_RELATIONS (each a v3 RoleCode). */
export const FAMILY_RELATIVES: Vocabulary = { codes: Object.keys(FAMILY_RELATIONS) };

/** What the entry's description is, in each type's words ("the illness is missing."). */
const DESCRIBED_AS: Record<HistoryType, string> = { 'past-illness': 'the illness', surgery: 'the surgery', family: 'the condition', social: 'the social history' };

/** The oldest age a relative's condition can begin at. */
const MAX_AGE = 130;

/** A history entry's fields as the CSV history kind has them: how they are named in reasons, their columns. */
export const HISTORY_FIELDS = {
  type: { label: 'the history type', required: true, column: { name: 'kind', type: 'text', description: `${choices(HISTORY_TYPES)} (PMH, PSH, FH, SH)`, aliases: ['type', 'history type', 'category'] } },
  description: { label: 'the description', required: true, column: { name: 'description', type: 'text', description: 'what it is', aliases: ['history', 'condition', 'item', 'details'] } },
  code: { label: 'the code', column: { name: 'code', type: 'text', description: 'ICD-10-CM or SNOMED CT code (a surgery: SNOMED CT or CPT)', aliases: ['icd10', 'icd code', 'dx code'] } },
  codeSystem: { label: 'the code system', column: { name: 'code_system', type: 'text', description: 'code system (ICD-10-CM, SNOMED, or a URI)', aliases: ['system', 'coding system', 'code type'] } },
  relation: { label: 'the relative', column: { name: 'relation', type: 'text', description: 'for family history: mother, father, sibling...', aliases: ['relationship', 'family member', 'relative'] } },
  onsetDate: { label: 'the date', column: { name: 'onset_date', type: 'date', description: 'when', aliases: ['date', 'onset', 'year'] } },
  onsetAge: { label: 'the age at onset' },
  note: { label: 'the note', column: { name: 'note', type: 'text', description: 'notes', aliases: ['notes', 'comment', 'comments'], max: 10_000 } },
  // A code typed in its own system's option (the command line): the option says which system it is in.
  icd10: { label: 'the ICD-10-CM code' },
  snomed: { label: 'the SNOMED CT code' },
  cpt: { label: 'the CPT code' },
} satisfies RecordFields;

type HistoryField = keyof typeof HISTORY_FIELDS;
const typed = (field: HistoryField, flags: string, description: string, label = HISTORY_FIELDS[field].label): RecordField => ({ label, option: { flags, description } });

/** Each type's fields as `history <type> add` takes them: the fields above, each given by the type's own option. */
export const HISTORY_OPTIONS = {
  'past-illness': {
    description: typed('description', '--condition <text>', 'the illness, as the patient tells it, e.g. "Pneumonia" (required)', DESCRIBED_AS['past-illness']),
    icd10: typed('icd10', '--icd10 <code>', 'ICD-10-CM code of the illness'),
    snomed: typed('snomed', '--snomed <code>', 'SNOMED CT code of the illness'),
    onsetDate: typed('onsetDate', '--date <date>', 'when it began (the first of the month or year when only that is known)'),
    note: typed('note', '--note <text>', 'e.g. "hospitalised a week"'),
  },
  family: {
    relation: typed('relation', '--relation <relative>', `who: ${FAMILY_RELATIVES.codes.join(', ')} (required)`),
    description: typed('description', '--condition <text>', 'the condition, as the patient tells it (required)', DESCRIBED_AS.family),
    icd10: typed('icd10', '--icd10 <code>', 'ICD-10-CM code of the condition'),
    snomed: typed('snomed', '--snomed <code>', 'SNOMED CT code of the condition'),
    onsetAge: typed('onsetAge', '--onset-age <years>', "the relative's age when it began"),
    note: typed('note', '--note <text>', 'e.g. "died of it at 60"'),
  },
  social: {
    description: typed('description', '--text <text>', 'what the patient says, e.g. "Works night shifts" (required)', DESCRIBED_AS.social),
    onsetDate: typed('onsetDate', '--since <date>', 'since when'),
    note: typed('note', '--note <text>', 'a short note'),
  },
  surgery: {
    description: typed('description', '--procedure <text>', 'the surgery, e.g. "Appendectomy" (required)', DESCRIBED_AS.surgery),
    onsetDate: typed('onsetDate', '--date <date>', 'when it was done (the first of the month or year when only that is known)'),
    snomed: typed('snomed', '--snomed <code>', 'SNOMED CT procedure code'),
    cpt: typed('cpt', '--cpt <code>', 'CPT code, when it was billed'),
    note: typed('note', '--note <text>', 'e.g. where it was done, complications'),
  },
} satisfies Record<HistoryType, RecordFields>;

/**
 * A surgery's code: CPT (named so, or in CPT's form) or, as for any history entry, ICD-10-CM or SNOMED CT.
 * HCPCS is not taken: a surgery told of is a procedure, not a supply.
 */
function readSurgeryCode(text: string, system?: string): { codeSystem: string; code: string } | { problem: string } {
  const code = text.trim().toUpperCase();
  const uri = system?.trim() ? normalizeCodeSystem(system) : undefined;
  const cpt = procedureCodeSystem(code) === CodeSystem.cpt;
  if (uri === CodeSystem.cpt || (!uri && cpt)) return cpt ? { codeSystem: CodeSystem.cpt, code } : { problem: `"${text.trim()}" is not a CPT code (5 characters, e.g. 44950).` };
  return readDiagnosisCode(text, system);
}

/** A history entry as a path read it: text as written (dates are read by the record check). */
export interface HistoryInput {
  type?: string;
  description?: string;
  /** A code with the system the source names (a file, FHIR); without it the code's form says which. */
  code?: string;
  codeSystem?: string;
  /** A code typed in its system's own option (the command line). */
  icd10?: string;
  snomed?: string;
  cpt?: string;
  relation?: string;
  onsetDate?: string;
  onsetAge?: string | number;
  note?: string;
}

export interface HistoryValues {
  kind: HistoryType;
  description: string;
  codeSystem: string | null;
  code: string | null;
  relation: string | null;
  onsetDate: string | null;
  onsetAge: number | null;
  note: string | null;
}

/** Where a code may come from, with the system it is in when the field says so (a file's code names its own). */
const CODE_FIELDS = [
  ['code', undefined],
  ['icd10', CodeSystem.icd10cm],
  ['snomed', CodeSystem.snomed],
  ['cpt', CodeSystem.cpt],
] as const;

/** Every problem with a history entry at once, or its stored values. */
export function checkHistory(input: HistoryInput, context: RecordContext): Checked<HistoryValues> {
  const c = new RecordCheck(context);
  const typeText = c.required('type', input.type, `${HISTORY_FIELDS.type.label} is missing.`);
  const type = c.choice('type', HISTORY_FIELDS.type.label, typeText, HISTORY_TYPES);
  const description = c.required('description', input.description?.trim(), `${type ? DESCRIBED_AS[type] : HISTORY_FIELDS.description.label} is missing.`);

  const given = CODE_FIELDS.filter(([field]) => input[field]?.trim());
  if (given.length > 1) c.fail(given[1]![0], 'ONE_CODE', `${HISTORY_FIELDS[given[0]![0]].label} and ${HISTORY_FIELDS[given[1]![0]].label} were both given: an entry takes one code.`);
  const [field, system] = given[0] ?? ['code', undefined];
  const reader = type === 'surgery' ? readSurgeryCode : readDiagnosisCode;
  const coded = given.length > 1 ? undefined : c.code(field, input[field], (s) => reader(s, system ?? input.codeSystem), 'CODE');

  const relationText = input.relation?.trim() ? relationKey(input.relation) : undefined;
  if (type === 'family') c.required('relation', relationText, `${HISTORY_FIELDS.relation.label} is missing.`);
  const relation = c.choice('relation', HISTORY_FIELDS.relation.label, relationText, FAMILY_RELATIVES);

  const onsetDate = c.pastDate('onsetDate', HISTORY_FIELDS.onsetDate.label, input.onsetDate);
  const age = c.amount('onsetAge', HISTORY_FIELDS.onsetAge.label, typeof input.onsetAge === 'string' && input.onsetAge.trim() === '' ? undefined : input.onsetAge, true);
  if (age !== undefined && age > MAX_AGE) c.fail('onsetAge', 'NUMBER', `${HISTORY_FIELDS.onsetAge.label} must be an age in whole years (0 to ${MAX_AGE}).`);

  return c.result({
    kind: type!,
    description: description!,
    codeSystem: coded?.codeSystem ?? null,
    code: coded?.code ?? null,
    relation: relation ?? null,
    onsetDate: onsetDate ?? null,
    onsetAge: age ?? null,
    note: input.note?.trim() || null,
  });
}
