// The chart summary a clinician reads before a visit: one patient, every section, in plain data.
import { and, asc, desc, eq, gte, inArray, notInArray, sql } from 'drizzle-orm';
import {
  allergies,
  appointments,
  auditLog,

  immunizations,
  medications,
  observations,

  patients,
  problems,
  providers,
  recallRules,
  recalls,
} from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import type { PatientCareGap } from '../measures/gaps.js';
import type { PatientRow } from './lookup.js';
import { advanceDirectiveRows } from './advance-directives.js';
import { labResults } from './entries.js';
import { familyHistoryKind, pastIllnessKind, smokingStatuses, socialHistoryKind, surgicalHistoryKind } from './history.js';
import { listCoverages } from './insurance.js';
import { orderRows } from './orders.js';
import { DIASTOLIC, SYSTOLIC, VITAL_CODES } from '../records/vital.js';

/** What the quality area plugs in: one patient's open care gaps, null when measures are not set up. */
export type CareGapSource = (db: DbOrTx, patientId: number, today: string) => Promise<PatientCareGap[] | null>;

const ACTIVE_PROBLEM = ['active', 'recurrence', 'relapse'];
const ERROR_STATUSES = ['entered-in-error', 'refuted'];
const RECENT_LAB_LIMIT = 15;
const IMMUNIZATION_LIMIT = 20;

