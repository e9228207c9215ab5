// One CSV row of a kind → the records it stands for. Cells are parsed by their declared type first
// (columns.ts); these builders only place the parsed values. Rows without an id of their own are keyed
// by patient + date + code, so importing the same sheet twice updates instead of doubling.
import { hash } from 'node:crypto';
import { DateTime } from 'luxon';
import { CodeSystem, normalizeCodeSystem } from '../codes/systems.js';
import { kindSpecs, type FieldSpec, type ImportKind } from './columns.js';
import type { ImportItem } from './engine.js';
import { parseField, tooLong, type FieldContext } from './fields.js';
import { patientSearchName } from '../chart/names.js';
import { splitFullName } from './names.js';
import type { ClinicalRecord, ClinicalTarget, PatientRef } from './writer.js';
import { checkAllergy } from '../records/allergy.js';
import { checkAppointment } from '../records/appointment.js';
import { checkCoverage } from '../records/coverage.js';
import { checkCharge, checkEncounter, visitColumns, type VisitContext } from '../records/encounter.js';
import { checkHistory } from '../records/history.js';
import { checkImmunization } from '../records/immunization.js';
import { readLabUnit } from '../records/lab.js';
import { checkMedication } from '../records/medication.js';
import { checkNote } from '../records/note.js';
import { checkPatient, importedPatient } from '../records/patient.js';
import { checkProblem } from '../records/problem.js';
import { type Checked, type RecordContext, valuesOrReasons } from '../records/record.js';
import { checkObservationValue } from '../records/observation.js';
import { BMI, BP_PANEL, DIASTOLIC, SYSTOLIC, VITAL_SIGNS, checkBloodPressure, readBloodPressure, readVitalValue, type UnitSystem } from '../records/vital.js';

export interface RowContext extends FieldContext {
  kind: ImportKind;
  /** The source system name (--source): keys every record of this import. */
  source: string;
  /** Column index per canonical field. */
  columns: Map<string, number>;
  /** The practice's zone: chart times without a zone are its wall-clock times. */
  timeZone: string;
  /** The practice's unit setting: a vital sign written without a unit is in these. */
  units: UnitSystem;
}

/**
 * A time the chart gives without a zone ("3/10/2026 9:30", a date alone) as the instant it was in the
 * practice's zone (DST-aware); a time with its zone stays as given. Stored as written, in a UTC session,
 * 9:30 in New York became 4:30 or 5:30, and a date alone fell on the day before.
 */
function practiceInstant(local: string, context: RowContext): string {
  if (/(?:Z|[+-]\d{2}:?\d{2})$/.test(local)) return local;
  // Rows repeat their times (a panel's results, a day's readings): each wall-clock time is converted once.
  let known = instants.get(context);
  if (!known || known.size > 50_000) instants.set(context, (known = new Map()));
  let instant = known.get(local);
  if (instant === undefined) known.set(local, (instant = DateTime.fromISO(local, { zone: context.timeZone }).toISO()!));
  return instant;
}

const instants = new WeakMap<RowContext, Map<string, string>>();

type Values = Record<string, any>;

/** The practice's today for the record checks, worked out once per import. */
const recordContexts = new WeakMap<RowContext, RecordContext>();
function recordContext(context: RowContext): RecordContext {
  let found = recordContexts.get(context);
  if (!found) recordContexts.set(context, (found = { today: context.today.toISODate()!, dates: { form: 'file', order: context.dateOrder } }));
  return found;
}

/** A visit's check reads times without a zone in the practice's. */
function visitContext(context: RowContext): VisitContext {
  return { ...recordContext(context), zone: context.timeZone };
}

/** Kinds declared in src/records/: their own check says what is missing, in the words the CLI uses. */
const declaredKinds = new Set<ImportKind>(['patients', 'problems', 'medications', 'allergies', 'immunizations', 'notes', 'insurance', 'appointments', 'encounters', 'history']);

class Row {
  readonly item: ImportItem;
  readonly v: Values = {};

  constructor(
    readonly context: RowContext,
    where: string,
  ) {
    this.item = { where, patients: [], records: [], problems: [] };
  }

