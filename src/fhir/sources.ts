// Where each resource type comes from: per source table, the rows in scope (one patient, or the whole
// practice changed since a date), read in keyset pages (id order, bounded size) so memory stays flat
// however large the practice, and turned into resources a page at a time.
import type { Resource, ResourceType } from '@medplum/fhirtypes';
import { and, asc, count, eq, getTableColumns, gt, gte, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import * as s from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import * as map from './resources.js';

/** One patient's record, or the whole practice (optionally only what changed since a time). */
export type ExportScope = { patientId: number } | { since?: Date };

interface KeyedTable {
  id: PgColumn;
}

interface Source {
  resourceType: ResourceType;
  table: PgTable & KeyedTable;
  /** The rows in scope; undefined means every row. */
  where(scope: ExportScope): SQL | undefined;
  toResources(db: DbOrTx, rows: any[]): Promise<Resource[]>;
}

const isPatientScope = (scope: ExportScope): scope is { patientId: number } => 'patientId' in scope;

/** The usual filter: the patient's rows, or rows updated since the date. */
function patientRows(table: { patientId: PgColumn; updatedAt: PgColumn }, extra?: SQL) {
  return (scope: ExportScope) => {
    const base = isPatientScope(scope) ? eq(table.patientId, scope.patientId) : scope.since ? gte(table.updatedAt, scope.since) : undefined;
    return extra ? and(base, extra) : base;
  };
}

const same = <T>(fn: (row: T) => Resource) => async (_db: DbOrTx, rows: T[]) => rows.map(fn);

const tableColumns = new Map<PgTable, [string, PgColumn][]>();

/**
 * Whole rows of a table, typed as drizzle types them (each column's own decoder), but without drizzle's
 * generic result mapping: that walked class chains for every field of every row and was the largest part
 * of the export's time in Node (profiled: 2 s of 10 s for 20,000 patients on PostgreSQL).
 */
async function readRows<T>(db: DbOrTx, table: PgTable, where: SQL | undefined, orderBy: PgColumn, limit?: number): Promise<T[]> {
  let columns = tableColumns.get(table);
  if (!columns) tableColumns.set(table, (columns = Object.entries(getTableColumns(table))));
  const list = sql.join(columns.map(([key, column]) => sql`${column} as ${sql.identifier(key)}`), sql`, `);
  const result = await db.execute(
    sql`select ${list} from ${table}${where ? sql` where ${where}` : sql``} order by ${orderBy}${limit ? sql` limit ${limit}` : sql``}`,
  );
  // PGlite answers { rows }, postgres.js the rows themselves.
  const raw = (Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows) as Record<string, unknown>[];
  return raw.map((r) => {
    const row: Record<string, unknown> = {};
    for (const [key, column] of columns) {
      const value = r[key];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as T;
  });
}

/** `column = any(ids)` with the ids as one array parameter: drizzle types each parameter of an IN list, which cost more than the query. */
const anyOf = (column: PgColumn, ids: number[]) => sql`${column} = any(${`{${ids.join(',')}}`}::int[])`;

/** Children of a page of parents in one query, grouped by the parent key. */
async function childrenOf<T extends Record<string, any>>(ids: number[], key: keyof T, load: (ids: number[]) => Promise<T[]>): Promise<Map<number, T[]>> {
  const grouped = new Map<number, T[]>();
  if (ids.length === 0) return grouped;
  for (const row of await load(ids)) {
    const parent = row[key] as number;
    grouped.set(parent, [...(grouped.get(parent) ?? []), row]);
  }
  return grouped;
}

// Providers a patient's rows point at: the bundle must hold every Practitioner it references.
function providersOfPatient(patientId: number): SQL {
  const columns: [PgTable, PgColumn, PgColumn][] = [
    [s.encounters, s.encounters.providerId, s.encounters.patientId],
    [s.medications, s.medications.prescriberId, s.medications.patientId],
    [s.immunizations, s.immunizations.performerId, s.immunizations.patientId],
    [s.procedures, s.procedures.providerId, s.procedures.patientId],
    [s.progressNotes, s.progressNotes.authorId, s.progressNotes.patientId],
    [s.carePlans, s.carePlans.authorId, s.carePlans.patientId],
    [s.orders, s.orders.providerId, s.orders.patientId],
    [s.referrals, s.referrals.fromProviderId, s.referrals.patientId],
  ];
  const parts = columns.map(([table, provider, patient]) => sql`select ${provider} from ${table} where ${patient} = ${patientId}`);
  return sql`${s.providers.id} in (${sql.join(parts, sql` union `)})`;
}

export const sources: Source[] = [
  {
    resourceType: 'Patient',
    table: s.patients,
    where: (scope) => (isPatientScope(scope) ? eq(s.patients.id, scope.patientId) : scope.since ? gte(s.patients.updatedAt, scope.since) : undefined),
    async toResources(db, rows: (typeof s.patients.$inferSelect)[]) {
      const ids = rows.map((r) => r.id);
      const identifiers = await childrenOf(ids, 'patientId', (p) => readRows<typeof s.patientIdentifiers.$inferSelect>(db, s.patientIdentifiers, anyOf(s.patientIdentifiers.patientId, p), s.patientIdentifiers.id));
      const contacts = await childrenOf(ids, 'patientId', (p) => readRows<typeof s.emergencyContacts.$inferSelect>(db, s.emergencyContacts, anyOf(s.emergencyContacts.patientId, p), s.emergencyContacts.id));
      const [org] = await db.select({ id: s.practice.id }).from(s.practice).limit(1);
      return rows.map((r) => map.patientResource(r, identifiers.get(r.id) ?? [], contacts.get(r.id) ?? [], org?.id));
    },
  },
  {
    resourceType: 'Organization',
    table: s.practice,
    where: (scope) => (!isPatientScope(scope) && scope.since ? gte(s.practice.updatedAt, scope.since) : undefined),
    toResources: same(map.practiceOrganization),
  },
  {
    resourceType: 'Organization',
    table: s.payers,
    where: (scope) =>
      isPatientScope(scope)
        ? inArray(s.payers.id, sql`(select ${s.coverages.payerId} from ${s.coverages} where ${s.coverages.patientId} = ${scope.patientId})`)
        : scope.since ? gte(s.payers.updatedAt, scope.since) : undefined,
    toResources: same(map.payerOrganization),
  },
  {
    resourceType: 'Practitioner',
    table: s.providers,
    where: (scope) => (isPatientScope(scope) ? providersOfPatient(scope.patientId) : scope.since ? gte(s.providers.updatedAt, scope.since) : undefined),
    toResources: same(map.practitionerResource),
  },
  {
    resourceType: 'Encounter',
    table: s.encounters,
    where: patientRows(s.encounters),
    async toResources(db, rows: (typeof s.encounters.$inferSelect)[]) {
      const diagnoses = await childrenOf(rows.map((r) => r.id), 'encounterId', (ids) => readRows<typeof s.encounterDiagnoses.$inferSelect>(db, s.encounterDiagnoses, anyOf(s.encounterDiagnoses.encounterId, ids), s.encounterDiagnoses.position));
      return rows.map((r) => map.encounterResource(r, diagnoses.get(r.id) ?? []));
    },
  },
  {
    resourceType: 'Condition',
    table: s.problems,
    where: patientRows(s.problems),
    toResources: same(map.problemCondition),
  },
  {
    resourceType: 'Condition',
    table: s.encounterDiagnoses,
    where: (scope) =>
      isPatientScope(scope)
        ? inArray(s.encounterDiagnoses.encounterId, sql`(select ${s.encounters.id} from ${s.encounters} where ${s.encounters.patientId} = ${scope.patientId})`)
        : scope.since ? gte(s.encounterDiagnoses.createdAt, scope.since) : undefined,
    async toResources(db, rows: (typeof s.encounterDiagnoses.$inferSelect)[]) {
      const encounterIds = [...new Set(rows.map((r) => r.encounterId))];
      const visits = encounterIds.length
        ? await db.select({ id: s.encounters.id, patientId: s.encounters.patientId, startsAt: s.encounters.startsAt, status: s.encounters.status }).from(s.encounters).where(anyOf(s.encounters.id, encounterIds))
        : [];
      const visitOf = new Map(visits.map((v) => [v.id, v]));
      return rows.map((r) => map.encounterDiagnosisCondition(r, visitOf.get(r.encounterId)!));
    },
  },
  {
    resourceType: 'Observation',
    table: s.observations,
    // Rows inside a panel travel as components of the panel's Observation.
    where: patientRows(s.observations, isNull(s.observations.panelId)),
    async toResources(db, rows: (typeof s.observations.$inferSelect)[]) {
      const components = await childrenOf(rows.map((r) => r.id), 'panelId', (ids) => readRows<typeof s.observations.$inferSelect>(db, s.observations, anyOf(s.observations.panelId, ids), s.observations.id));
      return rows.map((r) => map.observationResource(r, components.get(r.id) ?? []));
    },
  },
  { resourceType: 'MedicationRequest', table: s.medications, where: patientRows(s.medications), toResources: same(map.medicationRequestResource) },
  { resourceType: 'AllergyIntolerance', table: s.allergies, where: patientRows(s.allergies), toResources: same(map.allergyResource) },
  { resourceType: 'Immunization', table: s.immunizations, where: patientRows(s.immunizations), toResources: same(map.immunizationResource) },
  { resourceType: 'Procedure', table: s.procedures, where: patientRows(s.procedures), toResources: same(map.procedureResource) },
  {
    resourceType: 'DiagnosticReport',
    table: s.orders,
    // A lab order with results is reported; one still waiting for results is only a ServiceRequest.
    where: patientRows(
      s.orders,
      and(eq(s.orders.kind, 'lab'), sql`exists (select 1 from ${s.observations} where ${s.observations.orderId} = ${s.orders.id} and ${s.observations.panelId} is null)`),
    ),
    async toResources(db, rows: (typeof s.orders.$inferSelect)[]) {
      const results = await childrenOf(rows.map((r) => r.id), 'orderId', (ids) =>
        db
          .select({ id: s.observations.id, orderId: s.observations.orderId, effectiveAt: s.observations.effectiveAt, issuedAt: s.observations.issuedAt, status: s.observations.status })
          .from(s.observations)
          .where(and(anyOf(s.observations.orderId, ids), isNull(s.observations.panelId)))
          .orderBy(asc(s.observations.id)));
      return rows.map((r) => map.labReportResource(r, results.get(r.id) ?? []));
    },
  },
  { resourceType: 'DiagnosticReport', table: s.imagingReports, where: patientRows(s.imagingReports), toResources: same(map.imagingReportResource) },
  { resourceType: 'DocumentReference', table: s.progressNotes, where: patientRows(s.progressNotes), toResources: same(map.progressNoteDocument) },
  {
    resourceType: 'CarePlan',
    table: s.carePlans,
    where: patientRows(s.carePlans),
    async toResources(db, rows: (typeof s.carePlans.$inferSelect)[]) {
      const goals = await childrenOf(rows.map((r) => r.id), 'carePlanId', (ids) => db.select({ id: s.goals.id, carePlanId: s.goals.carePlanId }).from(s.goals).where(anyOf(s.goals.carePlanId, ids)).orderBy(asc(s.goals.id)));
      return rows.map((r) => map.carePlanResource(r, (goals.get(r.id) ?? []).map((g) => g.id)));
    },
  },
  { resourceType: 'Goal', table: s.goals, where: patientRows(s.goals), toResources: same(map.goalResource) },
  { resourceType: 'ServiceRequest', table: s.orders, where: patientRows(s.orders), toResources: same(map.orderServiceRequest) },
  {
    resourceType: 'ServiceRequest',
    table: s.referrals,
    where: patientRows(s.referrals),
    async toResources(db, rows: (typeof s.referrals.$inferSelect)[]) {
      const authIds = rows.map((r) => r.priorAuthorizationId).filter((id): id is number => id !== null);
      const auths = authIds.length ? await db.select({ id: s.priorAuthorizations.id, authNumber: s.priorAuthorizations.authNumber }).from(s.priorAuthorizations).where(anyOf(s.priorAuthorizations.id, authIds)) : [];
      const numberOf = new Map(auths.map((a) => [a.id, a.authNumber]));
      return rows.map((r) => map.referralServiceRequest(r, r.priorAuthorizationId ? numberOf.get(r.priorAuthorizationId) : undefined));
    },
  },
  { resourceType: 'Coverage', table: s.coverages, where: patientRows(s.coverages), toResources: same(map.coverageResource) },
  { resourceType: 'Condition', table: s.medicalHistory, where: patientRows(s.medicalHistory, eq(s.medicalHistory.kind, 'past-illness')), toResources: same(map.pastIllnessCondition) },
  { resourceType: 'FamilyMemberHistory', table: s.medicalHistory, where: patientRows(s.medicalHistory, eq(s.medicalHistory.kind, 'family')), toResources: same(map.familyHistoryResource) },
  { resourceType: 'Observation', table: s.medicalHistory, where: patientRows(s.medicalHistory, eq(s.medicalHistory.kind, 'social')), toResources: same(map.socialHistoryObservation) },
  { resourceType: 'Procedure', table: s.medicalHistory, where: patientRows(s.medicalHistory, eq(s.medicalHistory.kind, 'surgery')), toResources: same(map.surgicalHistoryProcedure) },
  { resourceType: 'DocumentReference', table: s.advanceDirectives, where: patientRows(s.advanceDirectives), toResources: same(map.advanceDirectiveDocument) },
];

export const DEFAULT_PAGE_SIZE = 1000;

/** The tables a practice-wide export reads, each once. */
export function sourceTables(): PgTable[] {
  return [...new Set(sources.map((s) => s.table))];
}

/** How many source rows are in scope: the progress bar's total. */
export async function countInScope(db: DbOrTx, scope: ExportScope): Promise<number> {
  let total = 0;
  for (const source of sources) {
    const [row] = await db.select({ n: count() }).from(source.table).where(source.where(scope));
    total += Number(row?.n ?? 0);
  }
  return total;
}

/**
 * Every resource in scope, a page at a time, in source order then id order (so exports are repeatable).
 * `onRows` is told how many source rows each page consumed, for progress.
 */
export async function* readResources(db: DbOrTx, scope: ExportScope, pageSize = DEFAULT_PAGE_SIZE, onRows?: (n: number) => void): AsyncGenerator<Resource[]> {
  for (const source of sources) {
    const page = async (after: number) => {
      const rows = await readRows<{ id: number }>(db, source.table, and(source.where(scope), gt(source.table.id, after)), source.table.id, pageSize);
      return { rows, resources: rows.length ? await source.toResources(db, rows) : [] };
    };
    let next = page(0);
    for (;;) {
      const { rows, resources } = await next;
      if (rows.length === 0) break;
      const more = rows.length === pageSize;
      // The next page is read while the caller writes this one, so Node and the database work at once.
      // Marked handled: if the caller stops early, its failure must not surface as an unhandled rejection.
      if (more) (next = page(rows[rows.length - 1]!.id)).catch(() => undefined);
      yield resources;
      onRows?.(rows.length);
      if (!more) break;
    }
  }
}
