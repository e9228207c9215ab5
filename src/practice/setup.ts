// `practice setup`: records the practice, its locations, providers, payers and clearinghouse in one
// transaction from a set-up document (practice.json, flags or the wizard). Every value is checked first and
// all problems are reported together; rerunning edits the records with the same keys.
import { sql } from 'drizzle-orm';
import type { AuditActor } from '../db/audit.js';
import { practice } from '../db/schema/practice.js';
import { planThenApply } from '../db/transaction.js';
import type { Db, DbOrTx } from '../db/types.js';
import type { Issue } from '../errors.js';
import { assertNoIssues, checkEntry, saveEntries, writeEntry, type Entry, type Row, type SaveOutcome } from './directory.js';
import { clearinghouseKind, locationKind, payerKind, practiceKind, providerKind, type EntityKind } from './entities.js';

/** The shape of practice.json: every part optional, so a rerun can carry only what changes. */
export interface SetupDocument {
  practice?: Record<string, unknown>;
  locations?: Record<string, unknown>[];
  providers?: Record<string, unknown>[];
  payers?: Record<string, unknown>[];
  clearinghouses?: Record<string, unknown>[];
}

/** The lists in the order they are written: providers refer to locations by code. */
export const SETUP_LISTS = [
  ['locations', locationKind],
  ['providers', providerKind],
  ['payers', payerKind],
  ['clearinghouses', clearinghouseKind],
] as const satisfies readonly (readonly [keyof SetupDocument, EntityKind])[];


export interface SetupSummary {
  dryRun: boolean;
  practice: 'created' | 'updated' | 'unchanged';
  locations: SaveOutcome;
  providers: SaveOutcome;
  payers: SaveOutcome;
  clearinghouses: SaveOutcome;
}

interface CheckedSetup {
  practice?: Record<string, unknown>;
  lists: { kind: EntityKind; entries: Entry[] }[];
}

const capitalised = (s: string) => s[0]!.toUpperCase() + s.slice(1);

function checkDocument(doc: unknown, practiceExists: boolean): CheckedSetup {
  const issues: Issue[] = [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    assertNoIssues([{ code: 'NOT_AN_OBJECT', message: 'The set-up file must hold one JSON object with "practice", "locations", "providers", "payers" and "clearinghouses".' }]);
  }
  const input = doc as Record<string, unknown>;
  const known = ['practice', ...SETUP_LISTS.map(([name]) => name)];
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) issues.push({ code: 'UNKNOWN_SECTION', path: key, message: `"${key}" is not a set-up section (known: ${known.join(', ')}).` });
  }

  let practiceEntry: Entry | undefined;
  if (input.practice !== undefined || !practiceExists) {
    const section = input.practice;
    if (typeof section !== 'object' || section === null || Array.isArray(section)) {
      issues.push({ code: 'PRACTICE_MISSING', path: 'practice', message: 'The practice itself (legal name, TIN, billing NPI) must be set up first.' });
    } else {
      const checked = checkEntry(practiceKind, section as Record<string, unknown>, { creating: !practiceExists, context: 'Practice', path: 'practice' });
      issues.push(...checked.issues);
      practiceEntry = checked.entry;
    }
  }

  const lists: CheckedSetup['lists'] = [];
  for (const [name, kind] of SETUP_LISTS) {
    const section = input[name];
    if (section === undefined) continue;
    if (!Array.isArray(section)) {
      issues.push({ code: 'NOT_A_LIST', path: name, message: `"${name}" must be a list ([ ... ]) of ${kind.plural}.` });
      continue;
    }
    const entries: Entry[] = [];
    const seen = new Map<string, number>();
    section.forEach((item, i) => {
      const context = `${capitalised(kind.name)} ${i + 1}`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        issues.push({ code: 'NOT_AN_OBJECT', path: `${name}[${i}]`, message: `${context} must be an object with its fields.` });
        return;
      }
      // Every entry names its record by key, so the file can also be a rerun.
      const checked = checkEntry(kind, item as Record<string, unknown>, { creating: true, context, path: `${name}[${i}]` });
      issues.push(...checked.issues);
      const key = checked.entry[kind.key];
      if (key) {
        const first = seen.get(key);
        if (first !== undefined) issues.push({ code: 'DUPLICATE', path: `${name}[${i}]`, message: `${context} repeats ${kind.name} ${first + 1} (${key}).` });
        seen.set(key, i);
      }
      entries.push(checked.entry);
    });
    lists.push({ kind, entries });
  }
  assertNoIssues(issues);
  return { practice: practiceEntry, lists };
}

async function currentPractice(db: DbOrTx): Promise<Row | undefined> {
  const [row] = await db.select().from(practice).limit(1);
  return row;
}

/**
 * Checks the whole document, then writes it in one transaction. With dryRun the same writes run and are
 * rolled back, so the summary shows exactly what a real run would do.
 */
export async function runSetup(db: Db, actor: AuditActor, doc: unknown, options: { dryRun?: boolean } = {}): Promise<SetupSummary> {
  const existingPractice = await currentPractice(db);
  const checked = checkDocument(doc, existingPractice !== undefined);
  const summary: SetupSummary = {
    dryRun: Boolean(options.dryRun),
    practice: 'unchanged',
    locations: { created: 0, updated: 0 },
    providers: { created: 0, updated: 0 },
    payers: { created: 0, updated: 0 },
    clearinghouses: { created: 0, updated: 0 },
  };
  return planThenApply(db, Boolean(options.dryRun), async (tx) => {
    if (checked.practice && Object.keys(checked.practice).length > 0) {
      const found = await currentPractice(tx);
      await writeEntry(tx, actor, practiceKind, checked.practice as Entry, found?.id as number | undefined);
      summary.practice = found ? 'updated' : 'created';
    }
    for (const { kind, entries } of checked.lists) {
      summary[kind.plural as keyof Omit<SetupSummary, 'dryRun' | 'practice'>] = await saveEntries(tx, actor, kind, entries);
    }
    if (checked.lists.some((l) => l.kind === clearinghouseKind)) await keepOneDefaultClearinghouse(tx);
    return summary;
  });
}

/** Claims go to the default clearinghouse: with only one, it is the default; with several, the newest marked one wins. */
async function keepOneDefaultClearinghouse(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`
    update clearinghouses set is_default = (id = (
      select id from clearinghouses order by is_default desc, updated_at desc, id desc limit 1
    ))`);
}

/** What is recorded now, in the shape of practice.json (for the wizard's defaults and `setup --show`). */
export async function currentSetup(db: Db): Promise<{ practice?: Row; locations: Row[]; providers: Row[]; payers: Row[]; clearinghouses: Row[] }> {
  const [practiceRow, ...lists] = await Promise.all([
    currentPractice(db),
    ...SETUP_LISTS.map(([, kind]) => db.select().from(kind.table as never) as Promise<Row[]>),
  ]);
  return {
    practice: practiceRow as Row | undefined,
    locations: lists[0] as Row[],
    providers: lists[1] as Row[],
    payers: lists[2] as Row[],
    clearinghouses: lists[3] as Row[],
  };
}