  get patient(): PatientRef {
    return { system: this.context.source, value: this.v.chart_number };
  }

  /** A stable id for the record: its own id column, or a hash of what identifies it. */
  key(target: string, ...parts: unknown[]): string {
    if (this.v.record_id) return `${this.context.kind}:${this.v.record_id}`;
    // One-shot hash(): half the cost of createHash().update().digest(), and this runs for every record.
    return `${target}:${hash('sha256', JSON.stringify([this.v.chart_number, ...parts])).slice(0, 24)}`;
  }

  add(target: ClinicalTarget, sourceId: string, values: Record<string, unknown>, extra: Partial<ClinicalRecord> = {}): void {
    this.item.records.push({ target, sourceSystem: this.context.source, sourceId, patient: this.patient, values, ...extra });
  }

  reject(reason: string): void {
    this.item.problems.push(reason);
  }

  /** A record checked by its kind's declaration: its values, or each problem as a reason, in its words. */
  checked<T>(checked: Checked<T>): T | undefined {
    return valuesOrReasons(checked, this.item.problems);
  }

  get recordContext(): RecordContext {
    return recordContext(this.context);
  }

  oneOf<T extends string>(field: string, allowed: Record<string, T>, fallback: T, what: string): T {
    const raw = this.v[field];
    if (raw === undefined) return fallback;
    const value = allowed[String(raw).trim().toLowerCase()];
    if (value === undefined) this.reject(`${what} "${raw}" is not one of: ${[...new Set(Object.values(allowed))].join(', ')}`);
    return value ?? fallback;
  }
}

/** Parses a row's cells and builds its item; problems with cells and missing required values reject it. */
export function rowItem(cells: string[], rowNumber: number, context: RowContext): ImportItem {
  const row = new Row(context, String(rowNumber));
  const spec = kindSpecs[context.kind];
  for (const field of spec.fields as FieldSpec[]) {
    const index = context.columns.get(field.name);
    const raw = index === undefined ? undefined : cells[index];
    if (raw === undefined || raw.trim() === '') continue;
    // Before parsing: a reason quotes the value it could not read, and a runaway cell must not end up there.
    const long = tooLong(field.name, raw, field.max);
    if (long) {
      row.reject(long);
      continue;
    }
    if (field.declared) {
      row.v[field.name] = raw.trim();
      continue;
    }
    const parsed = parseField(field.type, raw, field.what ?? field.label, context);
    if ('problem' in parsed) row.reject(parsed.problem);
    else row.v[field.name] = parsed.value;
  }
  for (const group of spec.required) {
    if (declaredKinds.has(context.kind) && !group.includes('chart_number')) continue;
    // A cell that was filled but unreadable has already given its own reason.
    const filled = group.some((name) => context.columns.has(name) && cells[context.columns.get(name)!]?.trim());
    if (!filled) row.reject(`${describeGroup(context.kind, group)} is empty`);
  }
  if (row.item.problems.length === 0) builders[context.kind](row);
  return row.item;
}

function describeGroup(kind: ImportKind, group: string[]): string {
  const fields = kindSpecs[kind].fields as FieldSpec[];
  return group.map((name) => fields.find((f) => f.name === name)?.label ?? name).join(' or ');
}

/** The patient's fields a CSV patient file can hold (src/records/patient.ts): a re-import sets each. */
const CSV_PATIENT_FIELDS = ['middleName', 'address1', 'address2', 'city', 'state', 'zip', 'phoneHome', 'phoneMobile', 'phoneWork', 'email', 'race', 'ethnicity', 'language', 'deceasedDate'] as const;

