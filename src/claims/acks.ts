// Acknowledgements from the clearinghouse: the 999 (per transaction set: accepted, accepted with
// errors, rejected, with the segment and element errors) and the 277CA (per claim, by CLM01, with
// its STC status codes). A rejected claim leaves its batch, keeps the codes and their meaning, and
// is held until it is changed and passes the edits again, or the biller resubmits it as it is.
import { eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { idArray, queryRows, textArray } from '../db/query.js';
import { claimBatches, claimRejections } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { NotFoundError, PracticeError, ValidationError } from '../errors.js';
import { scrubClaims, type EditFailure } from './edits.js';
import { claimBlocks, claimFingerprint, currentFingerprints, type ClaimBlock } from './render-837p.js';
import { parseX12, type X12Document, type X12Segment } from './x12/model.js';

export interface ClaimRejection {
  claimId: number;
  patientControlNumber: string;
  source: '999' | '277CA';
  codes: string[];
  message: string;
}

export interface AckResult {
  kind: '999' | '277CA';
  batchId: number | null;
  accepted: number;
  rejected: number;
  /** 999: transaction sets, 277CA: claim numbers that match nothing of ours. */
  unmatched: string[];
  /** What each newly rejected claim was rejected for. */
  rejections: ClaimRejection[];
}

// 277CA STC01-1 claim status categories (X12 code list 507) that mean the claim did not get in.
const REJECTED_CATEGORIES: Record<string, string> = {
  A3: 'returned as unprocessable',
  A4: 'not found',
  A6: 'rejected for missing information',
  A7: 'rejected for invalid information',
  A8: 'rejected for a relational field in error',
};

// 999 IK304: segment errors.
const SEGMENT_ERRORS: Record<string, string> = {
  '1': 'unrecognized segment',
  '2': 'unexpected segment',
  '3': 'required segment missing',
  '4': 'loop occurs more often than allowed',
  '5': 'segment used more often than allowed',
  '6': 'segment not in the transaction set',
  '7': 'segment out of order',
  '8': 'data element errors',
  I4: 'segment the guide does not use',
  I6: 'segment the guide requires in this situation is missing',
  I7: 'loop occurs fewer times than required',
  I8: 'segment used fewer times than required',
  I9: 'segment the guide does not use in this situation',
};

// 999 IK403: element errors.
const ELEMENT_ERRORS: Record<string, string> = {
  '1': 'required element missing',
  '2': 'conditionally required element missing',
  '3': 'too many elements',
  '4': 'element too short',
  '5': 'element too long',
  '6': 'invalid character',
  '7': 'invalid code value',
  '8': 'invalid date',
  '9': 'invalid time',
  '10': 'element not allowed with another present',
  '12': 'too many repetitions',
  '13': 'too many components',
  I6: 'code value the guide does not use',
  I9: 'element the guide requires in this situation is missing',
  I10: 'element the guide does not use',
  I11: 'too few repetitions',
  I12: 'value does not match the pattern the guide requires',
  I13: 'element the guide does not use in this situation',
};

// 999 IK502: why a transaction set was rejected.
const SET_ERRORS: Record<string, string> = {
  '1': 'transaction set not supported',
  '2': 'trailer missing',
  '3': 'control numbers in header and trailer differ',
  '4': 'segment count is wrong',
  '5': 'one or more segments in error',
  '6': 'missing or invalid transaction set identifier',
  '7': 'missing or invalid control number',
  '23': 'control number not unique in the group',
  I5: 'implementation one or more segments in error',
  I6: 'implementation convention not supported',
};

const meaning = (table: Record<string, string>, code: string) => table[code] ?? `code ${code}`;

/** Marks claims accepted or rejected; returns the ids that actually changed (a second file changes nothing). */
async function setStatus(db: DbOrTx, ids: number[], status: 'accepted' | 'rejected'): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<{ id: number }>(
    db,
    sql`update claims set status = ${status}, updated_at = now() ${status === 'rejected' ? sql`, batch_id = null` : sql``}
        where id = any(${idArray(ids)}) and status in ('exported', 'accepted')
        returning id`,
  );
  return rows.map((r) => r.id);
}

async function claimIdsByNumber(db: DbOrTx, pcns: string[]): Promise<Map<string, number>> {
  if (pcns.length === 0) return new Map();
  const rows = await queryRows<{ id: number; pcn: string }>(
    db,
    sql`select id, patient_control_number as pcn from claims where patient_control_number = any(${textArray(pcns)})`,
  );
  return new Map(rows.map((r) => [r.pcn, r.id]));
}

