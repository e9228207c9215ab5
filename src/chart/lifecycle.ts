// The life of a clinical entry after it is written: a medication is stopped, a problem resolved or made
// inactive, an allergy inactivated or refuted, and any entry can be marked entered-in-error. Nothing is
// deleted: the entry keeps its row with the new status (FHIR's own status values), hidden from the chart,
// the measures and the recalls, still in the export. Each change is declared once here, as data.
import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { advanceDirectives, allergies, immunizations, medicalHistory, medications, observations, orders, problems, progressNotes } from '../db/schema/index.js';
import type { Db, Tx } from '../db/types.js';
import { badDate, NotFoundError, ValidationError, type Issue } from '../errors.js';
import { patientByMrn, type PatientRow } from './lookup.js';
import { parseDate } from './time.js';

export interface ChangeInput {
  id: number;
  date?: string;
  reason?: string;
}

export interface StatusChange {
  /** The subcommand: stop, resolve, inactivate, refute, entered-in-error. */
  name: string;
  description: string;
  example: string;
  /** A reason is needed (stopping a drug, refuting an allergy, marking an error); otherwise optional. */
  reasonRequired: boolean;
  /** Takes --date (when it stopped or resolved). */
  dated: boolean;
  /** The values the change writes; a problem when the entry cannot take it (already stopped ...). */
  apply(row: Record<string, unknown>, input: { date: string; reason: string | null }): Record<string, unknown> | string;
}

interface Lifecycle {
  table: PgTable;
  /** The table's name in the audit trail. */
  entity: string;
  id: PgColumn;
  patientId: PgColumn;
  noun: string;
  /** Only these rows of the table are entries of this kind (one table can hold several kinds). */
  scope?: SQL;
  /** Also changes rows that belong to the entry (a blood pressure panel's two readings). */
  with?: (id: number) => SQL;
  /** Whether the entry is already marked entered in error. */
  isError(row: Record<string, unknown>): boolean;
  /** The column a reason is written to, when the table keeps one. */
  noteKey?: string;
  changes: StatusChange[];
}

const ERROR = 'entered-in-error';

function enteredInError(noun: string, key: string, extra: Record<string, unknown> = {}): StatusChange {
  return {
    name: ERROR,
    description: `mark a ${noun} as entered in error (kept, hidden from the chart, measures and recalls)`,
    example: '',
    reasonRequired: true,
    dated: false,
    apply: (row) => (row[key] === ERROR ? `This ${noun} is already marked entered in error.` : { [key]: ERROR, ...extra }),
  };
}

/** The chart's entry kinds (src/chart/entries.ts declares each one against this list). */
export type EntryKindName = 'problems' | 'medications' | 'allergies' | 'immunizations' | 'vitals' | 'labs' | 'notes';
/** The rest of the chart: history (src/chart/history.ts), advance directives and orders. */
export type ChartKindName = 'past-illness' | 'family-history' | 'social-history' | 'surgical-history' | 'smoking-status' | 'advance-directives' | 'orders';
export type LifecycleKind = EntryKindName | ChartKindName;

function historyLifecycle(kind: string, noun: string): Lifecycle {
  return {
    table: medicalHistory,
    entity: 'medical_history',
    id: medicalHistory.id,
    patientId: medicalHistory.patientId,
    noun,
    scope: sql`${medicalHistory.kind} = ${kind}`,
    isError: (r) => r.status === ERROR,
    noteKey: 'statusNote',
    changes: [enteredInError(noun, 'status')],
  };
}

