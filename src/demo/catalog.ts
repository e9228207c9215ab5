// The codes the demo practice uses, as published (ICD-10-CM, SNOMED CT, LOINC, RxNorm, CVX, CPT/HCPCS
// codes without their licensed descriptors), chosen so the quality measures find what they look for.
// Fees are the demo practice's own charge master, in cents. What src/records/ declares (vital signs, lab
// tests' units and ranges, statuses, categories, code systems) is read from there, not repeated here.
import { CodeSystem } from '../codes/systems.js';
import type { ALLERGY_CATEGORIES, ALLERGY_CODE_SYSTEMS } from '../records/allergy.js';
import type { Vocabulary } from '../records/record.js';

/** A code of a declared vocabulary (a status, a category), as the generator picks it. */
export type VocabularyCode<V> = V extends Vocabulary<infer T> ? T : never;

export interface Coding {
  code: string;
  display: string;
}

export interface Drug {
  rxnorm: string;
  display: string;
  dose: number;
  doseUnit: string;
  route: string;
  frequency: string;
  quantity: number;
}

export type ConditionId = 'hypertension' | 'diabetes' | 'hyperlipidemia' | 'asthma' | 'depression' | 'obesity' | 'prediabetes' | 'tobacco';

export interface Condition {
  id: ConditionId;
  icd10: Coding;
  /** Problem lists coded in SNOMED CT (as many EHRs and the measure test patients do); absent: ICD-10-CM only. */
  snomed?: Coding;
  /** Drugs with the share of patients taking each. */
  drugs: [Drug, number][];
  /** Days between follow-up visits. */
  followUpDays?: number;
}

const tablet = (rxnorm: string, display: string, dose: number, frequency = 'once daily'): Drug => ({
  rxnorm,
  display,
  dose,
  doseUnit: 'mg',
  route: 'oral',
  frequency,
  quantity: 90,
});
const inhaler = (rxnorm: string, display: string, frequency: string): Drug => ({
  rxnorm,
  display,
  dose: 2,
  doseUnit: 'puff',
  route: 'inhalation',
  frequency,
  quantity: 1,
});

