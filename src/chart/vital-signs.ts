// Vital signs as observations (LOINC), with the ranges a person could plausibly have: a value outside
// them is a typing slip (a weight of 800 kg, a pulse of 7), refused rather than charted.
import { CodeSystem } from '../codes/systems.js';

export interface VitalSign {
  /** The option that records it, e.g. --pulse. */
  option: string;
  loinc: string;
  display: string;
  /** UCUM unit stored, and the units a person may type for it with their conversion to the stored one. */
  unit: string;
  units: Record<string, (value: number) => number>;
  min: number;
  max: number;
}

const same = (v: number) => v;

export const BP_PANEL = { loinc: '85354-9', display: 'Blood pressure panel' } as const;
export const SYSTOLIC = { loinc: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', min: 50, max: 300 } as const;
export const DIASTOLIC = { loinc: '8462-4', display: 'Diastolic blood pressure', unit: 'mm[Hg]', min: 20, max: 200 } as const;
export const BMI = { loinc: '39156-5', display: 'Body mass index', unit: 'kg/m2' } as const;

export const VITAL_SIGNS: VitalSign[] = [
  { option: 'pulse', loinc: '8867-4', display: 'Heart rate', unit: '/min', units: { '': same, '/min': same, bpm: same }, min: 20, max: 250 },
  { option: 'resp', loinc: '9279-1', display: 'Respiratory rate', unit: '/min', units: { '': same, '/min': same }, min: 4, max: 80 },
  { option: 'temp', loinc: '8310-5', display: 'Body temperature', unit: 'Cel', units: { '': same, c: same, cel: same, f: (v) => ((v - 32) * 5) / 9, degf: (v) => ((v - 32) * 5) / 9 }, min: 30, max: 45 },
  { option: 'spo2', loinc: '59408-5', display: 'Oxygen saturation (pulse oximetry)', unit: '%', units: { '': same, '%': same }, min: 50, max: 100 },
  { option: 'weight', loinc: '29463-7', display: 'Body weight', unit: 'kg', units: { '': same, kg: same, lb: (v) => v * 0.45359237, lbs: (v) => v * 0.45359237 }, min: 0.3, max: 400 },
  { option: 'height', loinc: '8302-2', display: 'Body height', unit: 'cm', units: { '': same, cm: same, m: (v) => v * 100, in: (v) => v * 2.54 }, min: 20, max: 250 },
];

export const VITAL_CODES = [SYSTOLIC.loinc, DIASTOLIC.loinc, BMI.loinc, ...VITAL_SIGNS.map((v) => v.loinc)];
export const LOINC = CodeSystem.loinc;

/** "80kg", "176 lb", "98.6F" → the value in the stored unit; a message when it is not plausible. */
export function readVital(sign: VitalSign, text: string): { value: number } | { problem: string } {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z%/]*)\s*$/i.exec(text);
  const convert = match ? sign.units[match[2]!.toLowerCase()] : undefined;
  if (!match || !convert) {
    const units = Object.keys(sign.units).filter(Boolean).join(', ');
    return { problem: `--${sign.option} must be a number${units ? ` (units: ${units})` : ''}.` };
  }
  const value = Math.round(convert(Number(match[1])) * 100) / 100;
  if (value < sign.min || value > sign.max) {
    return { problem: `--${sign.option} is outside the plausible range ${sign.min}-${sign.max} ${sign.unit}: please check it.` };
  }
  return { value };
}