/** Records the rejections of the claims that just became rejected, each with the fingerprint of what was sent. */
async function recordRejections(
  tx: DbOrTx,
  source: '999' | '277CA',
  rejected: { claimId: number; patientControlNumber: string; batchId: number | null; sent: ClaimBlock | undefined; codes: string[]; message: string }[],
): Promise<ClaimRejection[]> {
  if (rejected.length === 0) return [];
  // A claim whose sent copy cannot be found is fingerprinted as it stands now (the same unless changed since).
  const missing = rejected.filter((r) => !r.sent);
  const batchClearinghouse = new Map<number, number | null>();
  for (const r of missing) {
    if (r.batchId !== null && !batchClearinghouse.has(r.batchId)) {
      const [b] = await tx.select({ ch: claimBatches.clearinghouseId }).from(claimBatches).where(eq(claimBatches.id, r.batchId));
      batchClearinghouse.set(r.batchId, b?.ch ?? null);
    }
  }
  const now = await currentFingerprints(tx, missing.map((r) => ({ claimId: r.claimId, clearinghouseId: r.batchId === null ? null : (batchClearinghouse.get(r.batchId) ?? null) })));
  await tx.insert(claimRejections).values(
    rejected.map((r) => ({ claimId: r.claimId, batchId: r.batchId, source, codes: r.codes, message: r.message, fingerprint: r.sent ? claimFingerprint(r.sent) : now.get(r.claimId)! })),
  );
  return rejected.map(({ claimId, patientControlNumber, codes, message }) => ({ claimId, patientControlNumber, source, codes, message }));
}

export async function importAcknowledgement(db: Db, actor: AuditActor, text: string): Promise<AckResult> {
  const doc = parseX12(text);
  const st01 = doc.all('ST')[0]?.get(1);
  if (st01 === '999') return import999(db, actor, doc);
  if (st01 === '277') return import277ca(db, actor, doc);
  throw new ValidationError([{ code: 'ACK_KIND', message: 'This file is neither a 999 nor a 277CA acknowledgement.' }]);
}

/** One AK2 loop of a 999: a transaction set's verdict and its errors, with the positions they point at. */
interface SetVerdict {
  st02: string;
  status: string;
  setCodes: string[];
  errors: { position: number | null; code: string; text: string }[];
}

function setVerdicts(doc: X12Document): SetVerdict[] {
  const sets: SetVerdict[] = [];
  let set: SetVerdict | undefined;
  let segment: X12Segment | undefined;
  for (const seg of doc.segments) {
    if (seg.tag === 'AK2') {
      set = { st02: seg.get(2), status: '', setCodes: [], errors: [] };
      sets.push(set);
      segment = undefined;
    } else if (set && seg.tag === 'IK3') {
      segment = seg;
      const loop = seg.get(3) ? `, loop ${seg.get(3)}` : '';
      set.errors.push({ position: Number(seg.get(2)) || null, code: `IK3:${seg.get(1)}:${seg.get(2)}:${seg.get(3)}:${seg.get(4)}`, text: `segment ${seg.get(1)} (position ${seg.get(2)}${loop}): ${meaning(SEGMENT_ERRORS, seg.get(4))}` });
    } else if (set && seg.tag === 'IK4') {
      // IK404 would be a copy of the bad value: patient data, never kept.
      // IK401: element position, component position, repetition.
      const [element = '', ...inner] = seg.get(1).split(doc.separators.component);
      const where = [element.padStart(2, '0'), ...inner.filter(Boolean)].join('-');
      set.errors.push({
        position: segment ? Number(segment.get(2)) || null : null,
        code: `IK4:${where}:${seg.get(2)}:${seg.get(3)}`,
        text: `${segment ? segment.get(1) : 'element '}${where}: ${meaning(ELEMENT_ERRORS, seg.get(3))}`,
      });
    } else if (set && seg.tag === 'IK5') {
      set.status = seg.get(1);
      set.setCodes = seg.elements.slice(1).filter(Boolean);
    }
  }
  return sets;
}

