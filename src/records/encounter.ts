// Visits and their charges, declared once: when the visit was (in the practice's zone, never ahead unless
// it is only planned), its class (FHIR v3 ActCode) with the words files use, its status, the place of
// service (CMS codes), the rendering provider's NPI, its diagnoses in claim order (billable ICD-10-CM),
// and each charge line: CPT/HCPCS code, modifiers, units, amount, diagnosis pointers and the drug given
// (NDC, quantity, unit). `encounters add`, the CSV encounters and charges kinds, Synthea and FHIR imports
// and the demo all check a visit and a charge here, so the same value gets the same answer and words.
import { DateTime } from 'luxon';
import { readNdc } from '../codes/ndc.js';
import { describeNpiProblem } from '../codes/npi.js';
import { normalizeProcedureCode, parseModifiers, procedureCodeSystem } from '../codes/procedure-codes.js';
import { CodeSystem, normalizeCodeSystem } from '../codes/systems.js';
import { parseMoney, type Cents } from '../money.js';
import { PLACES_OF_SERVICE } from '../practice/code-lists.js';
import { readDiagnosisCode } from './problem.js';
import { choices, readNumber, readRecordDate, readTimeOfDay, RecordCheck, type Checked, type RecordContext, type RecordFields, type Vocabulary } from './record.js';

/** A visit's check needs the practice's zone: a time written without one is the practice's wall-clock time. */
export interface VisitContext extends RecordContext {
  zone: string;
}

/** FHIR Encounter.status. */
export const ENCOUNTER_STATUSES: Vocabulary<'planned' | 'arrived' | 'triaged' | 'in-progress' | 'onleave' | 'finished' | 'cancelled' | 'entered-in-error' | 'unknown'> = {
  codes: ['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown'],
  words: { completed: 'finished', done: 'finished', seen: 'finished', canceled: 'cancelled' },
};
/** Visits that have not happened (or never did) may be dated ahead; any other is in the past. */
const NOT_YET = new Set(['planned', 'cancelled', 'entered-in-error']);

/** The system a visit's class codes are in, as FHIR writes them (Encounter.class). */
export const ENCOUNTER_CLASS_SYSTEM = CodeSystem.actCode;
const CLASS_CODES = ['AMB', 'VR', 'HH', 'IMP', 'EMER', 'ACUTE', 'NONAC', 'OBSENC', 'PRENC', 'SS', 'FLD'] as const;
/** v3 ActCode encounter classes, stored in capitals; the words (any case) are those files use, Synthea's among them. */
export const ENCOUNTER_CLASSES: Vocabulary<(typeof CLASS_CODES)[number]> = {
  codes: CLASS_CODES,
  words: {
    ...Object.fromEntries(CLASS_CODES.map((c) => [c.toLowerCase(), c])),
    ambulatory: 'AMB', office: 'AMB', outpatient: 'AMB', wellness: 'AMB', urgentcare: 'AMB', 'urgent care': 'AMB',
    virtual: 'VR', telehealth: 'VR', telemedicine: 'VR',
    home: 'HH', 'home health': 'HH', hospice: 'HH',
    inpatient: 'IMP', snf: 'IMP',
    emergency: 'EMER', er: 'EMER',
    observation: 'OBSENC', 'short stay': 'SS', field: 'FLD',
  },
};

/**
 * A visit's fields: how they are named in its reasons, their options in `encounters add`, their CSV columns
 * (in the order of the encounters template).
 */