export const CONDITIONS: Record<ConditionId, Condition> = {
  hypertension: {
    id: 'hypertension',
    icd10: { code: 'I10', display: 'Essential (primary) hypertension' },
    snomed: { code: '59621000', display: 'Essential hypertension (disorder)' },
    drugs: [
      [tablet('314076', 'lisinopril 10 MG Oral Tablet', 10), 0.6],
      [tablet('310798', 'Hydrochlorothiazide 25 MG Oral Tablet', 25), 0.35],
      [tablet('197361', 'Amlodipine 5 MG Oral Tablet', 5), 0.3],
    ],
    followUpDays: 180,
  },
  diabetes: {
    id: 'diabetes',
    icd10: { code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' },
    snomed: { code: '44054006', display: 'Diabetes mellitus type 2 (disorder)' },
    drugs: [[tablet('860975', '24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet', 500, 'twice daily'), 0.85]],
    followUpDays: 95,
  },
  hyperlipidemia: {
    id: 'hyperlipidemia',
    icd10: { code: 'E78.5', display: 'Hyperlipidemia, unspecified' },
    snomed: { code: '55822004', display: 'Hyperlipidemia (disorder)' },
    drugs: [
      [tablet('312961', 'Simvastatin 20 MG Oral Tablet', 20), 0.4],
      [tablet('259255', 'Atorvastatin 80 MG Oral Tablet', 80), 0.3],
    ],
    followUpDays: 365,
  },
  asthma: {
    id: 'asthma',
    icd10: { code: 'J45.909', display: 'Unspecified asthma, uncomplicated' },
    snomed: { code: '195967001', display: 'Asthma (disorder)' },
    drugs: [
      [inhaler('2123111', 'NDA020503 200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler', 'every 4 hours as needed'), 0.9],
      [inhaler('895994', '120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler', 'twice daily'), 0.4],
    ],
    followUpDays: 365,
  },
  depression: {
    id: 'depression',
    icd10: { code: 'F32.A', display: 'Depression, unspecified' },
    snomed: { code: '35489007', display: 'Depressive disorder (disorder)' },
    drugs: [
      [tablet('312941', 'sertraline 50 MG Oral Tablet', 50), 0.6],
      [tablet('310385', 'fluoxetine 20 MG Oral Capsule', 20), 0.2],
    ],
    followUpDays: 120,
  },
  obesity: {
    id: 'obesity',
    icd10: { code: 'E66.9', display: 'Obesity, unspecified' },
    snomed: { code: '414916001', display: 'Obesity (disorder)' },
    drugs: [],
  },
  prediabetes: {
    id: 'prediabetes',
    icd10: { code: 'R73.03', display: 'Prediabetes' },
    snomed: { code: '714628002', display: 'Prediabetes (finding)' },
    drugs: [],
  },
  tobacco: {
    id: 'tobacco',
    icd10: { code: 'F17.210', display: 'Nicotine dependence, cigarettes, uncomplicated' },
    drugs: [],
  },
};

/** Short illnesses that bring patients in between chronic care visits. */
export const ACUTE_DIAGNOSES: Coding[] = [
  { code: 'J06.9', display: 'Acute upper respiratory infection, unspecified' },
  { code: 'J02.9', display: 'Acute pharyngitis, unspecified' },
  { code: 'R05.9', display: 'Cough, unspecified' },
  { code: 'M54.50', display: 'Low back pain, unspecified' },
  { code: 'N39.0', display: 'Urinary tract infection, site not specified' },
  { code: 'L30.9', display: 'Dermatitis, unspecified' },
  { code: 'R51.9', display: 'Headache, unspecified' },
];
export const OTITIS: Coding = { code: 'H66.90', display: 'Otitis media, unspecified, unspecified ear' };

export const ENCOUNTER_DX = {
  adultExam: { code: 'Z00.00', display: 'Encounter for general adult medical examination without abnormal findings' },
  adultExamAbnormal: { code: 'Z00.01', display: 'Encounter for general adult medical examination with abnormal findings' },
  childExam: { code: 'Z00.129', display: 'Encounter for routine child health examination without abnormal findings' },
  immunization: { code: 'Z23', display: 'Encounter for immunization' },
} satisfies Record<string, Coding>;

/** LOINC codes of the demo's lab tests (named as the lab reports them), screenings and imaging; vital signs are src/records/vital.ts's. */
export const LOINC = {
  a1c: { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' },
  lipidPanel: { code: '24331-1', display: 'Lipid 1996 panel - Serum or Plasma' },
  cholesterol: { code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma' },
  triglycerides: { code: '2571-8', display: 'Triglyceride [Mass/volume] in Serum or Plasma' },
  hdl: { code: '2085-9', display: 'Cholesterol in HDL [Mass/volume] in Serum or Plasma' },
  ldl: { code: '13457-7', display: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation' },
  adultDepressionScreen: { code: '73832-8', display: 'Adult depression screening assessment' },
  adolescentDepressionScreen: { code: '73831-0', display: 'Adolescent depression screening assessment' },
  phq9Total: { code: '44261-6', display: 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]' },
  smokingStatus: { code: '72166-2', display: 'Tobacco smoking status' },
  mammogram: { code: '24606-6', display: 'MG Breast Screening' },
} satisfies Record<string, Coding>;

export const SNOMED = {
  screenNegative: { code: '428171000124102', display: 'Depression screening negative (finding)' },
  screenPositive: { code: '428181000124104', display: 'Depression screening positive (finding)' },
  smokesDaily: { code: '449868002', display: 'Smokes tobacco daily (finding)' },
  exSmoker: { code: '8517006', display: 'Ex-smoker (finding)' },
  neverSmoked: { code: '266919005', display: 'Never smoked tobacco (finding)' },
  colonoscopy: { code: '73761001', display: 'Colonoscopy (procedure)' },
} satisfies Record<string, Coding>;

/** Charge master: CPT/HCPCS code → fee in cents. */
export const FEES: Record<string, number> = {
  '99202': 9_500, '99203': 14_500, '99204': 21_500, '99205': 28_500,
  '99212': 7_500, '99213': 12_000, '99214': 17_500, '99215': 24_500,
  '99381': 21_000, '99382': 21_000, '99383': 21_500, '99384': 23_000, '99385': 23_000, '99386': 26_000, '99387': 28_000,
  '99391': 19_000, '99392': 19_000, '99393': 19_500, '99394': 21_000, '99395': 21_000, '99396': 23_000, '99397': 25_000,
  G0438: 17_500, G0439: 13_500,
  '83036': 2_500, '80061': 4_000, '36415': 1_000, '99406': 3_000,
  '90460': 2_500, '90471': 2_500, '90472': 1_500, G0008: 2_500, G0009: 2_500,
  '90656': 3_000, '90658': 2_800, '90662': 6_500, '90715': 5_500, '90677': 28_000, '90750': 21_000,
  '90744': 3_000, '90700': 3_500, '90713': 4_000, '90647': 3_000, '90681': 12_000, '90707': 8_500, '90716': 15_000, '90633': 4_000,
};

export const E_M = {
  established: [['99212', 10], ['99213', 42], ['99214', 38], ['99215', 10]] as [string, number][],
  chronic: [['99213', 35], ['99214', 50], ['99215', 15]] as [string, number][],
  newPatient: [['99202', 5], ['99203', 45], ['99204', 40], ['99205', 10]] as [string, number][],
};

/** Preventive medicine visit codes by age band: [upper age exclusive, new, established]. */
export const PREVENTIVE: [number, string, string][] = [
  [1, '99381', '99391'],
  [5, '99382', '99392'],
  [12, '99383', '99393'],
  [18, '99384', '99394'],
  [40, '99385', '99395'],
  [65, '99386', '99396'],
  [Infinity, '99387', '99397'],
];

export interface Vaccine {
  cvx: string;
  display: string;
  /** CPT product code charged with it. */
  cpt: string;
}

export const VACCINES = {
  fluPreservativeFree: { cvx: '140', display: 'Influenza, split virus, trivalent, injectable, preservative free', cpt: '90656' },
  flu: { cvx: '141', display: 'Influenza, split virus, trivalent, injectable, contains preservative', cpt: '90658' },
  fluHighDose: { cvx: '135', display: 'Influenza, high dose seasonal, preservative-free', cpt: '90662' },
  tdap: { cvx: '115', display: 'Tdap', cpt: '90715' },
  pcv20: { cvx: '216', display: 'Pneumococcal conjugate vaccine, 20 valent', cpt: '90677' },
  zoster: { cvx: '187', display: 'Zoster vaccine recombinant', cpt: '90750' },
  hepB: { cvx: '08', display: 'Hep B, adolescent or pediatric', cpt: '90744' },
  dtap: { cvx: '20', display: 'DTaP', cpt: '90700' },
  ipv: { cvx: '10', display: 'IPV', cpt: '90713' },
  hib: { cvx: '49', display: 'Hib (PRP-OMP)', cpt: '90647' },
  rotavirus: { cvx: '119', display: 'rotavirus, monovalent', cpt: '90681' },
  mmr: { cvx: '03', display: 'MMR', cpt: '90707' },
  varicella: { cvx: '21', display: 'varicella', cpt: '90716' },
  hepA: { cvx: '83', display: 'Hep A, ped/adol, 2 dose', cpt: '90633' },
} satisfies Record<string, Vaccine>;

/** Well-child visits (age in months) and the vaccines due at each, after the CDC schedule. */
export const WELL_CHILD: [number, Vaccine[]][] = [
  [0, [VACCINES.hepB]],
  [1, [VACCINES.hepB]],
  [2, [VACCINES.dtap, VACCINES.ipv, VACCINES.hib, VACCINES.pcv20, VACCINES.rotavirus]],
  [4, [VACCINES.dtap, VACCINES.ipv, VACCINES.hib, VACCINES.pcv20, VACCINES.rotavirus]],
  [6, [VACCINES.dtap, VACCINES.ipv, VACCINES.pcv20, VACCINES.hepB]],
  [9, []],
  [12, [VACCINES.mmr, VACCINES.varicella, VACCINES.hepA, VACCINES.hib, VACCINES.pcv20]],
  [15, [VACCINES.dtap]],
  [18, [VACCINES.hepA]],
  [24, []],
  [30, []],
];

export interface AllergySpec {
  substance: string;
  system: (typeof ALLERGY_CODE_SYSTEMS)[number];
  code: string;
  category: VocabularyCode<typeof ALLERGY_CATEGORIES>;
  reaction: string;
  share: number;
}

export const ALLERGIES: AllergySpec[] = [
  { substance: 'Penicillin V', system: CodeSystem.rxnorm, code: '7984', category: 'medication', reaction: 'Hives', share: 0.08 },
  { substance: 'Aspirin', system: CodeSystem.rxnorm, code: '1191', category: 'medication', reaction: 'Wheezing', share: 0.02 },
  { substance: 'Peanut', system: CodeSystem.snomed, code: '762952008', category: 'food', reaction: 'Swelling of the lips and tongue', share: 0.02 },
  { substance: 'Shellfish', system: CodeSystem.snomed, code: '735029006', category: 'food', reaction: 'Hives', share: 0.02 },
  { substance: 'Latex', system: CodeSystem.snomed, code: '111088007', category: 'environment', reaction: 'Contact dermatitis', share: 0.01 },
  { substance: 'Grass pollen', system: CodeSystem.snomed, code: '256277009', category: 'environment', reaction: 'Sneezing and itchy eyes', share: 0.05 },
  { substance: 'House dust mite', system: CodeSystem.snomed, code: '260147004', category: 'environment', reaction: 'Nasal congestion', share: 0.03 },
];

/** CDC Race & Ethnicity code set (OMB categories), with the demo's mix. */
export const RACES: [string | null, number][] = [
  ['2106-3', 60], ['2054-5', 13], ['2028-9', 6], ['1002-5', 1], ['2076-8', 0.5], ['2131-1', 8], [null, 11.5],
];
export const ETHNICITIES: [string | null, number][] = [['2135-2', 18], ['2186-5', 80], [null, 2]];

// Plainly fictional people and places: common first names, made-up surnames and towns.
export const FIRST_NAMES = {
  female: ['Ava', 'Beth', 'Carmen', 'Dana', 'Elena', 'Fatima', 'Grace', 'Hana', 'Isla', 'June', 'Kira', 'Lena', 'Maya', 'Nora', 'Olive', 'Priya', 'Rosa', 'Sofia', 'Tara', 'Uma', 'Vera', 'Wren', 'Yara', 'Zoe'],
  male: ['Aaron', 'Ben', 'Carlos', 'Dev', 'Eli', 'Felix', 'Gus', 'Hugo', 'Ivan', 'Jon', 'Kofi', 'Leo', 'Marco', 'Nate', 'Omar', 'Paul', 'Raj', 'Sam', 'Theo', 'Victor', 'Wade', 'Xavier', 'Yusuf', 'Zane'],
};
const SURNAME_STARTS = ['Demo', 'Sample', 'Test', 'Mock', 'Fable', 'Faux', 'Pretend', 'Fiction', 'Madeup', 'Example'];
const SURNAME_ENDS = ['son', 'man', 'ley', 'ford', 'well', 'worth', 'field', 'wood', 'by', 'ton', 'berg', 'ski', 'ez', 'elli', 'stone'];
export const SURNAMES = SURNAME_STARTS.flatMap((a) => SURNAME_ENDS.map((b) => `${a}${b}`));
export const STREETS = ['Example Street', 'Sample Avenue', 'Demo Road', 'Placeholder Lane', 'Fiction Way', 'Mockingbird Court', 'Pretend Place', 'Testing Boulevard'];
export const TOWNS: [string, string][] = [
  ['Demoville', '12301'],
  ['Sampleton', '12302'],
  ['Testburg', '12303'],
  ['Mockport', '12304'],
];
/** Area codes for the NANP numbers 555-0100 to 555-0199, reserved for fiction. */
export const AREA_CODES = ['518', '315', '607', '716'];
