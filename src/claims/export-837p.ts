// Writes X12 837P 005010X222A1 batches. The envelope numbers come from a persistent counter taken in
// the same transaction that records the batch with its claims and the file's exact bytes; the file
// is written afterwards (atomically) and the batch marked written, so a crash at any instant leaves
// either no batch or one the next export writes, byte for byte.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { asc, eq, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { idArray, queryRows } from '../db/query.js';
import { waitForPracticeLock } from '../db/advisory.js';
import { claimBatches, x12Counters } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { NotFoundError, PracticeError, throwIfStopped, UsageError } from '../errors.js';
import { failpoint } from '../faults/failpoint.js';
import { writePrivateFile } from '../files/private-file.js';
import { scopeCondition, scrubClaims, type EditFailure } from './edits.js';
import { digits, findClearinghouse, loadClaims, loadPayTo, loadPractice, render837p, separatorsOf } from './render-837p.js';
import { planThenApply } from '../db/transaction.js';
import { Lint837p } from './x12/lint-837p.js';

// The payment side (835 posting) finds lines by the REF*6R the file carries.
export { lineControlNumber } from './render-837p.js';

async function nextControlNumber(tx: DbOrTx, name: string): Promise<number> {
  const [row] = await tx
    .insert(x12Counters)
    .values({ name, lastValue: 1 })
    .onConflictDoUpdate({ target: x12Counters.name, set: { lastValue: sql`${x12Counters.lastValue} + 1` } })
    .returning({ value: x12Counters.lastValue });
  return row!.value;
}

export interface ExportOptions {
  outDir: string;
  payerId?: number;
  clearinghouse?: string;
  now: Date;
  dryRun?: boolean;
  /** Aborted to stop between batches: an open batch is finished by the next export. */
  signal?: AbortSignal;
}

/** A batch an earlier export recorded but was stopped before it saw the file written, now written. */
export interface CompletedBatch {
  batchId: number;
  file: string;
  interchangeControlNumber: number;
  claims: number;
}

export interface ExportResult {
  batchId: number | null;
  file: string | null;
  interchangeControlNumber: number | null;
  claims: number;
  totalCents: number;
  held: EditFailure[];
  /** Batches of earlier, interrupted exports, finished first (same file, same control numbers). */
  completed: CompletedBatch[];
}

/**
 * The steps of an export where a test can kill the process (PRACTICE_FAILPOINT=claims-export:<step>):
 * inside the transaction that records the batch, after it commits, after the temporary file is
 * written, after it is flushed to disk, after it is renamed into place, after the batch is marked written.
 */
export const EXPORT_FAILPOINTS = ['before-record', 'after-record', 'after-write', 'after-fsync', 'after-rename', 'after-commit'] as const;
const step = (name: (typeof EXPORT_FAILPOINTS)[number]) => failpoint(`claims-export:${name}`);
const WRITER_STEPS = { written: 'after-write', flushed: 'after-fsync', renamed: 'after-rename' } as const;

/** Open rejections of claims now in a new batch are settled: the claim was changed and passed the edits. */
async function settleRejections(tx: DbOrTx, batchClaims: SQL): Promise<void> {
  await tx.execute(sql`update claim_rejections set resolved_at = now(), resolution = 'changed'
                       where resolved_at is null and claim_id = any(${batchClaims})`);
}

/** The folder must exist and take files before any batch is recorded for it. */
async function checkOutDir(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new PracticeError('EXPORT_WRITE_FAILED', `Cannot write the claim file in ${dir} (${code}).`, {
      hint: 'Check the folder exists and you can write to it. No claim was marked exported.',
      cause: error,
    });
  }
}

export function batchFileName(batch: { id: number; interchangeControlNumber: number }): string {
  return `837P-${String(batch.interchangeControlNumber).padStart(9, '0')}-batch${batch.id}.x12`;
}

/**
 * BHT03, the originator's reference for the transaction: the batch, never a claim (claim numbers are
 * PK + 9 digits). B, the practice's date of the batch, and the batch number.
 */
export function batchReference(batchId: number, at: DateTime): string {
  return `B${at.toFormat('yyyyMMdd')}${String(batchId).padStart(3, '0')}`;
}

/**
 * Writes a recorded batch's file from the copy kept with it and marks the batch written, in one
 * transaction that holds the batch row, so two runs never write it at once. The file only ever
 * carries the stored bytes, so writing it twice (a kill between rename and commit) changes nothing.
 * Returns null when another run has already written it.
 */