async function import999(db: Db, actor: AuditActor, doc: X12Document): Promise<AckResult> {
  const ak1 = doc.all('AK1')[0];
  if (!ak1 || ak1.get(1) !== 'HC') throw new ValidationError([{ code: 'ACK_NOT_CLAIMS', message: 'This 999 does not acknowledge a claim (837) batch.' }]);
  return db.transaction(async (tx) => {
    const [batch] = await tx.select().from(claimBatches).where(eq(claimBatches.groupControlNumber, Number(ak1.get(2))));
    const result: AckResult = { kind: '999', batchId: batch?.id ?? null, accepted: 0, rejected: 0, unmatched: [], rejections: [] };
    // The claims of each transaction set, with their segment positions, from the file as it was sent.
    const blocks = batch?.content ? claimBlocks(parseX12(batch.content)) : [];
    for (const set of setVerdicts(doc)) {
      const inSet = blocks.filter((b) => b.st02 === set.st02);
      if (!batch || inSet.length === 0) {
        result.unmatched.push(`group ${ak1.get(2)} set ${set.st02}`);
        continue;
      }
      const ids = await claimIdsByNumber(tx, inSet.map((b) => b.patientControlNumber));
      const claimIds = inSet.map((b) => ids.get(b.patientControlNumber)).filter((id): id is number => id !== undefined);
      // E (accepted with errors) still goes on to the payer.
      if (set.status !== 'R') {
        result.accepted += (await setStatus(tx, claimIds, 'accepted')).length;
        continue;
      }
      const changed = new Set(await setStatus(tx, claimIds, 'rejected'));
      result.rejected += changed.size;
      const setText = `the clearinghouse rejected the claim's transaction set ${set.st02} (${set.setCodes.map((c) => meaning(SET_ERRORS, c)).join('; ') || 'no reason given'})`;
      const rejected = inSet
        .filter((b) => changed.has(ids.get(b.patientControlNumber)!))
        .map((b) => {
          // Errors inside the claim's own segments are its own; errors in the shared header concern every claim.
          const own = set.errors.filter((e) => e.position !== null && e.position >= b.from && e.position <= b.to);
          const shared = set.errors.filter((e) => e.position === null || e.position < inSet[0]!.from);
          const errors = [...shared, ...own];
          const text = errors.length ? `${setText}: ${errors.map((e) => e.text).join('; ')}.` : `${setText}; the errors are in another claim of the set, so this one was not read.`;
          return { claimId: ids.get(b.patientControlNumber)!, patientControlNumber: b.patientControlNumber, batchId: batch.id, sent: b, codes: [`IK5:${set.status}:${set.setCodes.join(':')}`, ...errors.map((e) => e.code)], message: text };
        });
      result.rejections.push(...(await recordRejections(tx, '999', rejected)));
    }
    if (batch) {
      const verdict = doc.all('AK9')[0]?.get(1);
      await tx.update(claimBatches).set({ status: verdict === 'R' ? 'rejected' : 'accepted', acknowledgedAt: new Date() }).where(eq(claimBatches.id, batch.id));
    }
    await recordAudit(tx, actor, { action: 'import-999', entity: 'claim_batches', entityId: batch?.id ?? null, details: { accepted: result.accepted, rejected: result.rejected, unmatched: result.unmatched.length } });
    return result;
  });
}

interface ClaimStatus {
  rejected: boolean;
  codes: string[];
  texts: string[];
}

async function import277ca(db: Db, actor: AuditActor, doc: X12Document): Promise<AckResult> {
  const statuses = new Map<string, ClaimStatus>();
  let pcn: string | undefined;
  for (const seg of doc.segments) {
    if (seg.tag === 'HL') pcn = undefined;
    if (seg.tag === 'TRN' && seg.get(1) === '2') pcn = seg.get(2);
    if (seg.tag !== 'STC' || !pcn) continue;
    const status = statuses.get(pcn) ?? { rejected: false, codes: [], texts: [] };
    statuses.set(pcn, status);
    // STC01, STC10 and STC11 each carry a category:status[:entity] composite.
    const composites = [1, 10, 11].map((n) => seg.components(n, doc.separators)).filter((c) => c.length > 0);
    const category = composites[0]?.[0] ?? '';
    // One rejecting status is enough; an accepting one never overrides it.
    if (seg.get(3) === 'U' || category in REJECTED_CATEGORIES) status.rejected = true;
    for (const c of composites) status.codes.push(`STC:${c.join(':')}`);
    const what = REJECTED_CATEGORIES[category];
    const free = seg.get(12).trim();
    status.texts.push([what ? `${category} ${what}` : `status ${category}`, `status code ${composites.map((c) => c[1]).filter(Boolean).join(', ')}`, free].filter(Boolean).join(': '));
  }
  return db.transaction(async (tx) => {
    const pcns = [...statuses.keys()];
    const idOf = await claimIdsByNumber(tx, pcns);
    const pick = (rejected: boolean) => pcns.filter((p) => statuses.get(p)!.rejected === rejected && idOf.has(p)).map((p) => idOf.get(p)!);
    // Where each claim was sent from, before it leaves its batch.
    const sentIn = await queryRows<{ id: number; batch_id: number | null; content: string | null }>(
      tx,
      sql`select c.id, c.batch_id, b.content from claims c left join claim_batches b on b.id = c.batch_id
          where c.id = any(${idArray(pick(true))})`,
    );
    const accepted = await setStatus(tx, pick(false), 'accepted');
    const changed = new Set(await setStatus(tx, pick(true), 'rejected'));
    const blocksOf = new Map<number, ClaimBlock[]>();
    const rejected = sentIn
      .filter((r) => changed.has(r.id))
      .map((r) => {
        const number = pcns.find((p) => idOf.get(p) === r.id)!;
        if (r.batch_id !== null && r.content && !blocksOf.has(r.batch_id)) blocksOf.set(r.batch_id, claimBlocks(parseX12(r.content)));
        const status = statuses.get(number)!;
        return {
          claimId: r.id,
          patientControlNumber: number,
          batchId: r.batch_id,
          sent: r.batch_id === null ? undefined : blocksOf.get(r.batch_id)?.find((b) => b.patientControlNumber === number),
          codes: status.codes,
          message: `The payer or clearinghouse rejected the claim (277CA): ${status.texts.join('; ')}.`,
        };
      });
    const result: AckResult = {
      kind: '277CA',
      batchId: null,
      accepted: accepted.length,
      rejected: changed.size,
      unmatched: pcns.filter((p) => !idOf.has(p)),
      rejections: await recordRejections(tx, '277CA', rejected),
    };
    await recordAudit(tx, actor, { action: 'import-277ca', entity: 'claims', details: { accepted: result.accepted, rejected: result.rejected, unmatched: result.unmatched.length } });
    return result;
  });
}

