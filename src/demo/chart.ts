// One demo patient's chart as it is written: the rows of every kind that belong to the patient, with
// the ids they will have, so a visit's vitals, charges and vaccines can point at each other.
// The kinds declared in src/records/ (visits and their charges, problems, medications, allergies,
// immunizations, vital signs, lab results) go through their declaration's check first, the one
// `practice <kind> add` and the imports use, so a demo row is always a row the CLI would accept, normalised the same way. The checks read code tables
// and units in memory: no database round trip, the batch still loads by COPY.
import { describeLoincProblem } from '../codes/loinc.js';
import { CodeSystem } from '../codes/systems.js';
import { PracticeError } from '../errors.js';
import { checkAllergy, type AllergyInput } from '../records/allergy.js';
import { checkCharge, checkEncounter, visitColumns, type VisitContext } from '../records/encounter.js';
import { checkImmunization, type IMMUNIZATION_STATUSES } from '../records/immunization.js';
import { LAB_TESTS } from '../records/lab.js';
import { checkMedication, type MedicationInput } from '../records/medication.js';
import { checkObservationValue } from '../records/observation.js';
import { checkProblem, type ProblemInput } from '../records/problem.js';
import { asReason, type Checked, type RecordContext } from '../records/record.js';
import { BP_PANEL, DIASTOLIC, SYSTOLIC, checkBloodPressure, readVitalValue, type VitalSign } from '../records/vital.js';
import { Calendar } from './calendar.js';
import { FEES, VACCINES, type Coding, type Vaccine, type VocabularyCode } from './catalog.js';
import type { Random } from './random.js';
import type { RowSink } from './rows.js';

export type ObservationCategory = 'vital-signs' | 'laboratory' | 'survey' | 'social-history' | 'imaging';
export type AppointmentStatus = 'kept' | 'no-show' | 'cancelled' | 'scheduled';

export interface ObservationInput {
  category: ObservationCategory;
  coding: Coding;
  at: Date;
  encounterId: number | null;
  orderId?: number;
  panelId?: number | null;
  value?: number;
  unit?: string;
  valueText?: string;
  valueCoding?: Coding;
  low?: string | null;
  high?: string | null;
  interpretation?: string;
}

/** A generated record its declaration refuses: a fault in the demo's generator, never in the user's input. */
export class DemoRecordError extends PracticeError {
  constructor(kind: string, problems: string[]) {
    super('DEMO_RECORD', `The demo generated ${kind} that practicekit itself would refuse (${problems.join('; ')}). This is a fault in the demo generator: nothing was saved; please report it with the seed and patient count.`);
  }
}

/** A declaration's answer for a generated record: its normalised values, or the generator's fault. */
export function accepted<T>(kind: string, checked: Checked<T>): T {
  if ('problems' in checked) throw new DemoRecordError(kind, checked.problems.map((p) => `${p.field}: ${asReason(p.message)}`));
  return checked.values;
}

/** A vital sign in the unit it is stored in, checked against its declared range. */
function storedVital(sign: VitalSign, value: number): number {
  const read = readVitalValue(sign, value, sign.stored, 'metric');
  if ('problem' in read) throw new DemoRecordError('a vital sign', [asReason(read.problem)]);
  return read.value;
}

export const digits = (r: Random, n: number) => Array.from({ length: n }, () => r.int(0, 9)).join('');

export class PatientChart {
  constructor(
    readonly sink: RowSink,
    readonly r: Random,
    readonly cal: Calendar,
    readonly patientId: number,
    readonly dobDay: number,
    readonly locationId: number,
  ) {}

  ageOn(day: number): number {
    return Calendar.years(this.dobDay, day);
  }

  observation(o: ObservationInput): number {
    return this.sink.add('observations', {
      patientId: this.patientId,
      encounterId: o.encounterId,
      orderId: o.orderId ?? null,
      panelId: o.panelId ?? null,
      category: o.category,
      codeSystem: CodeSystem.loinc,
      code: o.coding.code,
      display: o.coding.display,
      valueNumeric: o.value === undefined ? null : String(o.value),
      valueUnit: o.unit ?? null,
      valueText: o.valueText ?? o.valueCoding?.display ?? null,
      valueCodeSystem: o.valueCoding ? CodeSystem.snomed : null,
      valueCode: o.valueCoding?.code ?? null,
      referenceLow: o.low ?? null,
      referenceHigh: o.high ?? null,
      referenceText: null,
      interpretation: o.interpretation ?? null,
      effectiveAt: o.at,
      issuedAt: o.category === 'laboratory' ? o.at : null,
      status: 'final',
      sourceSystem: null,
      sourceId: null,
    });
  }