export async function chartSummary(db: DbOrTx, patient: PatientRow, options: { now: Date; today: string; careGaps?: CareGapSource }) {
  const patientId = patient.id;
  const [insurance, activeProblems, activeMedications, activeAllergies, vitals, shots, labs, upcoming, openRecalls] = await Promise.all([
    listCoverages(db, patientId, options.today),
    db
      .select({ id: problems.id, code: problems.code, display: problems.display, onsetDate: problems.onsetDate, status: problems.clinicalStatus })
      .from(problems)
      .where(and(eq(problems.patientId, patientId), inArray(problems.clinicalStatus, ACTIVE_PROBLEM), notInArray(problems.verificationStatus, ERROR_STATUSES)))
      .orderBy(asc(problems.code)),
    db
      .select({ id: medications.id, display: medications.display, rxnormCode: medications.rxnormCode, dose: medications.dose, doseUnit: medications.doseUnit, frequency: medications.frequency, startDate: medications.startDate })
      .from(medications)
      .where(and(eq(medications.patientId, patientId), eq(medications.status, 'active')))
      .orderBy(asc(medications.display)),
    db
      .select({ id: allergies.id, substance: allergies.substance, reaction: allergies.reaction, severity: allergies.severity, category: allergies.category })
      .from(allergies)
      .where(and(eq(allergies.patientId, patientId), eq(allergies.clinicalStatus, 'active'), notInArray(allergies.verificationStatus, ERROR_STATUSES)))
      .orderBy(asc(allergies.substance)),
    // The latest value of each vital sign; the BP panel row itself carries no value.
    db
      .selectDistinctOn([observations.code], { code: observations.code, display: observations.display, value: observations.valueNumeric, unit: observations.valueUnit, effectiveAt: observations.effectiveAt })
      .from(observations)
      .where(and(eq(observations.patientId, patientId), eq(observations.category, 'vital-signs'), inArray(observations.code, VITAL_CODES), notInArray(observations.status, ['entered-in-error', 'cancelled'])))
      .orderBy(asc(observations.code), desc(observations.effectiveAt), desc(observations.id)),
    db
      .select({ id: immunizations.id, cvxCode: immunizations.cvxCode, display: immunizations.display, date: immunizations.occurrenceDate })
      .from(immunizations)
      .where(and(eq(immunizations.patientId, patientId), eq(immunizations.status, 'completed')))
      .orderBy(desc(immunizations.occurrenceDate))
      .limit(IMMUNIZATION_LIMIT),
    labResults(db, patientId, { limit: RECENT_LAB_LIMIT }),
    db
      .select({ id: appointments.id, startsAt: appointments.startsAt, durationMinutes: appointments.durationMinutes, reason: appointments.reason, provider: sql<string | null>`${providers.lastName}` })
      .from(appointments)
      .leftJoin(providers, eq(providers.id, appointments.providerId))
      .where(and(eq(appointments.patientId, patientId), eq(appointments.status, 'scheduled'), gte(appointments.startsAt, options.now)))
      .orderBy(asc(appointments.startsAt)),
    db
      .select({ id: recalls.id, rule: recallRules.name, dueDate: recalls.dueDate })
      .from(recalls)
      .innerJoin(recallRules, eq(recallRules.id, recalls.ruleId))
      .where(and(eq(recalls.patientId, patientId), eq(recalls.status, 'open')))
      .orderBy(asc(recalls.dueDate)),
  ]);
  const [directives, pastIllnesses, family, social, surgical, smoking, openOrders] = await Promise.all([
    advanceDirectiveRows(db, patientId),
    pastIllnessKind.list(db, patient, false),
    familyHistoryKind.list(db, patient, false),
    socialHistoryKind.list(db, patient, false),
    surgicalHistoryKind.list(db, patient, false),
    smokingStatuses(db, patientId),
    orderRows(db, patientId),
  ]);
  // A chart merged into another points there: its records have moved.
  const [merge] = patient.active
    ? []
    : await db
        .select({ mrn: patients.mrn })
        .from(auditLog)
        .innerJoin(patients, sql`${patients.id} = (${auditLog.details} ->> 'keptPatientId')::int`)
        .where(and(eq(auditLog.entity, 'patients'), eq(auditLog.entityId, String(patientId)), eq(auditLog.action, 'merged-into')))
        .orderBy(desc(auditLog.id))
        .limit(1);
  const systolic = vitals.find((v) => v.code === SYSTOLIC.loinc);
  const diastolic = vitals.find((v) => v.code === DIASTOLIC.loinc);
  const lastVitals = vitals
    .filter((v) => v !== systolic && v !== diastolic)
    .map((v) => ({ code: v.code, name: v.display, value: v.value === null ? null : Number(v.value), unit: v.unit, effectiveAt: v.effectiveAt }));
  if (systolic && diastolic) {
    lastVitals.unshift({ code: '85354-9', name: 'Blood pressure', value: null, unit: `${Number(systolic.value)}/${Number(diastolic.value)} mm[Hg]`, effectiveAt: systolic.effectiveAt });
  }
  return {
    patient: {
      mrn: patient.mrn,
      name: { first: patient.firstName, middle: patient.middleName, last: patient.lastName, suffix: patient.suffix, preferred: patient.preferredName },
      dob: patient.dob,
      sex: patient.sex,
      address: { line1: patient.address1, line2: patient.address2, city: patient.city, state: patient.state, zip: patient.zip },
      phones: { mobile: patient.phoneMobile, home: patient.phoneHome, work: patient.phoneWork },
      email: patient.email,
      language: patient.language,
      preferredChannel: patient.preferredChannel,
      active: patient.active,
      deceasedDate: patient.deceasedDate,
      mergedIntoMrn: merge?.mrn ?? null,
    },
    insurance,
    problems: activeProblems,
    medications: activeMedications.map((m) => ({ ...m, dose: m.dose === null ? null : Number(m.dose) })),
    allergies: activeAllergies,
    vitals: lastVitals,
    immunizations: shots,
    labs,
    advanceDirectives: directives,
    pastMedicalHistory: pastIllnesses,
    familyHistory: family,
    socialHistory: { smoking: smoking[0] ?? null, entries: social },
    surgicalHistory: surgical,
    openOrders,
    appointments: upcoming,
    recalls: openRecalls,
    // null: no quality measures are available to compute gaps (not "no gaps").
    careGaps: options.careGaps ? await options.careGaps(db, patientId, options.today) : null,
  };
}

export type ChartSummary = Awaited<ReturnType<typeof chartSummary>>;
