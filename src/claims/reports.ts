// Denials by reason, payer and provider, and claims by status (AR and balances: ar.ts).
import { sql, type SQL } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import type { DbOrTx } from '../db/types.js';
import { NotFoundError } from '../errors.js';
import { practiceTimeZone } from '../practice/clock.js';
import { rejectionsOf, type RejectionView } from './acks.js';
import { claimBalances, claimFigures, type ClaimBalance } from './ar.js';
import { claimDetail as claimAsBilled, type ClaimDetail as ClaimAsBilled } from './detail.js';

/** What `claims list --status` takes: the stored statuses, and replaced (a corrected claim for it was sent). */
export const CLAIM_STATUSES = ['draft', 'ready', 'held', 'exported', 'accepted', 'rejected', 'paid', 'partial', 'denied', 'overpaid', 'written-off', 'void', 'replaced'] as const;

export interface DenialGroup {
  key: string;
  label: string;
  denials: number;
  amountCents: number;
}

export interface DenialReport {
  byReason: DenialGroup[];
  byPayer: DenialGroup[];
  byProvider: DenialGroup[];
}

/** Denials in a date range, counted by CARC, by payer and by rendering provider. */
export async function denialReport(db: DbOrTx, range: { from?: string; to?: string } = {}): Promise<DenialReport> {
  const where = sql.join(
    [sql`true`, range.from ? sql`d.denied_on >= ${range.from}::date` : sql`true`, range.to ? sql`d.denied_on <= ${range.to}::date` : sql`true`],
    sql` and `,
  );
  const grouped = (key: SQL, label: SQL) =>
    queryRows<DenialGroup & Record<string, unknown>>(
      db,
      sql`select ${key} as key, ${label} as label, count(*)::int as denials, coalesce(sum(d.amount_cents), 0)::int as "amountCents"
          from denials d join claims c on c.id = d.claim_id join payers py on py.id = c.payer_id
          left join providers pv on pv.id = c.rendering_provider_id
          where ${where}
          group by 1, 2 order by count(*) desc, 1`,
    );
  return {
    byReason: await grouped(sql`coalesce(d.group_code || '-', '') || d.carc_code`, sql`d.carc_code`),
    byPayer: await grouped(sql`py.payer_id`, sql`py.name`),
    byProvider: await grouped(sql`coalesce(pv.npi, 'none')`, sql`coalesce(pv.last_name || ', ' || pv.first_name, 'no rendering provider')`),
  };
}

/** Claims by status (as claims list shows it), with what they stand billed for. */
export async function claimStatusCounts(db: DbOrTx): Promise<{ status: string; claims: number; totalCents: number }[]> {
  const timeZone = await practiceTimeZone(db);
  return queryRows(
    db,
    sql`select f.status, count(*)::int as claims, coalesce(sum(f.total_cents), 0)::int as "totalCents"
        from (${claimFigures({ timeZone })}) f group by f.status order by f.status`,
  );
}

export interface UnmatchedRemittanceItem {
  id: number;
  remittanceId: number;
  traceNumber: string | null;
  payer: string | null;
  receivedOn: string;
  patientControlNumber: string;
  claimId: number | null;
  claimStatusCode: string | null;
  billedCents: number;
  paidCents: number;
  reason: string;
}

/** Remittance claims that were not posted, newest first, with the reason each was left. */
export async function unmatchedRemittances(db: DbOrTx, filter: { remittanceId?: number } = {}): Promise<UnmatchedRemittanceItem[]> {
  const timeZone = await practiceTimeZone(db);
  return queryRows<UnmatchedRemittanceItem & Record<string, unknown>>(
    db,
    sql`select u.id, u.remittance_id as "remittanceId", r.trace_number as "traceNumber", coalesce(py.name, r.payer_name) as payer,
               (r.imported_at at time zone ${timeZone})::date::text as "receivedOn", u.patient_control_number as "patientControlNumber",
               u.claim_id as "claimId", u.claim_status_code as "claimStatusCode", u.billed_cents as "billedCents", u.paid_cents as "paidCents",
               coalesce(u.reason, case when u.level = 'line' then 'A service line matches none of the claim''s lines.' else 'No claim has this number.' end) as reason
        from remittance_unmatched u join remittances r on r.id = u.remittance_id left join payers py on py.id = r.payer_id
        where u.resolved_at is null ${filter.remittanceId ? sql`and u.remittance_id = ${filter.remittanceId}` : sql``}
        order by u.remittance_id desc, u.id`,
  );
}

export interface ClaimDetail {
  claim: ClaimBalance & { patientMrn: string; payerClaimControlNumber: string | null };
  lines: { lineNumber: number; code: string; modifiers: string[]; units: number; serviceDate: string; chargeCents: number; paidCents: number; status: string }[];
  payments: { remittanceId: number | null; traceNumber: string | null; lineNumber: number | null; amountCents: number; paidOn: string }[];
  adjustments: { remittanceId: number | null; lineNumber: number | null; groupCode: string; reasonCode: string; amountCents: number; denial: boolean; adjustedOn: string }[];
  denials: { remittanceId: number | null; lineNumber: number | null; groupCode: string | null; carcCode: string; rarcCodes: string[]; amountCents: number; deniedOn: string; status: string }[];
  balanceMoves: { kind: string; amountCents: number; reason: string; effectiveOn: string; actor: string }[];
  providerAdjustments: { remittanceId: number; reasonCode: string; reference: string | null; amountCents: number }[];
}

