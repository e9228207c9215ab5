// One check for a numeric observation from any path (a command, a CSV row, Synthea, FHIR): a vital sign
// is read against src/records/vital.ts (converted to its stored unit), anything else is a lab result
// checked against src/records/lab.ts.
import { describeLabValueProblem, readLabUnit } from './lab.js';
import { readVitalValue, vitalByLoinc, type UnitSystem } from './vital.js';

export function checkObservationValue(loinc: string, value: number, unit: string | null | undefined, units: UnitSystem): { value: number; unit: string | null } | { problem: string } {
  const vital = vitalByLoinc(loinc);
  if (vital) return readVitalValue(vital, value, unit, units);
  const read = unit ? readLabUnit(unit) : { unit: null };
  if ('problem' in read) return read;
  const problem = describeLabValueProblem(loinc, value, read.unit);
  return problem ? { problem } : { value, unit: read.unit };
}
