// The language measure definitions are written in: populations as criteria over the record, with
// value set references and timing relative to the measurement period or the birth date. Definitions
// are plain data; compile.ts turns them into one SQL query per measure.
import { CodeSystem } from '../codes/systems.js';

/** A list of codes: value sets by OID, plus codes the measure names directly. */
export interface Concept {
  name: string;
  valueSets?: string[];
  codes?: [system: string, code: string][];
}

/** A day relative to the measurement period or the patient's birth date (an interval like '-2 years'). */
export interface DayRef {
  at: 'mpStart' | 'mpEnd' | 'birth';
  offset?: string;
}

export interface Window {
  from?: DayRef;
  to?: DayRef;
}

/**
 * How an event's days [start, end] meet the window (day precision, practice time zone):
 * during = start and end inside; overlaps = any shared day; startsIn/endsIn = that end inside;
 * startsBy/endsBy = on or before the window's end.
 */
export type Timing = 'during' | 'overlaps' | 'startsIn' | 'endsIn' | 'startsBy' | 'endsBy';

export interface EncounterSpec {
  concept: Concept;
  timing?: Timing;
  window?: Window;
  /** Encounter classes that never qualify (e.g. VR for a virtual visit). */
  excludeClasses?: string[];
  /** A discharge disposition the encounter must have. */
  dischargeTo?: Concept;
  /** At least this many distinct encounters (default 1). */
  minCount?: number;
  /** Age at the start of the encounter (CMS69). */
  minAgeAtStart?: number;
}

export interface ConditionSpec {
  concept: Concept;
  /** problem-list-item, health-concern, encounter-diagnosis; all when absent. */
  categories?: string[];
  timing: Timing;
  window?: Window;
  /** Skip the verification-status rule (CMS2 bipolar reads every condition). */
  anyVerification?: boolean;
  /** A body site the condition must carry (mastectomy laterality). */
  bodySite?: Concept;
}

export interface EventSpec {
  concept: Concept;
  timing: Timing;
  window?: Window;
  /** Statuses that count; defaults follow the eCQM status rules for the record type. */
  statuses?: string[];
}

export interface ObservationSpec extends EventSpec {
  category?: string;
  valueIn?: Concept;
  requireValue?: boolean;
  /** A numeric result: above (exclusive), min (inclusive), below (exclusive). */
  value?: { above?: number; min?: number; below?: number };
  /** Within days [fromDays, toDays] of a qualifying encounter's start day (CMS2, CMS69). */
  nearEncounter?: { encounter: EncounterSpec; fromDays: number; toDays: number };
}

export interface OrderSpec {
  concept: Concept;
  window?: Window;
  kinds?: string[];
  statuses?: string[];
}

export interface MedicationSpec {
  concept: Concept;
  /** Orders authored in the window, or active medications whose period overlaps it. */
  match: 'authoredIn' | 'activeOverlaps' | 'activeWithin';
  window?: Window;
}

export interface NotDoneSpec {
  concept: Concept;
  reasons: Concept;
  /** Recorded on the start day of a qualifying encounter. */
  sameDayAs?: EncounterSpec;
  window?: Window;
}

/** The last observation (by day, or by time) in the window decides. */
export interface LatestObservationSpec {
  concept: Concept;
  window?: Window;
  statuses?: string[];
  by?: 'day' | 'time';
  test: { valueIn: Concept } | { missingOrAbove: number } | { below: number };
  nearEncounter?: ObservationSpec['nearEncounter'];
}

/**
 * A procedure code that stands for a reading (HEDIS accepts CPT II 3074F "systolic < 130"): the day it
 * was performed counts as a reading of `value`, a number inside the range the code states.
 */
export interface CodedReading {
  system: string;
  code: string;
  component: 'systolic' | 'diastolic';
  value: number;
}

/** The most recent day with a qualifying blood pressure reading: lowest systolic and diastolic. */
export interface BloodPressureSpec {
  window?: Window;
  systolicBelow: number;
  diastolicBelow: number;
  /** Readings on a day of one of these encounters do not qualify unless linked to another visit. */
  acuteEncounters: Concept;
  acuteClasses: string[];
  codedReadings?: CodedReading[];
}

/**
 * Finished visits with a diagnosis in the concept (claims-style case finding, as HEDIS does it):
 * at least `minDays` distinct days in the window, optionally only visits of the given types.
 */
export interface DiagnosedVisitsSpec {
  diagnosis: Concept;
  visitTypes?: Concept;
  window: Window;
  minDays: number;
}

/** Vaccine doses on distinct days, from immunizations and procedures. */
export interface DosesSpec {
  immunizations?: Concept;
  procedures?: Concept;
  count: number;
  window: Window;
}

