// Runs an import: an import_runs row, batches of items each written in its own transaction (so a kill
// leaves whole batches and a rerun finishes the job), counts that add up, and --dry-run on the same path.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Progress } from '../progress.js';
import type { AuditActor } from '../db/audit.js';
import { importRuns } from '../db/schema/index.js';
import { planThenApply } from '../db/transaction.js';
import type { Db, DbOrTx } from '../db/types.js';
import { recordAudit } from '../db/audit.js';
import { Stopped, throwIfStopped } from '../errors.js';
import { failpoint } from '../faults/failpoint.js';
import { rowRefusal } from './refusals.js';
import { unstorableColumns } from './writer.js';
import type { RejectWriter } from './rejects.js';
import { countBuckets, emptyCounts, writeBatch, type BatchOptions, type BucketCounts, type ImportItem, type ItemResult } from './engine.js';

/**
 * The steps of an import where a test can kill the process (PRACTICE_FAILPOINT=import:<step>[@n]): after
 * each row written alone (a batch the database refused), after a batch is written, just before it commits
 * (its counts written too), after it commits, after its rejected rows are in the reject file.
 */
export const IMPORT_FAILPOINTS = ['after-row', 'after-batch', 'before-commit', 'after-commit', 'after-rejects'] as const;
const step = (name: (typeof IMPORT_FAILPOINTS)[number]) => failpoint(`import:${name}`);

export interface RunOptions {
  fileName: string;
  fileSha256: string;
  kind: string;
  format: string;
  actor: AuditActor;
  sourceSystem: string;
  chartSystem?: string;
  dryRun: boolean;
  rejectFile?: string;
  /** Called after each batch with the items and their results (reject file, progress). */
  onBatch?: (items: ImportItem[], results: ItemResult[]) => Promise<void> | void;
  /** Aborted to stop between batches (Ctrl-C, SIGTERM): the batches written stay, the run is marked interrupted. */
  signal?: AbortSignal;
}

export interface RunSummary {
  runId: number | null;
  counts: BucketCounts;
  possibleDuplicates: number;
}

/** What every import format takes from the command line. */
export interface ImportOptions {
  actor: AuditActor;
  /** The source system name: keys re-imports. */
  source: string;
  dryRun: boolean;
  batchSize: number;
  progress: Progress;
  rejectFile?: string;
  /** Aborted to stop between batches. */
  signal?: AbortSignal;
  /** The instant the command was given: the practice's today at it bounds the dates a record may have. */
  now: Date;
}

/** The result of one `practice import`, as the command prints it. */
export interface ImportSummary {
  kind: string;
  dryRun: boolean;
  runIds: number[];
  counts: BucketCounts;
  /** Per file for folder imports (Synthea). */
  files?: { file: string; counts: BucketCounts }[];
  rejectFile: string | null;
  possibleDuplicates: number;
  rejectReasons: { reason: string; rows: number }[];
  /** Files in the folder that hold nothing the import stores (non-FHIR JSON, Synthea claims...). */
  ignoredFiles?: string[];
}

/** Closes the reject file and puts one run's outcome in the command's shape. */
export async function summarise(kind: string, dryRun: boolean, run: Omit<RunSummary, 'runId'> & { runIds: number[] }, rejects: RejectWriter, extra: Partial<ImportSummary> = {}): Promise<ImportSummary> {
  return {
    kind,
    dryRun,
    runIds: run.runIds,
    counts: run.counts,
    rejectFile: await rejects.close(),
    possibleDuplicates: run.possibleDuplicates,
    rejectReasons: rejects.summary(),
    ...extra,
  };
}