export const ENCOUNTER_FIELDS = {
  startsAt: {
    label: 'the visit date',
    required: true,
    option: { flags: '--date <when>', description: 'visit date, optionally with a time ("2026-03-10 09:30")' },
    column: { name: 'date', type: 'date', description: 'visit date (a time in the cell is read too)', aliases: ['date', 'visit date', 'date of service', 'dos', 'service date', 'encounter date'], asWritten: true },
  },
  time: { label: 'the visit time', column: { name: 'time', type: 'time', description: 'visit time', aliases: ['visit time', 'start time'], asWritten: true } },
  type: { label: 'the visit code', column: { name: 'visit_code', type: 'procedure', description: 'CPT/HCPCS visit code (e.g. 99213)', aliases: ['cpt', 'visit type code', 'e/m code', 'em code', 'code'], asWritten: true } },
  typeDisplay: { label: 'the kind of visit', column: { name: 'visit_type', type: 'text', description: 'kind of visit as written', aliases: ['type', 'visit type', 'encounter type'] } },
  encounterClass: {
    label: 'the visit class',
    column: { name: 'visit_class', type: 'text', description: `visit class: ${choices(ENCOUNTER_CLASSES)} (or office, telehealth, home, inpatient, emergency)`, aliases: ['class', 'encounter class', 'setting'], asWritten: true },
  },
  providerNpi: {
    label: "the rendering provider's NPI",
    option: { flags: '--provider <npi>', description: 'rendering provider' },
    column: { name: 'provider_npi', type: 'id', description: "the rendering provider's NPI", aliases: ['npi', 'provider npi', 'rendering npi', 'rendering provider npi'], asWritten: true },
  },
  diagnoses: {
    label: 'the diagnoses',
    option: { flags: '--dx <codes>', description: 'ICD-10-CM diagnoses in claim order, comma-separated (a code without @ points at the first 4)' },
    column: { name: 'diagnoses', type: 'text', description: 'ICD-10-CM diagnoses in claim order, e.g. E11.9, I10', aliases: ['dx', 'dx codes', 'diagnosis codes', 'icd10', 'icd-10'], asWritten: true },
  },
  reason: { label: 'the reason for the visit', column: { name: 'reason', type: 'text', description: 'reason for the visit', aliases: ['chief complaint', 'cc', 'reason for visit'] } },
  durationMinutes: {
    label: 'the visit length',
    option: { flags: '--duration <minutes>', description: 'time spent, in minutes' },
    column: { name: 'duration', type: 'integer', description: 'minutes', aliases: ['minutes', 'length'], asWritten: true },
  },
  endsAt: { label: 'the end of the visit' },
  status: { label: 'the visit status' },
  placeOfService: { label: 'the place of service' },
} satisfies RecordFields;

/** A charge line's fields: how they are named in its reasons, their options in `encounters add`, their CSV columns. */
export const CHARGE_FIELDS = {
  serviceDate: { label: 'the date of service', required: true, column: { name: 'service_date', type: 'date', description: 'date of service', aliases: ['dos', 'date of service', 'date', 'service date'], asWritten: true } },
  code: {
    label: 'the procedure code',
    required: true,
    option: { flags: '--cpt <codes>', description: 'procedure codes, comma-separated; modifiers after a colon, the diagnoses the line is for after @: 99213:25@1,2,73562:RT@2' },
    column: { name: 'code', type: 'procedure', description: 'CPT or HCPCS code', aliases: ['cpt', 'hcpcs', 'cpt code', 'procedure code', 'proc code'], asWritten: true },
  },
  modifiers: {
    label: 'the modifiers',
    option: { flags: '--modifiers <list>', description: 'modifiers for a single --cpt code, e.g. 25' },
    column: { name: 'modifiers', type: 'modifiers', description: 'modifiers (e.g. 25 or 25,59)', aliases: ['modifier', 'mod', 'mods'], asWritten: true },
  },
  units: { label: 'the units', column: { name: 'units', type: 'integer', description: 'units', aliases: ['qty', 'unit', 'quantity'], asWritten: true } },
  amount: {
    label: 'the amount',
    required: true,
    option: { flags: '--amount <dollars>', description: 'charge for a single --cpt code instead of the fee schedule' },
    column: { name: 'amount', type: 'money', description: 'charge amount (e.g. 125.00)', aliases: ['charge', 'fee', 'amount', 'billed'], asWritten: true },
  },
  diagnosisPointers: {
    label: 'the diagnosis pointers',
    column: {
      name: 'diagnosis_pointers',
      type: 'text',
      description: "the visit's diagnoses this line is for: places 1-12 or letters A-L, e.g. 1,2 (empty: the first four)",
      aliases: ['dx pointers', 'dx pointer', 'diagnosis pointer', 'pointers', 'pointer', 'dx ptr'],
      asWritten: true,
    },
  },
  placeOfService: { label: 'the place of service', column: { name: 'place_of_service', type: 'text', description: 'place of service code (e.g. 11)', aliases: ['pos', 'place of service'], asWritten: true } },
  ndcCode: { label: 'the NDC', column: { name: 'ndc', type: 'ndc', description: 'NDC for drug charges', aliases: ['ndc code'], asWritten: true } },
  ndcQuantity: { label: 'the NDC quantity', column: { name: 'ndc_quantity', type: 'number', description: 'amount of the drug given, in the NDC unit', aliases: ['ndc qty', 'drug quantity'], asWritten: true } },
  ndcUnit: { label: 'the NDC unit', column: { name: 'ndc_unit', type: 'ndc-unit', description: 'unit of that amount: UN, ML, GR, ME (mg) or F2 (international units)', aliases: ['ndc uom', 'drug unit'], asWritten: true } },
} satisfies RecordFields;

