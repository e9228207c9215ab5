// The problem list, declared once: the code systems a problem takes (ICD-10-CM, billable; SNOMED CT), its
// clinical statuses (FHIR's condition-clinical) with the words old systems write for them, and the date
// rules. `problems add`, the CSV, Synthea and FHIR imports all check a problem here, so the same value is
// accepted, normalised or refused with the same words on every path.
import { readIcd10 } from '../codes/code-lists.js';
import { normalizeIcd10 } from '../codes/icd10.js';
import { CodeSystem, normalizeCodeSystem } from '../codes/systems.js';
import { choices, RecordCheck, type Checked, type RecordContext, type RecordFields, type Vocabulary } from './record.js';

export const PROBLEM_CODE_SYSTEMS = [CodeSystem.icd10cm, CodeSystem.snomed] as const;

export const PROBLEM_STATUSES: Vocabulary<'active' | 'recurrence' | 'relapse' | 'inactive' | 'remission' | 'resolved'> = {
  codes: ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'],
  words: { chronic: 'active', current: 'active', past: 'resolved' },
};
/** The statuses that keep a problem on the active list. */
export const ACTIVE_PROBLEM_STATUSES = ['active', 'recurrence', 'relapse'];

/** A problem's fields: how they are named in its reasons, their options in `problems add`, their CSV columns. */
export const PROBLEM_FIELDS = {
  code: {
    label: 'the diagnosis code',
    required: true,
    option: { flags: '--icd10 <code>', description: 'ICD-10-CM code, e.g. E11.9 (required)' },
    column: { name: 'code', type: 'text', description: 'ICD-10-CM (with or without the dot) or SNOMED CT code', aliases: ['icd10', 'icd-10', 'icd 10 code', 'icd code', 'dx', 'dx code', 'diagnosis code', 'snomed'] },
  },
  codeSystem: { label: 'the code system', column: { name: 'code_system', type: 'text', description: 'code system (ICD-10-CM, SNOMED, or a URI)', aliases: ['system', 'coding system', 'code type'] } },
  display: {
    label: 'the problem',
    option: { flags: '--name <text>', description: 'how the problem reads on the chart' },
    column: { name: 'description', type: 'text', description: 'what the problem is', aliases: ['problem', 'diagnosis', 'problem name', 'condition'] },
  },
  onsetDate: {
    label: 'the onset date',
    option: { flags: '--onset <date>', description: 'when it started' },
    column: { name: 'onset_date', type: 'date', description: 'when it started', aliases: ['onset', 'date of onset', 'date diagnosed', 'diagnosed', 'start date'] },
  },
  abatementDate: { label: 'the resolved date', column: { name: 'resolved_date', type: 'date', description: 'when it resolved', aliases: ['resolved', 'resolution date', 'end date', 'abatement date'] } },
  clinicalStatus: {
    label: 'the status',
    option: { flags: '--status <status>', description: `${PROBLEM_STATUSES.codes.join(', ')} (default active)` },
    column: { name: 'status', type: 'text', description: choices(PROBLEM_STATUSES), aliases: ['problem status', 'clinical status'] },
  },
  note: { label: 'the note', option: { flags: '--note <text>', description: 'a short note' } },
} satisfies RecordFields;

/**
 * A diagnosis code (a problem's, a history item's) with the system it is in, when given → its system and
 * code: ICD-10-CM (with or without the dot, any case; a category header is refused), SNOMED CT, or the
 * reason it is neither. Without a system, the code's form says which.
 */
export function readDiagnosisCode(text: string, system?: string): { codeSystem: string; code: string } | { problem: string } {
  const code = text.trim();
  const icd10 = () => {
    const read = readIcd10(code);
    return 'code' in read ? { codeSystem: CodeSystem.icd10cm, code: read.code } : read;
  };
  const uri = system?.trim() ? normalizeCodeSystem(system) : undefined;
  if (uri === CodeSystem.icd10cm) return icd10();
  if (uri === CodeSystem.icd9cm) return { problem: `"${code}" is an ICD-9 code; ICD-9 was retired in 2015: give the ICD-10-CM code.` };
  if (uri === CodeSystem.snomed) return /^[0-9]{6,18}$/.test(code) ? { codeSystem: uri, code } : { problem: `"${code}" is not a SNOMED CT code (6 to 18 digits).` };
  if (uri) return { problem: `"${code}" is in a code system a diagnosis cannot be given in (${system!.trim()}): give its ICD-10-CM or SNOMED CT code.` };
  if (normalizeIcd10(code)) return icd10();
  if (/^[0-9]{6,18}$/.test(code)) return { codeSystem: CodeSystem.snomed, code };
  if (/^(V[0-9]{2}|E[0-9]{3}|[0-9]{3})(\.[0-9]{1,2})?$/.test(code) || /^[0-9]{4,5}$/.test(code)) {
    return { problem: `"${code}" looks like an ICD-9 code (retired in 2015): give the ICD-10-CM code.` };
  }
  return { problem: `"${code}" is neither an ICD-10-CM nor a SNOMED CT code.` };
}

/** A problem as a path read it: text and dates as written (dates are read by the record check). */
export interface ProblemInput {
  code?: string;
  /** The code's system when the source names it; without it the code's form says which. */
  codeSystem?: string;
  display?: string;
  status?: string;
  onsetDate?: string;
  abatementDate?: string;
  note?: string;
}

export interface ProblemValues {
  codeSystem: string;
  code: string;
  display: string | null;
  clinicalStatus: (typeof PROBLEM_STATUSES.codes)[number];
  onsetDate: string | null;
  abatementDate: string | null;
  note: string | null;
}

/** Every problem with a problem at once, or its stored values. */
export function checkProblem(input: ProblemInput, context: RecordContext): Checked<ProblemValues> {
  const c = new RecordCheck(context);
  const text = c.required('code', input.code, `${PROBLEM_FIELDS.code.label} is missing.`);
  const coded = c.code('code', text, (s) => readDiagnosisCode(s, input.codeSystem), 'CODE');
  const status = c.choice('clinicalStatus', PROBLEM_FIELDS.clinicalStatus.label, input.status, PROBLEM_STATUSES);
  const onset = c.pastDate('onsetDate', PROBLEM_FIELDS.onsetDate.label, input.onsetDate);
  const abatement = c.pastDate('abatementDate', PROBLEM_FIELDS.abatementDate.label, input.abatementDate);
  if (onset && abatement && abatement < onset) c.fail('abatementDate', 'DATE_ORDER', 'the problem resolved before its onset.');
  return c.result({
    ...coded!,
    display: input.display?.trim() || null,
    clinicalStatus: status ?? (abatement ? 'resolved' : 'active'),
    onsetDate: onset ?? null,
    abatementDate: abatement ?? null,
    note: input.note?.trim() || null,
  });
}
