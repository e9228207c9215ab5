// One demo patient's chart as it is written: the rows of every kind that belong to the patient, with
// the ids they will have, so a visit's vitals, charges and vaccines can point at each other.
import { procedureCodeSystem } from '../codes/procedure-codes.js';
import { CodeSystem } from '../codes/systems.js';
import { Calendar } from './calendar.js';
import { FEES, VACCINES, type Coding, type Vaccine } from './catalog.js';
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

  immunization(vaccine: Vaccine, day: number, encounterId: number | null, givenHere: boolean, performerId: number | null = null): number {
    const { r, cal } = this;
    const oral = vaccine === VACCINES.rotavirus;
    return this.sink.add('immunizations', {
      patientId: this.patientId,
      encounterId,
      performerId,
      cvxCode: vaccine.cvx,
      display: vaccine.display,
      occurrenceDate: cal.date(day),
      status: 'completed',
      statusReasonSystem: null,
      statusReasonCode: null,
      lotNumber: givenHere ? `DM${digits(r, 6)}` : null,
      expirationDate: givenHere ? cal.date(day + r.int(90, 540)) : null,
      manufacturer: null,
      site: oral ? null : this.ageOn(day) < 3 ? 'Right thigh' : 'Left deltoid',
      route: oral ? 'PO' : 'IM',
      doseQuantity: givenHere ? (oral ? '1' : '0.5') : null,
      doseUnit: givenHere ? 'mL' : null,
      primarySource: givenHere,
    });
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

  /** A charge line at the practice's own fee for the code. */
  charge(visit: { encounterId: number; providerId: number; day: number; placeOfService: string }, code: string, pointers: number[]): number {
    return this.sink.add('charges', {
      patientId: this.patientId,
      encounterId: visit.encounterId,
      providerId: visit.providerId,
      locationId: this.locationId,
      serviceDate: this.cal.date(visit.day),
      codeSystem: procedureCodeSystem(code)!,
      code,
      modifiers: [],
      units: 1,
      amountCents: FEES[code]!,
      diagnosisPointers: pointers,
      placeOfService: visit.placeOfService,
      ndcCode: null,
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