/** CMS places of service that are telehealth: such a visit is virtual (VR) unless its class is given. */
const TELEHEALTH_PLACES = new Set(['02', '10']);

/** A CMS place-of-service code ("11", or "3" for 03) → its two digits, or the one wording every path gives. */
export function readPlaceOfService(text: string): { code: string } | { problem: string } {
  const code = text.trim().padStart(2, '0');
  return Object.hasOwn(PLACES_OF_SERVICE, code) ? { code } : { problem: `"${text.trim()}" is not a CMS place-of-service code; a practice office is 11, telehealth 02 or 10.` };
}

/** A rendering provider's NPI (10 digits, its check digit right) → the NPI, or the reason it is not one. */
export function readProviderNpi(text: string): { code: string } | { problem: string } {
  const npi = text.trim();
  const problem = describeNpiProblem(npi);
  return problem ? { problem } : { code: npi };
}

/** A CPT or HCPCS code in any case → its system and code, or the one wording. */
export function readProcedureCode(text: string): { codeSystem: string; code: string } | { problem: string } {
  const code = normalizeProcedureCode(text);
  return code ? { codeSystem: procedureCodeSystem(code)!, code } : { problem: `"${text.trim()}" is not a CPT or HCPCS code (5 digits such as 99214, or a letter and 4 digits such as G0439).` };
}

/**
 * A visit diagnosis in claim order → its system and code: ICD-10-CM, billable, unless the source names
 * another system (a FHIR Condition coded in SNOMED CT is kept for the measures; claims read ICD-10-CM).
 */
export function readVisitDiagnosis(text: string, system?: string): { codeSystem: string; code: string } | { problem: string } {
  return readDiagnosisCode(text, system?.trim() ? system : CodeSystem.icd10cm);
}

/** "25", "25,59", "25-59" → the modifiers (two letters or digits each, at most 4 on a line), or the one wording. */
export function readModifiers(text: string): { modifiers: string[] } | { problem: string } {
  const { modifiers, invalid } = parseModifiers(text);
  if (invalid.length) return { problem: `the modifier(s) ${invalid.join(', ')} are not valid: a modifier is two letters or digits, e.g. 25.` };
  if (modifiers.length > 4) return { problem: 'a charge line takes at most 4 modifiers.' };
  return { modifiers };
}

/** The 837P CTP05 units (loop 2410) and the ways people write them. */
const NDC_UNITS: Record<string, string> = {
  un: 'UN', unit: 'UN', units: 'UN', each: 'UN', ea: 'UN',
  ml: 'ML', milliliter: 'ML', millilitre: 'ML', milliliters: 'ML', cc: 'ML',
  gr: 'GR', g: 'GR', gram: 'GR', grams: 'GR',
  me: 'ME', mg: 'ME', milligram: 'ME', milligrams: 'ME',
  f2: 'F2', iu: 'F2', internationalunit: 'F2', internationalunits: 'F2',
};