  /** What the declarations' date rules read: the practice's today and the patient's date of birth. */
  get context(): RecordContext {
    return (this.recordContext ??= { today: this.cal.date(this.cal.today), dob: this.cal.date(this.dobDay) });
  }
  private recordContext?: RecordContext;

  /** A problem-list entry, as its declaration reads and normalises it. */
  problem(input: ProblemInput, recordedDate: string): number {
    const problem = accepted('a problem', checkProblem(input, this.context));
    return this.sink.add('problems', { patientId: this.patientId, encounterId: null, ...problem, category: 'problem-list-item', verificationStatus: 'confirmed', recordedDate });
  }

  /** A prescription written here, as its declaration reads and normalises it. */
  medication(input: MedicationInput, prescriberId: number): number {
    const medication = accepted('a medication', checkMedication(input, this.context));
    return this.sink.add('medications', {
      patientId: this.patientId,
      encounterId: null,
      prescriberId,
      ...medication,
      dose: medication.dose === null ? null : String(medication.dose),
      quantity: medication.quantity === null ? null : String(medication.quantity),
      kind: 'request',
      overrideReason: null,
    });
  }

  /** An allergy, as its declaration reads and normalises it. */
  allergy(input: AllergyInput, recordedDate: string): number {
    const allergy = accepted('an allergy', checkAllergy(input, this.context));
    return this.sink.add('allergies', { patientId: this.patientId, ...allergy, verificationStatus: 'confirmed', recordedDate });
  }

  immunization(vaccine: Vaccine, day: number, encounterId: number | null, givenHere: boolean, performerId: number | null = null): number {
    const { r, cal } = this;
    const oral = vaccine === VACCINES.rotavirus;
    const status: VocabularyCode<typeof IMMUNIZATION_STATUSES> = 'completed';
    const lotNumber = givenHere ? `DM${digits(r, 6)}` : undefined;
    const immunization = accepted(
      'an immunization',
      checkImmunization(
        {
          cvx: vaccine.cvx,
          display: vaccine.display,
          occurrenceDate: cal.date(day),
          status,
          lotNumber,
          expirationDate: givenHere ? cal.date(day + r.int(90, 540)) : undefined,
          site: oral ? undefined : this.ageOn(day) < 3 ? 'Right thigh' : 'Left deltoid',
          route: oral ? 'PO' : 'IM',
          doseQuantity: givenHere ? (oral ? 1 : 0.5) : undefined,
          doseUnit: givenHere ? 'mL' : undefined,
        },
        this.context,
      ),
    );
    return this.sink.add('immunizations', {
      patientId: this.patientId,
      encounterId,
      performerId,
      ...immunization,
      doseQuantity: immunization.doseQuantity === null ? null : String(immunization.doseQuantity),
      statusReasonSystem: null,
      statusReasonCode: null,
      primarySource: givenHere,
    });
  }

  /** A vital sign measured in its stored unit, checked against its declared range; named as the CLI names it. */
  vital(sign: VitalSign, value: number, at: Date, encounterId: number, panelId: number | null = null): number {
    return this.observation({ category: 'vital-signs', coding: { code: sign.loinc, display: sign.display }, at, encounterId, value: storedVital(sign, value), unit: sign.stored, panelId });
  }

  /** A blood pressure: the panel and its two readings, checked as `vitals add --bp` checks them. */
  bloodPressure(systolic: number, diastolic: number, at: Date, encounterId: number): number {
    const read = checkBloodPressure(systolic, diastolic);
    if ('problem' in read) throw new DemoRecordError('a blood pressure', [asReason(read.problem)]);
    const panel = this.observation({ category: 'vital-signs', coding: { code: BP_PANEL.loinc, display: BP_PANEL.display }, at, encounterId });
    this.vital(SYSTOLIC, read.systolic, at, encounterId, panel);
    this.vital(DIASTOLIC, read.diastolic, at, encounterId, panel);
    return panel;
  }

  /** A panel (a lipid panel) that holds its results: its LOINC code checked as every path checks it. */
  labPanel(coding: Coding, at: Date, encounterId: number, orderId: number): number {
    const problem = describeLoincProblem(coding.code);
    if (problem) throw new DemoRecordError('a lab panel', [asReason(problem)]);
    return this.observation({ category: 'laboratory', coding, at, encounterId, orderId });
  }

