// The clinical entries recorded from the command line (problems, medications, allergies, immunizations,
// vitals, labs, notes), declared once each: their options, how they are checked and written, and how
// they are listed. One generic command and one generic writer serve them all.
import { and, asc, desc, eq, inArray, isNull, notInArray, sql } from 'drizzle-orm';
import { describeLoincProblem } from '../codes/loinc.js';
import { formatNdc11 } from '../codes/ndc.js';
import { CodeSystem } from '../codes/systems.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { allergies, immunizations, medications, observations, orders, problems, progressNotes, providers } from '../db/schema/index.js';
import type { Db, DbOrTx, Tx } from '../db/types.js';
import { badDate, badDateTime, PracticeError, ValidationError, type Issue } from '../errors.js';
import { allergyConflicts, allergyDecision, ingredientWord, recordedAllergies } from './drug-classes.js';
import { REPLACEABLE, retireReplaced, type EntryKindName, type LifecycleKind } from './lifecycle.js';
import { patientByMrn, providerByNpi, type PatientRow } from './lookup.js';
import { parseSoap } from './soap.js';
import { parseDate, parseLocalDateTime } from './time.js';
import { practiceUnits } from '../practice/clock.js';
import { ALLERGY_FIELDS, checkAllergy } from '../records/allergy.js';
import { checkImmunization, IMMUNIZATION_FIELDS } from '../records/immunization.js';
import { LAB_FIELDS, readLabUnit } from '../records/lab.js';
import { checkMedication, MEDICATION_FIELDS } from '../records/medication.js';
import { checkNote, NOTE_FIELDS, NOTE_SECTIONS } from '../records/note.js';
import { ACTIVE_PROBLEM_STATUSES, checkProblem, PROBLEM_FIELDS } from '../records/problem.js';
import { byOption, fieldOptions, type Checked, type RecordFields } from '../records/record.js';
import { checkObservationValue } from '../records/observation.js';
import { BP_PANEL, BMI, DIASTOLIC, LOINC, SYSTOLIC, VITAL_CODES, VITAL_FIELDS, VITAL_SIGNS, bodyMassIndex, readBloodPressure, readVitalText } from '../records/vital.js';

export type EntryOptions = Record<string, string | boolean | undefined>;
export interface EntryClock {
  now: Date;
  today: string;
  zone: string;
}
export interface EntryWrite {
  entity: string;
  ids: number[];
  warnings: string[];
  /** Ids and flags for the audit entry: never values. */
  details?: Record<string, unknown>;
  /** Other rows the entry changed (the order a result completes), audited with it. */
  alsoChanged?: { action: string; entity: string; entityId: number; details?: Record<string, unknown> }[];
}
export interface EntryKind {
  command: string;
  /** What a list of them is called, when not the command's name ("family history"). */
  listNoun?: string;
  /** The lifecycle (status changes, corrections) the entries follow, when it is not named like the command. */
  lifecycle?: LifecycleKind;
  noun: string;
  summary: string;
  example: string;
  options: { flags: string; description: string }[];
  columns: { header: string; key: string }[];
  /** Checks everything first with `c` (every problem in one ValidationError), then writes. */
  add(tx: Tx, patient: PatientRow, c: Checks, clock: EntryClock): Promise<EntryWrite>;
  list(db: DbOrTx, patient: PatientRow, all: boolean): Promise<Record<string, unknown>[]>;
  /** The rows of the text table, when they differ from the JSON list (a panel's components under it). */
  tableRows?(rows: Record<string, unknown>[]): Record<string, unknown>[];
}

/** A list's table columns, header to key, in order. */
export const tableColumns = (spec: Record<string, string>) => Object.entries(spec).map(([header, key]) => ({ header, key }));

/** Collects every problem with the options before anything is written. */
export class Checks {
  readonly issues: Issue[] = [];
  constructor(readonly options: EntryOptions, private readonly clock: EntryClock) {}