/** The unit a drug's quantity is given in → its 837P code, or the one wording. */
export function readNdcUnit(text: string): { code: string } | { problem: string } {
  const key = text.toLowerCase().replace(/[^a-z0-9]/g, '');
  return Object.hasOwn(NDC_UNITS, key) ? { code: NDC_UNITS[key]! } : { problem: `NDC unit "${text.trim()}" is not one a claim can carry: UN (unit), ML, GR (gram), ME (milligram) or F2 (international unit).` };
}

const MAX_DIAGNOSES = 12;
/** SV107 takes at most four diagnosis code pointers per service line. */
export const MAX_POINTERS = 4;
const POINTER_LETTERS = 'ABCDEFGHIJKL';

/**
 * A service line's diagnosis pointers as people write them: places 1-12 in the visit's diagnoses, or
 * the CMS-1500 letters A-L, separated by commas, spaces, colons or plus signs ("1,2", "A B", "2").
 * Checks the form and the count; whether each place is a listed diagnosis is checkCharge's to say.
 */
export function parseDiagnosisPointers(text: string): { pointers: number[] } | { problem: string } {
  const items = text.split(/[\s,:+]+/).filter(Boolean);
  const pointers: number[] = [];
  for (const item of items) {
    const letter = POINTER_LETTERS.indexOf(item.toUpperCase());
    const n = /^[0-9]{1,2}$/.test(item) ? Number(item) : item.length === 1 && letter >= 0 ? letter + 1 : NaN;
    if (!(n >= 1 && n <= MAX_DIAGNOSES)) return { problem: `diagnosis pointer "${item}" is not a place from 1 to ${MAX_DIAGNOSES} (or a letter A to L).` };
    if (pointers.includes(n)) return { problem: `diagnosis pointer ${n} is given twice.` };
    pointers.push(n);
  }
  if (pointers.length > MAX_POINTERS) return { problem: `a service line points at most at ${MAX_POINTERS} diagnoses (${pointers.length} given).` };
  return { pointers };
}

const ZONED = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const WITH_TIME = /^(.*?)[ T]+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?)$/;

/**
 * When a visit was, as any path writes it: an instant with its zone (FHIR, Synthea), or a date with or
 * without a time of day (typed, a cell, or a separate time cell) in the practice's zone. A date alone is
 * noon there, so the visit falls on that day in every zone a reader may be in. `serviceDate` is the
 * practice's day of it.
 */
export function readVisitTime(text: string, time: string | undefined, what: string, context: VisitContext): { startsAt: Date; serviceDate: string; timed: boolean } | { problem: string; code: 'DATE_FORMAT' | 'TIME_FORMAT' } {
  const given = text.trim();
  const zoned = ZONED.exec(given);
  if (zoned) {
    const day = readRecordDate(zoned[1]!, what, context);
    if ('problem' in day) return { ...day, code: 'DATE_FORMAT' };
    const at = DateTime.fromISO(given, { setZone: true });
    if (!at.isValid || Number(zoned[2]) > 23 || Number(zoned[3]) > 59) return { problem: `${what} has a time of day that is not one.`, code: 'TIME_FORMAT' };
    return { startsAt: at.toJSDate(), serviceDate: at.setZone(context.zone).toISODate()!, timed: true };
  }
  const split = time === undefined ? WITH_TIME.exec(given) : null;
  const day = readRecordDate(split ? split[1]! : given, what, context);
  if ('problem' in day) return { ...day, code: 'DATE_FORMAT' };
  const clockText = split ? split[2]! : time?.trim() || undefined;
  const clock = clockText === undefined ? { hour: 12, minute: 0 } : readTimeOfDay(clockText);
  if (!clock) return { problem: `${ENCOUNTER_FIELDS.time.label} "${clockText}" is not a time of day (e.g. 14:30 or 2:30 PM).`, code: 'TIME_FORMAT' };
  const at = DateTime.fromISO(day.value, { zone: context.zone }).set(clock);
  return { startsAt: at.toJSDate(), serviceDate: day.value, timed: clockText !== undefined };
}

/** A coded value as a path read it: its code and, when the source names it, its system and words. */
export interface CodedInput {
  code?: string;
  codeSystem?: string;
  display?: string;
}