/** One claim: its figures, lines and every ledger row behind them, each traced to its remittance. */
export async function claimDetail(db: DbOrTx, claim: string): Promise<ClaimDetail> {
  const [row] = await queryRows<{ id: number; mrn: string; pccn: string | null }>(
    db,
    sql`select c.id, p.mrn, c.payer_claim_control_number as pccn from claims c join patients p on p.id = c.patient_id
        where ${/^[0-9]+$/.test(claim) ? sql`c.id = ${Number(claim)} or ` : sql``} c.patient_control_number = ${claim} order by c.id limit 1`,
  );
  if (!row) throw new NotFoundError(`Claim ${claim}`, 'Give the claim id or claim number from "practice claims list".');
  const [figures] = await claimBalances(db, { claimIds: [row.id] });
  const rows = <T,>(query: SQL) => queryRows<T & Record<string, unknown>>(db, query);
  const lineOf = sql`(select l.line_number from claim_lines l where l.id = x.claim_line_id)`;
  return {
    claim: { ...figures!, patientMrn: row.mrn, payerClaimControlNumber: row.pccn },
    lines: await rows(sql`select line_number as "lineNumber", code, modifiers, units, service_date::text as "serviceDate", charge_cents as "chargeCents", paid_cents as "paidCents", status
                          from claim_lines where claim_id = ${row.id} order by line_number`),
    payments: await rows(sql`select x.remittance_id as "remittanceId", r.trace_number as "traceNumber", ${lineOf} as "lineNumber", x.amount_cents as "amountCents", x.paid_on::text as "paidOn"
                             from payments x left join remittances r on r.id = x.remittance_id where x.claim_id = ${row.id} and x.source = 'payer' order by x.id`),
    adjustments: await rows(sql`select x.remittance_id as "remittanceId", ${lineOf} as "lineNumber", x.group_code as "groupCode", x.reason_code as "reasonCode", x.amount_cents as "amountCents",
                                       x.denial, x.adjusted_on::text as "adjustedOn" from adjustments x where x.claim_id = ${row.id} order by x.id`),
    denials: await rows(sql`select x.remittance_id as "remittanceId", ${lineOf} as "lineNumber", x.group_code as "groupCode", x.carc_code as "carcCode", x.rarc_codes as "rarcCodes",
                                   x.amount_cents as "amountCents", x.denied_on::text as "deniedOn", x.status from denials x where x.claim_id = ${row.id} order by x.id`),
    balanceMoves: await rows(sql`select kind, amount_cents as "amountCents", reason, effective_on::text as "effectiveOn", actor from claim_balance_moves where claim_id = ${row.id} order by id`),
    providerAdjustments: await rows(sql`select remittance_id as "remittanceId", reason_code as "reasonCode", reference, amount_cents as "amountCents" from provider_adjustments where claim_id = ${row.id} order by id`),
  };
}

export type ClaimView = ClaimDetail & Omit<ClaimAsBilled, 'lines'> & ClaimDetail['claim'] & {
  lines: (ClaimDetail['lines'][number] & { diagnosisPointers: number[] })[];
  claim: ClaimDetail['claim'];
};

/**
 * `claims show`: the claim's figures and postings, what it bills (diagnoses, pointers, batch) and any
 * 999/277CA rejection with its codes; the look-up is audited.
 */
export async function showClaim(db: DbOrTx, actor: AuditActor, claim: string): Promise<ClaimView> {
  const detail = await claimDetail(db, claim);
  await recordAudit(db, actor, { action: 'read', entity: 'claims', entityId: detail.claim.id });
  const billed = await claimAsBilled(db, detail.claim.id);
  const pointers = new Map(billed.lines.map((l) => [l.lineNumber, l.diagnosisPointers]));
  return {
    ...detail,
    ...billed,
    ...detail.claim,
    lines: detail.lines.map((l) => ({ ...l, diagnosisPointers: pointers.get(l.lineNumber) ?? [] })),
    claim: detail.claim,
  };
}

export interface ClaimListing {
  /** Each claim with its open 999/277CA rejection (codes and text: why it is held), if any. */
  claims: (ClaimBalance & { rejection: RejectionView | null })[];
  counts: { status: string; claims: number; totalCents: number }[];
}

/** `claims list`: the claims in a status (or all), where each stands, and the count per status. */
export async function listClaims(db: DbOrTx, filter: { status?: string; limit?: number } = {}): Promise<ClaimListing> {
  const listed = await claimBalances(db, filter);
  const rejections = await rejectionsOf(db, listed.map((r) => r.id));
  const claims = listed.map((r) => ({ ...r, rejection: rejections.get(r.id)?.find((x) => x.resolvedAt === null) ?? null }));
  return { claims, counts: await claimStatusCounts(db) };
}