  text(key: string): string | undefined {
    const value = this.options[key];
    if (typeof value !== 'string') return undefined;
    return value.trim() === '' ? undefined : value.trim();
  }
  fail(option: string, code: string, message: string): undefined {
    this.issues.push({ path: option, code, message });
    return undefined;
  }
  /** A typing mistake worded once for every command (src/errors.ts). */
  mistake(issue: Issue): undefined {
    this.issues.push(issue);
    return undefined;
  }
  required(key: string, option: string): string | undefined {
    return this.text(key) ?? this.fail(option, 'REQUIRED', `${option} is required.`);
  }
  code<T>(key: string, option: string, normalize: (s: string) => T | undefined, what: string): T | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    return normalize(value) ?? this.fail(option, 'CODE_FORM', `${option} "${value}" is not ${what}.`);
  }
  oneOf(key: string, option: string, allowed: string[]): string | undefined {
    const value = this.text(key)?.toLowerCase();
    if (value === undefined || allowed.includes(value)) return value;
    return this.fail(option, 'CHOICE', `${option} must be one of ${allowed.join(', ')}.`);
  }
  /** A date, not after today, for a kind with no declaration to read it (src/records/ reads the others'). */
  date(key: string, option: string): string | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    const date = parseDate(value, this.clock.today);
    if (!date) return this.mistake(badDate(option));
    if (date > this.clock.today) return this.fail(option, 'DATE_FUTURE', `${option} is in the future.`);
    return date;
  }
  /** A date and time in the practice's zone (or a date: noon), default now; never in the future. */
  instant(key: string, option: string): Date {
    const value = this.text(key);
    if (value === undefined) return this.clock.now;
    const at = parseLocalDateTime(value, this.clock.zone, this.clock.today) ?? (parseDate(value, this.clock.today) ? parseLocalDateTime(`${parseDate(value, this.clock.today)} 12:00`, this.clock.zone, this.clock.today) : undefined);
    if (!at) return this.mistake(badDateTime(option)) ?? this.clock.now;
    if (at > this.clock.now && parseDate(value, this.clock.today) !== this.clock.today) this.fail(option, 'DATE_FUTURE', `${option} is in the future.`);
    return at;
  }
  number(key: string, option: string, min = 0): number | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) return this.fail(option, 'NUMBER', `${option} must be a number${min === 0 ? ' (0 or more)' : ''}.`);
    return n;
  }
  /**
   * A record checked by its kind's declaration (src/records/), which read every value as typed: each problem
   * in the declaration's words, after the option it came from. A date the declaration could not read is the
   * typing mistake every command words alike (src/errors.ts).
   */
  record<T>(checked: Checked<T>, fields: RecordFields): T | undefined {
    if ('values' in checked) return checked.values;
    for (const issue of byOption(checked.problems.map((p) => ({ path: p.field, code: p.code, message: p.message })), fields)) {
      if (issue.code === 'DATE_FORMAT') this.mistake(badDate(issue.path!));
      else this.issues.push(issue);
    }
    return undefined;
  }
  done(): void {
    if (this.issues.length) throw new ValidationError(this.issues);
  }
}

export async function optionalProvider(tx: Tx, npi: string | undefined): Promise<number | null> {
  return npi ? (await providerByNpi(tx, npi)).id : null;
}

const problemKind: EntryKind = {
  command: 'problems',
  noun: 'problem',
  summary: 'the problem list (ICD-10-CM)',
  example: 'practice problems add C100 --icd10 E11.9 --name "Type 2 diabetes" --onset 2019-05-01',
  options: fieldOptions(PROBLEM_FIELDS),
  columns: tableColumns({ 'ICD-10-CM': 'code', Problem: 'display', Status: 'status', Onset: 'onsetDate' }),
  async add(tx, patient, c, clock) {
    const problem = c.record(
      checkProblem({ code: c.text('icd10'), codeSystem: CodeSystem.icd10cm, display: c.text('name'), status: c.text('status'), onsetDate: c.text('onset'), note: c.text('note') }, { today: clock.today, dob: patient.dob }),
      PROBLEM_FIELDS,
    );
    c.done();
    const duplicate = await tx
      .select({ id: problems.id })
      .from(problems)
      .where(and(eq(problems.patientId, patient.id), eq(problems.code, problem!.code), inArray(problems.clinicalStatus, ACTIVE_PROBLEM_STATUSES)));
    const [row] = await tx
      .insert(problems)
      .values({ patientId: patient.id, ...problem!, abatementDate: problem!.clinicalStatus === 'resolved' ? clock.today : null, recordedDate: clock.today })
      .returning({ id: problems.id });
    return { entity: 'problems', ids: [row!.id], warnings: duplicate.length ? ['This problem is already on the active problem list.'] : [] };
  },
  list(db, patient, all) {
    return db
      .select({ id: problems.id, code: problems.code, display: problems.display, status: problems.clinicalStatus, verification: problems.verificationStatus, onsetDate: problems.onsetDate, abatementDate: problems.abatementDate, recordedDate: problems.recordedDate, statusNote: problems.statusNote, replacesId: problems.replacesId })
      .from(problems)
      .where(and(eq(problems.patientId, patient.id), all ? undefined : inArray(problems.clinicalStatus, ACTIVE_PROBLEM_STATUSES), notInArray(problems.verificationStatus, ['entered-in-error'])))
      .orderBy(asc(problems.code));
  },
};

