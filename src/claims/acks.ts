// Acknowledgements from the clearinghouse: the 999 (per transaction set: accepted, accepted with
// errors, rejected) and the 277CA (per claim, by CLM01). Rejected claims leave their batch and come
// back to "rejected", so the biller can fix them and export them again; accepted ones move on.
import { eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { claimBatches } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { ValidationError } from '../errors.js';
import { CLAIMS_PER_TRANSACTION } from './export-837p.js';
import { parseX12 } from './x12/model.js';

export interface AckResult {
  kind: '999' | '277CA';
  batchId: number | null;
  accepted: number;
  rejected: number;
  /** 999: transaction sets, 277CA: claim numbers that match nothing of ours. */
  unmatched: string[];
}

// 277CA STC01-1 claim status categories that mean the claim did not get in.
const REJECTED_CATEGORIES = new Set(['A3', 'A4', 'A6', 'A7', 'A8']);

/** Claims of one transaction set of a batch: ours hold at most CLAIMS_PER_TRANSACTION claims each, in claim id order. */
async function claimsOfTransaction(db: DbOrTx, batchId: number, st02: string): Promise<number[]> {
  const index = Number(st02) - 1;
  const rows = await queryRows<{ id: number }>(
    db,
    sql`select id from claims where batch_id = ${batchId} order by id offset ${index * CLAIMS_PER_TRANSACTION} limit ${CLAIMS_PER_TRANSACTION}`,
  );
  return rows.map((r) => r.id);
}

async function setStatus(db: DbOrTx, ids: number[], status: 'accepted' | 'rejected'): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await queryRows<{ id: number }>(
    db,
    sql`update claims set status = ${status}, updated_at = now() ${status === 'rejected' ? sql`, batch_id = null` : sql``}
        where id in (select (jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))::int) and status in ('exported', 'accepted')
        returning id`,
  );
  return rows.length;
}

export async function importAcknowledgement(db: Db, actor: AuditActor, text: string): Promise<AckResult> {
  const doc = parseX12(text);
  const st01 = doc.all('ST')[0]?.get(1);
  if (st01 === '999') return import999(db, actor, doc);
  if (st01 === '277') return import277ca(db, actor, doc);
  throw new ValidationError([{ code: 'ACK_KIND', message: 'This file is neither a 999 nor a 277CA acknowledgement.' }]);
}

async function import999(db: Db, actor: AuditActor, doc: ReturnType<typeof parseX12>): Promise<AckResult> {
  const ak1 = doc.all('AK1')[0];
  if (!ak1 || ak1.get(1) !== 'HC') throw new ValidationError([{ code: 'ACK_NOT_CLAIMS', message: 'This 999 does not acknowledge a claim (837) batch.' }]);
  return db.transaction(async (tx) => {
    const [batch] = await tx.select().from(claimBatches).where(eq(claimBatches.groupControlNumber, Number(ak1.get(2))));
    const result: AckResult = { kind: '999', batchId: batch?.id ?? null, accepted: 0, rejected: 0, unmatched: [] };
    let st02 = '';
    for (const seg of doc.segments) {
      if (seg.tag === 'AK2') st02 = seg.get(2);
      if (seg.tag !== 'IK5') continue;
      if (!batch) {
        result.unmatched.push(`group ${ak1.get(2)} set ${st02}`);
        continue;
      }
      const ids = await claimsOfTransaction(tx, batch.id, st02);
      // E (accepted with errors) still goes on to the payer.
      if (seg.get(1) === 'R') result.rejected += await setStatus(tx, ids, 'rejected');
      else result.accepted += await setStatus(tx, ids, 'accepted');
    }
    if (batch) {
      const verdict = doc.all('AK9')[0]?.get(1);
      await tx.update(claimBatches).set({ status: verdict === 'R' ? 'rejected' : 'accepted', acknowledgedAt: new Date() }).where(eq(claimBatches.id, batch.id));
    }
    await recordAudit(tx, actor, { action: 'import-999', entity: 'claim_batches', entityId: batch?.id ?? null, details: { accepted: result.accepted, rejected: result.rejected, unmatched: result.unmatched.length } });
    return result;
  });
}

async function import277ca(db: Db, actor: AuditActor, doc: ReturnType<typeof parseX12>): Promise<AckResult> {
  const verdicts = new Map<string, 'accepted' | 'rejected'>();
  let pcn: string | undefined;
  for (const seg of doc.segments) {
    if (seg.tag === 'HL') pcn = undefined;
    if (seg.tag === 'TRN' && seg.get(1) === '2') pcn = seg.get(2);
    if (seg.tag === 'STC' && pcn) {
      const category = seg.component(1, 1, doc.separators);
      const rejected = seg.get(3) === 'U' || REJECTED_CATEGORIES.has(category);
      // One rejecting status is enough; an accepting one never overrides it.
      if (rejected || !verdicts.has(pcn)) verdicts.set(pcn, rejected ? 'rejected' : 'accepted');
    }
  }
  return db.transaction(async (tx) => {
    const pcns = [...verdicts.keys()];
    const found = await queryRows<{ id: number; patient_control_number: string }>(
      tx,
      sql`select id, patient_control_number from claims where patient_control_number in (select jsonb_array_elements_text(${JSON.stringify(pcns)}::jsonb))`,
    );
    const idOf = new Map(found.map((r) => [r.patient_control_number, r.id]));
    const pick = (v: 'accepted' | 'rejected') => pcns.filter((p) => verdicts.get(p) === v && idOf.has(p)).map((p) => idOf.get(p)!);
    const result: AckResult = {
      kind: '277CA',
      batchId: null,
      accepted: await setStatus(tx, pick('accepted'), 'accepted'),
      rejected: await setStatus(tx, pick('rejected'), 'rejected'),
      unmatched: pcns.filter((p) => !idOf.has(p)),
    };
    await recordAudit(tx, actor, { action: 'import-277ca', entity: 'claims', details: { accepted: result.accepted, rejected: result.rejected, unmatched: result.unmatched.length } });
    return result;
  });
}
