// Adding, editing, listing and deactivating the practice's providers, locations, payers and
// clearinghouses. Every record is found by its key (NPI, location code, payer id, name), so entering the
// same one twice edits it instead of making a duplicate.
import { asc, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { locations } from '../db/schema/practice.js';
import type { Db, DbOrTx } from '../db/types.js';
import { NotFoundError, PracticeError, UsageError, ValidationError, type Issue } from '../errors.js';
import { kebab, type EntityKind } from './entities.js';

/** Checked values by field key; null clears an optional field. */
export type Entry = Record<string, string | null>;
export type Row = Record<string, unknown>;

export interface CheckOptions {
  /** A new record: its required fields must be there. */
  creating: boolean;
  /** Where the entry came from, for messages: "Provider 2". */
  context?: string;
  /** Path prefix for issues: "providers[1]". */
  path?: string;
}

/** Checks every field given and reports all problems at once; unknown fields are problems too. */
export function checkEntry(kind: EntityKind, input: Record<string, unknown>, options: CheckOptions): { entry: Entry; issues: Issue[] } {
  const entry: Entry = {};
  const issues: Issue[] = [];
  const say = (message: string) => (options.context ? `${options.context}: ${message}` : message);
  const at = (key: string) => (options.path ? `${options.path}.${key}` : kebab(key));
  for (const [key, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    const spec = kind.fields.find((f) => f.key === key);
    if (!spec) {
      issues.push({ code: 'UNKNOWN_FIELD', path: at(key), message: say(`"${key}" is not a ${kind.name} field (known: ${kind.fields.map((f) => f.key).join(', ')}).`) });
      continue;
    }
    if (raw === null || String(raw).trim() === '') {
      if (spec.required) issues.push({ code: 'REQUIRED', path: at(key), message: say(`${spec.label} cannot be empty.`) });
      else entry[key] = null;
      continue;
    }
    if (typeof raw === 'object') {
      issues.push({ code: 'NOT_TEXT', path: at(key), message: say(`${spec.label} must be a single value.`) });
      continue;
    }
    const result = spec.check(String(raw), spec.label);
    if ('problem' in result) issues.push({ code: `BAD_${kebab(key).toUpperCase().replaceAll('-', '_')}`, path: at(key), message: say(result.problem) });
    else entry[key] = result.value;
  }
  if (options.creating) {
    for (const spec of kind.fields) {
      if (spec.required && !(spec.key in entry) && !issues.some((i) => i.path === at(spec.key))) {
        issues.push({ code: 'REQUIRED', path: at(spec.key), message: say(`${spec.label} is needed for a new ${kind.name}.`) });
      }
    }
  }
  return { entry, issues };
}

/** Throws the issues as one ValidationError, so nothing is written when any value is wrong. */
export function assertNoIssues(issues: Issue[]): void {
  if (issues.length > 0) throw new ValidationError(issues);
}

const columnsOf = (kind: EntityKind) => getTableColumns(kind.table) as Record<string, PgColumn>;

/** Column values for an entry: numbers and yes/no converted, a provider's location code turned into its id. */
async function toColumns(db: DbOrTx, kind: EntityKind, entry: Entry): Promise<Row> {
  const row: Row = {};
  for (const [key, value] of Object.entries(entry)) {
    const spec = kind.fields.find((f) => f.key === key)!;
    if (key === 'defaultLocation') {
      row.defaultLocationId = value === null ? null : await locationId(db, value);
    } else {
      row[key] = value !== null && spec.toColumn ? spec.toColumn(value) : value;
    }
  }
  return row;
}

async function locationId(db: DbOrTx, code: string): Promise<number> {
  const [found] = await db.select({ id: locations.id }).from(locations).where(eq(locations.code, code));
  if (!found) {
    throw new ValidationError([{ code: 'UNKNOWN_LOCATION', path: 'default-location', message: `There is no location with code "${code}".` }], undefined);
  }
  return found.id;
}

export async function findEntry(db: DbOrTx, kind: EntityKind, key: string): Promise<Row | undefined> {
  const [row] = await db.select().from(kind.table as never).where(eq(columnsOf(kind)[kind.key]!, key));
  return row as Row | undefined;
}

export async function listEntries(db: Db, kind: EntityKind, options: { includeInactive?: boolean } = {}): Promise<Row[]> {
  const columns = columnsOf(kind);
  const where: SQL | undefined = kind.hasActive && !options.includeInactive ? eq(columns.active!, true) : undefined;
  return (await db.select().from(kind.table as never).where(where).orderBy(asc(columns[kind.key]!))) as Row[];
}

/** The key as typed, checked like the field (so "npi 123" says what is wrong rather than "not found"). */
export function checkKey(kind: EntityKind, raw: string): string {
  const spec = kind.fields.find((f) => f.key === kind.key)!;
  const result = spec.check(raw, spec.label);
  if ('problem' in result) throw new ValidationError([{ code: 'BAD_KEY', path: kebab(kind.key), message: result.problem }]);
  return result.value;
}

function describe(kind: EntityKind, key: string): string {
  const spec = kind.fields.find((f) => f.key === kind.key)!;
  return `The ${kind.name} with ${spec.label.toLowerCase() === 'npi' ? 'NPI' : spec.label.toLowerCase()} ${key}`;
}

/** Inserts the entry, or updates the record with that id; records the audit entry either way. */
export async function writeEntry(tx: DbOrTx, actor: AuditActor, kind: EntityKind, entry: Entry, existingId?: number): Promise<Row> {
  const values = await toColumns(tx, kind, entry);
  const table = kind.table as never;
  const [row] = (
    existingId === undefined
      ? await tx.insert(table).values(values as never).returning()
      : await tx.update(table).set({ ...values, updatedAt: sql`now()` } as never).where(eq(columnsOf(kind).id!, existingId)).returning()
  ) as Row[];
  const action = existingId === undefined ? 'insert' : 'update';
  await recordAudit(tx, actor, { action, entity: kind.plural, entityId: row!.id as number, details: { fields: Object.keys(entry) } });
  return row!;
}

export async function addEntry(db: Db, actor: AuditActor, kind: EntityKind, input: Record<string, unknown>): Promise<Row> {
  const { entry, issues } = checkEntry(kind, input, { creating: true });
  assertNoIssues(issues);
  const key = entry[kind.key]!;
  return db.transaction(async (tx) => {
    if (await findEntry(tx, kind, key)) {
      throw new PracticeError('ALREADY_EXISTS', `${describe(kind, key)} is already recorded.`, {
        hint: `Change it with "practice ${kind.plural} edit ${key} ..." instead.`,
      });
    }
    return writeEntry(tx, actor, kind, entry);
  });
}

async function existingOrFail(tx: DbOrTx, kind: EntityKind, key: string): Promise<Row> {
  const existing = await findEntry(tx, kind, key);
  if (!existing) throw new NotFoundError(describe(kind, key), `See "practice ${kind.plural} list --all".`);
  return existing;
}

export async function editEntry(db: Db, actor: AuditActor, kind: EntityKind, rawKey: string, changes: Record<string, unknown>): Promise<Row> {
  const key = checkKey(kind, rawKey);
  const { entry, issues } = checkEntry(kind, changes, { creating: false });
  assertNoIssues(issues);
  if (Object.keys(entry).length === 0) {
    throw new UsageError(`Nothing to change for ${describe(kind, key).toLowerCase()}.`, `Give the new values as options; see "practice ${kind.plural} edit --help".`);
  }
  return db.transaction(async (tx) => writeEntry(tx, actor, kind, entry, (await existingOrFail(tx, kind, key)).id as number));
}

export async function setActive(db: Db, actor: AuditActor, kind: EntityKind, rawKey: string, active: boolean): Promise<{ row: Row; changed: boolean }> {
  const key = checkKey(kind, rawKey);
  return db.transaction(async (tx) => {
    const existing = await existingOrFail(tx, kind, key);
    if (existing.active === active) return { row: existing, changed: false };
    const [row] = (await tx
      .update(kind.table as never)
      .set({ active, updatedAt: sql`now()` } as never)
      .where(eq(columnsOf(kind).id!, existing.id as number))
      .returning()) as Row[];
    await recordAudit(tx, actor, { action: active ? 'reactivate' : 'deactivate', entity: kind.plural, entityId: row!.id as number });
    return { row: row!, changed: true };
  });
}

export interface SaveOutcome {
  created: number;
  updated: number;
}

/**
 * Writes checked entries, editing those whose key is already recorded (set-up reruns). Fields an entry
 * leaves out keep their recorded values.
 */
export async function saveEntries(tx: DbOrTx, actor: AuditActor, kind: EntityKind, entries: Entry[]): Promise<SaveOutcome> {
  const outcome: SaveOutcome = { created: 0, updated: 0 };
  for (const entry of entries) {
    const existing = await findEntry(tx, kind, entry[kind.key]!);
    await writeEntry(tx, actor, kind, entry, existing?.id as number | undefined);
    if (existing) outcome.updated++;
    else outcome.created++;
  }
  return outcome;
}
