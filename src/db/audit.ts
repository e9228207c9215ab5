// Every write and every chart read is recorded: who, what, which record and chart, from which command.
// Never patient values. The database seals each entry into the hash chain when the transaction commits
// (migration audit_chain_triggers); src/audit/ reads, verifies and accounts for the trail.
import { inArray, sql } from 'drizzle-orm';
import { UsageError } from '../errors.js';
import { faultDue } from '../faults/failpoint.js';
import { auditLog } from './schema/audit.js';
import { patients } from './schema/patients.js';
import type { DbOrTx } from './types.js';

export interface AuditActor {
  actor: string;
  command: string;
}

export interface AuditEntry {
  action: string;
  entity: string;
  entityId?: string | number | null;
  /** The chart the entry concerns; taken from a patients entity or details.patientId when not given. */
  patientId?: number | null;
  /** Field names, counts and ids only. */
  details?: Record<string, unknown>;
}

/** Who is acting must be known: a blank name is refused here, and by the database (audit_log_actor_ck). */
export function requireActor(actor: string): string {
  if (actor.trim() === '') {
    throw new UsageError('The user name recorded in the audit trail is blank.', 'Give --user <your name> or set PRACTICE_USER (it defaults to your login name).');
  }
  return actor;
}

function chartOf(entry: AuditEntry): number | null {
  if (entry.patientId !== undefined) return entry.patientId;
  if (entry.entity === 'patients' && entry.entityId !== undefined && entry.entityId !== null && /^\d{1,9}$/.test(String(entry.entityId))) return Number(entry.entityId);
  const fromDetails = entry.details?.patientId;
  return typeof fromDetails === 'number' ? fromDetails : null;
}

export async function recordAudit(db: DbOrTx, who: AuditActor, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  requireActor(who.actor);
  // Test only (PRACTICE_FAILPOINT=db:disk-full): the database itself refuses this write as a full disk would.
  if (faultDue('db:disk-full')) {
    await db.execute(sql.raw(`do $$ begin raise exception using errcode = 'disk_full', message = 'could not extend file "base/1/1": No space left on device'; end $$`));
  }
  // In slices: a work list of thousands of charts stays under the driver's bound-parameter limit.
  for (let i = 0; i < list.length; i += 1000) {
    await db.insert(auditLog).values(
      list.slice(i, i + 1000).map((entry) => ({
        actor: who.actor,
        command: who.command,
        action: entry.action,
        entity: entry.entity,
        entityId: entry.entityId === undefined || entry.entityId === null ? null : String(entry.entityId),
        patientId: chartOf(entry),
        details: entry.details ?? null,
      })),
    );
  }
}

/** The charts a command showed: by id, or by chart number (MRN) when a list carries only those. */
export type ChartsShown = number | number[] | { mrns: string[] };

/**
 * A chart was looked at: one "read" entry per patient shown. `view` names what was shown
 * (chart-summary, problems, search-result, ...); `details` holds ids and counts only.
 */
export async function recordChartRead(db: DbOrTx, who: AuditActor, shown: ChartsShown, view: string, details: Record<string, unknown> = {}): Promise<void> {
  let ids: number[];
  if (typeof shown === 'number') ids = [shown];
  else if (Array.isArray(shown)) ids = shown;
  else {
    ids = [];
    const mrns = [...new Set(shown.mrns)];
    for (let i = 0; i < mrns.length; i += 5000) {
      const rows = await db.select({ id: patients.id }).from(patients).where(inArray(patients.mrn, mrns.slice(i, i + 5000)));
      ids.push(...rows.map((r) => r.id));
    }
  }
  const unique = [...new Set(ids)].sort((a, b) => a - b);
  await recordAudit(db, who, unique.map((id) => ({ action: 'read', entity: 'patients', entityId: id, patientId: id, details: { view, ...details } })));
}

/** To whom, and why, records left the practice: the HIPAA accounting of disclosures reads these. */
export interface Disclosure {
  recipient: string;
  purpose: string;
  /** What was disclosed, as kinds and counts (e.g. "FHIR bundle: 3 Condition, 1 Patient"), never values. */
  what: string;
}

/**
 * A disclosure of one chart (patientId) or of the whole practice (patientId null: a bulk export);
 * `record` names what was sent when it is a record of its own (a referral).
 */
export async function recordDisclosure(
  db: DbOrTx,
  who: AuditActor,
  patientId: number | null,
  disclosure: Disclosure,
  details: Record<string, unknown> = {},
  record?: { entity: string; entityId: number },
): Promise<void> {
  await recordAudit(db, who, {
    action: 'disclose',
    entity: record?.entity ?? (patientId === null ? 'practice' : 'patients'),
    entityId: record?.entityId ?? patientId,
    patientId,
    details: { ...details, recipient: disclosure.recipient, purpose: disclosure.purpose, what: disclosure.what },
  });
}
