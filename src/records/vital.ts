// The vital signs, declared once: their LOINC codes, the unit each is stored in, the units people and
// files write them in (with the conversion to the stored one), and the range a person could plausibly
// have. `vitals add`, the CSV, Synthea and FHIR imports and the demo all read this table, so the same
// reading is accepted, converted or refused the same way on every path.
import { CodeSystem } from '../codes/systems.js';
import { notANumber, type FieldColumn, type RecordField, type RecordFields } from './record.js';

/** The practice's setting for a number typed without a unit: US customary or metric. */
export type UnitSystem = 'us' | 'metric';

export interface VitalUnit {
  /** UCUM code. */
  ucum: string;
  /** How a person reads it, in messages. */
  label: string;
  /** How people and files write it, lower case (the UCUM code itself is always understood). */
  spellings: string[];
  toStored: (value: number) => number;
  fromStored: (value: number) => number;
}

export interface VitalSign {
  /** The option that records it (--pulse) and the CSV import's column (its name, and how a cell is read and described). */
  option: string;
  csvField: string;
  column: Omit<FieldColumn, 'name'>;
  loinc: string;
  display: string;
  /** The UCUM unit it is stored in: units[0]. */
  stored: string;
  units: VitalUnit[];
  /** The unit a bare number is read in, by the practice's unit setting. */
  bare: Record<UnitSystem, string>;
  /** Plausible range, in the stored unit. */
  min: number;
  max: number;
}

const same = (ucum: string, label: string, ...spellings: string[]): VitalUnit => ({ ucum, label, spellings, toStored: (v) => v, fromStored: (v) => v });
const scaled = (ucum: string, label: string, factor: number, ...spellings: string[]): VitalUnit => ({ ucum, label, spellings, toStored: (v) => v * factor, fromStored: (v) => v / factor });
const fahrenheit: VitalUnit = { ucum: '[degF]', label: '°F', spellings: ['f', '°f', 'degf', 'fahrenheit'], toStored: (v) => ((v - 32) * 5) / 9, fromStored: (v) => (v * 9) / 5 + 32 };
const perMinute = (...spellings: string[]) => same('/min', '/min', '/min', 'min-1', '1/min', ...spellings);

export const VITAL_SIGNS: VitalSign[] = [
  { option: 'pulse', csvField: 'pulse', column: { type: 'quantity', description: 'heart rate per minute', aliases: ['heart rate', 'hr', 'pulse rate'] }, loinc: '8867-4', display: 'Heart rate', stored: '/min', units: [perMinute('bpm', 'beats/min', '{beats}/min')], bare: { us: '/min', metric: '/min' }, min: 20, max: 250 },
  { option: 'resp', csvField: 'respiratory_rate', column: { type: 'quantity', description: 'breaths per minute', aliases: ['resp', 'respirations', 'rr', 'resp rate'] }, loinc: '9279-1', display: 'Respiratory rate', stored: '/min', units: [perMinute('breaths/min', '{breaths}/min')], bare: { us: '/min', metric: '/min' }, min: 4, max: 80 },
  { option: 'temp', csvField: 'temperature', column: { type: 'quantity', description: "temperature (°F or °C by the practice's unit setting, unless written)", aliases: ['temp', 'temperature f'] }, loinc: '8310-5', display: 'Body temperature', stored: 'Cel', units: [same('Cel', '°C', 'c', '°c', 'degc', 'celsius'), fahrenheit], bare: { us: '[degF]', metric: 'Cel' }, min: 30, max: 45 },
  { option: 'spo2', csvField: 'spo2', column: { type: 'quantity', description: 'oxygen saturation %', aliases: ['o2 sat', 'pulse ox', 'oxygen saturation', 'sat'] }, loinc: '59408-5', display: 'Oxygen saturation', stored: '%', units: [same('%', '%', 'percent')], bare: { us: '%', metric: '%' }, min: 50, max: 100 },
  { option: 'weight', csvField: 'weight', column: { type: 'quantity', description: "weight (lb or kg by the practice's unit setting, unless written)", aliases: ['wt', 'weight lbs', 'weight lb'] }, loinc: '29463-7', display: 'Body weight', stored: 'kg', units: [same('kg', 'kg', 'kgs'), scaled('[lb_av]', 'lb', 0.45359237, 'lb', 'lbs', 'pound', 'pounds'), scaled('g', 'g', 0.001)], bare: { us: '[lb_av]', metric: 'kg' }, min: 0.3, max: 400 },
  { option: 'height', csvField: 'height', column: { type: 'quantity', description: "height (in or cm by the practice's unit setting, unless written)", aliases: ['ht', 'height in'] }, loinc: '8302-2', display: 'Body height', stored: 'cm', units: [same('cm', 'cm'), scaled('[in_i]', 'in', 2.54, 'in', 'inch', 'inches', '"'), scaled('m', 'm', 100)], bare: { us: '[in_i]', metric: 'cm' }, min: 20, max: 250 },
];

