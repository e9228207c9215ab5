// Reading the audit trail: "who looked at or changed this chart" and the HIPAA accounting of disclosures.
// A chart's entries are those linked to it (audit_log.patient_id), entries about a record of the chart
// (any table with a patient_id foreign key, found from the schema), whole-practice exports and
// disclosures (they include every chart), and the same for charts merged into it.
import { is, sql, type SQL } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { queryRows } from '../db/query.js';
import * as schema from '../db/schema/index.js';
import { patients } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';

export interface AuditLogEntry {
  seq: number | null;
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
  patientId: number | null;
  mrn: string | null;
  command: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditLogFilter {
  /** Chart ids (the chart and those merged into it): see chartIds(). */
  patientIds?: number[];
  since?: Date;
  actor?: string;
  actions?: string[];
  limit?: number;
}

/** The chart and, transitively, every chart merged into it (their history is now this chart's). */
export async function chartIds(db: DbOrTx, patientId: number): Promise<number[]> {
  const ids = new Set([patientId]);
  let frontier = [patientId];
  while (frontier.length) {
    const rows = await queryRows<{ dropped: number }>(
      db,
      sql`select distinct (details ->> 'droppedPatientId')::int as dropped from audit_log
           where action = 'merge' and entity = 'patients' and patient_id in (${sql.join(frontier.map((id) => sql`${id}`), sql`, `)})
             and jsonb_typeof(details -> 'droppedPatientId') = 'number'`,
    );
    frontier = rows.map((r) => r.dropped).filter((id) => !ids.has(id));
    for (const id of frontier) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Tables whose rows belong to a chart: an entry about one of their rows is about that chart. */
function chartTables(): { name: string; column: string }[] {
  const tables: { name: string; column: string }[] = [];
  for (const table of Object.values(schema) as unknown[]) {
    if (!is(table, PgTable) || table === patients) continue;
    const config = getTableConfig(table);
    for (const fk of config.foreignKeys) {
      const ref = fk.reference();
      // Column keys are camelCase; the database's names are snake_case (the schema's casing).
      if (ref.foreignTable === patients && config.columns.some((c) => c.name === 'id')) tables.push({ name: config.name, column: toSnakeCase(ref.columns[0]!.name) });
    }
  }
  return tables.sort((a, b) => a.name.localeCompare(b.name));
}

function chartCondition(ids: number[]): SQL {
  const list = sql.join(ids.map((id) => sql`${id}`), sql`, `);
  const viaRecords = chartTables().map(
    (t) => sql`(a.entity = ${t.name} and a.entity_id in (select r.id::text from ${sql.identifier(t.name)} r where r.${sql.identifier(t.column)} in (${list})))`,
  );
  return sql`(a.patient_id in (${list})
    or (a.entity = 'practice' and a.action in ('export', 'disclose', 'read'))
    or (a.patient_id is null and (${sql.join(viaRecords, sql` or `)})))`;
}

export async function auditLogEntries(db: DbOrTx, filter: AuditLogFilter = {}): Promise<AuditLogEntry[]> {
  const where: SQL[] = [sql`true`];
  if (filter.patientIds?.length) where.push(chartCondition(filter.patientIds));
  if (filter.since) where.push(sql`a.at >= ${filter.since.toISOString()}::timestamptz`);
  if (filter.actor !== undefined) where.push(sql`a.actor = ${filter.actor}`);
  if (filter.actions?.length) where.push(sql`a.action in (${sql.join(filter.actions.map((a) => sql`${a}`), sql`, `)})`);
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`select a.seq, a.id, to_char(a.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as at, a.actor, a.action, a.entity,
               a.entity_id, a.patient_id, p.mrn, a.command, a.details
          from audit_log a left join patients p on p.id = a.patient_id
         where ${sql.join(where, sql` and `)}
         order by a.seq nulls last, a.id
         ${filter.limit ? sql`limit ${filter.limit}` : sql``}`,
  );
  return rows.map((r) => ({
    seq: r.seq as number | null,
    id: r.id as number,
    at: r.at as string,
    actor: r.actor as string,
    action: r.action as string,
    entity: r.entity as string,
    entityId: r.entity_id as string | null,
    patientId: r.patient_id as number | null,
    mrn: r.mrn as string | null,
    command: r.command as string | null,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown> | null,
  }));
}

export interface DisclosureRow {
  at: string;
  recipient: string;
  purpose: string;
  what: string;
  /** One chart, or a whole-practice export that included it. */
  scope: 'chart' | 'practice';
  actor: string;
  seq: number | null;
}

/** HIPAA (45 CFR 164.528): disclosures in the six years before `now`, oldest first. */
export const ACCOUNTING_YEARS = 6;

export async function disclosuresOf(db: DbOrTx, patientId: number, now: Date): Promise<{ from: string; disclosures: DisclosureRow[] }> {
  const from = new Date(now);
  from.setUTCFullYear(from.getUTCFullYear() - ACCOUNTING_YEARS);
  const entries = await auditLogEntries(db, { patientIds: await chartIds(db, patientId), since: from, actions: ['disclose'] });
  return {
    from: from.toISOString(),
    disclosures: entries.map((e) => ({
      at: e.at,
      recipient: String(e.details?.recipient ?? ''),
      purpose: String(e.details?.purpose ?? ''),
      what: String(e.details?.what ?? ''),
      scope: e.entity === 'practice' ? 'practice' : 'chart',
      actor: e.actor,
      seq: e.seq,
    })),
  };
}