const LIFECYCLES: Record<LifecycleKind, Lifecycle> = {
  medications: {
    table: medications,
    entity: 'medications',
    id: medications.id,
    patientId: medications.patientId,
    noun: 'medication',
    isError: (r) => r.status === ERROR,
    noteKey: 'statusNote',
    changes: [
      {
        name: 'stop',
        description: 'stop a medication (on --date, default today) with the reason',
        example: 'practice medications stop C100 12 --reason "GI upset" --date 2026-03-01',
        reasonRequired: true,
        dated: true,
        apply: (row, { date }) => {
          if (row.status !== 'active' && row.status !== 'on-hold') return `This medication is ${row.status}, not active: it cannot be stopped.`;
          if (typeof row.startDate === 'string' && date < row.startDate) return `--date is before the medication was started (${row.startDate}).`;
          return { status: 'stopped', stopDate: date };
        },
      },
      enteredInError('medication', 'status'),
    ],
  },
  problems: {
    table: problems,
    entity: 'problems',
    id: problems.id,
    patientId: problems.patientId,
    noun: 'problem',
    isError: (r) => r.verificationStatus === ERROR,
    noteKey: 'statusNote',
    changes: [
      {
        name: 'resolve',
        description: 'mark a problem resolved (on --date, default today)',
        example: 'practice problems resolve C100 7 --date 2026-03-01',
        reasonRequired: false,
        dated: true,
        apply: (row, { date }) => {
          if (row.clinicalStatus === 'resolved') return 'This problem is already resolved.';
          if (typeof row.onsetDate === 'string' && date < row.onsetDate) return `--date is before the problem's onset (${row.onsetDate}).`;
          return { clinicalStatus: 'resolved', abatementDate: date };
        },
      },
      {
        name: 'inactivate',
        description: 'mark a problem inactive (no longer active, not resolved)',
        example: 'practice problems inactivate C100 7 --reason "controlled with diet"',
        reasonRequired: false,
        dated: false,
        apply: (row) => (row.clinicalStatus === 'inactive' ? 'This problem is already inactive.' : { clinicalStatus: 'inactive' }),
      },
      { ...enteredInError('problem', 'verificationStatus'), apply: (row) => (row.verificationStatus === ERROR ? 'This problem is already marked entered in error.' : { verificationStatus: ERROR }) },
    ],
  },
  allergies: {
    table: allergies,
    entity: 'allergies',
    id: allergies.id,
    patientId: allergies.patientId,
    noun: 'allergy',
    isError: (r) => r.verificationStatus === ERROR,
    noteKey: 'statusNote',
    changes: [
      {
        name: 'inactivate',
        description: 'mark an allergy inactive (outgrown, desensitised); it no longer stops orders',
        example: 'practice allergies inactivate C100 3 --reason "desensitised 2025"',
        reasonRequired: true,
        dated: false,
        apply: (row) => (row.clinicalStatus === 'inactive' ? 'This allergy is already inactive.' : { clinicalStatus: 'inactive' }),
      },
      {
        name: 'refute',
        description: 'record that the allergy was disproved (e.g. a negative challenge); it no longer stops orders',
        example: 'practice allergies refute C100 3 --reason "negative oral amoxicillin challenge"',
        reasonRequired: true,
        dated: false,
        apply: (row) => (row.verificationStatus === 'refuted' ? 'This allergy is already refuted.' : { verificationStatus: 'refuted' }),
      },
      enteredInError('allergy', 'verificationStatus'),
    ],
  },
  immunizations: {
    table: immunizations,
    entity: 'immunizations',
    id: immunizations.id,
    patientId: immunizations.patientId,
    noun: 'immunization',
    isError: (r) => r.status === ERROR,
    noteKey: 'statusNote',
    changes: [enteredInError('immunization', 'status')],
  },
  vitals: {
    table: observations,
    entity: 'observations',
    id: observations.id,
    patientId: observations.patientId,
    noun: 'vital sign',
    with: (id) => sql`${observations.panelId} = ${id}`,
    isError: (r) => r.status === ERROR,
    changes: [enteredInError('vital sign', 'status')],
  },
  labs: {
    table: observations,
    entity: 'observations',
    id: observations.id,
    patientId: observations.patientId,
    noun: 'lab result',
    with: (id) => sql`${observations.panelId} = ${id}`,
    isError: (r) => r.status === ERROR,
    changes: [enteredInError('lab result', 'status')],
  },
  notes: {
    table: progressNotes,
    entity: 'progress_notes',
    id: progressNotes.id,
    patientId: progressNotes.patientId,
    noun: 'progress note',
    isError: (r) => r.status === ERROR,
    changes: [enteredInError('progress note', 'status')],
  },
  'past-illness': historyLifecycle('past-illness', 'past medical history entry'),
  'family-history': historyLifecycle('family', 'family history entry'),
  'social-history': historyLifecycle('social', 'social history entry'),
  'surgical-history': historyLifecycle('surgery', 'surgical history entry'),
  'smoking-status': {
    table: observations,
    entity: 'observations',
    id: observations.id,
    patientId: observations.patientId,
    noun: 'smoking status',
    scope: sql`${observations.category} = 'social-history' and ${observations.code} = '72166-2'`,
    isError: (r) => r.status === ERROR,
    changes: [enteredInError('smoking status', 'status')],
  },
  'advance-directives': {
    table: advanceDirectives,
    entity: 'advance_directives',
    id: advanceDirectives.id,
    patientId: advanceDirectives.patientId,
    noun: 'advance directive',
    isError: (r) => r.status === ERROR,
    noteKey: 'statusNote',
    changes: [
      {
        name: 'supersede',
        description: 'mark an advance directive superseded (replaced by a newer one, or revoked by the patient)',
        example: 'practice advance-directives supersede C100 4 --reason "revoked by the patient"',
        reasonRequired: false,
        dated: false,
        apply: (row) => (row.status === 'superseded' ? 'This advance directive is already superseded.' : { status: 'superseded' }),
      },
      enteredInError('advance directive', 'status'),
    ],
  },
  orders: {
    table: orders,
    entity: 'orders',
    id: orders.id,
    patientId: orders.patientId,
    noun: 'order',
    isError: (r) => r.status === ERROR,
    noteKey: 'statusNote',
    changes: [
      {
        name: 'complete',
        description: 'mark an order completed (done, results in)',
        example: 'practice orders complete C100 9',
        reasonRequired: false,
        dated: false,
        apply: (row) => (row.status === 'completed' ? 'This order is already completed.' : row.status === 'revoked' ? 'This order was revoked: it cannot be completed.' : { status: 'completed' }),
      },
      {
        name: 'revoke',
        description: 'cancel an order that will not be done, with the reason',
        example: 'practice orders revoke C100 9 --reason "done at the hospital"',
        reasonRequired: true,
        dated: false,
        apply: (row) => (row.status === 'revoked' ? 'This order is already revoked.' : row.status === 'completed' ? 'This order is completed: it cannot be revoked.' : { status: 'revoked' }),
      },
      enteredInError('order', 'status'),
    ],
  },
};