/** A visit diagnosis; its place in claim order when the source ranks it (FHIR), else the order given. */
export type DiagnosisInput = CodedInput & { position?: number };

/** A visit as a path read it: text as written (read by the record check), numbers as given. */
export interface EncounterInput {
  /** The date, with a time of day or a zone when the path gives one. */
  startsAt?: string;
  /** The time of day when the path gives it apart (a CSV time column). */
  time?: string;
  endsAt?: string;
  durationMinutes?: number | string;
  status?: string;
  encounterClass?: string;
  placeOfService?: string;
  providerNpi?: string;
  /** What kind of visit it was: a CPT/HCPCS visit code, or a code in the system the source names. */
  type?: CodedInput;
  reason?: CodedInput & { text?: string };
  /** In claim order. */
  diagnoses?: DiagnosisInput[];
}

export interface VisitDiagnosis {
  position: number;
  codeSystem: string;
  code: string;
  display: string | null;
}

export interface EncounterValues {
  startsAt: Date;
  /** The practice's day of the visit: its charges' date of service, its note's date. */
  serviceDate: string;
  /** Whether the path gave a time of day: a date alone is stored at noon. */
  timed: boolean;
  endsAt: Date | null;
  durationMinutes: number | null;
  status: (typeof ENCOUNTER_STATUSES.codes)[number];
  encounterClass: (typeof ENCOUNTER_CLASSES.codes)[number];
  placeOfService: string | null;
  providerNpi: string | null;
  typeSystem: string | null;
  typeCode: string | null;
  typeDisplay: string | null;
  reason: string | null;
  reasonSystem: string | null;
  reasonCode: string | null;
  diagnoses: VisitDiagnosis[];
}

/** Every problem with a visit at once, or its stored values. */
export function checkEncounter(input: EncounterInput, context: VisitContext): Checked<EncounterValues> {
  const c = new RecordCheck(context);
  const F = ENCOUNTER_FIELDS;
  const status = c.choice('status', F.status.label, input.status, ENCOUNTER_STATUSES) ?? 'finished';
  const start = c.required('startsAt', input.startsAt, `${F.startsAt.label} is missing.`);
  const read = start === undefined ? undefined : readVisitTime(start, input.time, F.startsAt.label, context);
  const when = read && 'problem' in read ? c.fail('startsAt', read.code, read.problem) : read;
  if (when && when.serviceDate > context.today && !NOT_YET.has(status)) c.fail('startsAt', 'DATE_FUTURE', `${F.startsAt.label} is in the future: book an appointment instead.`);
  if (when && context.dob && when.serviceDate < context.dob) c.fail('startsAt', 'BEFORE_BIRTH', `${F.startsAt.label} is before the date of birth.`);
  const endRead = input.endsAt?.trim() ? readVisitTime(input.endsAt, undefined, F.endsAt.label, context) : undefined;
  const end = endRead && 'problem' in endRead ? c.fail('endsAt', endRead.code, endRead.problem) : endRead;
  if (when && end && end.startsAt < when.startsAt) c.fail('endsAt', 'DATE_ORDER', 'the visit ends before it starts.');
  let duration: number | undefined;
  if (input.durationMinutes !== undefined && String(input.durationMinutes).trim() !== '') {
    const n = readNumber(input.durationMinutes, F.durationMinutes.label, true);
    if ('value' in n && n.value >= 1 && n.value <= 24 * 60) duration = n.value;
    else c.fail('durationMinutes', 'DURATION', `${F.durationMinutes.label} must be a whole number of minutes (1 to 1440).`);
  }
  const place = c.code('placeOfService', input.placeOfService, readPlaceOfService, 'PLACE_OF_SERVICE')?.code;
  const givenClass = c.choice('encounterClass', F.encounterClass.label, input.encounterClass, ENCOUNTER_CLASSES);
  const npi = c.code('providerNpi', input.providerNpi, readProviderNpi, 'NPI')?.code;
  const type = readVisitType(c, input.type);
  const reasonCode = input.reason?.code?.trim() || null;
  const diagnoses = readDiagnoses(c, input.diagnoses ?? []);
  return c.result({
    startsAt: when?.startsAt as Date,
    serviceDate: when?.serviceDate as string,
    timed: when?.timed ?? false,
    endsAt: end?.startsAt ?? (when && duration ? new Date(when.startsAt.getTime() + duration * 60_000) : null),
    durationMinutes: duration ?? null,
    status,
    encounterClass: givenClass ?? (place && TELEHEALTH_PLACES.has(place) ? 'VR' : 'AMB'),
    placeOfService: place ?? null,
    providerNpi: npi ?? null,
    typeSystem: type?.codeSystem ?? null,
    typeCode: type?.code ?? null,
    typeDisplay: input.type?.display?.trim() || null,
    reason: input.reason?.text?.trim() || null,
    reasonSystem: reasonCode && input.reason?.codeSystem ? normalizeCodeSystem(input.reason.codeSystem) : null,
    reasonCode,
    diagnoses,
  });
}

