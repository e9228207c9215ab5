// The demo writes only records the CLI would accept (issue #22): a demo practice read back from the
// database, each visit, charge line, problem, medication, allergy, immunization, vital sign and lab result
// checked again by its kind's declaration (src/records/), which must accept it and give back exactly what
// was stored.
import { sql } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import { describe, expect, it } from 'vitest';
import { describeLoincProblem } from '../../src/codes/loinc.js';
import { CodeSystem } from '../../src/codes/systems.js';
import { queryRows } from '../../src/db/query.js';
import { Calendar } from '../../src/demo/calendar.js';
import { DemoRecordError, PatientChart } from '../../src/demo/chart.js';
import { LOINC } from '../../src/demo/catalog.js';
import { Random } from '../../src/demo/random.js';
import { DEMO_TABLES, RowSink, type DemoTable } from '../../src/demo/rows.js';
import { checkAllergy } from '../../src/records/allergy.js';
import { checkCharge, checkEncounter, visitColumns } from '../../src/records/encounter.js';
import { checkImmunization } from '../../src/records/immunization.js';
import { LAB_TESTS } from '../../src/records/lab.js';
import { checkMedication } from '../../src/records/medication.js';
import { checkObservationValue } from '../../src/records/observation.js';
import { checkProblem } from '../../src/records/problem.js';
import type { Checked, RecordContext } from '../../src/records/record.js';
import { BMI, BP_PANEL, bodyMassIndex, checkBloodPressure, readVitalValue, vitalByLoinc, VITAL_SIGNS } from '../../src/records/vital.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const now = new Date('2026-11-28T15:30:00Z');
type Row = Record<string, any>;

/** Why a stored row is not what its declaration makes of it: its problems, or the fields that differ. */
function disagreement<T extends object>(row: Row, checked: Checked<T>): string | undefined {
  if ('problems' in checked) return checked.problems.map((p) => p.message).join(' ');
  // Arrays (modifiers, pointers) and instants compare as JSON does: by what they hold.
  const same = (stored: unknown, value: unknown) => (value instanceof Date ? Date.parse(String(stored)) === value.getTime() : JSON.stringify(stored) === JSON.stringify(value));
  const differ = Object.entries(checked.values).filter(([field, value]) => !same(row[toSnakeCase(field)], value));
  return differ.length ? differ.map(([field, value]) => `${field}: stored ${JSON.stringify(row[toSnakeCase(field)])}, declared ${JSON.stringify(value)}`).join('; ') : undefined;
}

