// Past medical, family, social and surgical history as the patient tells it (the medical_history table, which imports
// also fill), and the smoking status (a US Core Smoking Status observation, LOINC 72166-2, which the
// tobacco measures read). Shaped like the other chart entries (src/chart/entries.ts); a history entry's
// fields and checks are its declaration's (src/records/history.ts).
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { SMOKING_STATUS_LOINC, SMOKING_STATUSES } from '../codes/chart-vocabulary.js';
import { CodeSystem } from '../codes/systems.js';
import { medicalHistory, observations } from '../db/schema/index.js';
import type { DbOrTx, Tx } from '../db/types.js';
import { checkHistory, HISTORY_OPTIONS, type HistoryInput, type HistoryType } from '../records/history.js';
import { fieldOptions } from '../records/record.js';
import { tableColumns, type Checks, type EntryClock, type EntryKind, type EntryWrite } from './entries.js';
import type { PatientRow } from './lookup.js';

const ERROR = 'entered-in-error';

/** commander's key for an option's flags: "--onset-age <years>" → onsetAge. */
const optionKey = (flags: string) => flags.split(' ')[0]!.replace(/^--/, '').replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());

/** A history entry of a type, as `history <type> add` gives it: each field from the type's own option, checked by its declaration. */
async function addHistory(tx: Tx, patient: PatientRow, c: Checks, clock: EntryClock, type: HistoryType): Promise<EntryWrite> {
  const fields = HISTORY_OPTIONS[type];
  const input: HistoryInput = Object.fromEntries(Object.entries(fields).flatMap(([field, { option }]) => (option ? [[field, c.text(optionKey(option.flags))]] : [])));
  const entry = c.record(checkHistory({ ...input, type }, { today: clock.today, dob: patient.dob }), fields);
  c.done();
  const [row] = await tx.insert(medicalHistory).values({ patientId: patient.id, ...entry! }).returning({ id: medicalHistory.id });
  return { entity: 'medical_history', ids: [row!.id], warnings: [], details: { kind: type } };
}

function historyRows(db: DbOrTx, patientId: number, kind: string, all: boolean) {
  return db
    .select()
    .from(medicalHistory)
    .where(and(eq(medicalHistory.patientId, patientId), eq(medicalHistory.kind, kind), all ? undefined : sql`${medicalHistory.status} <> ${ERROR}`))
    .orderBy(asc(medicalHistory.onsetDate), asc(medicalHistory.id));
}

export const familyHistoryKind: EntryKind = {
  command: 'family',
  listNoun: 'family history',
  lifecycle: 'family-history',
  noun: 'family history entry',
  summary: "family history: a relative's condition (FHIR FamilyMemberHistory)",
  example: 'practice history family add C100 --relation mother --condition "Breast cancer" --icd10 C50.919 --onset-age 52',
  options: fieldOptions(HISTORY_OPTIONS.family),
  columns: tableColumns({ Relative: 'relation', Condition: 'condition', Code: 'code', 'Onset age': 'onsetAge' }),
  add: (tx, patient, c, clock) => addHistory(tx, patient, c, clock, 'family'),
  async list(db, patient, all) {
    const rows = await historyRows(db, patient.id, 'family', all);
    return rows.map((r) => ({ id: r.id, relation: r.relation, condition: r.description, codeSystem: r.codeSystem, code: r.code, onsetAge: r.onsetAge, note: r.note, status: r.status, statusNote: r.statusNote, replacesId: r.replacesId }));
  },
};

export const socialHistoryKind: EntryKind = {
  command: 'social',
  listNoun: 'social history',
  lifecycle: 'social-history',
  noun: 'social history entry',
  summary: 'social history told in words: alcohol, drugs, work, living situation (smoking status: "history smoking")',
  example: 'practice history social add C100 --text "Alcohol: 2 glasses of wine a week" --since 2015-01-01',
  options: fieldOptions(HISTORY_OPTIONS.social),
  columns: tableColumns({ 'Social history': 'text', Since: 'since' }),
  add: (tx, patient, c, clock) => addHistory(tx, patient, c, clock, 'social'),
  async list(db, patient, all) {
    const rows = await historyRows(db, patient.id, 'social', all);
    return rows.map((r) => ({ id: r.id, text: r.description, since: r.onsetDate, codeSystem: r.codeSystem, code: r.code, note: r.note, status: r.status, statusNote: r.statusNote, replacesId: r.replacesId }));
  },
};