/** The encounters table's columns of a checked visit (its diagnoses, provider and place go to their own rows and links). */
export function visitColumns(v: EncounterValues) {
  return {
    startsAt: v.startsAt,
    endsAt: v.endsAt,
    durationMinutes: v.durationMinutes,
    status: v.status,
    encounterClass: v.encounterClass,
    typeSystem: v.typeSystem,
    typeCode: v.typeCode,
    typeDisplay: v.typeDisplay,
    reason: v.reason,
    reasonSystem: v.reasonSystem,
    reasonCode: v.reasonCode,
  };
}

/** A visit code: CPT/HCPCS unless the source names another system (Synthea's and FHIR's SNOMED CT types). */
function readVisitType(c: RecordCheck, type: CodedInput | undefined): { codeSystem: string; code: string } | undefined {
  const code = type?.code?.trim();
  if (!code) return undefined;
  const system = type?.codeSystem?.trim() ? normalizeCodeSystem(type.codeSystem) : undefined;
  if (system && system !== CodeSystem.cpt && system !== CodeSystem.hcpcs) return { codeSystem: system, code };
  return c.code('type', code, readProcedureCode, 'CPT_FORM');
}

function readDiagnoses(c: RecordCheck, given: DiagnosisInput[]): VisitDiagnosis[] {
  if (given.length > MAX_DIAGNOSES) c.fail('diagnoses', 'DX_COUNT', `a visit takes at most ${MAX_DIAGNOSES} diagnoses.`);
  const diagnoses: VisitDiagnosis[] = [];
  for (const d of given) {
    const read = c.code('diagnoses', d.code, (s) => readVisitDiagnosis(s, d.codeSystem), 'DIAGNOSIS');
    if (!read) continue;
    if (diagnoses.some((x) => x.code === read.code && x.codeSystem === read.codeSystem)) c.fail('diagnoses', 'DX_REPEATED', `${read.code} is listed twice in the diagnoses.`);
    else diagnoses.push({ position: d.position ?? diagnoses.length + 1, ...read, display: d.display?.trim() || null });
  }
  return diagnoses;
}

/** A charge line as a path read it: text as written, or the values a path already holds. */
export interface ChargeInput {
  /** Its own date when it has one (a CSV charge row); a visit's charges take the visit's day. */
  serviceDate?: string;
  code?: string;
  modifiers?: string | string[];
  units?: number | string;
  /** As written ("$1,250.00"), or cents a path already holds (a fee schedule, the demo's fees). */
  amount?: string | { cents: Cents };
  /** As written ("1,2", "A B"), or places. Empty: the visit's first four diagnoses. */
  diagnosisPointers?: string | number[];
  placeOfService?: string;
  ndcCode?: string;
  ndcQuantity?: number | string;
  ndcUnit?: string;
}

export interface ChargeValues {
  serviceDate: string | null;
  codeSystem: string;
  code: string;
  modifiers: string[];
  units: number;
  amountCents: Cents;
  diagnosisPointers: number[];
  placeOfService: string | null;
  ndcCode: string | null;
  ndcQuantity: number | null;
  ndcUnit: string | null;
}

/**
 * Every problem with a charge line at once, or its stored values. `diagnosisCount`, when the visit's
 * diagnoses are known, is how many it lists: a pointer must point at one of them.
 */
