// Which drugs a recorded allergy rules out, by ingredient, by drug class and by cross-sensitivity between
// classes (a cephalosporin for a patient allergic to penicillin). The class table is data with its source
// (reference/drug-classes.json); this module only reads it. One check serves every place a drug is added,
// ordered, given or imported.
import { readFileSync } from 'node:fs';
import { and, eq, notInArray } from 'drizzle-orm';
import { CodeSystem } from '../codes/systems.js';
import { allergies } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { PracticeError } from '../errors.js';
import { normalizeNameText } from './names.js';

interface IngredientEntry {
  name: string;
  rxcui?: string;
  /** Other names the ingredient is written with (brands, abbreviations). */
  also?: string[];
}
interface ClassEntry {
  name: string;
  allergyTerms: string[];
  allergyRxcuis?: string[];
  ingredients: IngredientEntry[];
  crossSensitive: { class: string; note: string }[];
}
interface DrugClassTable {
  source: string;
  version: string;
  classes: ClassEntry[];
}

export const DRUG_CLASS_TABLE = JSON.parse(readFileSync(new URL('../../reference/drug-classes.json', import.meta.url), 'utf8')) as DrugClassTable;

/** An allergy as the check needs it. */
export interface AllergyForCheck {
  id: number;
  substance: string;
  codeSystem: string | null;
  code: string | null;
  severity: string | null;
  criticality: string | null;
}

/** A drug as the check needs it: its name as written and its RxNorm code when known. */
export interface DrugForCheck {
  name: string;
  rxnorm?: string | null;
}

export type ConflictMatch = 'same ingredient' | 'same class' | 'cross-sensitivity';

export interface AllergyConflict {
  allergyId: number;
  substance: string;
  match: ConflictMatch;
  /** The drug class the match runs through, when it is not the ingredient itself. */
  drugClass?: string;
  /** stop: do not go ahead without --override; warn: say so and go ahead. */
  level: 'stop' | 'warn';
  message: string;
}

interface Resolved {
  ingredients: Set<string>;
  classes: Set<string>;
}

const classOf = new Map<string, string>();
const ingredientByRxcui = new Map<string, string>();
const classByAllergyRxcui = new Map<string, string>();
/** Every way an ingredient is written (one or two words), to the ingredient's name. */
const ingredientByText = new Map<string, string>();
for (const cls of DRUG_CLASS_TABLE.classes) {
  for (const rxcui of cls.allergyRxcuis ?? []) classByAllergyRxcui.set(rxcui, cls.name);
  for (const ingredient of cls.ingredients) {
    classOf.set(ingredient.name, cls.name);
    if (ingredient.rxcui) ingredientByRxcui.set(ingredient.rxcui, ingredient.name);
    for (const text of [ingredient.name, ...(ingredient.also ?? [])]) ingredientByText.set(normalizeNameText(text), ingredient.name);
  }
}

/** The one- and two-word phrases of a text, so "penicillin v potassium" finds "penicillin v" and "penicillin". */
function phrases(text: string): string[] {
  const words = normalizeNameText(text).split(' ').filter(Boolean);
  return [...words, ...words.slice(1).map((w, i) => `${words[i]} ${w}`)];
}

function resolveDrug(drug: DrugForCheck): Resolved {
  const ingredients = new Set<string>();
  for (const phrase of phrases(drug.name)) {
    const found = ingredientByText.get(phrase);
    if (found) ingredients.add(found);
  }
  const byCode = drug.rxnorm ? ingredientByRxcui.get(drug.rxnorm) : undefined;
  if (byCode) ingredients.add(byCode);
  // "penicillin v" also reads as "penicillin": keep the specific ingredient only.
  if (ingredients.size > 1 && ingredients.has('penicillin')) ingredients.delete('penicillin');
  return { ingredients, classes: new Set([...ingredients].map((i) => classOf.get(i)!)) };
}

function resolveAllergy(allergy: AllergyForCheck): Resolved {
  const ingredients = new Set<string>();
  const classes = new Set<string>();
  const text = normalizeNameText(allergy.substance);
  const words = new Set(phrases(allergy.substance));
  for (const cls of DRUG_CLASS_TABLE.classes) {
    if (cls.allergyTerms.some((term) => words.has(normalizeNameText(term)) || (term.includes(' ') && text.includes(term)))) classes.add(cls.name);
  }
  if (allergy.codeSystem === CodeSystem.rxnorm && allergy.code) {
    const cls = classByAllergyRxcui.get(allergy.code);
    if (cls) classes.add(cls);
    const ingredient = ingredientByRxcui.get(allergy.code);
    if (ingredient && !cls) ingredients.add(ingredient);
  }
  for (const phrase of words) {
    const found = ingredientByText.get(phrase);
    if (found && !classes.has(classOf.get(found)!)) ingredients.add(found);
  }
  if (ingredients.size > 1 && ingredients.has('penicillin')) ingredients.delete('penicillin');
  // An allergy to one member is an allergy to its class (an amoxicillin allergy rules out ampicillin).
  for (const ingredient of ingredients) classes.add(classOf.get(ingredient)!);
  return { ingredients, classes };
}