export const pastIllnessKind: EntryKind = {
  command: 'medical',
  listNoun: 'past medical history',
  lifecycle: 'past-illness',
  noun: 'past medical history entry',
  summary: 'past illnesses, now over, as the patient tells them (FHIR Condition, resolved); current ones go on the problem list',
  example: 'practice history medical add C100 --condition "Pneumonia" --icd10 J18.9 --date 2019-01-01',
  options: fieldOptions(HISTORY_OPTIONS['past-illness']),
  columns: tableColumns({ Date: 'date', Illness: 'condition', Code: 'code' }),
  add: (tx, patient, c, clock) => addHistory(tx, patient, c, clock, 'past-illness'),
  async list(db, patient, all) {
    const rows = await historyRows(db, patient.id, 'past-illness', all);
    return rows.map((r) => ({ id: r.id, date: r.onsetDate, condition: r.description, codeSystem: r.codeSystem, code: r.code, note: r.note, status: r.status, statusNote: r.statusNote, replacesId: r.replacesId }));
  },
};

export const surgicalHistoryKind: EntryKind = {
  command: 'surgical',
  listNoun: 'surgical history',
  lifecycle: 'surgical-history',
  noun: 'surgical history entry',
  summary: 'past surgeries, done here or elsewhere (FHIR Procedure)',
  example: 'practice history surgical add C100 --procedure "Appendectomy" --snomed 80146002 --date 2015-06-01',
  options: fieldOptions(HISTORY_OPTIONS.surgery),
  columns: tableColumns({ Date: 'date', Surgery: 'procedure', Code: 'code' }),
  add: (tx, patient, c, clock) => addHistory(tx, patient, c, clock, 'surgery'),
  async list(db, patient, all) {
    const rows = await historyRows(db, patient.id, 'surgery', all);
    return rows.map((r) => ({ id: r.id, date: r.onsetDate, procedure: r.description, codeSystem: r.codeSystem, code: r.code, note: r.note, status: r.status, statusNote: r.statusNote, replacesId: r.replacesId }));
  },
};

/** Smoking status observations, newest first. */
export async function smokingStatuses(db: DbOrTx, patientId: number, all = false) {
  const rows = await db
    .select({ id: observations.id, effectiveAt: observations.effectiveAt, code: observations.valueCode, text: observations.valueText, status: observations.status })
    .from(observations)
    .where(and(eq(observations.patientId, patientId), eq(observations.category, 'social-history'), eq(observations.code, SMOKING_STATUS_LOINC), all ? undefined : sql`${observations.status} not in ('entered-in-error', 'cancelled')`))
    .orderBy(desc(observations.effectiveAt), desc(observations.id));
  return rows.map((r) => ({ ...r, status: r.status, smoking: Object.entries(SMOKING_STATUSES).find(([, s]) => s.code === r.code)?.[0] ?? null, display: r.text ?? Object.values(SMOKING_STATUSES).find((s) => s.code === r.code)?.display ?? r.code }));
}

export const smokingStatusKind: EntryKind = {
  command: 'smoking',
  listNoun: 'smoking status history',
  lifecycle: 'smoking-status',
  noun: 'smoking status',
  summary: 'tobacco smoking status (US Core Smoking Status, LOINC 72166-2 with SNOMED CT values)',
  example: 'practice history smoking add C100 --status former --date 2026-03-01',
  options: [
    { flags: '--status <status>', description: `${Object.keys(SMOKING_STATUSES).join(', ')} (required)` },
    { flags: '--date <when>', description: 'when it was asked (default now)' },
  ],
  columns: tableColumns({ When: 'effectiveAt', 'Smoking status': 'display', 'SNOMED CT': 'code' }),
  async add(tx, patient, c, clock) {
    const status = c.required('status', '--status') === undefined ? undefined : c.oneOf('status', '--status', Object.keys(SMOKING_STATUSES));
    const at = c.instant('date', '--date');
    c.done();
    const value = SMOKING_STATUSES[status!]!;
    const [row] = await tx
      .insert(observations)
      .values({ patientId: patient.id, category: 'social-history', codeSystem: CodeSystem.loinc, code: SMOKING_STATUS_LOINC, display: 'Tobacco smoking status', valueCodeSystem: CodeSystem.snomed, valueCode: value.code, valueText: value.display, effectiveAt: at, issuedAt: clock.now, status: 'final' })
      .returning({ id: observations.id });
    return { entity: 'observations', ids: [row!.id], warnings: [], details: { category: 'social-history', code: SMOKING_STATUS_LOINC } };
  },
  list: (db, patient, all) => smokingStatuses(db, patient.id, all),
};

export const HISTORY_KINDS = [pastIllnessKind, familyHistoryKind, socialHistoryKind, surgicalHistoryKind, smokingStatusKind];