  /**
   * A numeric lab result of a declared test (src/records/lab.ts), in the test's unit, checked against
   * its plausible range as `labs add` checks it. The name is the lab's, as a report gives it.
   */
  labResult(o: { coding: Coding; at: Date; encounterId: number; orderId: number; panelId?: number; value: number; low: string | null; high: string | null; interpretation: string }): number {
    const test = LAB_TESTS[o.coding.code];
    if (!test) throw new DemoRecordError('a lab result', [`LOINC ${o.coding.code} is not one of the declared lab tests`]);
    const checked = checkObservationValue(o.coding.code, o.value, test.unit, 'metric');
    const problem = describeLoincProblem(o.coding.code) ?? ('problem' in checked ? checked.problem : undefined);
    if (problem) throw new DemoRecordError('a lab result', [asReason(problem)]);
    return this.observation({ category: 'laboratory', ...o, unit: test.unit });
  }

  appointment(day: number, minutes: number, duration: number, providerId: number, reason: string, status: AppointmentStatus): number {
    const { r, cal } = this;
    const changed = status === 'kept' ? minutes + duration : status === 'no-show' ? minutes + 20 : null;
    return this.sink.add('appointments', {
      patientId: this.patientId,
      providerId,
      locationId: this.locationId,
      startsAt: cal.at(day, minutes),
      durationMinutes: duration,
      reason,
      recallRuleCode: null,
      status,
      statusChangedAt: status === 'cancelled' ? cal.at(day - r.int(1, 3), 9 * 60) : changed === null ? null : cal.at(day, changed),
      cancelReason: status === 'cancelled' ? r.pick(['Patient request', 'Patient feeling better', 'Provider unavailable', 'Weather']) : null,
      rescheduledFromId: null,
      sourceSystem: null,
      sourceId: null,
    });
  }

  /**
   * A visit as its declaration reads it (the one `encounters add` and the imports use): the encounter row
   * with its diagnoses in claim order. Written once the visit is over, under the id it was given at its start.
   */
  visit(v: { id: number; providerId: number; startsAt: Date; durationMinutes: number; placeOfService: string; type: Coding; reason: string; diagnoses: Coding[]; isNewPatient: boolean; followUpWeeks: number | null }): void {
    const visit = accepted(
      'a visit',
      checkEncounter(
        { startsAt: v.startsAt.toISOString(), durationMinutes: v.durationMinutes, placeOfService: v.placeOfService, type: { code: v.type.code, display: v.type.display }, reason: { text: v.reason }, diagnoses: v.diagnoses },
        this.visitContext,
      ),
    );
    const id = this.sink.add('encounters', { patientId: this.patientId, providerId: v.providerId, locationId: this.locationId, ...visitColumns(visit), isNewPatient: v.isNewPatient, followUpWeeks: v.followUpWeeks, sourceSystem: null, sourceId: null });
    if (id !== v.id) throw new DemoRecordError('a visit', [`it was written as visit ${id}, but its records point at visit ${v.id}`]);
    for (const d of visit.diagnoses) this.sink.add('encounterDiagnoses', { encounterId: id, position: d.position, codeSystem: d.codeSystem, code: d.code, display: d.display });
  }

  private get visitContext(): VisitContext {
    return { ...this.context, zone: this.cal.timeZone };
  }

  /** A charge line at the practice's own fee for the code, as its declaration reads it, for a visit listing `diagnosisCount` diagnoses. */
  charge(visit: { encounterId: number; providerId: number; day: number; placeOfService: string }, code: string, pointers: number[], diagnosisCount: number): number {
    const charge = accepted(
      'a charge',
      checkCharge({ serviceDate: this.cal.date(visit.day), code, amount: { cents: FEES[code]! }, diagnosisPointers: pointers, placeOfService: visit.placeOfService }, { ...this.context, diagnosisCount }),
    );
    return this.sink.add('charges', {
      patientId: this.patientId,
      encounterId: visit.encounterId,
      providerId: visit.providerId,
      locationId: this.locationId,
      ...charge,
      serviceDate: charge.serviceDate!,
      ndcQuantity: charge.ndcQuantity === null ? null : String(charge.ndcQuantity),
      status: 'unbilled',
      sourceSystem: null,
      sourceId: null,
    });
  }

  procedure(p: { encounterId: number | null; providerId: number | null; codeSystem: string; code: string; display: string | null; start: Date; end: Date; reasonSystem?: string; reasonCode?: string }): number {
    return this.sink.add('procedures', {
      patientId: this.patientId,
      encounterId: p.encounterId,
      providerId: p.providerId,
      codeSystem: p.codeSystem,
      code: p.code,
      display: p.display,
      status: 'completed',
      performedStart: p.start,
      performedEnd: p.end,
      bodySite: null,
      reasonSystem: p.reasonSystem ?? null,
      reasonCode: p.reasonCode ?? null,
    });
  }
}