export type Criterion =
  | { all: Criterion[] }
  | { any: Criterion[] }
  | { not: Criterion }
  | { age: { min?: number; max?: number; at: 'mpStart' | 'mpEnd' } }
  | { female: true }
  | { encounter: EncounterSpec }
  | { condition: ConditionSpec }
  | { procedure: EventSpec }
  | { observation: ObservationSpec }
  | { order: OrderSpec }
  | { medication: MedicationSpec }
  | { notDone: NotDoneSpec }
  | { latestObservation: LatestObservationSpec }
  | { bloodPressure: BloodPressureSpec }
  | { doses: DosesSpec }
  | { diagnosedVisits: DiagnosedVisitsSpec }
  /** Died in the window (the measurement period when none is given). */
  | { deceased: { window?: Window } };

export interface PopulationCriteria {
  initialPopulation: Criterion;
  /** Omitted: the denominator is the initial population. */
  denominator?: Criterion;
  exclusion?: Criterion;
  numerator: Criterion;
  exception?: Criterion;
}

/** A numerator made of parts a patient meets one by one (each antigen of a vaccine series). */
export interface NumeratorParts {
  /** What a care gap says before the parts still unmet, e.g. "still due by the 2nd birthday". */
  lead: string;
  parts: readonly { label: string; criterion: Criterion }[];
}

export interface MeasureGroup extends PopulationCriteria {
  id: string;
  title: string;
  /** When given, a care gap names the parts this patient has not met instead of the whole requirement. */
  numeratorParts?: NumeratorParts;
  /** Overrides the measure's direction for this rate (HEDIS GSD: < 8% higher is better, > 9% lower). */
  inverse?: boolean;
}

export interface EcqmIdentifiers {
  versionSpecificId: string;
  /** Per group id: population code (IPOP, DENOM, DENEX, NUMER, DENEXCEP) to the population's id. */
  populationIds?: Record<string, Partial<Record<'IPOP' | 'DENOM' | 'DENEX' | 'NUMER' | 'DENEXCEP', string>>>;
}

export interface Stratum {
  id: string;
  title: string;
  criterion: Criterion;
}

export interface MeasureDefinition {
  /** CMS122, or a HEDIS-style variant id. */
  id: string;
  program: 'mips' | 'hedis';
  version: string;
  performanceYear: number;
  title: string;
  /** MIPS quality ID (e.g. 001), for the QPP submission. */
  qualityId?: string;
  /**
   * The eCQM's identifiers for QRDA Category III: the version-specific measure id (the HQMF GUID CMS
   * publishes with each eCQM version) and each group's population ids. Absent where not yet copied
   * from the eCQI Resource Center; the export then says so (see src/reports/quality/render-qrda.ts).
   */
  ecqm?: EcqmIdentifiers;
  /** The value set expansions the definition was specified with; the performance year's by default. */
  valueSetYear?: number;
  /** Lower is better. */
  inverse: boolean;
  groups: MeasureGroup[];
  strata?: Stratum[];
  /** What a care-gap list says the patient still needs. */
  gap: string;
  /** For care gaps: the look-back of the numerator's evidence, to say "due since". */
  description: string;
}

// Helpers so definitions read like the specification.
export const vs = (name: string, ...oids: string[]): Concept => ({ name, valueSets: oids });
export const code = (name: string, system: string, ...codes: string[]): Concept => ({
  name,
  codes: codes.map((c) => [system, c] as [string, string]),
});
export const union = (name: string, ...concepts: Concept[]): Concept => ({
  name,
  valueSets: concepts.flatMap((c) => c.valueSets ?? []),
  codes: concepts.flatMap((c) => c.codes ?? []),
});
export const snomed = (name: string, ...codes: string[]) => code(name, CodeSystem.snomed, ...codes);
export const loinc = (name: string, ...codes: string[]) => code(name, CodeSystem.loinc, ...codes);

export const MP: Window = { from: { at: 'mpStart' }, to: { at: 'mpEnd' } };
export const upToMpEnd: Window = { to: { at: 'mpEnd' } };
export const fromMpStart = (offset: string): Window => ({ from: { at: 'mpStart', offset }, to: { at: 'mpEnd' } });
export const all = (...of: Criterion[]): Criterion => ({ all: of });
export const any = (...of: Criterion[]): Criterion => ({ any: of });
export const not = (of: Criterion): Criterion => ({ not: of });
export const ageAtEnd = (min?: number, max?: number): Criterion => ({ age: { min, max, at: 'mpEnd' } });
export const ageAtStart = (min?: number, max?: number): Criterion => ({ age: { min, max, at: 'mpStart' } });
