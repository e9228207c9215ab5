// Allergies and intolerances, declared once: the codes a substance is known by (an RxNorm ingredient,
// SNOMED CT, UNII: US Core's binding, checked for their form; others kept as given), the categories, severities, criticalities and clinical statuses
// (FHIR AllergyIntolerance's) with the words old systems write for them, and the date rules. `allergies
// add`, the CSV, Synthea and FHIR imports all check an allergy here.
import { readRxnorm } from '../codes/drug-codes.js';
import { CodeSystem, normalizeCodeSystem } from '../codes/systems.js';
import { choices, RecordCheck, type Checked, type RecordContext, type RecordFields, type Vocabulary } from './record.js';

export const ALLERGY_CODE_SYSTEMS = [CodeSystem.rxnorm, CodeSystem.snomed, CodeSystem.unii] as const;

export const ALLERGY_CATEGORIES: Vocabulary<'medication' | 'food' | 'environment' | 'biologic'> = {
  codes: ['medication', 'food', 'environment', 'biologic'],
  words: { drug: 'medication', med: 'medication', environmental: 'environment' },
};
export const ALLERGY_SEVERITIES: Vocabulary<'mild' | 'moderate' | 'severe'> = { codes: ['mild', 'moderate', 'severe'], words: { mod: 'moderate' } };
export const ALLERGY_CRITICALITIES: Vocabulary<'low' | 'high' | 'unable-to-assess'> = { codes: ['low', 'high', 'unable-to-assess'] };
export const ALLERGY_STATUSES: Vocabulary<'active' | 'inactive' | 'resolved'> = { codes: ['active', 'inactive', 'resolved'] };

/** An allergy's fields: how they are named in its reasons, their options in `allergies add`, their CSV columns. */
export const ALLERGY_FIELDS = {
  substance: {
    label: 'the substance',
    required: true,
    option: { flags: '--substance <text>', description: 'what the patient is allergic to (required)' },
    column: { name: 'substance', type: 'text', description: 'what the patient is allergic to', aliases: ['allergen', 'allergy', 'allergic to', 'agent'] },
  },
  code: {
    label: 'the substance code',
    option: { flags: '--rxnorm <code>', description: 'RxNorm ingredient code, when known' },
    column: { name: 'code', type: 'text', description: 'RxNorm, SNOMED CT or UNII code of the substance', aliases: ['allergen code', 'substance code'] },
  },
  codeSystem: { label: 'the code system', column: { name: 'code_system', type: 'text', description: 'code system (RxNorm, SNOMED, UNII, or a URI)', aliases: ['system', 'coding system', 'code type'] } },
  category: {
    label: 'the category',
    option: { flags: '--category <category>', description: 'medication (default), food, environment or biologic' },
    column: { name: 'category', type: 'text', description: choices(ALLERGY_CATEGORIES), aliases: ['type', 'allergy type'] },
  },
  reaction: {
    label: 'the reaction',
    option: { flags: '--reaction <text>', description: 'e.g. hives' },
    column: { name: 'reaction', type: 'text', description: 'the reaction', aliases: ['reactions', 'manifestation'] },
  },
  severity: {
    label: 'the severity',
    option: { flags: '--severity <severity>', description: 'mild, moderate or severe' },
    column: { name: 'severity', type: 'text', description: choices(ALLERGY_SEVERITIES) },
  },
  criticality: {
    label: 'the criticality',
    option: { flags: '--criticality <level>', description: 'low, high or unable-to-assess' },
    column: { name: 'criticality', type: 'text', description: `risk of a serious reaction: ${choices(ALLERGY_CRITICALITIES)}`, aliases: ['risk'] },
  },
  onsetDate: {
    label: 'the onset date',
    option: { flags: '--onset <date>', description: 'when it was first noticed' },
    column: { name: 'onset_date', type: 'date', description: 'when it started', aliases: ['onset', 'date noted', 'noted'] },
  },
  clinicalStatus: { label: 'the status', column: { name: 'status', type: 'text', description: choices(ALLERGY_STATUSES), aliases: ['allergy status'] } },
} satisfies RecordFields;

/** An allergy as a path read it: words and the onset as written (dates are read by the record check). */
export interface AllergyInput {
  substance?: string;
  code?: string;
  /** The code's system when the source names it; digits alone are an RxNorm ingredient. */
  codeSystem?: string;
  category?: string;
  reaction?: string;
  severity?: string;
  criticality?: string;
  status?: string;
  onsetDate?: string;
}

export interface AllergyValues {
  substance: string;
  codeSystem: string | null;
  code: string | null;
  category: (typeof ALLERGY_CATEGORIES.codes)[number];
  reaction: string | null;
  severity: (typeof ALLERGY_SEVERITIES.codes)[number] | null;
  criticality: (typeof ALLERGY_CRITICALITIES.codes)[number] | null;
  clinicalStatus: (typeof ALLERGY_STATUSES.codes)[number];
  onsetDate: string | null;
}

/** A substance's code and its system → the stored pair, or the reason it cannot be used (a malformed code, no system). */
function readSubstanceCode(code: string, system: string | undefined): { codeSystem: string; code: string } | { problem: string } {
  const uri = system?.trim() ? normalizeCodeSystem(system) : /^[0-9]{1,8}$/.test(code) ? CodeSystem.rxnorm : undefined;
  if (!uri) return { problem: `the substance code "${code}" needs its code system (RxNorm, SNOMED CT or UNII).` };
  if (uri === CodeSystem.rxnorm) {
    const read = readRxnorm(code);
    return 'code' in read ? { codeSystem: uri, code: read.code } : read;
  }
  if (uri === CodeSystem.snomed && !/^[0-9]{6,18}$/.test(code)) return { problem: `"${code}" is not a SNOMED CT code (6 to 18 digits).` };
  if (uri === CodeSystem.unii && !/^[0-9A-Z]{10}$/.test(code.toUpperCase())) return { problem: `"${code}" is not a UNII (10 letters and digits).` };
  // Another system's code (NDF-RT, a local one) is kept as given: the substance's name is what the checks
  // read, and refusing the allergy would lose it from the chart.
  return { codeSystem: uri, code: uri === CodeSystem.unii ? code.toUpperCase() : code };
}

/** Every problem with an allergy at once, or its stored values. */
export function checkAllergy(input: AllergyInput, context: RecordContext): Checked<AllergyValues> {
  const c = new RecordCheck(context);
  const substance = c.required('substance', input.substance?.trim(), 'the allergy names no substance.');
  const coded = c.code('code', input.code?.trim(), (s) => readSubstanceCode(s, input.codeSystem), 'CODE');
  const category = c.choice('category', ALLERGY_FIELDS.category.label, input.category, ALLERGY_CATEGORIES);
  const severity = c.choice('severity', ALLERGY_FIELDS.severity.label, input.severity, ALLERGY_SEVERITIES);
  const criticality = c.choice('criticality', ALLERGY_FIELDS.criticality.label, input.criticality, ALLERGY_CRITICALITIES);
  const status = c.choice('clinicalStatus', ALLERGY_FIELDS.clinicalStatus.label, input.status, ALLERGY_STATUSES);
  const onset = c.pastDate('onsetDate', ALLERGY_FIELDS.onsetDate.label, input.onsetDate);
  return c.result({
    substance: substance!,
    codeSystem: coded?.codeSystem ?? null,
    code: coded?.code ?? null,
    category: category ?? 'medication',
    reaction: input.reaction?.trim() || null,
    severity: severity ?? null,
    criticality: criticality ?? null,
    clinicalStatus: status ?? 'active',
    onsetDate: onset ?? null,
  });
}