const medicationKind: EntryKind = {
  command: 'medications',
  noun: 'medication',
  summary: 'medications (RxNorm or NDC), with allergy and duplicate checks',
  example: 'practice medications add C100 --name "metformin 500 MG Oral Tablet" --rxnorm 860975 --dose 500 --unit mg --frequency "twice daily"',
  options: [
    ...fieldOptions(MEDICATION_FIELDS),
    { flags: '--prescriber <npi>', description: 'prescribing provider' },
    { flags: '--reported', description: 'taken by the patient but prescribed elsewhere (a medication statement)' },
    { flags: '--override <reason>', description: 'record it despite an allergy warning, and why' },
  ],
  columns: tableColumns({ Medication: 'display', RxNorm: 'rxnormCode', NDC: 'ndc', Dose: 'dose', Frequency: 'frequency', Start: 'startDate', Status: 'status' }),
  async add(tx, patient, c, clock) {
    // The name is what the allergy and duplicate checks read: a prescription written here always has one.
    const name = c.required('name', '--name');
    const medication = c.record(
      checkMedication(
        { display: name, rxnorm: c.text('rxnorm'), ndc: c.text('ndc'), dose: c.text('dose'), doseUnit: c.text('unit'), route: c.text('route'), frequency: c.text('frequency'), quantity: c.text('quantity'), refills: c.text('refills'), startDate: c.text('start') ?? clock.today },
        { today: clock.today, dob: patient.dob },
      ),
      MEDICATION_FIELDS,
    );
    c.done();
    const rxnorm = medication!.rxnormCode ?? undefined;
    const prescriberId = await optionalProvider(tx, c.text('prescriber'));

    const override = c.text('override');
    const conflicts = allergyConflicts({ name: name!, rxnorm }, await recordedAllergies(tx, patient.id));
    const decision = allergyDecision(conflicts, override, 'record it');
    const warnings = [...decision.warnings];
    if (override && !decision.overridden) warnings.push('--override was not needed: no serious allergy match, so no reason was stored.');
    const active = await tx
      .select({ id: medications.id, display: medications.display, rxnormCode: medications.rxnormCode })
      .from(medications)
      .where(and(eq(medications.patientId, patient.id), eq(medications.status, 'active')));
    const duplicates = active.filter((m) => (rxnorm && m.rxnormCode === rxnorm) || ingredientWord(m.display) === ingredientWord(name!));
    if (duplicates.length) warnings.push('The patient already has an active medication with the same ingredient: check for a duplicate.');

    const [row] = await tx
      .insert(medications)
      .values({
        patientId: patient.id,
        prescriberId,
        ...medication!,
        dose: medication!.dose === null ? null : String(medication!.dose),
        quantity: medication!.quantity === null ? null : String(medication!.quantity),
        kind: c.options.reported ? 'statement' : 'request',
        intent: c.options.reported ? 'plan' : 'order',
        overrideReason: decision.overridden ? override! : null,
      })
      .returning({ id: medications.id });
    return {
      entity: 'medications',
      ids: [row!.id],
      warnings,
      details: { allergyOverride: decision.overridden, allergyConflicts: conflicts.map((x) => ({ allergyId: x.allergyId, match: x.match, level: x.level })), duplicateWarning: duplicates.map((d) => d.id) },
    };
  },
  async list(db, patient, all) {
    const rows = await db
      .select({ id: medications.id, display: medications.display, rxnormCode: medications.rxnormCode, ndcCode: medications.ndcCode, dose: medications.dose, doseUnit: medications.doseUnit, frequency: medications.frequency, startDate: medications.startDate, status: medications.status, stopDate: medications.stopDate, statusNote: medications.statusNote, replacesId: medications.replacesId, overrideReason: medications.overrideReason })
      .from(medications)
      .where(and(eq(medications.patientId, patient.id), all ? undefined : eq(medications.status, 'active')))
      .orderBy(asc(medications.display));
    return rows.map((m) => ({ ...m, ndc: m.ndcCode ? formatNdc11(m.ndcCode) : null, dose: m.dose === null ? null : `${Number(m.dose)}${m.doseUnit ? ` ${m.doseUnit}` : ''}` }));
  },
};