/** The status changes a kind of entry offers (for the command tree). */
export function statusChanges(kind: LifecycleKind, commandPath: string = kind): StatusChange[] {
  return LIFECYCLES[kind].changes.map((c) => ({ ...c, example: c.example || `practice ${commandPath} ${c.name} C100 42 --reason "charted on the wrong patient"` }));
}

export interface ChangeResult {
  id: number;
  change: string;
  ids: number[];
}

async function entryRow(tx: Tx, life: Lifecycle, patient: PatientRow, id: number): Promise<Record<string, unknown>> {
  const [row] = await tx
    .select()
    .from(life.table)
    .where(and(eq(life.id, id), eq(life.patientId, patient.id), life.scope));
  if (!row) throw new NotFoundError(`${life.noun[0]!.toUpperCase()}${life.noun.slice(1)} ${id} on this chart`, `See the ids with "practice <kind> list <chart number> --all --json".`);
  return row as Record<string, unknown>;
}

/** Applies one status change to one entry of a patient's chart, audited, in one transaction. */
export async function changeEntryStatus(db: Db, actor: AuditActor, kind: LifecycleKind, changeName: string, mrn: string, input: ChangeInput, today: string): Promise<ChangeResult> {
  const life = LIFECYCLES[kind];
  const change = life.changes.find((c) => c.name === changeName)!;
  const issues: Issue[] = [];
  const reason = input.reason?.trim() || null;
  if (change.reasonRequired && !reason) issues.push({ code: 'REASON', path: '--reason', message: `To ${changeName === ERROR ? 'mark it entered in error' : changeName} a ${life.noun}, give --reason.` });
  const date = input.date ? parseDate(input.date, today) : today;
  if (!date) issues.push(badDate('--date'));
  else if (date > today) issues.push({ code: 'DATE_FUTURE', path: '--date', message: '--date is in the future.' });
  if (issues.length) throw new ValidationError(issues);
  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, mrn);
    const row = await entryRow(tx, life, patient, input.id);
    if (life.isError(row) && changeName !== ERROR) throw new ValidationError([{ code: 'ENTERED_IN_ERROR', message: `This ${life.noun} is marked entered in error: it cannot change any more.` }]);
    const values = change.apply(row, { date: date!, reason });
    if (typeof values === 'string') throw new ValidationError([{ code: 'STATUS', message: values }]);
    const set = { ...values, ...(life.noteKey && reason ? { [life.noteKey]: reason } : {}), updatedAt: new Date() };
    const changed = (await tx
      .update(life.table)
      .set(set)
      .where(and(eq(life.patientId, patient.id), life.with ? or(eq(life.id, input.id), life.with(input.id)) : eq(life.id, input.id)))
      .returning({ id: life.id })) as { id: number }[];
    await recordAudit(
      tx,
      actor,
      changed.map((c) => ({ action: changeName, entity: life.entity, entityId: c.id, details: { patientId: patient.id, fields: Object.keys(set), reasonGiven: Boolean(reason) } })),
    );
    return { id: input.id, change: changeName, ids: changed.map((c) => c.id) };
  });
}

/**
 * A correction: the entry it replaces is marked entered in error first (so the new one is not taken for a
 * duplicate of it), then the new entry points back at it, all in the caller's transaction.
 */
export async function retireReplaced(tx: Tx, actor: AuditActor, kind: LifecycleKind, patient: PatientRow, oldId: number): Promise<(newId: number) => Promise<void>> {
  const life = LIFECYCLES[kind];
  const row = await entryRow(tx, life, patient, oldId);
  if (life.isError(row)) throw new ValidationError([{ code: 'ENTERED_IN_ERROR', path: '--replaces', message: `${life.noun[0]!.toUpperCase()}${life.noun.slice(1)} ${oldId} is already marked entered in error.` }]);
  const values = life.changes.find((c) => c.name === ERROR)!.apply(row, { date: '', reason: null }) as Record<string, unknown>;
  await tx.update(life.table).set({ ...values, updatedAt: new Date() }).where(eq(life.id, oldId));
  return async (newId) => {
    if (life.noteKey) await tx.update(life.table).set({ [life.noteKey]: `replaced by entry ${newId}` }).where(eq(life.id, oldId));
    await tx.update(life.table).set({ replacesId: oldId }).where(eq(life.id, newId));
    await recordAudit(tx, actor, { action: ERROR, entity: life.entity, entityId: oldId, details: { patientId: patient.id, replacedBy: newId } });
  };
}

/** The kinds whose corrections carry a pointer to the entry they replace. */
export const REPLACEABLE: LifecycleKind[] = ['medications', 'problems', 'allergies', 'immunizations', 'past-illness', 'family-history', 'social-history', 'surgical-history', 'advance-directives'];
