// One claim as the biller looks it up: what it bills (lines, diagnoses), where it stands, and every
// rejection it had with its codes and text.
import { asc, eq, sql } from 'drizzle-orm';
import { queryRows } from '../db/query.js';
import { claimDiagnoses, claimLines } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { NotFoundError } from '../errors.js';
import { rejectionsOf, type RejectionView } from './acks.js';

export interface ClaimDetail {
  id: number;
  patientControlNumber: string;
  status: string;
  payer: string;
  frequencyCode: string;
  serviceDateFrom: string;
  serviceDateTo: string;
  totalCents: number;
  batchId: number | null;
  diagnoses: { position: number; code: string }[];
  lines: { lineNumber: number; serviceDate: string; code: string; modifiers: string[]; units: number; chargeCents: number; diagnosisPointers: number[] }[];
  /** Newest first; an open one (resolvedAt null) is why the claim is held. */
  rejections: RejectionView[];
}

export async function claimDetail(db: DbOrTx, claimId: number): Promise<ClaimDetail> {
  const [head] = await queryRows<Omit<ClaimDetail, 'diagnoses' | 'lines' | 'rejections'>>(
    db,
    sql`select c.id, c.patient_control_number as "patientControlNumber", c.status, py.name as payer, c.frequency_code as "frequencyCode",
               c.service_date_from::text as "serviceDateFrom", c.service_date_to::text as "serviceDateTo", c.total_cents as "totalCents", c.batch_id as "batchId"
        from claims c join payers py on py.id = c.payer_id where c.id = ${claimId}`,
  );
  if (!head) throw new NotFoundError(`Claim ${claimId}`, 'See the claims with "practice claims list".');
  const diagnoses = await db.select({ position: claimDiagnoses.position, code: claimDiagnoses.code }).from(claimDiagnoses).where(eq(claimDiagnoses.claimId, claimId)).orderBy(asc(claimDiagnoses.position));
  const lines = await db
    .select({ lineNumber: claimLines.lineNumber, serviceDate: claimLines.serviceDate, code: claimLines.code, modifiers: claimLines.modifiers, units: claimLines.units, chargeCents: claimLines.chargeCents, diagnosisPointers: claimLines.diagnosisPointers })
    .from(claimLines)
    .where(eq(claimLines.claimId, claimId))
    .orderBy(asc(claimLines.lineNumber));
  return { ...head, diagnoses, lines, rejections: (await rejectionsOf(db, [claimId])).get(claimId) ?? [] };
}
