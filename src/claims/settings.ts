// Claim settings the biller keeps: the pay-to address (837P loop 2010AB) and per-payer claim rules
// from the payer's companion guide and contract (the scrubber reads them): NDC on drug lines, and
// the timely filing limits, from the date of service for a claim to the payer as primary and from
// the previous payer's adjudication for a claim to it as secondary (or later).
import { eq } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { payerClaimRules, payers, payToAddress } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { payerNotFound } from '../chart/lookup.js';
import { ValidationError, type Issue } from '../errors.js';

/** A payer by the payer id the biller knows it by (the id on the clearinghouse list). */
export async function findPayer(db: DbOrTx, payerIdentifier: string): Promise<{ id: number }> {
  const [payer] = await db.select({ id: payers.id }).from(payers).where(eq(payers.payerId, payerIdentifier));
  if (!payer) throw payerNotFound(payerIdentifier);
  return payer;
}

export interface PayToInput {
  address1: string;
  address2?: string | null;
  city: string;
  state: string;
  zip: string;
}

export interface ClaimSettings {
  payTo: PayToInput | null;
  payerRules: PayerRules[];
}

export interface PayerRules {
  payerId: string;
  payer: string;
  ndcRequired: boolean;
  /** Days from the date of service. */
  timelyFilingDays: number;
  /** Days from the previous payer's adjudication; null: the same number as timelyFilingDays. */
  secondaryTimelyFilingDays: number | null;
}

export interface PayerRulesInput {
  ndcRequired?: boolean;
  timelyFilingDays?: number;
  /** null: back to the payer's timely filing days. */
  secondaryTimelyFilingDays?: number | null;
}

/** Longest timely filing limit taken: ten years (a typo of an extra digit is caught). */
const MAX_FILING_DAYS = 3650;

function checkPayTo(input: PayToInput): PayToInput {
  const issues: Issue[] = [];
  const address1 = input.address1.trim();
  const city = input.city.trim();
  const state = input.state.trim().toUpperCase();
  const zip = input.zip.replace(/[\s-]/g, '');
  if (!address1) issues.push({ code: 'PAY_TO_STREET', path: 'street', message: 'The pay-to address needs a street or PO box.' });
  if (!city) issues.push({ code: 'PAY_TO_CITY', path: 'city', message: 'The pay-to address needs a city.' });
  if (!/^[A-Z]{2}$/.test(state)) issues.push({ code: 'PAY_TO_STATE', path: 'state', message: 'The pay-to state must be its 2-letter code.' });
  if (!/^[0-9]{5}([0-9]{4})?$/.test(zip)) issues.push({ code: 'PAY_TO_ZIP', path: 'zip', message: 'The pay-to ZIP code must have 5 or 9 digits.' });
  // One problem is said in full (the CLI lists the issues only when there are several).
  if (issues.length) throw new ValidationError(issues, issues.length === 1 ? `${issues[0]!.message} Nothing was changed.` : 'The pay-to address is incomplete; nothing was changed.');
  return { address1, address2: input.address2?.trim() || null, city, state, zip };
}

/** Sets (or with null clears) the pay-to address; claims then carry 2010AB when it differs from the billing address. */
export async function setPayTo(db: Db, actor: AuditActor, input: PayToInput | null): Promise<void> {
  const value = input && checkPayTo(input);
  await db.transaction(async (tx) => {
    if (value) {
      await tx.insert(payToAddress).values(value).onConflictDoUpdate({ target: payToAddress.singleton, set: { ...value, updatedAt: new Date() } });
    } else {
      await tx.delete(payToAddress);
    }
    await recordAudit(tx, actor, { action: value ? 'set-pay-to' : 'clear-pay-to', entity: 'pay_to_address', details: { fields: value ? Object.keys(value) : [] } });
  });
}

/** Records a payer's claim rules (only those given change); payerIdentifier is the payer id on the clearinghouse list. */
export async function setPayerRules(db: Db, actor: AuditActor, payerIdentifier: string, rules: PayerRulesInput): Promise<void> {
  const issues: Issue[] = [];
  const days = (value: number | null | undefined, path: string, what: string) => {
    if (value !== undefined && value !== null && !(Number.isInteger(value) && value >= 1 && value <= MAX_FILING_DAYS)) {
      issues.push({ code: 'FILING_DAYS', path, message: `${what} must be a whole number of days from 1 to ${MAX_FILING_DAYS}.` });
    }
  };
  days(rules.timelyFilingDays, 'timely-filing-days', 'The timely filing limit');
  days(rules.secondaryTimelyFilingDays, 'secondary-timely-filing-days', 'The secondary timely filing limit');
  if (issues.length) throw new ValidationError(issues, issues.length === 1 ? `${issues[0]!.message} Nothing was changed.` : 'The payer rules are not valid; nothing was changed.');
  await db.transaction(async (tx) => {
    const payer = await findPayer(tx, payerIdentifier);
    const own = {
      ...(rules.ndcRequired === undefined ? {} : { ndcRequired: rules.ndcRequired }),
      ...(rules.secondaryTimelyFilingDays === undefined ? {} : { secondaryTimelyFilingDays: rules.secondaryTimelyFilingDays }),
    };
    if (Object.keys(own).length) {
      await tx.insert(payerClaimRules).values({ payerId: payer.id, ...own }).onConflictDoUpdate({ target: payerClaimRules.payerId, set: { ...own, updatedAt: new Date() } });
    }
    if (rules.timelyFilingDays !== undefined) {
      // The primary limit is the payer's own setting (also shown by "practice payers"); one place holds it.
      await tx.update(payers).set({ timelyFilingDays: rules.timelyFilingDays, updatedAt: new Date() }).where(eq(payers.id, payer.id));
      await tx.insert(payerClaimRules).values({ payerId: payer.id }).onConflictDoNothing();
    }
    await recordAudit(tx, actor, { action: 'set-payer-rules', entity: 'payer_claim_rules', entityId: payer.id, details: { fields: Object.keys(rules) } });
  });
}

export async function claimSettings(db: Db): Promise<ClaimSettings> {
  const [payTo] = await db.select().from(payToAddress);
  const rules = await db
    .select({
      payerId: payers.payerId,
      payer: payers.name,
      ndcRequired: payerClaimRules.ndcRequired,
      timelyFilingDays: payers.timelyFilingDays,
      secondaryTimelyFilingDays: payerClaimRules.secondaryTimelyFilingDays,
    })
    .from(payerClaimRules)
    .innerJoin(payers, eq(payers.id, payerClaimRules.payerId))
    .orderBy(payers.name);
  return {
    payTo: payTo ? { address1: payTo.address1, address2: payTo.address2, city: payTo.city, state: payTo.state, zip: payTo.zip } : null,
    payerRules: rules,
  };
}