describeEachBackend('the demo writes only records its declarations accept', (t) => {
  it('visits, charges, problems, medications, allergies, immunizations, vitals and lab results all pass their declarations as stored', async () => {
    // Seed 7's patient 44 was born on a Saturday: the birth dose once fell on the Friday before.
    const run = await runCli(['demo', '--patients', '60', '--seed', '7', '--json', '--no-pack', '--records-only'], { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    const today: string = run.json().today;
    const read = (table: string) =>
      queryRows<{ r: Row; dob: string }>(t.db, sql`select to_jsonb(x) as r, p.dob::text as dob from ${sql.identifier(table)} x join patients p on p.id = x.patient_id order by x.id`);
    const context = (dob: string): RecordContext => ({ today, dob });
    const refused: string[] = [];
    const check = (table: string, row: Row, answer: string | undefined) => answer && refused.push(`${table} ${row.id}: ${answer}`);

    const problems = await read('problems');
    for (const { r, dob } of problems) {
      check('problems', r, disagreement(r, checkProblem({ code: r.code, codeSystem: r.code_system, display: r.display, status: r.clinical_status, onsetDate: r.onset_date, abatementDate: r.abatement_date ?? undefined, note: r.note ?? undefined }, context(dob))));
    }
    const medications = await read('medications');
    for (const { r, dob } of medications) {
      const input = { rxnorm: r.rxnorm_code ?? undefined, ndc: r.ndc_code ?? undefined, display: r.display, status: r.status, dose: r.dose ?? undefined, doseUnit: r.dose_unit, route: r.route, frequency: r.frequency, quantity: r.quantity ?? undefined, refills: r.refills ?? undefined, startDate: r.start_date, stopDate: r.stop_date ?? undefined };
      check('medications', r, disagreement(r, checkMedication(input, context(dob))));
    }
    const allergies = await read('allergies');
    for (const { r, dob } of allergies) {
      const input = { substance: r.substance, code: r.code, codeSystem: r.code_system, category: r.category, reaction: r.reaction, severity: r.severity, criticality: r.criticality, status: r.clinical_status, onsetDate: r.onset_date ?? undefined };
      check('allergies', r, disagreement(r, checkAllergy(input, context(dob))));
    }
    const immunizations = await read('immunizations');
    for (const { r, dob } of immunizations) {
      const input = { cvx: r.cvx_code, display: r.display, occurrenceDate: r.occurrence_date, status: r.status, lotNumber: r.lot_number ?? undefined, expirationDate: r.expiration_date ?? undefined, manufacturer: r.manufacturer ?? undefined, site: r.site ?? undefined, route: r.route ?? undefined, doseQuantity: r.dose_quantity ?? undefined, doseUnit: r.dose_unit ?? undefined };
      check('immunizations', r, disagreement(r, checkImmunization(input, context(dob))));
    }

    // Visits and their charge lines: each as `encounters add` and the imports read it.
    const [{ zone }] = await queryRows<{ zone: string }>(t.db, sql`select time_zone as zone from practice`);
    const diagnoses = await queryRows<{ encounter_id: number; code_system: string; code: string; display: string | null }>(t.db, sql`select encounter_id, code_system, code, display from encounter_diagnoses order by encounter_id, position`);
    const visits = await read('encounters');
    for (const { r, dob } of visits) {
      const listed = diagnoses.filter((d) => d.encounter_id === r.id).map((d) => ({ code: d.code, codeSystem: d.code_system, display: d.display ?? undefined }));
      const visit = checkEncounter(
        { startsAt: r.starts_at, durationMinutes: r.duration_minutes ?? undefined, status: r.status, encounterClass: r.encounter_class, type: { code: r.type_code, codeSystem: r.type_system, display: r.type_display }, reason: { text: r.reason ?? undefined }, diagnoses: listed },
        { ...context(dob), zone },
      );
      check('encounters', r, 'problems' in visit ? disagreement(r, visit) : disagreement(r, { values: visitColumns(visit.values) }));
    }
    const charges = await read('charges');
    for (const { r, dob } of charges) {
      const input = { serviceDate: r.service_date, code: r.code, modifiers: r.modifiers, units: r.units, amount: { cents: r.amount_cents }, diagnosisPointers: r.diagnosis_pointers, placeOfService: r.place_of_service ?? undefined };
      const diagnosisCount = diagnoses.filter((d) => d.encounter_id === r.encounter_id).length;
      check('charges', r, disagreement(r, checkCharge(input, { ...context(dob), diagnosisCount })));
    }

    const observations = (await read('observations')).map(({ r }) => r);
    const vitals = observations.filter((o) => o.category === 'vital-signs');
    const labs = observations.filter((o) => o.category === 'laboratory' && o.value_numeric !== null);
    for (const o of vitals) {
      if (o.code === BP_PANEL.loinc) {
        const parts = vitals.filter((p) => p.panel_id === o.id);
        const pressure = checkBloodPressure(parts.find((p) => p.code === '8480-6')?.value_numeric, parts.find((p) => p.code === '8462-4')?.value_numeric);
        check('observations', o, 'problem' in pressure ? pressure.problem : parts.length === 2 && o.display === BP_PANEL.display ? undefined : 'not a blood pressure panel as the CLI records it');
        continue;
      }
      const sign = vitalByLoinc(o.code);
      if (!sign) {
        check('observations', o, `${o.code} is not a declared vital sign`);
        continue;
      }
      const reading = readVitalValue(sign, o.value_numeric, o.value_unit, 'metric');
      check('observations', o, 'problem' in reading ? reading.problem : reading.value !== o.value_numeric || reading.unit !== o.value_unit || o.display !== sign.display ? `stored as ${o.value_numeric} ${o.value_unit} "${o.display}"` : undefined);
      if (sign === BMI) {
        // The BMI is the CLI's, from the weight and height of the same visit as recorded.
        const measured = (option: string) => vitals.find((v) => v.encounter_id === o.encounter_id && v.code === VITAL_SIGNS.find((s) => s.option === option)!.loinc)!.value_numeric;
        if (bodyMassIndex(measured('weight'), measured('height')) !== o.value_numeric) check('observations', o, `BMI ${o.value_numeric} is not the one of its weight and height`);
      }
    }
    for (const o of labs) {
      const test = LAB_TESTS[o.code];
      const result = checkObservationValue(o.code, o.value_numeric, o.value_unit, 'metric');
      check('observations', o, !test ? `${o.code} is not a declared lab test` : (describeLoincProblem(o.code) ?? ('problem' in result ? result.problem : o.value_unit === test.unit ? undefined : `unit ${o.value_unit}, declared ${test.unit}`)));
    }

    expect(refused).toEqual([]);
    // Every kind was there to check, with the variety the declarations cover.
    expect(problems.length).toBeGreaterThan(0);
    expect(new Set(problems.map(({ r }) => r.code_system))).toEqual(new Set([CodeSystem.icd10cm, CodeSystem.snomed]));
    expect(new Set(medications.map(({ r }) => r.status))).toEqual(new Set(['active', 'stopped']));
    expect(allergies.length).toBeGreaterThan(0);
    expect(immunizations.length).toBeGreaterThan(0);
    expect(new Set(vitals.map((v) => v.code))).toEqual(new Set([BP_PANEL.loinc, '8480-6', '8462-4', ...VITAL_SIGNS.filter((s) => ['weight', 'height', 'pulse'].includes(s.option)).map((s) => s.loinc), BMI.loinc]));
    expect(labs.length).toBeGreaterThan(0);
    expect(visits.length).toBeGreaterThan(0);
    expect(charges.length).toBeGreaterThan(visits.length);
  }, 300_000);
});

describe("the demo's chart refuses what the declarations refuse", () => {
  const cal = new Calendar(now, 'America/New_York');
  const chart = () => new PatientChart(new RowSink(Object.fromEntries(Object.keys(DEMO_TABLES).map((table) => [table, 1])) as Record<DemoTable, number>), new Random(1), cal, 1, cal.today - 40 * 365, 1);
  const at = cal.at(cal.today - 1, 9 * 60);

  it('stops the demo on a record the CLI would refuse, naming the fault', () => {
    const refusals: [() => unknown, RegExp][] = [
      [() => chart().problem({ code: '250.00', codeSystem: CodeSystem.icd10cm, status: 'active' }, cal.date(cal.today)), /a problem .*code: "250\.00"/],
      [() => chart().problem({ code: 'E11.9', status: 'chronic-ish' }, cal.date(cal.today)), /clinicalStatus: the status must be one of/],
      [() => chart().medication({ rxnorm: '860975', display: 'metformin', dose: -500 }, 1), /a medication .*dose: the dose must be a number/],
      [() => chart().allergy({ substance: 'Peanut', code: '7984x', codeSystem: CodeSystem.rxnorm, status: 'active' }, cal.date(cal.today)), /an allergy .*code:/],
      [() => chart().immunization({ cvx: '140', display: 'flu', cpt: '90656' }, cal.today + 3, null, true), /an immunization .*the date given is in the future/],
      [() => chart().vital(VITAL_SIGNS.find((s) => s.option === 'weight')!, 900, at, 1), /Body weight 900 kg is outside the plausible range/],
      [() => chart().bloodPressure(80, 95, at, 1), /the systolic must be above the diastolic/],
      [() => chart().labResult({ coding: LOINC.a1c, at, encounterId: 1, orderId: 1, value: 40, low: '4.0', high: '5.6', interpretation: 'H' }), /Hemoglobin A1c 40 % is outside the plausible range/],
      [() => chart().charge({ encounterId: 1, providerId: 1, day: cal.today - 1, placeOfService: '11' }, '99213', [3], 2), /a charge .*diagnosisPointers: the line points at diagnosis 3, but the visit lists 2/],
      [() => chart().visit({ id: 1, providerId: 1, startsAt: at, durationMinutes: 15, placeOfService: '11', type: { code: '99213', display: 'Office visit' }, reason: 'Sick visit', diagnoses: [{ code: 'E11.0', display: 'Diabetes' }], isNewPatient: false, followUpWeeks: null }), /a visit .*diagnoses: E11\.0 is an ICD-10-CM category/],
      [() => chart().labResult({ coding: LOINC.phq9Total, at, encounterId: 1, orderId: 1, value: 4, low: null, high: null, interpretation: 'N' }), /44261-6 is not one of the declared lab tests/],
    ];
    for (const [write, reason] of refusals) {
      expect(write).toThrow(DemoRecordError);
      expect(write).toThrow(reason);
      expect(write).toThrow(/fault in the demo generator: nothing was saved/);
    }
  });

  it('writes an accepted record as its declaration normalises it', () => {
    const c = chart();
    c.problem({ code: 'e119', codeSystem: CodeSystem.icd10cm, status: 'current', onsetDate: cal.date(cal.today - 400) }, cal.date(cal.today));
    const { columns, values } = c.sink.take('problems')!;
    const row = Object.fromEntries(columns.map((column, i) => [column, values[0]![i]]));
    expect(row).toMatchObject({ code_system: CodeSystem.icd10cm, code: 'E11.9', clinical_status: 'active', onset_date: cal.date(cal.today - 400) });
  });
});