async function writeRecordedBatch(db: Db, actor: AuditActor, batchId: number, lock: 'wait' | 'skip', outDir?: string): Promise<CompletedBatch | null> {
  return db.transaction(async (tx) => {
    const [batch] = await queryRows<typeof claimBatches.$inferSelect>(
      tx,
      sql`select id, status, content, file_name as "fileName", file_dir as "fileDir", file_sha256 as "fileSha256",
                 interchange_control_number as "interchangeControlNumber", claim_count as "claimCount"
          from claim_batches where id = ${batchId} ${outDir ? sql`` : sql`and status = 'open'`}
          for update ${lock === 'skip' ? sql`skip locked` : sql``}`,
    );
    if (!batch) return null;
    const dir = outDir ?? batch.fileDir;
    if (!batch.content || !batch.fileName || !dir) throw new UsageError(`Batch ${batchId} has no file content to write.`);
    const sha256 = createHash('sha256').update(batch.content).digest('hex');
    if (sha256 !== batch.fileSha256) throw new PracticeError('BATCH_DAMAGED', `The stored copy of batch ${batchId} does not match its checksum.`, { hint: 'Do not resend it; ask the administrator to check the database.' });
    const file = await writePrivateFile(join(dir, batch.fileName), batch.content, { onStep: (s) => step(WRITER_STEPS[s]) }).catch((error: unknown) => {
      if (!(error instanceof PracticeError)) throw error;
      // The batch stays recorded (its claims in it, its control numbers taken): say how to finish it.
      const recorded = `Batch ${batchId} is recorded, but its file could not be written: ${error.message}`;
      if (error.code === 'DISK_FULL') throw new PracticeError(error.code, `${recorded} Free some space and run the export again: it writes batch ${batchId} first.`, { cause: error });
      throw new PracticeError(error.code, recorded, {
        hint: `Fix the folder and run the export again (it writes batch ${batchId} first), or write it elsewhere with "practice claims export --batch ${batchId} --again --out <dir>".`,
        cause: error,
      });
    });
    if (batch.status === 'open') {
      await tx.update(claimBatches).set({ status: 'exported', exportedAt: new Date() }).where(eq(claimBatches.id, batchId));
      await recordAudit(tx, actor, { action: 'export-file', entity: 'claim_batches', entityId: batchId, details: { interchangeControlNumber: batch.interchangeControlNumber, claims: batch.claimCount } });
    }
    return { batchId, file, interchangeControlNumber: batch.interchangeControlNumber, claims: batch.claimCount };
  });
}

/** Batches recorded by exports that were stopped before their file was written: written now, in order. */
async function finishOpenBatches(db: Db, actor: AuditActor, signal?: AbortSignal): Promise<CompletedBatch[]> {
  const open = await db.select({ id: claimBatches.id }).from(claimBatches).where(eq(claimBatches.status, 'open')).orderBy(asc(claimBatches.id));
  const done: CompletedBatch[] = [];
  for (const { id } of open) {
    await throwIfStopped(signal);
    const written = await writeRecordedBatch(db, actor, id, 'skip');
    if (written) done.push(written);
  }
  return done;
}

/**
 * Scrubs the ready claims, puts the passing ones in a new batch and writes its file. Failing claims
 * are held and returned with every reason. Crash-safe in two steps: the batch is recorded (claims,
 * control numbers, the file's exact bytes and folder) and committed before the file appears; the
 * file is then written atomically and the batch marked written. A run stopped between the two leaves
 * an open batch, which the next export writes first, byte for byte: never a second batch of the same
 * claims, never new control numbers for them.
 */