const FORM_WORDS = new Set(['oral', 'tablet', 'tablets', 'capsule', 'capsules', 'solution', 'suspension', 'injection', 'injectable', 'cream', 'extended', 'release', 'delayed', 'drug', 'drugs', 'chewable', 'topical', 'patch']);

/** A mild reaction (or low criticality with no severity) only warns; anything else, or not knowing, stops. */
function lesser(allergy: AllergyForCheck): boolean {
  if (allergy.criticality === 'high' || allergy.severity === 'severe') return false;
  return allergy.severity === 'mild' || (allergy.severity === null && allergy.criticality === 'low');
}

/** Every recorded allergy the drug conflicts with, strongest match first for each allergy. */
export function allergyConflicts(drug: DrugForCheck, allergies: AllergyForCheck[]): AllergyConflict[] {
  const med = resolveDrug(drug);
  const medWords = new Set(normalizeNameText(drug.name).split(' ').filter((w) => w.length >= 4));
  const conflicts: AllergyConflict[] = [];
  for (const allergy of allergies) {
    const known = resolveAllergy(allergy);
    const sameCode = Boolean(drug.rxnorm && allergy.codeSystem === CodeSystem.rxnorm && allergy.code === drug.rxnorm);
    // A drug the table does not know is still caught by its name ("metformin" allergy, metformin ordered).
    const sameName = normalizeNameText(allergy.substance).split(' ').some((w) => w.length >= 4 && !FORM_WORDS.has(w) && medWords.has(w));
    const sameIngredient = sameCode || [...med.ingredients].some((i) => known.ingredients.has(i)) || sameName;
    const sharedClass = [...med.classes].find((c) => known.classes.has(c));
    const cross = DRUG_CLASS_TABLE.classes
      .filter((c) => known.classes.has(c.name))
      .flatMap((c) => c.crossSensitive.filter((x) => med.classes.has(x.class)).map((x) => ({ ...x, from: c.name })))[0];
    const base = { allergyId: allergy.id, substance: allergy.substance };
    const severity = allergy.severity ? `${allergy.severity} ` : '';
    if (sameIngredient || sharedClass) {
      const match: ConflictMatch = sameIngredient ? 'same ingredient' : 'same class';
      conflicts.push({
        ...base,
        match,
        drugClass: sharedClass,
        level: lesser(allergy) ? 'warn' : 'stop',
        message: `${drug.name} matches the recorded ${severity}allergy to ${allergy.substance} (${sameIngredient ? 'same ingredient' : `both are ${sharedClass}`}).`,
      });
    } else if (cross) {
      conflicts.push({ ...base, match: 'cross-sensitivity', drugClass: cross.class, level: 'warn', message: `${drug.name} is one of the ${cross.class}: ${cross.note} (recorded ${severity}allergy to ${allergy.substance}).` });
    }
  }
  return conflicts;
}

/**
 * The answer to a set of conflicts: the warnings to print, or the stop with its choices when a serious
 * match has no override reason. `action` says what the override applies to ("record it", "give it").
 */
export function allergyDecision(conflicts: AllergyConflict[], override: string | undefined, action: string): { warnings: string[]; overridden: boolean } {
  const stops = conflicts.filter((c) => c.level === 'stop');
  if (stops.length && !override?.trim()) {
    throw new PracticeError('ALLERGY', `Stop: ${stops.map((c) => c.message).join(' ')} Nothing was saved.`, {
      hint: `Choices: choose a drug outside the class; or, if the prescriber has decided to go ahead, ${action} with --override "the clinical reason" (the reason is kept and audited); or, if the allergy entry is wrong, correct it first ("practice allergies refute|inactivate|entered-in-error").`,
    });
  }
  const warnings = conflicts.filter((c) => c.level === 'warn').map((c) => `Allergy warning: ${c.message}`);
  if (stops.length) warnings.push(`Went ahead despite a matching allergy (${[...new Set(stops.map((c) => c.substance))].join(', ')}); the override reason is kept and audited.`);
  return { warnings, overridden: stops.length > 0 };
}

/** The ingredients of a medication's name known to the class table (for duplicate checks). */
export function ingredientsOf(drug: DrugForCheck): string[] {
  return [...resolveDrug(drug).ingredients];
}

/** The first word of a medication's name: its ingredient, in the usual "atorvastatin 20 MG Oral Tablet" form. */
export function ingredientWord(medicationName: string): string {
  return normalizeNameText(medicationName).split(' ')[0] ?? '';
}

/** A patient's allergies that a drug is checked against: active, and neither refuted nor entered in error. */
export function recordedAllergies(db: DbOrTx, patientId: number): Promise<AllergyForCheck[]> {
  return db
    .select({ id: allergies.id, substance: allergies.substance, codeSystem: allergies.codeSystem, code: allergies.code, severity: allergies.severity, criticality: allergies.criticality })
    .from(allergies)
    .where(and(eq(allergies.patientId, patientId), eq(allergies.clinicalStatus, 'active'), notInArray(allergies.verificationStatus, ['refuted', 'entered-in-error'])));
}