export interface RejectionView {
  source: string;
  codes: string[];
  message: string;
  receivedAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
}

/** The rejections of these claims, newest first, by claim id. */
export async function rejectionsOf(db: DbOrTx, claimIds: number[]): Promise<Map<number, RejectionView[]>> {
  const result = new Map<number, RejectionView[]>();
  if (claimIds.length === 0) return result;
  const rows = await queryRows<Omit<RejectionView, 'receivedAt' | 'resolvedAt'> & { claimId: number; receivedAt: string | Date; resolvedAt: string | Date | null } & Record<string, unknown>>(
    db,
    sql`select claim_id as "claimId", source, codes, message, received_at as "receivedAt", resolved_at as "resolvedAt", resolution
        from claim_rejections where claim_id = any(${idArray(claimIds)})
        order by claim_id, received_at desc, id desc`,
  );
  for (const { claimId, ...r } of rows) {
    const view = { ...r, receivedAt: new Date(r.receivedAt), resolvedAt: r.resolvedAt === null ? null : new Date(r.resolvedAt) };
    result.set(claimId, [...(result.get(claimId) ?? []), view]);
  }
  return result;
}

export interface ResubmitResult {
  claimId: number;
  patientControlNumber: string;
  status: string;
  /** Other edits the claim still fails: it stays held until they are fixed. */
  failures: EditFailure[];
}

/**
 * The biller's word that a rejected claim goes out again as it is (the rejection was the
 * clearinghouse's mistake, or was fixed on their side): the rejection is settled, and the claim
 * is ready for the next export if it passes the other edits.
 */
export async function resubmitClaim(db: Db, actor: AuditActor, claimId: number, today: string): Promise<ResubmitResult> {
  return db.transaction(async (tx) => {
    const [claim] = await queryRows<{ id: number; pcn: string; status: string }>(tx, sql`select id, patient_control_number as pcn, status from claims where id = ${claimId} for update`);
    if (!claim) throw new NotFoundError(`Claim ${claimId}`, 'See the claims with "practice claims list".');
    const settled = await queryRows<{ id: number }>(
      tx,
      sql`update claim_rejections set resolved_at = now(), resolution = 'resubmitted' where claim_id = ${claimId} and resolved_at is null returning id`,
    );
    if (settled.length === 0 || !['rejected', 'held'].includes(claim.status)) {
      throw new PracticeError('CLAIM_NOT_REJECTED', `Claim ${claimId} (${claim.pcn}) has no open rejection, so there is nothing to resubmit (it is ${claim.status}).`, {
        hint: 'A held or ready claim goes out with the next "practice claims export" once it passes "practice claims check".',
      });
    }
    const { failures } = await scrubClaims(tx, { claimIds: [claimId] }, today);
    const [after] = await queryRows<{ status: string }>(tx, sql`select status from claims where id = ${claimId}`);
    await recordAudit(tx, actor, { action: 'resubmit', entity: 'claims', entityId: claimId, details: { rejections: settled.length, failing: failures.length } });
    return { claimId, patientControlNumber: claim.pcn, status: after!.status, failures };
  });
}
