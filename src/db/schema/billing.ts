// Charges, claims and their lines, claim batches (837P files), remittances (835), payments,
// adjustments and denials. Money is integer cents.
import { sql } from 'drizzle-orm';
import { boolean, char, check, date, index, integer, numeric, pgTable, text, timestamp, uniqueIndex, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { id, provenance, timestamps } from './columns.js';
import { coverages } from './care.js';
import { encounters } from './encounters.js';
import { patients } from './patients.js';
import { clearinghouses, locations, payers, providers } from './practice.js';

/**
 * The drug a J-code (or other drug) line was given from, for 837P loop 2410: the 11-digit NDC (5-4-2,
 * no hyphens), the quantity given in the NDC's unit (F2 international unit, GR gram, ME milligram,
 * ML millilitre, UN unit) and, when the drug is compounded or dispensed, REF*VY link sequence or
 * REF*XZ prescription number.
 */
const ndcDetail = () => ({
  ndcCode: text(),
  ndcQuantity: numeric({ precision: 12, scale: 3 }),
  ndcUnit: char({ length: 2 }),
  ndcReferenceQualifier: char({ length: 2 }),
  ndcReference: text(),
});

const ndcChecks = (name: string, t: { ndcCode: AnyPgColumn; ndcQuantity: AnyPgColumn; ndcUnit: AnyPgColumn; ndcReferenceQualifier: AnyPgColumn; ndcReference: AnyPgColumn }) => [
  check(`${name}_ndc_unit_ck`, sql`${t.ndcUnit} is null or ${t.ndcUnit} in ('F2','GR','ME','ML','UN')`),
  check(`${name}_ndc_quantity_ck`, sql`${t.ndcQuantity} is null or ${t.ndcQuantity} > 0`),
  check(`${name}_ndc_ref_ck`, sql`(${t.ndcReferenceQualifier} is null) = (${t.ndcReference} is null) and (${t.ndcReferenceQualifier} is null or ${t.ndcReferenceQualifier} in ('VY','XZ'))`),
];

export const charges = pgTable(
  'charges',
  {
    id: id(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    providerId: integer().references(() => providers.id),
    locationId: integer().references(() => locations.id),
    serviceDate: date({ mode: 'string' }).notNull(),
    // CPT or HCPCS system URI, and the code.
    codeSystem: text().notNull(),
    code: text().notNull(),
    modifiers: text().array().notNull().default(sql`'{}'::text[]`),
    units: integer().notNull().default(1),
    amountCents: integer().notNull(),
    // Positions in encounter_diagnoses, in order (at most 4 on a claim line).
    diagnosisPointers: integer().array().notNull().default(sql`'{}'::int[]`),
    placeOfService: char({ length: 2 }),
    ...ndcDetail(),
    status: text().notNull().default('unbilled'),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    index('charges_patient_idx').on(t.patientId),
    index('charges_encounter_idx').on(t.encounterId),
    index('charges_provider_date_idx').on(t.providerId, t.serviceDate),
    index('charges_status_idx').on(t.status),
    uniqueIndex('charges_source_uq').on(t.sourceSystem, t.sourceId),
    check('charges_units_ck', sql`${t.units} > 0`),
    check('charges_amount_ck', sql`${t.amountCents} >= 0`),
    check('charges_modifiers_ck', sql`cardinality(${t.modifiers}) <= 4`),
    check('charges_status_ck', sql`${t.status} in ('unbilled','billed','void')`),
    ...ndcChecks('charges', t),
  ],
);

export const claimBatches = pgTable(
  'claim_batches',
  {
    id: id(),
    clearinghouseId: integer().references(() => clearinghouses.id),
    payerId: integer().references(() => payers.id),
    // ISA13 / GS06 / ST02: unique and increasing, never reused.
    interchangeControlNumber: integer().notNull(),
    groupControlNumber: integer().notNull(),
    transactionControlNumber: integer().notNull(),
    // BHT03: the batch reference the 999 and 277CA echo back.
    reference: text(),
    // The exact file, so "export --batch N --again" writes it again byte for byte.
    content: text(),
    fileName: text(),
    // The folder the file goes to, recorded with the batch before the file is written: an export cut
    // short (status still open) is finished there by the next run, never written to a second place.
    fileDir: text(),
    fileSha256: text(),
    claimCount: integer().notNull().default(0),
    totalCents: integer().notNull().default(0),
    status: text().notNull().default('open'),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    exportedAt: timestamp({ withTimezone: true }),
    acknowledgedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex('claim_batches_isa_uq').on(t.interchangeControlNumber),
    check('claim_batches_status_ck', sql`${t.status} in ('open','exported','accepted','rejected')`),
  ],
);

/**
 * A clearinghouse or payer rejection of a claim (999 IK3/IK4/IK5, 277CA STC), with its codes and text.
 * The claim is held while the rejection is open: it goes out again only once it has changed since it
 * was sent (fingerprint of its 837P segments) and passes the edits, or when the biller resubmits it.
 */
export const claimRejections = pgTable(
  'claim_rejections',
  {
    id: id(),
    claimId: integer()
      .notNull()
      .references((): AnyPgColumn => claims.id),
    batchId: integer().references(() => claimBatches.id),
    // 999 or 277CA
    source: text().notNull(),
    // "IK5:R:5", "IK3:NM1:25:2010BA:8", "IK4:9::6", "STC:A7:562:85": never the rejected data itself.
    codes: text().array().notNull(),
    message: text().notNull(),
    // sha256 of the claim's segments as sent, so "changed since" can be told.
    fingerprint: text().notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp({ withTimezone: true }),
    // changed: exported again after a change; resubmitted: sent again as it was, on the biller's word.
    resolution: text(),
  },
  (t) => [
    index('claim_rejections_claim_idx').on(t.claimId),
    check('claim_rejections_source_ck', sql`${t.source} in ('999','277CA')`),
    check('claim_rejections_resolution_ck', sql`(${t.resolution} is null) = (${t.resolvedAt} is null) and (${t.resolution} is null or ${t.resolution} in ('changed','resubmitted'))`),
  ],
);

export const claims = pgTable(
  'claims',
  {
    id: id(),
    // CLM01: what the payer echoes back in the 835 (CLP01).
    patientControlNumber: text().notNull(),
    patientId: integer()
      .notNull()
      .references(() => patients.id),
    encounterId: integer().references(() => encounters.id),
    coverageId: integer()
      .notNull()
      .references(() => coverages.id),
    payerId: integer()
      .notNull()
      .references(() => payers.id),
    renderingProviderId: integer().references(() => providers.id),
    locationId: integer().references(() => locations.id),
    // 1 original, 7 replacement, 8 void (CLM05-3).
    frequencyCode: char({ length: 1 }).notNull().default('1'),
    originalClaimId: integer(),
    payerClaimControlNumber: text(),
    // A secondary (or tertiary) claim: the claim to the previous payer whose adjudication (835) it carries
    // in loops 2320/2330/2430.
    previousPayerClaimId: integer().references((): AnyPgColumn => claims.id),
    serviceDateFrom: date({ mode: 'string' }).notNull(),
    serviceDateTo: date({ mode: 'string' }).notNull(),
    totalCents: integer().notNull(),
    paidCents: integer().notNull().default(0),
    patientResponsibilityCents: integer().notNull().default(0),
    adjustedCents: integer().notNull().default(0),
    status: text().notNull().default('ready'),
    // CLM06-CLM09: signature on file, assignment (A/B/C), benefits assigned (Y/N/W), release of information (I/Y).
    providerSignatureOnFile: char({ length: 1 }).notNull().default('Y'),
    assignmentCode: char({ length: 1 }).notNull().default('A'),
    benefitsAssigned: char({ length: 1 }).notNull().default('Y'),
    releaseOfInformation: char({ length: 1 }).notNull().default('Y'),
    batchId: integer().references(() => claimBatches.id),
    exportedAt: timestamp({ withTimezone: true }),
    adjudicatedAt: timestamp({ withTimezone: true }),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('claims_pcn_uq').on(t.patientControlNumber),
    index('claims_status_idx').on(t.status),
    index('claims_payer_idx').on(t.payerId, t.status),
    index('claims_batch_idx').on(t.batchId),
    // Posting and the next-payer build look claims up by the claim they replace or follow.
    index('claims_original_idx').on(t.originalClaimId),
    index('claims_previous_payer_idx').on(t.previousPayerClaimId),
    uniqueIndex('claims_source_uq').on(t.sourceSystem, t.sourceId),
    // The next payer is billed once per adjudicated claim; replacements (frequency 7/8) copy the link.
    uniqueIndex('claims_previous_payer_uq').on(t.previousPayerClaimId).where(sql`${t.frequencyCode} = '1'`),
    check('claims_frequency_ck', sql`${t.frequencyCode} in ('1','7','8')`),
    check(
      'claims_status_ck',
      sql`${t.status} in ('draft','ready','held','exported','accepted','rejected','paid','partial','denied','overpaid','written-off','void')`,
    ),
    check('claims_total_ck', sql`${t.totalCents} >= 0`),
    check(
      'claims_clm_flags_ck',
      sql`${t.providerSignatureOnFile} in ('Y','N') and ${t.assignmentCode} in ('A','B','C') and ${t.benefitsAssigned} in ('Y','N','W') and ${t.releaseOfInformation} in ('I','Y')`,
    ),
  ],
);

export const claimDiagnoses = pgTable(
  'claim_diagnoses',
  {
    id: id(),
    claimId: integer()
      .notNull()
      .references(() => claims.id, { onDelete: 'cascade' }),
    position: integer().notNull(),
    codeSystem: text().notNull(),
    code: text().notNull(),
  },
  (t) => [
    uniqueIndex('claim_diagnoses_position_uq').on(t.claimId, t.position),
    check('claim_diagnoses_position_ck', sql`${t.position} between 1 and 12`),
  ],
);

export const claimLines = pgTable(
  'claim_lines',
  {
    id: id(),
    claimId: integer()
      .notNull()
      .references(() => claims.id, { onDelete: 'cascade' }),
    chargeId: integer().references(() => charges.id),
    lineNumber: integer().notNull(),
    codeSystem: text().notNull(),
    code: text().notNull(),
    modifiers: text().array().notNull().default(sql`'{}'::text[]`),
    units: integer().notNull(),
    chargeCents: integer().notNull(),
    diagnosisPointers: integer().array().notNull(),
    serviceDate: date({ mode: 'string' }).notNull(),
    placeOfService: char({ length: 2 }),
    ...ndcDetail(),
    paidCents: integer().notNull().default(0),
    status: text().notNull().default('open'),
  },
  (t) => [
    uniqueIndex('claim_lines_number_uq').on(t.claimId, t.lineNumber),
    index('claim_lines_charge_idx').on(t.chargeId),
    check('claim_lines_number_ck', sql`${t.lineNumber} between 1 and 50`),
    check('claim_lines_units_ck', sql`${t.units} > 0`),
    check('claim_lines_status_ck', sql`${t.status} in ('open','paid','partial','denied','adjusted')`),
    ...ndcChecks('claim_lines', t),
  ],
);

/**
 * One payment of an 835 (one ST/SE transaction: a check or EFT) as received. Its identity is the payer
 * plus TRN02 (paymentKey), not the file's bytes: the same payment in a new envelope posts nothing.
 */
export const remittances = pgTable(
  'remittances',
  {
    id: id(),
    fileSha256: text().notNull(),
    fileName: text(),
    // "payer <id> trace <TRN02>" when the payer is known, else "unknown <REF*2U|TRN03|N1*PR> trace <TRN02>".
    paymentKey: text(),
    payerName: text(),
    payerIdentifier: text(),
    payerId: integer().references(() => payers.id),
    // TRN02: check or EFT trace number.
    traceNumber: text(),
    paymentMethod: text(),
    paymentDate: date({ mode: 'string' }),
    totalPaidCents: integer().notNull().default(0),
    // The file as received, so an unmatched item can be reviewed against what the payer sent.
    content: text(),
    importedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('remittances_file_idx').on(t.fileSha256), uniqueIndex('remittances_payment_uq').on(t.paymentKey)],
);

export const payments = pgTable(
  'payments',
  {
    id: id(),
    patientId: integer().references(() => patients.id),
    claimId: integer().references(() => claims.id),
    claimLineId: integer().references(() => claimLines.id),
    remittanceId: integer().references(() => remittances.id),
    payerId: integer().references(() => payers.id),
    // payer: insurance payment; patient: copay or statement payment.
    source: text().notNull().default('payer'),
    amountCents: integer().notNull(),
    paidOn: date({ mode: 'string' }).notNull(),
    method: text(),
    reference: text(),
    ...provenance(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('payments_claim_idx').on(t.claimId),
    index('payments_paid_on_idx').on(t.paidOn),
    uniqueIndex('payments_source_uq').on(t.sourceSystem, t.sourceId),
    check('payments_source_ck', sql`${t.source} in ('payer','patient')`),
  ],
);

/**
 * CAS adjustments: group code (CO, PR, OA, PI, CR) and CARC reason, as the payer sent them. A denial's
 * amounts (CLP02 = 4) are kept with `denial` set: they leave the balance open, since a corrected claim
 * is paid. A reversal (CLP02 = 22) carries negative amounts.
 */
export const adjustments = pgTable(
  'adjustments',
  {
    id: id(),
    claimId: integer().references(() => claims.id),
    claimLineId: integer().references(() => claimLines.id),
    remittanceId: integer().references(() => remittances.id),
    groupCode: char({ length: 2 }).notNull(),
    reasonCode: text().notNull(),
    amountCents: integer().notNull(),
    quantity: integer(),
    denial: boolean().notNull().default(false),
    adjustedOn: date({ mode: 'string' }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('adjustments_claim_idx').on(t.claimId),
    check('adjustments_group_ck', sql`${t.groupCode} in ('CO','PR','OA','PI','CR')`),
  ],
);

export const denials = pgTable(
  'denials',
  {
    id: id(),
    claimId: integer()
      .notNull()
      .references(() => claims.id),
    claimLineId: integer().references(() => claimLines.id),
    remittanceId: integer().references(() => remittances.id),
    groupCode: char({ length: 2 }),
    carcCode: text().notNull(),
    rarcCodes: text().array().notNull().default(sql`'{}'::text[]`),
    amountCents: integer().notNull().default(0),
    deniedOn: date({ mode: 'string' }).notNull(),
    status: text().notNull().default('open'),
    ...timestamps(),
  },
  (t) => [
    index('denials_claim_idx').on(t.claimId),
    index('denials_carc_idx').on(t.carcCode),
    check('denials_status_ck', sql`${t.status} in ('open','appealed','resolved','written-off')`),
  ],
);

/**
 * PLB provider-level adjustments (interest L6, forward balances FB, recoupments WO/72): they balance the
 * check, not a claim. When the reference names one of the payer's claims (our claim number or its
 * payer claim control number) the claim is linked, so the takeback can be traced to it.
 */
export const providerAdjustments = pgTable('provider_adjustments', {
  id: id(),
  remittanceId: integer()
    .notNull()
    .references(() => remittances.id),
  claimId: integer().references(() => claims.id),
  providerIdentifier: text().notNull(),
  fiscalPeriodDate: date({ mode: 'string' }),
  reasonCode: text().notNull(),
  reference: text(),
  amountCents: integer().notNull(),
});

/**
 * What the practice decided about a claim's open balance: written off (with the reason) or moved to
 * the patient. Kept apart from the payer's CAS adjustments, which the secondary claim repeats.
 */
export const claimBalanceMoves = pgTable(
  'claim_balance_moves',
  {
    id: id(),
    claimId: integer()
      .notNull()
      .references(() => claims.id),
    kind: text().notNull(),
    amountCents: integer().notNull(),
    reason: text().notNull(),
    effectiveOn: date({ mode: 'string' }).notNull(),
    actor: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('claim_balance_moves_claim_idx').on(t.claimId),
    check('claim_balance_moves_kind_ck', sql`${t.kind} in ('write-off','to-patient')`),
    check('claim_balance_moves_amount_ck', sql`${t.amountCents} > 0`),
  ],
);

/**
 * Claim edits learned from denials (`claims denials --suggest`, accepted by a biller): for a payer and
 * procedure, a modifier the line must carry, or diagnoses one of which it must point at. The scrubber
 * holds the next claims that break one (edit DENIAL_RULE) before they are sent.
 */
export const learnedClaimEdits = pgTable(
  'learned_claim_edits',
  {
    id: id(),
    payerId: integer()
      .notNull()
      .references(() => payers.id),
    procedureCode: text().notNull(),
    kind: text().notNull(),
    modifier: text(),
    diagnosisCodes: text().array().notNull().default(sql`'{}'::text[]`),
    // The denials it was learned from.
    carcCode: text().notNull(),
    rarcCodes: text().array().notNull().default(sql`'{}'::text[]`),
    deniedClaims: integer().notNull(),
    active: boolean().notNull().default(true),
    acceptedBy: text().notNull(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('learned_claim_edits_uq').on(t.payerId, t.procedureCode, t.kind),
    check('learned_claim_edits_kind_ck', sql`(${t.kind} = 'modifier' and ${t.modifier} is not null) or (${t.kind} = 'diagnosis' and cardinality(${t.diagnosisCodes}) > 0)`),
  ],
);
