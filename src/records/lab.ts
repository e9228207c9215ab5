// Lab results, declared once: units are UCUM (checked with the NLM's UCUM library, common lab-report
// spellings mapped first: "mg/dl" is mg/dL, "K/uL" is thousands per microlitre, not kelvin), and a small
// table of common tests with the range a result could plausibly have. `labs add` and the CSV, Synthea
// and FHIR imports all check a result here, so the same value is refused the same way on every path.
import { createRequire } from 'node:module';
import type { RecordFields } from './record.js';

/** A lab result's fields: how they are named, their options in `labs add`, their CSV columns. */
export const LAB_FIELDS = {
  loinc: {
    label: 'the LOINC code',
    required: true,
    option: { flags: '--loinc <code>', description: 'LOINC code, e.g. 4548-4 (required)' },
    column: { name: 'loinc', type: 'loinc', description: 'LOINC code with its check digit (e.g. 4548-4)', aliases: ['loinc code', 'test code', 'loinc #'] },
  },
  display: {
    label: 'the test name',
    option: { flags: '--name <text>', description: 'test name as reported' },
    column: { name: 'test_name', type: 'text', description: 'the test as written', aliases: ['test', 'lab', 'lab test', 'description', 'component'] },
  },
  value: {
    label: 'the result',
    required: true,
    option: { flags: '--value <value>', description: 'the result: a number, or text such as "negative" (required)' },
    column: { name: 'value', type: 'text', description: 'the result (number or text)', aliases: ['result', 'result value', 'value'] },
  },
  unit: {
    label: 'the unit',
    option: { flags: '--unit <unit>', description: 'UCUM unit, e.g. mg/dL' },
    column: { name: 'unit', type: 'text', description: 'unit (mg/dL, %, ...)', aliases: ['units', 'uom'] },
  },
  referenceRange: { label: 'the reference range', column: { name: 'reference_range', type: 'text', description: 'normal range', aliases: ['ref range', 'normal range', 'range', 'reference'] } },
  referenceLow: { label: 'the reference range low', option: { flags: '--low <number>', description: 'reference range low' } },
  referenceHigh: { label: 'the reference range high', option: { flags: '--high <number>', description: 'reference range high' } },
  interpretation: {
    label: 'the abnormal flag',
    option: { flags: '--flag <flag>', description: 'abnormal flag N, H, L, HH, LL or A (worked out from the range when omitted)' },
    column: { name: 'flag', type: 'text', description: 'abnormal flag (H, L, N, A)', aliases: ['abnormal flag', 'abn', 'interpretation'] },
  },
  effectiveAt: {
    label: 'the collection date',
    required: true,
    option: { flags: '--date <when>', description: 'when collected (default now)' },
    column: { name: 'date', type: 'datetime', description: 'when the sample was taken', aliases: ['collected', 'collection date', 'result date', 'date collected', 'resulted'] },
  },
} satisfies RecordFields;

/** Lab-report spellings that are not UCUM (or are UCUM for something else) → the UCUM unit meant. */
const SPELLINGS: Record<string, string> = {
  'mg/dl': 'mg/dL', 'g/dl': 'g/dL', 'ug/dl': 'ug/dL', 'mcg/dl': 'ug/dL', 'mg/l': 'mg/L', 'g/l': 'g/L',
  'mmol/l': 'mmol/L', 'umol/l': 'umol/L', 'nmol/l': 'nmol/L', 'pmol/l': 'pmol/L',
  'meq/l': 'meq/L', 'u/l': 'U/L', 'iu/l': '[IU]/L', 'miu/l': 'm[IU]/L', 'uiu/ml': 'u[IU]/mL', 'miu/ml': 'm[IU]/mL',
  'ng/ml': 'ng/mL', 'pg/ml': 'pg/mL', 'ng/dl': 'ng/dL', 'mcg/ml': 'ug/mL', 'ug/ml': 'ug/mL',
  'k/ul': '10*3/uL', 'x10e3/ul': '10*3/uL', '10^3/ul': '10*3/uL', 'thou/ul': '10*3/uL', '10*3/ul': '10*3/uL',
  'm/ul': '10*6/uL', 'x10e6/ul': '10*6/uL', '10^6/ul': '10*6/uL', 'mil/ul': '10*6/uL', '10*6/ul': '10*6/uL',
  'ml/min/1.73m2': 'mL/min/{1.73_m2}', 'ml/min/1.73 m2': 'mL/min/{1.73_m2}', 'ml/min/{1.73_m2}': 'mL/min/{1.73_m2}',
  fl: 'fL', percent: '%', mmhg: 'mm[Hg]', 'mm hg': 'mm[Hg]',
};

