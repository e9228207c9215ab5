// The shared eCQM libraries (Hospice, PalliativeCare, AdvancedIllnessandFrailty, AdultOutpatientEncounters,
// the nursing-home rule) as criteria, and the value sets the 2026 measures name. VSAC OIDs; the codes
// themselves live in value_set_codes ("practice valueset import").
import { CodeSystem } from '../codes/systems.js';
import { all, any, code, fromMpStart, loinc, MP, snomed, union, vs, type Criterion } from './definition.js';

const V = '2.16.840.1.113883.3.464.1003';

export const VS = {
  officeVisit: vs('Office Visit', `${V}.101.12.1001`),
  annualWellness: vs('Annual Wellness Visit', '2.16.840.1.113883.3.526.3.1240'),
  preventive18Established: vs('Preventive Care Established 18+', `${V}.101.12.1025`),
  preventive18Initial: vs('Preventive Care Initial 18+', `${V}.101.12.1023`),
  preventive017Established: vs('Preventive Care Established 0-17', `${V}.101.12.1024`),
  preventive017Initial: vs('Preventive Care Initial 0-17', `${V}.101.12.1022`),
  homeHealth: vs('Home Healthcare Services', `${V}.101.12.1016`),
  virtual: vs('Virtual Encounter', `${V}.101.12.1089`),
  telephone: vs('Telephone Visits', `${V}.101.12.1080`),
  nutrition: vs('Nutrition Services', `${V}.1006`),
  inpatient: vs('Encounter Inpatient', '2.16.840.1.113883.3.666.5.307'),
  emergency: vs('Emergency Department Visit', `${V}.101.12.1010`),
  hospiceEncounter: vs('Hospice Encounter', `${V}.1003`),
  hospiceCare: vs('Hospice Care Ambulatory', '2.16.840.1.113883.3.526.3.1584'),
  hospiceDiagnosis: vs('Hospice Diagnosis', `${V}.1165`),
  palliativeDiagnosis: vs('Palliative Care Diagnosis', `${V}.1167`),
  palliativeEncounter: vs('Palliative Care Encounter', `${V}.101.12.1090`),
  palliativeIntervention: vs('Palliative Care Intervention', `${V}.198.12.1135`),
  frailtyDevice: vs('Frailty Device', `${V}.118.12.1300`),
  frailtyDiagnosis: vs('Frailty Diagnosis', `${V}.113.12.1074`),
  frailtyEncounter: vs('Frailty Encounter', `${V}.101.12.1088`),
  frailtySymptom: vs('Frailty Symptom', `${V}.113.12.1075`),
  advancedIllness: vs('Advanced Illness', `${V}.110.12.1082`),
  dementiaMedications: vs('Dementia Medications', `${V}.196.12.1510`),
  medicalReason: vs('Medical Reason', '2.16.840.1.113883.3.526.3.1007'),
  patientDeclined: vs('Patient Declined', '2.16.840.1.113883.3.526.3.1582'),
} as const;

const dischargedToHospice = snomed('Discharged to hospice', '428361000124107', '428371000124100');
const hospiceAssessment = loinc('Hospice care [MDS]', '45755-6');
const yes = snomed('Yes', '373066001');
const facitPal = loinc('FACIT-Pal', '71007-9');
const equipmentUsed = loinc('Medical equipment used', '98181-1');
const housingStatus = loinc('Housing status', '71802-3');
const livesInNursingHome = snomed('Lives in nursing home', '160734000');

/** Hospice."Has Hospice Services". */
export const hospice: Criterion = any(
  { encounter: { concept: VS.inpatient, timing: 'endsIn', dischargeTo: dischargedToHospice } },
  { encounter: { concept: VS.hospiceEncounter, timing: 'overlaps' } },
  { observation: { concept: hospiceAssessment, timing: 'overlaps', valueIn: yes } },
  { order: { concept: VS.hospiceCare } },
  { procedure: { concept: VS.hospiceCare, timing: 'overlaps' } },
  { condition: { concept: VS.hospiceDiagnosis, timing: 'overlaps' } },
);

/** PalliativeCare."Has Palliative Care in the Measurement Period". */
export const palliativeCare: Criterion = any(
  { observation: { concept: facitPal, timing: 'overlaps' } },
  { condition: { concept: VS.palliativeDiagnosis, timing: 'overlaps' } },
  { encounter: { concept: VS.palliativeEncounter, timing: 'overlaps' } },
  { procedure: { concept: VS.palliativeIntervention, timing: 'overlaps' } },
);

/** AdvancedIllnessandFrailty."Has Criteria Indicating Frailty". */
export const frailty: Criterion = any(
  { order: { concept: VS.frailtyDevice, kinds: ['device'] } },
  { observation: { concept: equipmentUsed, timing: 'endsIn', valueIn: VS.frailtyDevice } },
  { condition: { concept: VS.frailtyDiagnosis, timing: 'overlaps' } },
  { encounter: { concept: VS.frailtyEncounter, timing: 'overlaps' } },
  { observation: { concept: VS.frailtySymptom, timing: 'overlaps', statuses: ['preliminary', 'final', 'amended', 'corrected'] } },
);

/** Advanced illness starting in the year before the period or in it, or dementia medication then. */
export const advancedIllness: Criterion = any(
  { condition: { concept: VS.advancedIllness, timing: 'startsIn', window: fromMpStart('-1 year') } },
  { medication: { concept: VS.dementiaMedications, match: 'activeOverlaps', window: fromMpStart('-1 year') } },
);

export const frailWithAdvancedIllness = (minAge = 66, maxAge?: number): Criterion =>
  all({ age: { min: minAge, max: maxAge, at: 'mpEnd' } }, frailty, advancedIllness);

/** 66 or older and the last housing assessment up to the period end says "lives in nursing home". */
export const nursingHome: Criterion = all(
  { age: { min: 66, at: 'mpEnd' } },
  { latestObservation: { concept: housingStatus, window: { to: { at: 'mpEnd' } }, test: { valueIn: livesInNursingHome } } },
);

/** AdultOutpatientEncounters."Qualifying Encounters". */
export const adultOutpatientConcept = union(
  'Adult outpatient visit',
  VS.officeVisit,
  VS.annualWellness,
  VS.preventive18Established,
  VS.preventive18Initial,
  VS.homeHealth,
  VS.virtual,
  VS.telephone,
);
export const adultOutpatientVisit: Criterion = { encounter: { concept: adultOutpatientConcept, window: MP } };

/** The exclusions CMS122, CMS125 and CMS130 share. */
export const olderAdultExclusions: Criterion[] = [hospice, nursingHome, frailWithAdvancedIllness(66), palliativeCare];

export const cpt = (name: string, ...codes: string[]) => code(name, CodeSystem.cpt, ...codes);
export const hcpcs = (name: string, ...codes: string[]) => code(name, CodeSystem.hcpcs, ...codes);