const allergyKind: EntryKind = {
  command: 'allergies',
  noun: 'allergy',
  summary: 'allergies and intolerances',
  example: 'practice allergies add C100 --substance Penicillin --reaction hives --severity moderate',
  options: fieldOptions(ALLERGY_FIELDS),
  columns: tableColumns({ Substance: 'substance', Category: 'category', Reaction: 'reaction', Severity: 'severity', Status: 'status' }),
  async add(tx, patient, c, clock) {
    const rxnorm = c.text('rxnorm');
    const allergy = c.record(
      checkAllergy(
        { substance: c.text('substance'), code: rxnorm, codeSystem: rxnorm === undefined ? undefined : CodeSystem.rxnorm, category: c.text('category'), reaction: c.text('reaction'), severity: c.text('severity'), criticality: c.text('criticality'), onsetDate: c.text('onset') },
        { today: clock.today, dob: patient.dob },
      ),
      ALLERGY_FIELDS,
    );
    c.done();
    const [row] = await tx
      .insert(allergies)
      .values({ patientId: patient.id, ...allergy!, recordedDate: clock.today })
      .returning({ id: allergies.id });
    return { entity: 'allergies', ids: [row!.id], warnings: [] };
  },
  list(db, patient, all) {
    return db
      .select({ id: allergies.id, substance: allergies.substance, category: allergies.category, reaction: allergies.reaction, severity: allergies.severity, status: allergies.clinicalStatus, verification: allergies.verificationStatus, recordedDate: allergies.recordedDate, statusNote: allergies.statusNote, replacesId: allergies.replacesId })
      .from(allergies)
      .where(and(eq(allergies.patientId, patient.id), all ? undefined : and(eq(allergies.clinicalStatus, 'active'), notInArray(allergies.verificationStatus, ['refuted', 'entered-in-error']))))
      .orderBy(asc(allergies.substance));
  },
};

const immunizationKind: EntryKind = {
  command: 'immunizations',
  noun: 'immunization',
  summary: 'immunizations (CVX)',
  example: 'practice immunizations add C100 --cvx 140 --date 2025-10-02 --lot AB123',
  options: [
    ...fieldOptions(IMMUNIZATION_FIELDS),
    { flags: '--given-by <npi>', description: 'provider who gave it' },
    { flags: '--historical', description: 'given elsewhere, recorded from the patient or old records' },
  ],
  columns: tableColumns({ Date: 'date', CVX: 'cvxCode', Vaccine: 'display', Lot: 'lotNumber', Status: 'status' }),
  async add(tx, patient, c, clock) {
    const immunization = c.record(
      checkImmunization(
        { cvx: c.text('cvx'), display: c.text('name'), occurrenceDate: c.text('date') ?? clock.today, lotNumber: c.text('lot'), expirationDate: c.text('expires'), manufacturer: c.text('manufacturer'), site: c.text('site'), route: c.text('route') },
        { today: clock.today, dob: patient.dob },
      ),
      IMMUNIZATION_FIELDS,
    );
    c.done();
    const performerId = await optionalProvider(tx, c.text('givenBy'));
    const [row] = await tx
      .insert(immunizations)
      .values({ patientId: patient.id, performerId, ...immunization!, doseQuantity: null, primarySource: !c.options.historical })
      .returning({ id: immunizations.id });
    return { entity: 'immunizations', ids: [row!.id], warnings: [] };
  },
  list(db, patient, all) {
    return db
      .select({ id: immunizations.id, date: immunizations.occurrenceDate, cvxCode: immunizations.cvxCode, display: immunizations.display, lotNumber: immunizations.lotNumber, status: immunizations.status })
      .from(immunizations)
      .where(and(eq(immunizations.patientId, patient.id), all ? undefined : eq(immunizations.status, 'completed')))
      .orderBy(desc(immunizations.occurrenceDate));
  },
};

