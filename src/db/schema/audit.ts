// The append-only audit trail (a trigger in the migrations refuses UPDATE and DELETE) and the import log.
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { id } from './columns.js';

export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    actor: text().notNull(),
    action: text().notNull(),
    entity: text().notNull(),
    entityId: text(),
    // The command line as typed, without option values that could carry PHI.
    command: text(),
    // Field names changed, counts, ids: never patient values.
    details: jsonb(),
  },
  (t) => [index('audit_log_entity_idx').on(t.entity, t.entityId), index('audit_log_at_idx').on(t.at)],
);

export const importRuns = pgTable(
  'import_runs',
  {
    id: id(),
    fileName: text().notNull(),
    fileSha256: text().notNull(),
    kind: text().notNull(),
    format: text().notNull(),
    actor: text().notNull(),
    status: text().notNull().default('running'),
    rowsRead: integer().notNull().default(0),
    inserted: integer().notNull().default(0),
    updated: integer().notNull().default(0),
    unchanged: integer().notNull().default(0),
    rejected: integer().notNull().default(0),
    rejectFile: text(),
    startedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // Moved on by every committed batch: a running import that stopped moving was killed.
    heartbeatAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index('import_runs_hash_idx').on(t.fileSha256),
    check('import_runs_status_ck', sql`${t.status} in ('running','completed','failed','interrupted','dry-run')`),
  ],
);