export const BP_PANEL = { loinc: '85354-9', display: 'Blood pressure panel' } as const;
const mmHg = same('mm[Hg]', 'mmHg', 'mmhg', 'mm hg');
export const SYSTOLIC: VitalSign = { option: 'bp', csvField: 'systolic', column: { type: 'number', description: 'systolic pressure', aliases: ['sbp', 'systolic bp'] }, loinc: '8480-6', display: 'Systolic blood pressure', stored: 'mm[Hg]', units: [mmHg], bare: { us: 'mm[Hg]', metric: 'mm[Hg]' }, min: 50, max: 300 };
export const DIASTOLIC: VitalSign = { option: 'bp', csvField: 'diastolic', column: { type: 'number', description: 'diastolic pressure', aliases: ['dbp', 'diastolic bp'] }, loinc: '8462-4', display: 'Diastolic blood pressure', stored: 'mm[Hg]', units: [mmHg], bare: { us: 'mm[Hg]', metric: 'mm[Hg]' }, min: 20, max: 200 };
export const BMI: VitalSign = { option: 'bmi', csvField: 'bmi', column: { type: 'number', description: 'body mass index', aliases: ['body mass index'] }, loinc: '39156-5', display: 'Body mass index', stored: 'kg/m2', units: [same('kg/m2', 'kg/m²', 'kg/m^2')], bare: { us: 'kg/m2', metric: 'kg/m2' }, min: 5, max: 150 };

const ALL = [...VITAL_SIGNS, SYSTOLIC, DIASTOLIC, BMI];

/** A sign's field: named as the sign is ("Body weight"), with its option when `vitals add` takes it, and its column. */
function signField(sign: VitalSign, options: { option?: boolean; required?: string } = {}): RecordField {
  const bare = [...new Set([sign.bare.us, sign.bare.metric])].map((b) => sign.units.find((u) => u.ucum === b)!.label).join(' or ');
  const description = `${sign.display.toLowerCase()} (${sign.units.map((u) => u.label).join(', ')}; without a unit: ${bare} by the practice's unit setting)`;
  return {
    label: sign.display,
    ...(options.option ? { option: { flags: `--${sign.option} <value>`, description } } : {}),
    column: { name: sign.csvField, ...sign.column },
    ...(options.required ? { required: options.required } : {}),
  };
}
const signByOption = (option: string) => VITAL_SIGNS.find((v) => v.option === option)!;

/**
 * The vital signs' fields: their options in `vitals add` (BMI is worked out there from weight and height; the
 * pressures come as --bp) and their CSV columns, in the template's order. A row needs one reading at least.
 */
export const VITAL_FIELDS = {
  effectiveAt: {
    label: 'the date taken',
    required: true,
    option: { flags: '--at <when>', description: 'when measured, "2026-03-01 09:30" (default now)' },
    column: { name: 'date', type: 'datetime', description: 'when they were taken', aliases: ['date taken', 'visit date', 'taken'] },
  },
  bloodPressure: {
    label: 'the blood pressure',
    required: 'reading',
    option: { flags: '--bp <systolic/diastolic>', description: 'blood pressure in mmHg, e.g. 128/82' },
    column: { name: 'bp', type: 'text', description: 'blood pressure as 120/80', aliases: ['blood pressure', 'b/p'] },
  },
  systolic: signField(SYSTOLIC, { required: 'reading' }),
  diastolic: signField(DIASTOLIC),
  pulse: signField(signByOption('pulse'), { option: true, required: 'reading' }),
  respiratoryRate: signField(signByOption('resp'), { option: true, required: 'reading' }),
  temperature: signField(signByOption('temp'), { option: true, required: 'reading' }),
  weight: signField(signByOption('weight'), { option: true, required: 'reading' }),
  height: signField(signByOption('height'), { option: true, required: 'reading' }),
  bmi: signField(BMI, { required: 'reading' }),
  spo2: signField(signByOption('spo2'), { option: true, required: 'reading' }),
} satisfies RecordFields;
export const VITAL_CODES = [BP_PANEL.loinc, ...ALL.map((v) => v.loinc)];
export const LOINC = CodeSystem.loinc;

