// The append-only audit trail and the import log. Triggers in the migrations (audit_chain) refuse UPDATE
// and DELETE, refuse a blank actor, and seal each entry into a hash chain when its transaction commits.
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
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
    // The chart the entry is about (no foreign key: the trail outlives merges and never blocks them).
    patientId: integer(),
    // The hash chain, set by the database at commit: position, the previous entry's hash, this entry's
    // sha256 over that hash and its own content. Never written by the application.
    seq: integer(),
    prevHash: text(),
    hash: text(),
  },
  (t) => [
    index('audit_log_entity_idx').on(t.entity, t.entityId),
    index('audit_log_at_idx').on(t.at),
    index('audit_log_patient_idx').on(t.patientId),
    // One entry per position: two writers that read the same tail cannot both append (no fork).
    uniqueIndex('audit_log_seq_key').on(t.seq),
  ],
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

