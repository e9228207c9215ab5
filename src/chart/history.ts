// Past medical, family, social and surgical history as the patient tells it (the medical_history table, which imports
// also fill), and the smoking status (a US Core Smoking Status observation, LOINC 72166-2, which the
// tobacco measures read). Declared like the other chart entries (src/chart/entries.ts).
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { FAMILY_RELATIONS, relationKey, SMOKING_STATUS_LOINC, SMOKING_STATUSES } from '../codes/chart-vocabulary.js';
import { normalizeIcd10 } from '../codes/icd10.js';
import { normalizeProcedureCode, procedureCodeSystem } from '../codes/procedure-codes.js';
import { CodeSystem } from '../codes/systems.js';
import { medicalHistory, observations } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { tableColumns, type EntryKind } from './entries.js';

const ERROR = 'entered-in-error';
const snomed = (s: string) => (/^[0-9]{6,18}$/.test(s.trim()) ? s.trim() : undefined);

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
  options: [
    { flags: '--relation <relative>', description: `who: ${Object.keys(FAMILY_RELATIONS).join(', ')} (required)` },
    { flags: '--condition <text>', description: 'the condition, as the patient tells it (required)' },
    { flags: '--icd10 <code>', description: 'ICD-10-CM code of the condition' },
    { flags: '--snomed <code>', description: 'SNOMED CT code of the condition' },
    { flags: '--onset-age <years>', description: "the relative's age when it began" },
    { flags: '--note <text>', description: 'e.g. "died of it at 60"' },
  ],
  columns: tableColumns({ Relative: 'relation', Condition: 'condition', Code: 'code', 'Onset age': 'onsetAge' }),
  async add(tx, patient, c, clock) {
    const relation = c.required('relation', '--relation');
    if (relation && !FAMILY_RELATIONS[relationKey(relation)]) c.fail('--relation', 'CHOICE', `--relation must be one of ${Object.keys(FAMILY_RELATIONS).join(', ')}.`);
    const condition = c.required('condition', '--condition');
    const icd10 = c.code('icd10', '--icd10', normalizeIcd10, 'an ICD-10-CM code (e.g. C50.919)');
    const sct = c.code('snomed', '--snomed', snomed, 'a SNOMED CT concept id (6 to 18 digits)');
    if (c.text('icd10') && c.text('snomed')) c.fail('--snomed', 'ONE_CODE', 'Give --icd10 or --snomed, not both.');
    const age = c.number('onsetAge', '--onset-age');
    if (age !== undefined && (!Number.isInteger(age) || age > 130)) c.fail('--onset-age', 'NUMBER', '--onset-age is an age in whole years (0 to 130).');
    c.done();
    const [row] = await tx
      .insert(medicalHistory)
      .values({
        patientId: patient.id,
        kind: 'family',
        description: condition!,
        relation: relationKey(relation!),
        codeSystem: icd10 ? CodeSystem.icd10cm : sct ? CodeSystem.snomed : null,
        code: icd10 ?? sct ?? null,
        onsetAge: age ?? null,
        note: c.text('note') ?? null,
      })
      .returning({ id: medicalHistory.id });
    return { entity: 'medical_history', ids: [row!.id], warnings: [], details: { kind: 'family' } };
  },
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
  options: [
    { flags: '--text <text>', description: 'what the patient says, e.g. "Works night shifts" (required)' },
    { flags: '--since <date>', description: 'since when' },
    { flags: '--note <text>', description: 'a short note' },
  ],
  columns: tableColumns({ 'Social history': 'text', Since: 'since' }),
  async add(tx, patient, c, clock) {
    const text = c.required('text', '--text');
    const since = c.date('since', '--since');
    if (since && since < patient.dob) c.fail('--since', 'BEFORE_BIRTH', '--since is before the date of birth.');
    c.done();
    const [row] = await tx
      .insert(medicalHistory)
      .values({ patientId: patient.id, kind: 'social', description: text!, onsetDate: since ?? null, note: c.text('note') ?? null })
      .returning({ id: medicalHistory.id });
    return { entity: 'medical_history', ids: [row!.id], warnings: [], details: { kind: 'social' } };
  },
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
  options: [
    { flags: '--condition <text>', description: 'the illness, as the patient tells it, e.g. "Pneumonia" (required)' },
    { flags: '--icd10 <code>', description: 'ICD-10-CM code of the illness' },
    { flags: '--snomed <code>', description: 'SNOMED CT code of the illness' },
    { flags: '--date <date>', description: 'when it began (the first of the month or year when only that is known)' },
    { flags: '--note <text>', description: 'e.g. "hospitalised a week"' },
  ],
  columns: tableColumns({ Date: 'date', Illness: 'condition', Code: 'code' }),
  async add(tx, patient, c) {
    const condition = c.required('condition', '--condition');
    const icd10 = c.code('icd10', '--icd10', normalizeIcd10, 'an ICD-10-CM code (e.g. J18.9)');
    const sct = c.code('snomed', '--snomed', snomed, 'a SNOMED CT concept id (6 to 18 digits)');
    if (c.text('icd10') && c.text('snomed')) c.fail('--snomed', 'ONE_CODE', 'Give --icd10 or --snomed, not both.');
    const date = c.date('date', '--date');
    if (date && date < patient.dob) c.fail('--date', 'BEFORE_BIRTH', '--date is before the date of birth.');
    c.done();
    const [row] = await tx
      .insert(medicalHistory)
      .values({ patientId: patient.id, kind: 'past-illness', description: condition!, onsetDate: date ?? null, codeSystem: icd10 ? CodeSystem.icd10cm : sct ? CodeSystem.snomed : null, code: icd10 ?? sct ?? null, note: c.text('note') ?? null })
      .returning({ id: medicalHistory.id });
    return { entity: 'medical_history', ids: [row!.id], warnings: [], details: { kind: 'past-illness' } };
  },
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
  options: [
    { flags: '--procedure <text>', description: 'the surgery, e.g. "Appendectomy" (required)' },
    { flags: '--date <date>', description: 'when it was done (the first of the month or year when only that is known)' },
    { flags: '--snomed <code>', description: 'SNOMED CT procedure code' },
    { flags: '--cpt <code>', description: 'CPT code, when it was billed' },
    { flags: '--note <text>', description: 'e.g. where it was done, complications' },
  ],
  columns: tableColumns({ Date: 'date', Surgery: 'procedure', Code: 'code' }),
  async add(tx, patient, c, clock) {
    const procedure = c.required('procedure', '--procedure');
    const date = c.date('date', '--date');
    if (date && date < patient.dob) c.fail('--date', 'BEFORE_BIRTH', '--date is before the date of birth.');
    const sct = c.code('snomed', '--snomed', snomed, 'a SNOMED CT concept id (6 to 18 digits)');
    const cpt = c.code('cpt', '--cpt', (s) => {
      const code = normalizeProcedureCode(s);
      return code && procedureCodeSystem(code) === CodeSystem.cpt ? code : undefined;
    }, 'a CPT code (5 characters, e.g. 44950)');
    if (c.text('snomed') && c.text('cpt')) c.fail('--cpt', 'ONE_CODE', 'Give --snomed or --cpt, not both.');
    c.done();
    const [row] = await tx
      .insert(medicalHistory)
      .values({ patientId: patient.id, kind: 'surgery', description: procedure!, onsetDate: date ?? null, codeSystem: sct ? CodeSystem.snomed : cpt ? CodeSystem.cpt : null, code: sct ?? cpt ?? null, note: c.text('note') ?? null })
      .returning({ id: medicalHistory.id });
    return { entity: 'medical_history', ids: [row!.id], warnings: [], details: { kind: 'surgery' } };
  },
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
