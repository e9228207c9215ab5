// Payments a patient makes (copays at the desk, statement payments by check, card or phone): they
// reduce what the patient owes. Each is a payments row with source 'patient', audited.
import { and, eq } from 'drizzle-orm';
import { waitForPracticeLock } from '../db/advisory.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { claims, payments } from '../db/schema/index.js';
import type { Db } from '../db/types.js';
import { NotFoundError, PracticeError, ValidationError } from '../errors.js';
import { patientByMrn } from '../chart/lookup.js';
import { formatDollars } from '../money.js';
import { patientBalances, type PatientBalance } from './ar.js';

export const PAYMENT_METHODS = ['cash', 'check', 'card', 'eft', 'other'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export interface PatientPaymentInput {
  mrn: string;
  amountCents: number;
  method: PaymentMethod;
  paidOn: string;
  /** Check number, card authorisation, receipt number. */
  reference?: string;
  /** The visit's claim it pays, when the patient says. */
  claimId?: number;
  /** The practice's today: the balance returned is as of it. */
  today: string;
}

export interface PatientPaymentResult {
  paymentId: number;
  patientId: number;
  amountCents: number;
  paidOn: string;
  balance: PatientBalance;
}

export async function addPatientPayment(db: Db, actor: AuditActor, input: PatientPaymentInput): Promise<PatientPaymentResult> {
  if (!Number.isInteger(input.amountCents) || input.amountCents <= 0) {
    throw new ValidationError([{ code: 'AMOUNT', path: '--amount', message: 'The amount must be above zero (e.g. 25.00).' }]);
  }
  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, input.mrn);
    if (input.claimId !== undefined) {
      const [claim] = await tx.select({ patientId: claims.patientId }).from(claims).where(eq(claims.id, input.claimId));
      if (!claim || claim.patientId !== patient.id) throw new NotFoundError(`Claim ${input.claimId} of this patient`);
    }
    if (input.reference !== undefined) {
      // A check number or card authorisation pays once: the same one again is the desk entering it twice
      // (two clicks, two clerks). The lock makes two entries at the same instant wait for each other.
      await waitForPracticeLock(tx, 'patient-payment');
      const [earlier] = await tx
        .select({ id: payments.id, amountCents: payments.amountCents, paidOn: payments.paidOn })
        .from(payments)
        .where(and(eq(payments.patientId, patient.id), eq(payments.source, 'patient'), eq(payments.method, input.method), eq(payments.reference, input.reference)));
      if (earlier) {
        throw new PracticeError('PAYMENT_ALREADY_RECORDED', `This ${input.method} payment (reference ${input.reference}) is already recorded: payment ${earlier.id}, ${formatDollars(earlier.amountCents)} on ${earlier.paidOn}. Nothing was added.`, {
          hint: 'If it really is a second payment, give it its own --reference.',
        });
      }
    }
    const [row] = await tx
      .insert(payments)
      .values({ patientId: patient.id, claimId: input.claimId ?? null, source: 'patient', amountCents: input.amountCents, paidOn: input.paidOn, method: input.method, reference: input.reference ?? null })
      .returning({ id: payments.id });
    await recordAudit(tx, actor, { action: 'add', entity: 'payments', entityId: row!.id, details: { patientId: patient.id, amountCents: input.amountCents, method: input.method } });
    const [balance] = await patientBalances(tx, { asOf: input.today > input.paidOn ? input.today : input.paidOn, patientIds: [patient.id] });
    return { paymentId: row!.id, patientId: patient.id, amountCents: input.amountCents, paidOn: input.paidOn, balance: balance! };
  });
}