export function checkCharge(input: ChargeInput, context: RecordContext & { diagnosisCount?: number }): Checked<ChargeValues> {
  const c = new RecordCheck(context);
  const F = CHARGE_FIELDS;
  const serviceDate = c.pastDate('serviceDate', F.serviceDate.label, input.serviceDate);
  const text = c.required('code', input.code, `${F.code.label} is missing.`);
  const code = c.code('code', text, readProcedureCode, 'CPT_FORM');
  const modifiers = c.code('modifiers', input.modifiers === undefined ? undefined : [input.modifiers].flat().join(' '), readModifiers, 'MODIFIER')?.modifiers ?? [];
  let units = 1;
  if (input.units !== undefined && String(input.units).trim() !== '') {
    const n = readNumber(input.units, F.units.label, true);
    if ('value' in n && n.value >= 1) units = n.value;
    else c.fail('units', 'UNITS', `${F.units.label} must be a whole number, 1 or more.`);
  }
  const amount = readAmount(c, input.amount);
  const pointers = readPointers(c, input.diagnosisPointers, context.diagnosisCount);
  const place = c.code('placeOfService', input.placeOfService, readPlaceOfService, 'PLACE_OF_SERVICE')?.code;
  const ndc = c.code('ndcCode', input.ndcCode, readNdc, 'NDC')?.code;
  const quantity = c.amount('ndcQuantity', F.ndcQuantity.label, blankless(input.ndcQuantity));
  if (quantity === 0) c.fail('ndcQuantity', 'NUMBER', `${F.ndcQuantity.label} must be more than 0.`);
  const unit = c.code('ndcUnit', input.ndcUnit, readNdcUnit, 'NDC_UNIT')?.code;
  const hasNdc = Boolean(input.ndcCode?.trim());
  const hasDetail = blankless(input.ndcQuantity) !== undefined || Boolean(input.ndcUnit?.trim());
  if (hasNdc && (blankless(input.ndcQuantity) === undefined || !input.ndcUnit?.trim())) c.fail('ndcQuantity', 'NDC_DETAIL', 'a drug charge gives the quantity given and its unit with the NDC.');
  if (!hasNdc && hasDetail) c.fail('ndcCode', 'NDC_DETAIL', 'a drug quantity or unit needs the NDC it was given from.');
  return c.result({
    serviceDate: serviceDate ?? null,
    ...code!,
    modifiers,
    units,
    amountCents: amount as Cents,
    diagnosisPointers: pointers,
    placeOfService: place ?? null,
    ndcCode: ndc ?? null,
    ndcQuantity: quantity ?? null,
    ndcUnit: unit ?? null,
  });
}

const blankless = (value: number | string | undefined) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

function readAmount(c: RecordCheck, amount: ChargeInput['amount']): Cents | undefined {
  if (amount === undefined || (typeof amount === 'string' && amount.trim() === '')) return c.fail('amount', 'REQUIRED', `${CHARGE_FIELDS.amount.label} is missing.`);
  const cents = typeof amount === 'string' ? parseMoney(amount) : amount.cents;
  if (cents === undefined || !Number.isInteger(cents) || cents < 0) return c.fail('amount', 'AMOUNT', `${CHARGE_FIELDS.amount.label} must be an amount of money like 125.00.`);
  return cents;
}

function readPointers(c: RecordCheck, given: ChargeInput['diagnosisPointers'], diagnosisCount: number | undefined): number[] {
  if (given === undefined) return [];
  const read = typeof given === 'string' ? parseDiagnosisPointers(given) : parseDiagnosisPointers(given.join(','));
  if ('problem' in read) return c.fail('diagnosisPointers', 'POINTER', read.problem) ?? [];
  const missing = diagnosisCount === undefined ? [] : read.pointers.filter((p) => p > diagnosisCount);
  if (missing.length) c.fail('diagnosisPointers', 'POINTER_TARGET', `the line points at diagnosis ${missing.join(', ')}, but the visit lists ${diagnosisCount}.`);
  return read.pointers;
}