/** Writes batches as they come; each batch commits on its own (or, with dryRun, everything rolls back). */
export async function runImport(db: Db, batches: AsyncIterable<ImportItem[]>, options: RunOptions): Promise<RunSummary> {
  const counts = emptyCounts();
  let possibleDuplicates = 0;
  let runId: number | null = null;
  if (!options.dryRun) {
    await markStoppedRuns(db);
    const [run] = await db
      .insert(importRuns)
      .values({ fileName: options.fileName, fileSha256: options.fileSha256, kind: options.kind, format: options.format, actor: options.actor.actor })
      .returning({ id: importRuns.id });
    runId = run!.id;
  }
  const batchOptions: BatchOptions = { sourceSystem: options.sourceSystem, chartSystem: options.chartSystem };
  // A batch, or (isolating) each item of it in a savepoint of its own, so a row the database refuses is
  // rejected and the others are kept; either way the batch and its counts commit together or not at all.
  const one = async (tx: DbOrTx & { transaction: Db['transaction'] }, items: ImportItem[], isolating: boolean) => {
    let written: { results: ItemResult[]; possibleDuplicates: number };
    if (!isolating) written = await writeBatch(tx, items, batchOptions);
    else {
      written = { results: [], possibleDuplicates: 0 };
      for (const item of items) {
        try {
          const alone = await tx.transaction((savepoint) => writeBatch(savepoint, [item], batchOptions));
          written.results.push(alone.results[0]!);
          written.possibleDuplicates += alone.possibleDuplicates;
        } catch (error) {
          const refusal = rowRefusal(error, unstorableColumns(item.patients, item.records));
          if (!refusal) throw error;
          written.results.push({ bucket: 'rejected', reasons: [...item.problems, refusal] });
        }
        step('after-row');
      }
    }
    step('after-batch');
    const batchCounts = countBuckets(written.results);
    if (batchCounts.inserted + batchCounts.updated > 0) {
      await recordAudit(tx, options.actor, {
        action: 'import',
        entity: 'import_runs',
        entityId: runId,
        details: { inserted: batchCounts.inserted, updated: batchCounts.updated, unchanged: batchCounts.unchanged, rejected: batchCounts.rejected },
      });
    }
    if (runId !== null) {
      await tx
        .update(importRuns)
        .set({
          rowsRead: sql`${importRuns.rowsRead} + ${batchCounts.read}`,
          inserted: sql`${importRuns.inserted} + ${batchCounts.inserted}`,
          updated: sql`${importRuns.updated} + ${batchCounts.updated}`,
          unchanged: sql`${importRuns.unchanged} + ${batchCounts.unchanged + batchCounts.skipped}`,
          rejected: sql`${importRuns.rejected} + ${batchCounts.rejected}`,
          heartbeatAt: sql`now()`,
        })
        .where(eq(importRuns.id, runId));
    }
    step('before-commit');
    return written;
  };
  /** One batch in its own transaction; when the database refuses it, again item by item. */
  const write = async (open: Db['transaction'], items: ImportItem[]) => {
    try {
      return await open((tx) => one(tx, items, false));
    } catch (error) {
      if (!rowRefusal(error)) throw error;
      return open((tx) => one(tx, items, true));
    }
  };
  const consume = async (runBatch: (items: ImportItem[]) => Promise<{ results: ItemResult[]; possibleDuplicates: number }>) => {
    const iterator = batches[Symbol.asyncIterator]();
    try {
      let next = iterator.next();
      for (;;) {
        const { value: items, done } = await next;
        if (done) break;
        await throwIfStopped(options.signal);
        // The next batch is read and checked while this one is written: parsing and the database overlap.
        next = iterator.next();
        next.catch(() => undefined); // a read error surfaces when that batch is awaited
        if (items.length === 0) continue;
        const written = await runBatch(items);
        step('after-commit');
        countBuckets(written.results, counts);
        possibleDuplicates += written.possibleDuplicates;
        await options.onBatch?.(items, written.results);
        step('after-rejects');
      }
    } finally {
      await iterator.return?.();
    }
  };
  try {
    if (options.dryRun) {
      // One outer transaction rolled back at the end, so later batches still see earlier ones' patients.
      await planThenApply(db, true, (outer) => consume((items) => write((work) => outer.transaction(work), items)));
    } else {
      await consume((items) => write((work) => db.transaction(work), items));
    }
  } catch (error) {
    if (runId !== null) await db.update(importRuns).set({ status: error instanceof Stopped ? 'interrupted' : 'failed', finishedAt: new Date() }).where(eq(importRuns.id, runId));
    throw error;
  }
  if (runId !== null) {
    await db
      .update(importRuns)
      .set({ status: 'completed', finishedAt: new Date(), rejectFile: counts.rejected > 0 ? (options.rejectFile ?? null) : null })
      .where(eq(importRuns.id, runId));
  }
  return { runId, counts, possibleDuplicates };
}

/** SHA-256 of a file, or of a folder's files in name order (streamed, never read whole). */
export async function fingerprint(path: string): Promise<string> {
  const hash = createHash('sha256');
  const add = async (p: string): Promise<void> => {
    const info = await stat(p);
    if (info.isDirectory()) {
      for (const name of (await readdir(p)).sort()) await add(join(p, name));
      return;
    }
    hash.update(`${p.length}:${p}`);
    for await (const chunk of createReadStream(p)) hash.update(chunk as Buffer);
  };
  await add(path);
  return hash.digest('hex');
}

export interface ImportLogEntry {
  id: number;
  fileName: string;
  kind: string;
  format: string;
  actor: string;
  status: string;
  rowsRead: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rejectFile: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/**
 * A killed import cannot say so: its run stays 'running'. A run whose last batch is older than this has
 * stopped (batches take seconds), so it is marked interrupted; rerunning the same command finishes it.
 */
export const STOPPED_AFTER_MINUTES = 10;

export async function markStoppedRuns(db: DbOrTx, afterMinutes = STOPPED_AFTER_MINUTES): Promise<void> {
  await db
    .update(importRuns)
    .set({ status: 'interrupted', finishedAt: sql`${importRuns.heartbeatAt}` })
    .where(and(eq(importRuns.status, 'running'), lt(importRuns.heartbeatAt, sql`now() - make_interval(mins => ${afterMinutes})`)));
}

/**
 * The latest runs, newest first. `exclusive`: this process holds the only connection (the embedded
 * database's folder lock), so any run still 'running' was killed, however recent.
 */
export async function importLog(db: Db, limit: number, options: { exclusive?: boolean } = {}): Promise<ImportLogEntry[]> {
  await markStoppedRuns(db, options.exclusive ? 0 : STOPPED_AFTER_MINUTES);
  const rows = await db.select().from(importRuns).orderBy(desc(importRuns.id)).limit(limit);
  return rows.map((r) => ({ ...r, startedAt: r.startedAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null }));
}