const vitalsKind: EntryKind = {
  command: 'vitals',
  noun: 'vital signs',
  summary: 'vital signs (stored as LOINC observations), with plausible-range checks',
  example: 'practice vitals add C100 --bp 128/82 --pulse 72 --weight 180 --height 70in --temp 98.6',
  options: fieldOptions(VITAL_FIELDS),
  columns: tableColumns({ When: 'effectiveAt', 'Vital sign': 'display', Value: 'value', Unit: 'unit' }),
  async add(tx, patient, c, clock) {
    const at = c.instant('at', '--at');
    const units = await practiceUnits(tx);
    const values: { loinc: string; display: string; value: number; unit: string }[] = [];
    for (const sign of VITAL_SIGNS) {
      const text = c.text(sign.option);
      if (text === undefined) continue;
      const read = readVitalText(sign, text, units);
      if ('problem' in read) c.fail(`--${sign.option}`, 'VITAL_RANGE', `--${sign.option}: ${read.problem}`);
      else values.push({ loinc: sign.loinc, display: sign.display, value: read.value, unit: read.unit });
    }
    let bp: [number, number] | undefined;
    const bpText = c.text('bp');
    if (bpText !== undefined) {
      const read = readBloodPressure(bpText);
      if ('problem' in read) c.fail('--bp', 'VITAL_RANGE', `--bp: ${read.problem}`);
      else bp = [read.systolic, read.diastolic];
    }
    if (values.length === 0 && !bp && c.issues.length === 0) c.fail('--bp', 'REQUIRED', 'Give at least one vital sign, e.g. --bp 128/82 or --pulse 72.');
    c.done();
    const weight = values.find((v) => v.loinc === '29463-7');
    const height = values.find((v) => v.loinc === '8302-2');
    if (weight && height) {
      values.push({ loinc: BMI.loinc, display: BMI.display, value: bodyMassIndex(weight.value, height.value), unit: BMI.stored });
    }
    const base = { patientId: patient.id, category: 'vital-signs', codeSystem: LOINC, effectiveAt: at, status: 'final' };
    const ids: number[] = [];
    if (bp) {
      const [panel] = await tx.insert(observations).values({ ...base, code: BP_PANEL.loinc, display: BP_PANEL.display }).returning({ id: observations.id });
      const parts = await tx
        .insert(observations)
        .values([
          { ...base, panelId: panel!.id, code: SYSTOLIC.loinc, display: SYSTOLIC.display, valueNumeric: String(bp[0]), valueUnit: SYSTOLIC.stored },
          { ...base, panelId: panel!.id, code: DIASTOLIC.loinc, display: DIASTOLIC.display, valueNumeric: String(bp[1]), valueUnit: DIASTOLIC.stored },
        ])
        .returning({ id: observations.id });
      ids.push(panel!.id, ...parts.map((p) => p.id));
    }
    if (values.length) {
      const rows = await tx
        .insert(observations)
        .values(values.map((v) => ({ ...base, code: v.loinc, display: v.display, valueNumeric: String(v.value), valueUnit: v.unit })))
        .returning({ id: observations.id });
      ids.push(...rows.map((r) => r.id));
    }
    return { entity: 'observations', ids, warnings: [], details: { category: 'vital-signs' } };
  },
  async list(db, patient, all) {
    const rows = await db
      .select({ id: observations.id, effectiveAt: observations.effectiveAt, code: observations.code, display: observations.display, value: observations.valueNumeric, unit: observations.valueUnit })
      .from(observations)
      .where(and(eq(observations.patientId, patient.id), eq(observations.category, 'vital-signs'), inArray(observations.code, VITAL_CODES), all ? undefined : notInArray(observations.status, ['entered-in-error', 'cancelled'])))
      .orderBy(desc(observations.effectiveAt), asc(observations.id));
    return rows.map((r) => ({ ...r, value: r.value === null ? null : Number(r.value) }));
  },
};