/** The declaration for a LOINC code, when it is one of the vital signs checked here. */
export function vitalByLoinc(loinc: string): VitalSign | undefined {
  return ALL.find((v) => v.loinc === loinc);
}

function unitOf(sign: VitalSign, written: string): VitalUnit | undefined {
  const text = written.trim();
  return sign.units.find((u) => u.ucum === text || u.spellings.includes(text.toLowerCase()));
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

/** "0.3-400 kg" in the unit the reading was written in, so the person sees it in their own terms. */
export function plausibleRange(sign: VitalSign, unit: VitalUnit = sign.units[0]!): string {
  const [low, high] = [unit.fromStored(sign.min), unit.fromStored(sign.max)].sort((a, b) => a - b);
  return `${round(low!, 1)}-${round(high!, 1)} ${unit.label}`;
}

export type VitalReading = { value: number; unit: string } | { problem: string };

/**
 * A reading (a number and the unit written with it, if any) → the value in the stored unit, or the
 * one message every path gives: a unit that is not one for this sign, or a value outside the range.
 */
export function readVitalValue(sign: VitalSign, value: number, written: string | null | undefined, system: UnitSystem): VitalReading {
  const unit = written === undefined || written === null || written.trim() === '' ? unitOf(sign, sign.bare[system]) : unitOf(sign, written);
  if (!unit) return { problem: `${sign.display}: "${written}" is not a unit for it (use ${sign.units.map((u) => u.label).join(', ')}).` };
  const stored = round(unit.toStored(value), 2);
  if (!Number.isFinite(value) || stored < sign.min || stored > sign.max) {
    return { problem: `${sign.display} ${value} ${unit.label} is outside the plausible range ${plausibleRange(sign, unit)}: please check it.` };
  }
  return { value: stored, unit: sign.stored };
}

/** "80kg", "176 lb", "98.6F", "180" (in the practice's units) → the stored value, or the message. */
export function readVitalText(sign: VitalSign, text: string, system: UnitSystem): VitalReading {
  const match = /^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(\S*(?:\s\S+)?)\s*$/.exec(text);
  if (!match) return { problem: notANumber(sign.display) };
  return readVitalValue(sign, Number(match[1]), match[2], system);
}

/** "128/82" → both pressures, each checked against its range, and the systolic above the diastolic. */
export function readBloodPressure(text: string): { systolic: number; diastolic: number } | { problem: string } {
  const match = /^\s*([0-9]{1,3})\s*\/\s*([0-9]{1,3})\s*(mm\s?\[?hg\]?)?\s*$/i.exec(text);
  if (!match) return { problem: `Blood pressure "${text.trim()}" is not written as systolic/diastolic in mmHg (e.g. 128/82).` };
  return checkBloodPressure(Number(match[1]), Number(match[2]));
}

export function checkBloodPressure(systolic: number, diastolic: number): { systolic: number; diastolic: number } | { problem: string } {
  for (const [sign, value] of [[SYSTOLIC, systolic], [DIASTOLIC, diastolic]] as const) {
    const read = readVitalValue(sign, value, 'mm[Hg]', 'us');
    if ('problem' in read) return read;
  }
  if (diastolic >= systolic) return { problem: `Blood pressure ${systolic}/${diastolic}: the systolic must be above the diastolic.` };
  return { systolic, diastolic };
}

/** BMI from the stored weight (kg) and height (cm). */
export function bodyMassIndex(weightKg: number, heightCm: number): number {
  return round(weightKg / (heightCm / 100) ** 2, 1);
}