const builders: Record<ImportKind, (row: Row) => void> = {
  patients(row) {
    const v = row.v;
    let last: string | undefined = v.last_name;
    let first: string | undefined = v.first_name;
    let middle: string | undefined = v.middle_name;
    // "DOE, JOHN A" typed into the last-name column, or a single name column.
    const whole = v.full_name ?? (last && !first && last.includes(',') ? last : undefined);
    if (whole) {
      const split = splitFullName(whole);
      if (!split) return row.reject(`the name cannot be split into last and first name (write it "LAST, FIRST")`);
      ({ last, first } = split);
      middle = middle ?? split.middle;
    }
    const patient = row.checked(
      checkPatient(
        {
          firstName: first,
          middleName: middle,
          lastName: last,
          dob: v.dob,
          sex: v.sex,
          address1: v.address1,
          address2: v.address2,
          city: v.city,
          state: v.state,
          zip: v.zip,
          phoneHome: v.phone,
          phoneMobile: v.mobile_phone,
          phoneWork: v.work_phone,
          email: v.email,
          race: v.race,
          ethnicity: v.ethnicity,
          language: v.language,
          deceasedDate: v.deceased_date,
        },
        row.recordContext,
        { creating: true },
      ),
    );
    if (!patient) return;
    const { source } = row.context;
    // The key that makes a re-import find this patient again: chart number, else old-system id, else name + birth date.
    const key: PatientRef = v.chart_number
      ? { system: source, value: v.chart_number }
      : v.external_id
        ? { system: `${source}:external`, value: v.external_id }
        : { system: `${source}:name-dob`, value: `${patientSearchName({ lastName: patient.lastName!, firstName: patient.firstName! })}|${patient.dob}` };
    const mrn = v.chart_number ?? `I${hash('sha256', `${key.system}|${key.value}`).slice(0, 9).toUpperCase()}`;
    row.item.allowNameMatch = !v.chart_number;
    row.item.patients.push({ key, mrn, values: importedPatient(patient, CSV_PATIENT_FIELDS) });
  },

  problems(row) {
    const v = row.v;
    const problem = row.checked(checkProblem({ code: v.code, codeSystem: v.code_system, display: v.description, status: v.status, onsetDate: v.onset_date, abatementDate: v.resolved_date }, row.recordContext));
    if (!problem) return;
    row.add('problems', row.key('problem', problem.code, v.onset_date), { ...problem });
  },

  medications(row) {
    const v = row.v;
    const medication = row.checked(
      checkMedication(
        { display: v.drug_name, rxnorm: v.rxnorm, ndc: v.ndc, status: v.status, dose: v.dose?.value, doseUnit: v.dose?.unit ?? undefined, route: v.route, frequency: v.frequency, quantity: v.quantity, refills: v.refills, startDate: v.start_date, stopDate: v.stop_date },
        row.recordContext,
      ),
    );
    if (!medication) return;
    row.add('medications', row.key('medication', v.rxnorm ?? v.ndc, v.start_date), {
      ...medication,
      // A transcribed medication list says what the patient takes, not an order placed here.
      kind: 'statement',
      intent: 'plan',
    });
  },

  allergies(row) {
    const v = row.v;
    const allergy = row.checked(
      checkAllergy({ substance: v.substance, code: v.code, codeSystem: v.code_system, category: v.category, reaction: v.reaction, severity: v.severity, criticality: v.criticality, status: v.status, onsetDate: v.onset_date }, row.recordContext),
    );
    if (!allergy) return;
    row.add('allergies', row.key('allergy', allergy.substance.toLowerCase()), { ...allergy });
  },

  immunizations(row) {
    const v = row.v;
    const immunization = row.checked(
      checkImmunization(
        { cvx: v.cvx, display: v.vaccine, occurrenceDate: v.date, lotNumber: v.lot_number, expirationDate: v.expiration_date, manufacturer: v.manufacturer, site: v.site, route: v.route, doseQuantity: v.dose?.value, doseUnit: v.dose?.unit ?? undefined },
        row.recordContext,
      ),
    );
    if (!immunization) return;
    // A transcribed record is history from elsewhere, not a dose given here.
    row.add('immunizations', row.key('immunization', immunization.cvxCode, v.date), { ...immunization, primarySource: false });
  },

  labs(row) {
    const v = row.v;
    const numeric = /^[<>]?=?\s*[+-]?[0-9]+(\.[0-9]+)?$/.test(v.value) && !/^[<>]/.test(v.value);
    const range = /^\s*([0-9.]+)\s*[-–]\s*([0-9.]+)\s*$/.exec(v.reference_range ?? '');
    const flag = v.flag === undefined ? null : row.oneOf('flag', { n: 'N', normal: 'N', h: 'H', high: 'H', l: 'L', low: 'L', hh: 'HH', ll: 'LL', a: 'A', abnormal: 'A' }, 'N', 'abnormal flag');
    const unitRead = v.unit ? readLabUnit(v.unit) : { unit: null };
    if ('problem' in unitRead) return row.reject(unitRead.problem.replace(/\.$/, ''));
    if (numeric) {
      const checked = checkObservationValue(v.loinc, Number(v.value), unitRead.unit, row.context.units);
      if ('problem' in checked) return row.reject(checked.problem.replace(/\.$/, ''));
    }
    row.add('observations', row.key('lab', v.loinc, v.date), {
      category: 'laboratory',
      codeSystem: CodeSystem.loinc,
      code: v.loinc,
      display: v.test_name ?? null,
      valueNumeric: numeric ? Number(v.value) : null,
      valueText: numeric ? null : v.value,
      valueUnit: unitRead.unit,
      referenceLow: range ? Number(range[1]) : null,
      referenceHigh: range ? Number(range[2]) : null,
      referenceText: range ? null : (v.reference_range ?? null),
      interpretation: flag,
      effectiveAt: practiceInstant(v.date, row.context),
    });
  },

  vitals(row) {
    const v = row.v;
    let systolic = v.systolic;
    let diastolic = v.diastolic;
    if (v.bp) {
      const bp = readBloodPressure(v.bp);
      if ('problem' in bp) return row.reject(bp.problem.replace(/\.$/, ''));
      [systolic, diastolic] = [bp.systolic, bp.diastolic];
    }
    if ((systolic === undefined) !== (diastolic === undefined)) return row.reject('a blood pressure needs both systolic and diastolic');
    if (systolic !== undefined) {
      const bp = checkBloodPressure(systolic, diastolic);
      if ('problem' in bp) return row.reject(bp.problem.replace(/\.$/, ''));
    }
    // Every reading is checked before any is added: one implausible value rejects the row.
    const readings: { sign: (typeof VITAL_SIGNS)[number]; value: number; unit: string }[] = [];
    for (const sign of [...VITAL_SIGNS, BMI]) {
      const given = v[sign.csvField] as { value: number; unit: string | null } | number | undefined;
      if (given === undefined) continue;
      const read = typeof given === 'number' ? readVitalValue(sign, given, null, row.context.units) : readVitalValue(sign, given.value, given.unit, row.context.units);
      if ('problem' in read) return row.reject(read.problem.replace(/\.$/, ''));
      readings.push({ sign, value: read.value, unit: read.unit });
    }
    const effectiveAt = practiceInstant(v.date, row.context);
    const vital = (code: string, display: string, value: number, unit: string | null, extra: Partial<ClinicalRecord> = {}, suffix = code) =>
      row.add('observations', row.key('vital', suffix, v.date), { category: 'vital-signs', codeSystem: CodeSystem.loinc, code, display, valueNumeric: value, valueUnit: unit, effectiveAt }, extra);
    if (systolic !== undefined) {
      const panel = row.key('vital', BP_PANEL.loinc, v.date);
      row.add('observations', panel, { category: 'vital-signs', codeSystem: CodeSystem.loinc, code: BP_PANEL.loinc, display: BP_PANEL.display, effectiveAt });
      vital(SYSTOLIC.loinc, SYSTOLIC.display, systolic, SYSTOLIC.stored, { panel });
      vital(DIASTOLIC.loinc, DIASTOLIC.display, diastolic, DIASTOLIC.stored, { panel });
    }
    for (const r of readings) vital(r.sign.loinc, r.sign.display, r.value, r.unit);
  },

  encounters(row) {
    const v = row.v;
    const diagnoses = v.diagnoses === undefined ? [] : String(v.diagnoses).split(/[,;]/).map((code) => ({ code: code.trim() })).filter((d) => d.code);
    const visit = row.checked(
      checkEncounter(
        { startsAt: v.date, time: v.time, durationMinutes: v.duration, encounterClass: v.visit_class, providerNpi: v.provider_npi, type: { code: v.visit_code, display: v.visit_type }, reason: { text: v.reason }, diagnoses },
        visitContext(row.context),
      ),
    );
    if (!visit) return;
    // Keyed by the practice's wall-clock time of the visit, as the sheet gives it; a date alone keeps the key
    // it had before it was stored at noon (its day at midnight), so a re-import finds the visits imported then.
    const wallClock = visit.timed ? DateTime.fromJSDate(visit.startsAt, { zone: row.context.timeZone }).toFormat("yyyy-MM-dd'T'HH:mm:ss") : `${visit.serviceDate}T00:00:00`;
    const sourceId = row.key('visit', wallClock, visit.typeCode ?? undefined);
    const columns = visitColumns(visit);
    const stored = { ...columns, startsAt: columns.startsAt.toISOString(), endsAt: columns.endsAt?.toISOString() ?? null };
    // The rendering provider is linked by NPI once the writer finds the provider.
    if (visit.providerNpi) row.add('encounters', sourceId, { ...stored, providerId: null }, { links: [{ column: 'providerId', npi: visit.providerNpi }] });
    else row.add('encounters', sourceId, stored);
    row.item.diagnoses = visit.diagnoses.map((d) => ({ encounter: sourceId, position: d.position, codeSystem: d.codeSystem, code: d.code }));
  },

  charges(row) {
    const v = row.v;
    const charge = row.checked(
      checkCharge(
        { serviceDate: v.service_date, code: v.code, modifiers: v.modifiers, units: v.units, amount: v.amount, diagnosisPointers: v.diagnosis_pointers, placeOfService: v.place_of_service, ndcCode: v.ndc, ndcQuantity: v.ndc_quantity, ndcUnit: v.ndc_unit },
        row.recordContext,
      ),
    );
    if (!charge) return;
    // Pointers left empty: the claim points at the visit's first four diagnoses.
    row.add('charges', row.key('charge', charge.serviceDate, charge.code, charge.modifiers), { ...charge }, { encounter: v.visit_id ? `encounters:${v.visit_id}` : undefined });
  },

  notes(row) {
    const v = row.v;
    const note = row.checked(checkNote({ noteDate: v.date, subjective: v.subjective ?? v.note, objective: v.objective, assessment: v.assessment, plan: v.plan }, row.recordContext));
    if (note) row.add('progressNotes', row.key('note', v.date), { ...note });
  },

  history(row) {
    const v = row.v;
    const entry = row.checked(checkHistory({ type: v.kind, description: v.description, code: v.code, codeSystem: v.code_system, relation: v.relation, onsetDate: v.onset_date, note: v.note }, row.recordContext));
    // Keyed by the cells as written, as before the declaration read them: a re-import finds its entries.
    if (entry) row.add('medicalHistory', row.key('history', entry.kind, String(v.description).toLowerCase(), v.relation), { ...entry });
  },

  insurance(row) {
    const v = row.v;
    const coverage = row.checked(
      checkCoverage(
        { payer: v.payer_id ?? v.payer_name, memberId: v.member_id, group: v.group_number, plan: v.plan_name, order: v.priority, relationship: v.relationship, start: v.effective_from, end: v.effective_to },
        row.recordContext,
        { creating: true },
      ),
    );
    if (!coverage) return;
    const payer = v.payer_id ?? `name:${String(v.payer_name).toLowerCase()}`;
    row.item.payers = [{ sourceId: payer, name: v.payer_name ?? v.payer_id }];
    row.add('coverages', row.key('coverage', payer, coverage.memberId), { ...coverage, payer });
  },

  appointments(row) {
    const v = row.v;
    const appointment = row.checked(checkAppointment({ date: v.date, time: v.time, duration: v.duration, reason: v.reason, status: v.status }, { ...row.recordContext, zone: row.context.timeZone }));
    if (!appointment) return;
    // Keyed by the wall-clock time as written, as before the declaration read it.
    const local = DateTime.fromISO(appointment.startsAt, { setZone: true }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
    row.add('appointments', row.key('appointment', local), { ...appointment });
  },
};

