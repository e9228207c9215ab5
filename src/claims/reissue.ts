// Corrected (frequency 7) and void (frequency 8) claims: a copy of the original with its lines and
// diagnoses, pointing at it, carrying the payer's claim control number for REF*F8. A corrected
// secondary claim keeps its link to the previous payer's adjudication (its COB loops).
import { eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { claims } from '../db/schema/index.js';
import type { Db } from '../db/types.js';
import { NotFoundError, PracticeError } from '../errors.js';
import { copyLinesAndDiagnoses } from './build.js';

export type ReissueKind = 'replace' | 'void';

const SENT = ['exported', 'accepted', 'paid', 'partial', 'denied'];

export async function reissueClaim(db: Db, actor: AuditActor, claimId: number, kind: ReissueKind): Promise<{ claimId: number; originalClaimId: number; patientControlNumber: string; frequencyCode: string }> {
  const frequency = kind === 'replace' ? '7' : '8';
  return db.transaction(async (tx) => {
    const [original] = await tx.select().from(claims).where(eq(claims.id, claimId)).for('update');
    if (!original) throw new NotFoundError(`Claim ${claimId}`, 'See the claims with "practice claims list".');
    if (!SENT.includes(original.status)) {
      throw new PracticeError('CLAIM_NOT_SENT', `Claim ${claimId} has not been sent (it is ${original.status}), so there is nothing to ${kind}.`, { hint: 'Only exported or adjudicated claims can be replaced or voided.' });
    }
    if (!original.payerClaimControlNumber) {
      throw new PracticeError('NO_PAYER_CLAIM_NUMBER', `Claim ${claimId} has no payer claim control number yet.`, { hint: 'Post the payer\'s 835 for it first: the replacement or void must quote that number.' });
    }
    const [row] = await queryRows<{ id: number; pcn: string }>(
      tx,
      sql`with next as (select nextval((select pg_get_serial_sequence('claims', 'id'))::regclass)::int as id),
          copy as (
            insert into claims (id, patient_control_number, patient_id, encounter_id, coverage_id, payer_id, rendering_provider_id, location_id,
                                frequency_code, original_claim_id, payer_claim_control_number, previous_payer_claim_id, service_date_from, service_date_to, total_cents,
                                provider_signature_on_file, assignment_code, benefits_assigned, release_of_information, status)
            select next.id, 'PK' || lpad(next.id::text, 9, '0'), patient_id, encounter_id, coverage_id, payer_id, rendering_provider_id, location_id,
                   ${frequency}, c.id, c.payer_claim_control_number, c.previous_payer_claim_id, service_date_from, service_date_to, total_cents,
                   provider_signature_on_file, assignment_code, benefits_assigned, release_of_information, 'ready'
            from claims c, next where c.id = ${claimId}
            returning id, patient_control_number as pcn
          ),
          ${copyLinesAndDiagnoses(sql`(select ${claimId}::int as source_id, id as target_id from next) p`)}
          select id, pcn from copy`,
    );
    await recordAudit(tx, actor, { action: kind, entity: 'claims', entityId: row!.id, details: { originalClaimId: claimId, frequencyCode: frequency } });
    return { claimId: row!.id, originalClaimId: claimId, patientControlNumber: row!.pcn, frequencyCode: frequency };
  });
}
