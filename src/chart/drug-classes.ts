// Which drugs an allergy rules out. A deliberately small, PARTIAL table of common classes and their
// ingredients, matched on words of the names: it catches the usual cases (penicillin allergy and
// amoxicillin) and is no substitute for a pharmacy's interaction database.
import { normalizeNameText } from './names.js';

interface DrugClass {
  name: string;
  /** Words an allergy to the whole class is written with. */
  allergyWords: string[];
  /** Ingredients (and common brand names) in the class. */
  members: string[];
}

export const DRUG_CLASSES: DrugClass[] = [
  { name: 'penicillins', allergyWords: ['penicillin', 'penicillins', 'pcn'], members: ['penicillin', 'amoxicillin', 'ampicillin', 'dicloxacillin', 'nafcillin', 'oxacillin', 'piperacillin', 'augmentin', 'amoxil'] },
  { name: 'cephalosporins', allergyWords: ['cephalosporin', 'cephalosporins'], members: ['cephalexin', 'cefazolin', 'cefuroxime', 'cefdinir', 'ceftriaxone', 'cefpodoxime', 'cefadroxil', 'keflex'] },
  { name: 'sulfonamide antibiotics', allergyWords: ['sulfa', 'sulfonamide', 'sulfonamides'], members: ['sulfamethoxazole', 'sulfadiazine', 'sulfisoxazole', 'bactrim', 'septra'] },
  { name: 'NSAIDs', allergyWords: ['nsaid', 'nsaids'], members: ['ibuprofen', 'naproxen', 'aspirin', 'diclofenac', 'celecoxib', 'meloxicam', 'indomethacin', 'ketorolac', 'ketoprofen', 'etodolac', 'nabumetone', 'advil', 'motrin', 'aleve'] },
  { name: 'opioids', allergyWords: ['opioid', 'opioids', 'opiate', 'opiates'], members: ['codeine', 'morphine', 'hydrocodone', 'oxycodone', 'hydromorphone', 'tramadol', 'fentanyl', 'tapentadol'] },
  { name: 'fluoroquinolones', allergyWords: ['fluoroquinolone', 'fluoroquinolones', 'quinolone', 'quinolones'], members: ['ciprofloxacin', 'levofloxacin', 'moxifloxacin', 'ofloxacin'] },
  { name: 'macrolides', allergyWords: ['macrolide', 'macrolides'], members: ['erythromycin', 'azithromycin', 'clarithromycin', 'zithromax'] },
  { name: 'tetracyclines', allergyWords: ['tetracyclines'], members: ['tetracycline', 'doxycycline', 'minocycline'] },
  { name: 'ACE inhibitors', allergyWords: ['ace inhibitor', 'ace inhibitors', 'acei'], members: ['lisinopril', 'enalapril', 'ramipril', 'captopril', 'benazepril', 'quinapril', 'fosinopril'] },
  { name: 'statins', allergyWords: ['statin', 'statins'], members: ['atorvastatin', 'simvastatin', 'rosuvastatin', 'pravastatin', 'lovastatin'] },
];

function words(text: string): Set<string> {
  return new Set(normalizeNameText(text).split(' ').filter((w) => w.length >= 3));
}

/** Why a medication conflicts with a recorded allergy (the class or "same ingredient"), or undefined. */
export function allergyConflict(medicationName: string, allergySubstance: string): string | undefined {
  const med = words(medicationName);
  const allergy = words(allergySubstance);
  const allergyText = normalizeNameText(allergySubstance);
  for (const cls of DRUG_CLASSES) {
    const allergicToClass =
      cls.allergyWords.some((w) => (w.includes(' ') ? allergyText.includes(w) : allergy.has(w))) || cls.members.some((m) => allergy.has(m));
    if (allergicToClass && cls.members.some((m) => med.has(m))) return cls.name;
  }
  for (const word of allergy) if (word.length >= 4 && med.has(word)) return 'same ingredient';
  return undefined;
}

/** The first word of a medication's name: its ingredient, in the usual "atorvastatin 20 MG Oral Tablet" form. */
export function ingredientWord(medicationName: string): string {
  return normalizeNameText(medicationName).split(' ')[0] ?? '';
}
