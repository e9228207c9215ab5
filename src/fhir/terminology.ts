// Fixed FHIR and US Core vocabulary our export uses: profile URLs, category codings, UCUM units.
import type { CodeableConcept, Coding } from '@medplum/fhirtypes';
import { SMOKING_STATUS_LOINC as SMOKING_STATUS } from '../codes/chart-vocabulary.js';

const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';

export const Profile = {
  patient: `${US_CORE}us-core-patient`,
  practitioner: `${US_CORE}us-core-practitioner`,
  organization: `${US_CORE}us-core-organization`,
  encounter: `${US_CORE}us-core-encounter`,
  conditionProblem: `${US_CORE}us-core-condition-problems-health-concerns`,
  conditionEncounterDiagnosis: `${US_CORE}us-core-condition-encounter-diagnosis`,
  vitalSigns: `${US_CORE}us-core-vital-signs`,
  bloodPressure: `${US_CORE}us-core-blood-pressure`,
  bmi: `${US_CORE}us-core-bmi`,
  bodyWeight: `${US_CORE}us-core-body-weight`,
  bodyHeight: `${US_CORE}us-core-body-height`,
  bodyTemperature: `${US_CORE}us-core-body-temperature`,
  heartRate: `${US_CORE}us-core-heart-rate`,
  respiratoryRate: `${US_CORE}us-core-respiratory-rate`,
  pulseOximetry: `${US_CORE}us-core-pulse-oximetry`,
  lab: `${US_CORE}us-core-observation-lab`,
  smokingStatus: `${US_CORE}us-core-smokingstatus`,
  socialHistory: `${US_CORE}us-core-observation-social-history`,
  clinicalResult: `${US_CORE}us-core-observation-clinical-result`,
  medicationRequest: `${US_CORE}us-core-medicationrequest`,
  allergy: `${US_CORE}us-core-allergyintolerance`,
  immunization: `${US_CORE}us-core-immunization`,
  procedure: `${US_CORE}us-core-procedure`,
  diagnosticReportLab: `${US_CORE}us-core-diagnosticreport-lab`,
  diagnosticReportNote: `${US_CORE}us-core-diagnosticreport-note`,
  documentReference: `${US_CORE}us-core-documentreference`,
  adiDocumentReference: `${US_CORE}us-core-adi-documentreference`,
  carePlan: `${US_CORE}us-core-careplan`,
  goal: `${US_CORE}us-core-goal`,
  serviceRequest: `${US_CORE}us-core-servicerequest`,
  coverage: `${US_CORE}us-core-coverage`,
  race: `${US_CORE}us-core-race`,
  ethnicity: `${US_CORE}us-core-ethnicity`,
  genderIdentity: `${US_CORE}us-core-genderIdentity`,
  sex: `${US_CORE}us-core-sex`,
} as const;

export const System = {
  ucum: 'http://unitsofmeasure.org',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  allergyVerification: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
  diagnosticService: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  subscriberRelationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  coverageClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
  carePlanCategory: 'http://hl7.org/fhir/us/core/CodeSystem/careplan-category',
  usCoreDocumentCategory: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category',
  usCoreCategory: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-category',
  omb: 'urn:oid:2.16.840.1.113883.6.238',
  bcp47: 'urn:ietf:bcp:47',
  dataAbsentReason: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
  /** Where the original of a document (an advance directive) is kept, as the practice wrote it. */
  documentLocation: 'urn:practicekit:document-location',
  /**
   * The entry a correction replaces, for resources R4 gives no relatesTo (FamilyMemberHistory, Observation,
   * Procedure); the core "replaces" extension is only for definitional resources.
   */
  replaces: 'urn:practicekit:replaces',
  /** Our chart numbers. */
  mrn: 'urn:practicekit:mrn',
  /** Prior authorization numbers given by payers. */
  priorAuth: 'urn:practicekit:prior-authorization',
} as const;

export function concept(system: string | null | undefined, code: string | null | undefined, display?: string | null, text?: string | null): CodeableConcept | undefined {
  const coding: Coding[] = system && code ? [{ system, code, ...(display ? { display } : {}) }] : [];
  if (coding.length === 0 && !text) return undefined;
  return { ...(coding.length ? { coding } : {}), ...(text ? { text } : {}) };
}

// Vital-sign LOINC code -> the US Core profile for it (every one also claims the vital-signs profile).
export const vitalSignProfiles: Record<string, string> = {
  '85354-9': Profile.bloodPressure,
  '39156-5': Profile.bmi,
  '29463-7': Profile.bodyWeight,
  '8302-2': Profile.bodyHeight,
  '8310-5': Profile.bodyTemperature,
  '8867-4': Profile.heartRate,
  '9279-1': Profile.respiratoryRate,
  '59408-5': Profile.pulseOximetry,
};

// The smoking status we record, and the older tobacco use code (39240-7) other systems still send.
export const SMOKING_STATUS_LOINC = [SMOKING_STATUS, '39240-7'];
export const BLOOD_PRESSURE_PANEL = '85354-9';

// Units as typed in charts and exports -> UCUM codes (case-sensitive UCUM is what US Core requires).
export const ucumAliases: Record<string, string> = {
  mmhg: 'mm[Hg]',
  'mm[hg]': 'mm[Hg]',
  kg: 'kg',
  g: 'g',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  '[lb_av]': '[lb_av]',
  oz: '[oz_av]',
  cm: 'cm',
  m: 'm',
  in: '[in_i]',
  '[in_i]': '[in_i]',
  'kg/m2': 'kg/m2',
  'kg/m^2': 'kg/m2',
  c: 'Cel',
  cel: 'Cel',
  '°c': 'Cel',
  degc: 'Cel',
  f: '[degF]',
  '°f': '[degF]',
  degf: '[degF]',
  '[degf]': '[degF]',
  '/min': '/min',
  bpm: '/min',
  'beats/min': '/min',
  'breaths/min': '/min',
  '%': '%',
  'mg/dl': 'mg/dL',
  'mmol/l': 'mmol/L',
  'g/dl': 'g/dL',
  'meq/l': 'meq/L',
  'u/l': 'U/L',
  'ng/ml': 'ng/mL',
  'ml/min/{1.73_m2}': 'mL/min/{1.73_m2}',
  'ml/min/1.73m2': 'mL/min/{1.73_m2}',
  '10*3/ul': '10*3/uL',
  '10*6/ul': '10*6/uL',
  fl: 'fL',
  pg: 'pg',
  '{score}': '{score}',
  score: '{score}',
  '1': '1',
};

/** The UCUM code for a unit as stored, or undefined when we cannot be sure of one. */
export function ucumCode(unit: string | null | undefined): string | undefined {
  if (!unit) return undefined;
  return ucumAliases[unit.trim().toLowerCase()];
}

// OMB race and ethnicity categories (CDC Race & Ethnicity code system), for the US Core extensions.
export const ombRace: Record<string, string> = {
  '1002-5': 'American Indian or Alaska Native',
  '2028-9': 'Asian',
  '2054-5': 'Black or African American',
  '2076-8': 'Native Hawaiian or Other Pacific Islander',
  '2106-3': 'White',
};
export const ombEthnicity: Record<string, string> = {
  '2135-2': 'Hispanic or Latino',
  '2186-5': 'Not Hispanic or Latino',
};