const labKind: EntryKind = {
  command: 'labs',
  noun: 'lab result',
  summary: 'lab results (LOINC, check digit verified)',
  example: 'practice labs add C100 --loinc 4548-4 --value 7.2 --unit % --high 5.6 --date 2026-03-01',
  options: [
    ...fieldOptions(LAB_FIELDS),
    { flags: '--order <id>', description: 'the lab order this result answers (from "practice orders list"); it is marked completed' },
    { flags: '--partial', description: 'with --order: more results are to come, so the order stays open' },
  ],
  columns: tableColumns({ When: 'effectiveAt', LOINC: 'code', Test: 'display', Result: 'result', Range: 'range', Flag: 'interpretation' }),
  async add(tx, patient, c, clock) {
    const loinc = c.required('loinc', '--loinc');
    const loincProblem = loinc ? describeLoincProblem(loinc) : undefined;
    if (loincProblem) c.fail('--loinc', 'LOINC', loincProblem);
    const valueText = c.required('value', '--value');
    const low = c.number('low', '--low', -Infinity);
    const high = c.number('high', '--high', -Infinity);
    if (low !== undefined && high !== undefined && low > high) c.fail('--low', 'RANGE', '--low is above --high.');
    const flag = c.text('flag')?.toUpperCase();
    if (flag !== undefined && !['N', 'H', 'L', 'HH', 'LL', 'A', 'AA'].includes(flag)) c.fail('--flag', 'CHOICE', '--flag must be one of N, H, L, HH, LL, A, AA.');
    const at = c.instant('date', '--date');
    const orderText = c.text('order');
    const orderId = orderText === undefined ? undefined : /^[1-9][0-9]{0,9}$/.test(orderText) ? Number(orderText) : c.fail('--order', 'ID', '--order takes the id of the lab order (see "practice orders list <chart number> --json").');
    if (c.options.partial && orderText === undefined) c.fail('--partial', 'ORDER', '--partial goes with --order.');
    const numeric = valueText !== undefined && /^-?[0-9]+(\.[0-9]+)?$/.test(valueText) ? Number(valueText) : undefined;
    const unitText = c.text('unit');
    const unitRead = unitText === undefined ? undefined : readLabUnit(unitText);
    if (unitRead && 'problem' in unitRead) c.fail('--unit', 'UCUM', `--unit: ${unitRead.problem}`);
    const unit = unitRead && 'unit' in unitRead ? unitRead.unit : null;
    if (loinc && !loincProblem && numeric !== undefined && !(unitRead && 'problem' in unitRead)) {
      const checked = checkObservationValue(loinc.trim(), numeric, unit, await practiceUnits(tx));
      if ('problem' in checked) c.fail('--value', 'PLAUSIBLE', `--value: ${checked.problem}`);
    }
    c.done();
    const order = orderId === undefined ? undefined : await labOrderFor(tx, patient, orderId);
    const interpretation =
      flag ?? (numeric === undefined ? null : high !== undefined && numeric > high ? 'H' : low !== undefined && numeric < low ? 'L' : low !== undefined || high !== undefined ? 'N' : null);
    const [row] = await tx
      .insert(observations)
      .values({
        patientId: patient.id,
        category: 'laboratory',
        codeSystem: LOINC,
        code: loinc!.trim(),
        display: c.text('name') ?? null,
        valueNumeric: numeric === undefined ? null : String(numeric),
        valueText: numeric === undefined ? valueText! : null,
        valueUnit: unit,
        referenceLow: low === undefined ? null : String(low),
        referenceHigh: high === undefined ? null : String(high),
        interpretation,
        effectiveAt: at,
        issuedAt: clock.now,
        orderId: order?.id ?? null,
        encounterId: order?.encounterId ?? null,
      })
      .returning({ id: observations.id });
    const completes = order && !c.options.partial && order.status !== 'completed';
    if (completes) await tx.update(orders).set({ status: 'completed', updatedAt: clock.now }).where(eq(orders.id, order.id));
    return {
      entity: 'observations',
      ids: [row!.id],
      warnings: interpretation && interpretation !== 'N' ? [`The result is flagged abnormal (${interpretation}).`] : [],
      details: { category: 'laboratory', orderId: order?.id ?? null },
      alsoChanged: completes ? [{ action: 'complete', entity: 'orders', entityId: order.id, details: { fields: ['status'], byResult: row!.id } }] : [],
    };
  },
  list(db, patient, all) {
    return labResults(db, patient.id, { all });
  },
  tableRows: (rows) => rows.flatMap((r) => [r, ...((r.components as Record<string, unknown>[] | undefined) ?? []).map((c) => ({ ...c, effectiveAt: '', display: `  ${String(c.display ?? c.code)}`, code: `  ${String(c.code)}` }))]),
};

