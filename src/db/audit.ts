// Every write is recorded: who, what, which record, from which command. Never patient values.
import { auditLog } from './schema/audit.js';
import type { DbOrTx } from './types.js';

export interface AuditActor {
  actor: string;
  command: string;
}

export interface AuditEntry {
  action: string;
  entity: string;
  entityId?: string | number | null;
  /** Field names, counts and ids only. */
  details?: Record<string, unknown>;
}

export async function recordAudit(db: DbOrTx, who: AuditActor, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await db.insert(auditLog).values(
    list.map((entry) => ({
      actor: who.actor,
      command: who.command,
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId === undefined || entry.entityId === null ? null : String(entry.entityId),
      details: entry.details ?? null,
    })),
  );
}
