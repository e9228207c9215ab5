// The practice's decisions on a claim's open balance: write it off with a reason, or move it to the
// patient. A denied claim's balance stays open until one of these, or a corrected claim is paid.
import { eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { claimBalanceMoves, claims } from '../db/schema/index.js';
import type { Db } from '../db/types.js';
import { NotFoundError, PracticeError, ValidationError } from '../errors.js';
import { formatMoney } from '../money.js';
import { claimBalances, refreshClaims, type ClaimBalance } from './ar.js';
import { planThenApply } from '../db/transaction.js';

export type BalanceMoveKind = 'write-off' | 'to-patient';

export interface BalanceMoveRequest {
  kind: BalanceMoveKind;
  reason: string;
  /** Part of the balance; the whole open balance when absent. */
  amountCents?: number;
  /** The practice's today (YYYY-MM-DD). */
  today: string;
  dryRun?: boolean;
}

export interface BalanceMoveResult {
  claimId: number;
  patientControlNumber: string;
  kind: BalanceMoveKind;
  amountCents: number;
  dryRun: boolean;
  claim: ClaimBalance;
}

export async function moveClaimBalance(db: Db, actor: AuditActor, claimId: number, request: BalanceMoveRequest): Promise<BalanceMoveResult> {
  const reason = request.reason.trim();
  if (!reason) throw new ValidationError([{ code: 'REASON_MISSING', path: '--reason', message: 'Say why, with --reason (for example "timely filing limit passed").' }]);
  return planThenApply(db, Boolean(request.dryRun), async (tx) => {
    const [locked] = await tx.select({ id: claims.id }).from(claims).where(eq(claims.id, claimId)).for('update');
    if (!locked) throw new NotFoundError(`Claim ${claimId}`, 'See the claims with "practice claims list".');
    const [before] = await claimBalances(tx, { claimIds: [claimId] });
    const claim = before!;
    if (claim.frequencyCode === '8' || claim.withdrawnBy !== null || claim.status === 'void') {
      throw new PracticeError('CLAIM_WITHDRAWN', `Claim ${claim.patientControlNumber} was voided or replaced: it has no balance of its own to ${request.kind === 'write-off' ? 'write off' : 'move'}.`);
    }
    if (!claim.sentOn) {
      throw new PracticeError('CLAIM_NOT_SENT', `Claim ${claim.patientControlNumber} has not been sent to the payer (it is ${claim.status}).`, { hint: 'Only a balance the payer has left open can be written off or moved to the patient.' });
    }
    if (claim.balanceCents <= 0) {
      throw new PracticeError('NO_BALANCE', `Claim ${claim.patientControlNumber} has no open balance.`);
    }
    const amountCents = request.amountCents ?? claim.balanceCents;
    if (amountCents <= 0 || amountCents > claim.balanceCents) {
      throw new ValidationError([{ code: 'AMOUNT_OVER_BALANCE', path: '--amount', message: `The amount must be above 0 and at most the open balance of ${formatMoney(claim.balanceCents)}.` }]);
    }
    await tx.insert(claimBalanceMoves).values({ claimId, kind: request.kind, amountCents, reason, effectiveOn: request.today, actor: actor.actor });
    if (amountCents === claim.balanceCents) {
      await tx.execute(sql`update denials set status = ${request.kind === 'write-off' ? 'written-off' : 'resolved'}, updated_at = now()
                           where claim_id = ${claimId} and status = 'open'`);
    }
    await refreshClaims(tx, [claimId]);
    await recordAudit(tx, actor, { action: request.kind, entity: 'claims', entityId: claimId, details: { amountCents, fields: ['reason'] } });
    const [after] = await claimBalances(tx, { claimIds: [claimId] });
    return { claimId, patientControlNumber: claim.patientControlNumber, kind: request.kind, amountCents, dryRun: Boolean(request.dryRun), claim: after! };
  });
}