/** The lab order a result answers: this patient's, a lab order, still open or completed (not revoked or in error). */
async function labOrderFor(tx: Tx, patient: PatientRow, id: number): Promise<typeof orders.$inferSelect> {
  const [order] = await tx.select().from(orders).where(and(eq(orders.id, id), eq(orders.patientId, patient.id)));
  const problem = !order
    ? `Order ${id} is not on this chart (see "practice orders list <chart number> --json").`
    : order.kind !== 'lab'
      ? `Order ${id} is ${order.kind === 'imaging' ? 'an imaging' : `a ${order.kind}`} order, not a lab order.`
      : ['revoked', 'entered-in-error'].includes(order.status)
        ? `Order ${id} is ${order.status === 'revoked' ? 'revoked' : 'marked entered in error'}: a result cannot answer it.`
        : undefined;
  if (problem) throw new ValidationError([{ code: 'ORDER', path: '--order', message: problem }]);
  return order!;
}

const formatRange = (low: string | null, high: string | null, text: string | null) =>
  low === null && high === null ? (text ?? '') : `${low === null ? '' : Number(low)}-${high === null ? '' : Number(high)}`;

/**
 * A patient's lab results, newest first; a panel (a lipid panel) carries its components, each with its
 * value, unit, reference range and flag, since the panel row itself holds no value.
 */
export async function labResults(db: DbOrTx, patientId: number, options: { all?: boolean; limit?: number } = {}) {
  const live = options.all ? undefined : notInArray(observations.status, ['entered-in-error', 'cancelled']);
  const columns = { id: observations.id, effectiveAt: observations.effectiveAt, code: observations.code, display: observations.display, value: observations.valueNumeric, text: observations.valueText, unit: observations.valueUnit, low: observations.referenceLow, high: observations.referenceHigh, referenceText: observations.referenceText, interpretation: observations.interpretation, status: observations.status, orderId: observations.orderId };
  const query = db
    .select(columns)
    .from(observations)
    .where(and(eq(observations.patientId, patientId), eq(observations.category, 'laboratory'), isNull(observations.panelId), live))
    .orderBy(desc(observations.effectiveAt), desc(observations.id));
  const rows = options.limit ? await query.limit(options.limit) : await query;
  const parts = rows.length
    ? await db
        .select({ ...columns, panelId: observations.panelId })
        .from(observations)
        .where(and(inArray(observations.panelId, rows.map((r) => r.id)), live))
        .orderBy(asc(observations.id))
    : [];
  const shape = (r: (typeof rows)[number]) => ({
    id: r.id,
    effectiveAt: r.effectiveAt,
    code: r.code,
    display: r.display,
    value: r.value === null ? null : Number(r.value),
    text: r.text,
    unit: r.unit,
    low: r.low === null ? null : Number(r.low),
    high: r.high === null ? null : Number(r.high),
    interpretation: r.interpretation,
    status: r.status,
    orderId: r.orderId,
    result: `${r.value === null ? (r.text ?? '') : Number(r.value)}${r.unit ? ` ${r.unit}` : ''}`,
    range: formatRange(r.low, r.high, r.referenceText),
  });
  return rows.map((r) => {
    const components = parts.filter((p) => p.panelId === r.id).map(shape);
    return { ...shape(r), ...(components.length ? { components } : {}) };
  });
}