type UcumUtils = { validateUnitString(unit: string, suggest?: boolean): { status: string; ucumCode: string | null } };
let ucum: UcumUtils | undefined;
// The package ships CommonJS without type declarations: loaded on first use, typed by what is called.
const ucumUtils = (): UcumUtils =>
  (ucum ??= (createRequire(import.meta.url)('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }).UcumLhcUtils.getInstance());

/** A unit as a lab report writes it → its UCUM code, or the one message every path gives. */
export function readLabUnit(text: string): { unit: string } | { problem: string } {
  const written = text.trim();
  const mapped = SPELLINGS[written.toLowerCase()];
  if (mapped) return { unit: mapped };
  const checked = ucumUtils().validateUnitString(written);
  if (checked.status === 'valid' && checked.ucumCode) return { unit: checked.ucumCode };
  return { problem: `"${written}" is not a UCUM unit (for example mg/dL, mmol/L, 10*3/uL or %).` };
}

interface LabTest {
  display: string;
  unit: string;
  min: number;
  max: number;
}
const a1c = { display: 'Hemoglobin A1c', unit: '%', min: 2, max: 25 };
const glucose = { display: 'Glucose', unit: 'mg/dL', min: 10, max: 2000 };
const ldl = { display: 'LDL cholesterol', unit: 'mg/dL', min: 0, max: 1000 };
const egfr = { display: 'eGFR', unit: 'mL/min/{1.73_m2}', min: 0, max: 200 };

/** Common primary-care tests by LOINC, with a range no living patient's result falls outside. */
export const LAB_TESTS: Record<string, LabTest> = {
  '4548-4': a1c,
  '17856-6': a1c,
  '2345-7': glucose,
  '2339-0': glucose,
  '2093-3': { display: 'Total cholesterol', unit: 'mg/dL', min: 20, max: 1000 },
  '2085-9': { display: 'HDL cholesterol', unit: 'mg/dL', min: 1, max: 300 },
  '13457-7': ldl,
  '18262-6': ldl,
  '2571-8': { display: 'Triglycerides', unit: 'mg/dL', min: 5, max: 10000 },
  '2160-0': { display: 'Creatinine', unit: 'mg/dL', min: 0.05, max: 40 },
  '33914-3': egfr,
  '62238-1': egfr,
  '98979-8': egfr,
  '718-7': { display: 'Hemoglobin', unit: 'g/dL', min: 1, max: 25 },
  '2823-3': { display: 'Potassium', unit: 'mmol/L', min: 1, max: 10 },
  '2951-2': { display: 'Sodium', unit: 'mmol/L', min: 90, max: 200 },
};

/**
 * Why a numeric result cannot be right, or undefined: outside its test's range (when written in the
 * test's unit or with none), or a percentage below 0 or above 100.
 */
export function describeLabValueProblem(loinc: string, value: number, unit: string | null | undefined): string | undefined {
  const test = LAB_TESTS[loinc];
  if (test && (!unit || unit === test.unit) && (value < test.min || value > test.max)) {
    return `${test.display} ${value} ${test.unit} is outside the plausible range ${test.min}-${test.max} ${test.unit}: please check it.`;
  }
  if (unit === '%' && (value < 0 || value > 100)) return `A percentage must be between 0 and 100 (the result is ${value} %).`;
  return undefined;
}
