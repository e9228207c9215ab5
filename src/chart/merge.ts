// Merging a duplicate chart into the one kept: every row that points at the dropped patient is
// moved, in one transaction, and the audit entry lists each moved id per table so it can be undone.
// Tables are found from the schema's foreign keys, so a table added later is moved too.
import { and, eq, getTableColumns, inArray, is, sql } from 'drizzle-orm';
import { getTableConfig, PgTable, type PgColumn } from 'drizzle-orm/pg-core';
import { recordAudit, type AuditActor } from '../db/audit.js';
import * as schema from '../db/schema/index.js';
import { communicationConsents, patients, recalls } from '../db/schema/index.js';
import { planThenApply } from '../db/transaction.js';
import type { Db, DbOrTx } from '../db/types.js';
import { UsageError } from '../errors.js';
import { patientByMrn, type PatientRow } from './lookup.js';

interface PatientReference {
  table: PgTable;
  tableName: string;
  key: string;
  column: PgColumn;
  idColumn: PgColumn;
}

function patientReferences(): PatientReference[] {
  const references: PatientReference[] = [];
  for (const table of Object.values(schema) as unknown[]) {
    if (!is(table, PgTable) || table === patients) continue;
    const config = getTableConfig(table);
    const columns = getTableColumns(table);
    for (const fk of config.foreignKeys) {
      const ref = fk.reference();
      if (ref.foreignTable !== patients) continue;
      const column = ref.columns[0]!;
      const key = Object.entries(columns).find(([, c]) => c === column)![0];
      references.push({ table, tableName: config.name, key, column, idColumn: columns.id as PgColumn });
    }
  }
  return references.sort((x, y) => x.tableName.localeCompare(y.tableName));
}

export interface MergePlan {
  keep: { id: number; mrn: string };
  drop: { id: number; mrn: string };
  /** Ids of the rows that move, per table. */
  moves: Record<string, number[]>;
  /** Open recalls of the dropped chart that the kept chart already has open for the same rule: cancelled. */
  recallsCancelled: number[];
  /** Consent rows of the dropped chart for a channel the kept chart already has: folded in (an opt-out wins). */
  consentsFolded: { id: number; channel: string; optedOut: boolean; keptConsentId: number; optOutCarried: boolean }[];
}

async function planMerge(db: DbOrTx, keep: PatientRow, drop: PatientRow): Promise<MergePlan> {
  const moves: Record<string, number[]> = {};
  for (const ref of patientReferences()) {
    const rows = (await db.select({ id: ref.idColumn }).from(ref.table).where(eq(ref.column, drop.id))) as { id: number }[];
    if (rows.length) moves[ref.tableName] = rows.map((r) => r.id).sort((x, y) => x - y);
  }
  const clashingRecalls = await db
    .select({ id: recalls.id })
    .from(recalls)
    .where(
      and(
        eq(recalls.patientId, drop.id),
        eq(recalls.status, 'open'),
        sql`exists (select 1 from ${recalls} k where k.patient_id = ${keep.id} and k.rule_id = ${recalls.ruleId} and k.status = 'open')`,
      ),
    );
  const keptConsents = await db.select().from(communicationConsents).where(eq(communicationConsents.patientId, keep.id));
  const droppedConsents = await db.select().from(communicationConsents).where(eq(communicationConsents.patientId, drop.id));
  const consentsFolded = droppedConsents.flatMap((c) => {
    const kept = keptConsents.find((k) => k.channel === c.channel);
    return kept ? [{ id: c.id, channel: c.channel, optedOut: c.optedOut, keptConsentId: kept.id, optOutCarried: c.optedOut && !kept.optedOut }] : [];
  });
  if (moves.communication_consents) {
    moves.communication_consents = moves.communication_consents.filter((id) => !consentsFolded.some((f) => f.id === id));
    if (moves.communication_consents.length === 0) delete moves.communication_consents;
  }
  return {
    keep: { id: keep.id, mrn: keep.mrn },
    drop: { id: drop.id, mrn: drop.mrn },
    moves,
    recallsCancelled: clashingRecalls.map((r) => r.id),
    consentsFolded,
  };
}

export async function mergePatients(db: Db, actor: AuditActor, keepMrn: string, dropMrn: string, options: { dryRun: boolean }): Promise<MergePlan> {
  const planned = await planThenApply(
    db,
    options.dryRun,
    async (tx) => {
      const keep = await patientByMrn(tx, keepMrn);
      const drop = await patientByMrn(tx, dropMrn);
      if (keep.id === drop.id) throw new UsageError('The two chart numbers are the same patient: give the chart to keep, then the duplicate.');
      return { keep, drop, plan: await planMerge(tx, keep, drop) };
    },
    async (tx, { keep, drop, plan }) => {
      if (plan.recallsCancelled.length) {
        await tx
          .update(recalls)
          .set({ status: 'cancelled', closedAt: new Date(), closedReason: 'chart merged', updatedAt: new Date() })
          .where(inArray(recalls.id, plan.recallsCancelled));
      }
      const carried = plan.consentsFolded.filter((f) => f.optOutCarried).map((f) => f.keptConsentId);
      if (carried.length) {
        await tx.update(communicationConsents).set({ optedOut: true, optedOutAt: new Date(), updatedAt: new Date() }).where(inArray(communicationConsents.id, carried));
      }
      if (plan.consentsFolded.length) {
        await tx.delete(communicationConsents).where(inArray(communicationConsents.id, plan.consentsFolded.map((f) => f.id)));
      }
      for (const ref of patientReferences()) {
        const ids = plan.moves[ref.tableName];
        if (!ids) continue;
        await tx.update(ref.table).set({ [ref.key]: keep.id } as never).where(inArray(ref.idColumn, ids));
      }
      await tx.update(patients).set({ active: false, updatedAt: new Date() }).where(eq(patients.id, drop.id));
      await recordAudit(tx, actor, [
        {
          action: 'merge',
          entity: 'patients',
          entityId: keep.id,
          details: { keptPatientId: keep.id, droppedPatientId: drop.id, moved: plan.moves, recallsCancelled: plan.recallsCancelled, consentsFolded: plan.consentsFolded, droppedWasActive: drop.active },
        },
        { action: 'merged-into', entity: 'patients', entityId: drop.id, details: { keptPatientId: keep.id } },
      ]);
    },
  );
  return planned.plan;
}