export async function exportClaims(db: Db, actor: AuditActor, options: ExportOptions): Promise<ExportResult> {
  const today = DateTime.fromJSDate(options.now).toISODate()!;
  if (!options.dryRun) await checkOutDir(options.outDir);
  const completed = options.dryRun ? [] : await finishOpenBatches(db, actor, options.signal);
  await throwIfStopped(options.signal);
  const recorded = await planThenApply(db, Boolean(options.dryRun), async (tx) => {
    // One export at a time per practice: the second waits here instead of racing for the same claims.
    await waitForPracticeLock(tx, 'claims-export');
    const ch = await findClearinghouse(tx, options.clearinghouse);
    const pr = await loadPractice(tx);
    if (!digits(ch.submitterContactPhone ?? pr.phone)) {
      // PER*IC needs a number to call: the clearinghouse rejects the whole file without one.
      throw new PracticeError('NO_SUBMITTER_PHONE', 'The claim file needs a contact phone for the billing office.', {
        hint: 'Record the clearinghouse contact phone or the practice phone with "practice setup", then export again.',
      });
    }
    const scope = { payerId: options.payerId };
    const { failures } = await scrubClaims(tx, scope, today);
    const [eligible] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from claims c where ${scopeCondition(scope)} and c.status = 'ready'`);
    if (eligible!.n === 0 || options.dryRun) {
      return { batchId: null, interchangeControlNumber: null, claims: eligible!.n, totalCents: 0, held: failures };
    }
    // One counter for every receiver: ISA13 is unique across all the practice's interchanges.
    const control = await nextControlNumber(tx, 'interchange');
    const createdAt = options.now;
    const [batch] = await tx
      .insert(claimBatches)
      .values({
        clearinghouseId: ch.id,
        payerId: options.payerId ?? null,
        interchangeControlNumber: control,
        groupControlNumber: control,
        transactionControlNumber: 1,
        status: 'open',
        fileDir: options.outDir,
        createdAt,
      })
      .returning();
    const reference = batchReference(batch!.id, DateTime.fromJSDate(createdAt, { zone: pr.timeZone }));
    const marked = await queryRows<{ id: number }>(
      tx,
      sql`update claims c set batch_id = ${batch!.id}, status = 'exported', exported_at = ${createdAt.toISOString()}, updated_at = now()
          where ${scopeCondition(scope)} and c.status = 'ready' returning c.id`,
    );
    // The batch's claims by their ids, not by batch_id: the statistics still say no claim has this batch
    // (it was just set), and planned on them the reads below loop over every claim one by one.
    const batchClaims = idArray(marked.map((m) => m.id));
    // A claim sent again after a rejection: the rejection is settled by this new sending.
    await settleRejections(tx, batchClaims);
    const claims = await loadClaims(tx, sql`c.id = any(${batchClaims})`);
    // A last look with the reader's rules, segment by segment as the file is written: one that breaks them is never written.
    const lint = new Lint837p(separatorsOf(ch));
    const text = render837p({ ...batch!, reference, createdAt, timeZone: pr.timeZone }, ch, pr, claims, await loadPayTo(tx), lint.segment);
    const problems = lint.issues();
    if (problems.length) {
      throw new PracticeError('EXPORT_INVALID', `The claim file came out invalid (${problems.map((p) => p.code).join(', ')}); nothing was exported.`, {
        hint: 'Run "practice claims check"; if it passes, report this as a bug.',
      });
    }
    const fileName = batchFileName(batch!);
    const totalCents = claims.reduce((sum, c) => sum + c.totalCents, 0);
    await tx
      .update(claimBatches)
      .set({ reference, content: text, fileName, fileSha256: createHash('sha256').update(text).digest('hex'), claimCount: claims.length, totalCents })
      .where(eq(claimBatches.id, batch!.id));
    await recordAudit(tx, actor, { action: 'export', entity: 'claim_batches', entityId: batch!.id, details: { claims: claims.length, interchangeControlNumber: control, held: new Set(failures.map((f) => f.claimId)).size } });
    step('before-record');
    return { batchId: batch!.id, interchangeControlNumber: control, claims: claims.length, totalCents, held: failures };
  });
  if (recorded.batchId === null) return { ...recorded, file: null, completed };
  step('after-record');
  const written = await writeRecordedBatch(db, actor, recorded.batchId, 'wait');
  step('after-commit');
  // Null only when a concurrent run wrote this batch first (it was open for a moment): the same file.
  const file = written?.file ?? join(options.outDir, batchFileName({ id: recorded.batchId, interchangeControlNumber: recorded.interchangeControlNumber! }));
  return { ...recorded, file, completed };
}

/**
 * Writes an earlier batch again, byte for byte, from the copy kept in the database, to the folder
 * given. A batch an interrupted export left unwritten is marked written by it.
 */
export async function rewriteBatch(db: Db, actor: AuditActor, batchId: number, outDir: string): Promise<{ batchId: number; file: string; sha256: string }> {
  const [batch] = await db.select({ id: claimBatches.id, sha256: claimBatches.fileSha256 }).from(claimBatches).where(eq(claimBatches.id, batchId));
  if (!batch) throw new NotFoundError(`Claim batch ${batchId}`, 'See the batches with "practice claims list --status exported".');
  const written = await writeRecordedBatch(db, actor, batchId, 'wait', outDir);
  return { batchId, file: written!.file, sha256: batch.sha256! };
}
