// Where each resource type comes from: per source table, the rows in scope (one patient, or the whole
// practice changed since a date), read in keyset pages (id order, bounded size) so memory stays flat
// however large the practice, and turned into resources a page at a time.
import type { Resource, ResourceType } from '@medplum/fhirtypes';
import { and, asc, count, eq, getTableColumns, gt, gte, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import * as s from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import * as map from './resources.js';
import * as built from './resources-sql.js';
import type { SqlResource } from './resources-sql.js';
import { resourceText } from './json-sql.js';

/** One patient's record, or the whole practice (optionally only what changed since a time). */
export type ExportScope = { patientId: number } | { since?: Date };

interface KeyedTable {
  id: PgColumn;
}

interface SourceBase {
  resourceType: ResourceType;
  table: PgTable & KeyedTable;
  /** The rows in scope; undefined means every row. */
  where(scope: ExportScope): SQL | undefined;
}

/** A type built in SQL (resources-sql.ts): the database hands back each resource as JSON text. */
interface SqlSource extends SourceBase {
  built: () => SqlResource;
}

/** A small-volume type still mapped in JS (resources.ts), from whole rows. */
interface JsSource extends SourceBase {
  toResources(db: DbOrTx, rows: any[]): Promise<Resource[]>;
}

type Source = SqlSource | JsSource;

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
    [s.appointments, s.appointments.providerId, s.appointments.patientId],
  ];
  const parts = columns.map(([table, provider, patient]) => sql`select ${provider} from ${table} where ${patient} = ${patientId}`);
  return sql`${s.providers.id} in (${sql.join(parts, sql` union `)})`;
}

export const sources: Source[] = [
  {
    resourceType: 'Patient',
    table: s.patients,
    where: (scope) => (isPatientScope(scope) ? eq(s.patients.id, scope.patientId) : scope.since ? gte(s.patients.updatedAt, scope.since) : undefined),
    built: built.patientResource,
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
  { resourceType: 'Encounter', table: s.encounters, where: patientRows(s.encounters), built: built.encounterResource },
  {
    resourceType: 'Condition',
    table: s.problems,
    where: patientRows(s.problems),
    built: built.problemCondition,
  },
  {
    resourceType: 'Condition',
    table: s.encounterDiagnoses,
    where: (scope) =>
      isPatientScope(scope)
        ? inArray(s.encounterDiagnoses.encounterId, sql`(select ${s.encounters.id} from ${s.encounters} where ${s.encounters.patientId} = ${scope.patientId})`)
        : scope.since ? gte(s.encounterDiagnoses.createdAt, scope.since) : undefined,
    built: built.encounterDiagnosisCondition,
  },
  {
    resourceType: 'Observation',
    table: s.observations,
    // Rows inside a panel travel as components of the panel's Observation.
    where: patientRows(s.observations, isNull(s.observations.panelId)),
    built: built.observationResource,
  },
  { resourceType: 'MedicationRequest', table: s.medications, where: patientRows(s.medications), built: built.medicationRequestResource },
  { resourceType: 'AllergyIntolerance', table: s.allergies, where: patientRows(s.allergies), toResources: same(map.allergyResource) },
  { resourceType: 'Immunization', table: s.immunizations, where: patientRows(s.immunizations), built: built.immunizationResource },
  { resourceType: 'Procedure', table: s.procedures, where: patientRows(s.procedures), built: built.procedureResource },
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
  { resourceType: 'Coverage', table: s.coverages, where: patientRows(s.coverages), built: built.coverageResource },
  { resourceType: 'Appointment', table: s.appointments, where: patientRows(s.appointments), built: built.appointmentResource },
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

/** One page of one source: its resources as NDJSON (one compact JSON a line, no newline at the end). */
export interface ResourcePage {
  resourceType: ResourceType;
  /** Source rows the page consumed (one resource each). */
  rows: number;
  ndjson: string;
}

/** A page's resources as objects (bundles link their references). */
export function pageResources(page: ResourcePage): Resource[] {
  return page.ndjson.split('\n').map((line) => JSON.parse(line) as Resource);
}

interface Page extends ResourcePage {
  lastId: number;
}

const builtSql = new Map<SqlSource, SqlResource>();

/**
 * The page's resources built by the database and joined into one text there: Node receives one value
 * per page (JSON text escapes newlines, so a line is a resource).
 */
async function builtPage(db: DbOrTx, source: SqlSource, where: SQL | undefined, pageSize: number): Promise<Page> {
  let resource = builtSql.get(source);
  if (!resource) builtSql.set(source, (resource = source.built()));
  const id = source.table.id;
  const result = await db.execute(sql`select count(*)::int as rows, max(page.id) as last, string_agg(page.resource, E'\n' order by page.id) as ndjson
    from (select ${id} as id, ${resourceText(resource.json)} as resource from ${resource.from}${where ? sql` where ${where}` : sql``} order by ${id} limit ${sql.raw(String(pageSize))}) page`);
  const [row] = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { rows: number; last: number | null; ndjson: string | null }[];
  return { resourceType: source.resourceType, rows: Number(row?.rows ?? 0), lastId: Number(row?.last ?? 0), ndjson: row?.ndjson ?? '' };
}

async function mappedPage(db: DbOrTx, source: JsSource, where: SQL | undefined, pageSize: number): Promise<Page> {
  const rows = await readRows<{ id: number }>(db, source.table, where, source.table.id, pageSize);
  const resources = rows.length ? await source.toResources(db, rows) : [];
  return { resourceType: source.resourceType, rows: rows.length, lastId: rows[rows.length - 1]?.id ?? 0, ndjson: resources.map((r) => JSON.stringify(r)).join('\n') };
}

/**
 * Every resource in scope, a page at a time, in source order then id order (so exports are repeatable).
 * `onRows` is told how many source rows each page consumed, for progress.
 */
export async function* readResources(db: DbOrTx, scope: ExportScope, pageSize = DEFAULT_PAGE_SIZE, onRows?: (n: number) => void): AsyncGenerator<ResourcePage> {
  for (const source of sources) {
    const page = (after: number) => {
      const where = and(source.where(scope), gt(source.table.id, after));
      return 'built' in source ? builtPage(db, source, where, pageSize) : mappedPage(db, source, where, pageSize);
    };
    let next = page(0);
    for (;;) {
      const current = await next;
      if (current.rows === 0) break;
      const more = current.rows === pageSize;
      // The next page is read while the caller writes this one, so Node and the database work at once.
      // Marked handled: if the caller stops early, its failure must not surface as an unhandled rejection.
      if (more) (next = page(current.lastId)).catch(() => undefined);
      yield { resourceType: current.resourceType, rows: current.rows, ndjson: current.ndjson };
      onRows?.(current.rows);
      if (!more) break;
    }
  }
}