const noteKind: EntryKind = {
  command: 'notes',
  noun: 'progress note',
  summary: 'SOAP progress notes',
  example: 'practice notes add C100 --file visit.txt --provider 1234567893',
  options: [...fieldOptions(NOTE_FIELDS), { flags: '--provider <npi>', description: 'author' }],
  columns: tableColumns({ Date: 'noteDate', Author: 'author', Assessment: 'assessment', Plan: 'plan' }),
  async add(tx, patient, c, clock) {
    // Where the text comes from is the command's own matter; what a note must hold is the declaration's.
    const text = c.required('noteText', '--file');
    const note = text === undefined ? undefined : c.record(checkNote({ noteDate: c.text('date') ?? clock.today, ...parseSoap(text) }, { today: clock.today, dob: patient.dob }), NOTE_FIELDS);
    c.done();
    const authorId = await optionalProvider(tx, c.text('provider'));
    const [row] = await tx
      .insert(progressNotes)
      .values({ patientId: patient.id, authorId, ...note!, status: 'final', signedAt: authorId ? clock.now : null })
      .returning({ id: progressNotes.id });
    return { entity: 'progress_notes', ids: [row!.id], warnings: [], details: { sections: NOTE_SECTIONS.filter((k) => note![k] !== null) } };
  },
  list(db, patient, all) {
    return db
      .select({ id: progressNotes.id, noteDate: progressNotes.noteDate, author: sql<string | null>`${providers.lastName}`, subjective: progressNotes.subjective, objective: progressNotes.objective, assessment: progressNotes.assessment, plan: progressNotes.plan, status: progressNotes.status })
      .from(progressNotes)
      .leftJoin(providers, eq(providers.id, progressNotes.authorId))
      .where(and(eq(progressNotes.patientId, patient.id), all ? undefined : notInArray(progressNotes.status, ['entered-in-error'])))
      .orderBy(desc(progressNotes.noteDate), desc(progressNotes.id));
  },
};

export const ENTRY_KINDS = {
  problems: problemKind,
  medications: medicationKind,
  allergies: allergyKind,
  immunizations: immunizationKind,
  vitals: vitalsKind,
  labs: labKind,
  notes: noteKind,
} as const satisfies Record<EntryKindName, EntryKind>;
export type { EntryKindName };

export async function addEntry(db: Db, actor: AuditActor, kind: EntryKind, mrn: string, options: EntryOptions, clock: EntryClock): Promise<EntryWrite> {
  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, mrn);
    const name = kind.lifecycle ?? (kind.command as EntryKindName);
    const replaces = typeof options.replaces === 'string' ? Number(options.replaces) : undefined;
    if (replaces !== undefined && !(Number.isInteger(replaces) && replaces > 0)) throw new ValidationError([{ code: 'ID', path: '--replaces', message: '--replaces takes the id of the entry this one corrects (see "list --all --json").' }]);
    const link = replaces !== undefined && REPLACEABLE.includes(name) ? await retireReplaced(tx, actor, name, patient, replaces) : undefined;
    const written = await kind.add(tx, patient, new Checks(options, clock), clock);
    await link?.(written.ids[0]!);
    await recordAudit(
      tx,
      actor,
      [
        ...written.ids.map((id) => ({ action: 'insert', entity: written.entity, entityId: id, details: { patientId: patient.id, ...written.details } })),
        ...(written.alsoChanged ?? []).map((c) => ({ ...c, details: { patientId: patient.id, ...c.details } })),
      ],
    );
    return written;
  });
}

export async function listEntries(db: DbOrTx, kind: EntryKind, mrn: string, all: boolean): Promise<Record<string, unknown>[]> {
  return kind.list(db, await patientByMrn(db, mrn), all);
}
