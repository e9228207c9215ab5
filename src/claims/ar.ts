// Accounts receivable, computed in one place: each claim's figures from its ledger (the payers'
// payments and CAS adjustments posted from 835s, the practice's write-offs and moves to the patient),
// its status, and AR aging. `claims list`, `claims show`, `claims ar` and the monthly pack all read it.
//
// Per claim, always: total = paid + adjustment + patient responsibility + balance - credit, where
// balance (still owed by payers) and credit (paid beyond the claim: a refund or takeback due) are never
// negative and never both above zero. A denial's amounts leave the balance open; a claim voided or
// replaced by a claim that was sent stands at 0 (its posted amounts become a credit until the payer
// takes them back).
import { sql, type SQL } from 'drizzle-orm';
import { idArray, queryRows, textArray } from '../db/query.js';
import type { DbOrTx } from '../db/types.js';
import { practiceTimeZone } from '../practice/clock.js';

/** Statuses of a claim the payer has (sent and not rejected): the only ones AR counts. */
export const SENT_STATUSES = ['exported', 'accepted', 'paid', 'partial', 'denied', 'overpaid', 'written-off'] as const;

const sentList = sql.join(SENT_STATUSES.map((s) => sql`${s}`), sql`, `);

export interface FigureOptions {
  /** Count only what was sent, paid, adjusted or moved on or before this date (YYYY-MM-DD). */
  asOf?: string;
  /** The practice's time zone: the day a claim was sent is its day there. */
  timeZone: string;
  /** Only these claims (their rows are the same as in the whole list, just fewer to compute). */
  claimIds?: number[];
}

/**
 * One row per claim (a subquery to select from): claim_id, payer_id, patient_id, billed_cents (CLM02
 * as sent), total_cents (what the claim stands billed for), paid_cents, adjustment_cents (CO/OA/PI and
 * write-offs; for a secondary claim the payer has not decided yet, what the previous payer paid and
 * adjusted), written_off_cents, patient_cents (PR and moves to the patient), balance_cents,
 * credit_cents, payer_adjusted_cents and payer_patient_cents (the 835s alone), status, sent_on,
 * in_ar, withdrawn_by (the void or replacement that was sent for it).
 */
export function claimFigures(options: FigureOptions): SQL {
  const until = (column: SQL) => (options.asOf ? sql`and ${column} <= ${options.asOf}::date` : sql``);
  const ids = options.claimIds ? idArray(options.claimIds) : undefined;
  // A claim's figures read its own postings and those of the claim before it (a secondary's primary).
  const scoped = (column: SQL) =>
    ids ? sql`and ${column} = any(${ids} || array(select previous_payer_claim_id from claims where id = any(${ids}) and previous_payer_claim_id is not null))` : sql``;
  return sql`
    with pay as (
      select claim_id, sum(amount_cents)::int as paid from payments
      where source = 'payer' and claim_id is not null ${until(sql`paid_on`)} ${scoped(sql`claim_id`)} group by claim_id
    ), adj as (
      select claim_id,
             coalesce(sum(amount_cents) filter (where group_code <> 'PR' and not denial), 0)::int as adjusted,
             coalesce(sum(amount_cents) filter (where group_code = 'PR'), 0)::int as patient
      from adjustments where claim_id is not null ${until(sql`adjusted_on`)} ${scoped(sql`claim_id`)} group by claim_id
    ), mv as (
      select claim_id,
             coalesce(sum(amount_cents) filter (where kind = 'write-off'), 0)::int as written_off,
             coalesce(sum(amount_cents) filter (where kind = 'to-patient'), 0)::int as to_patient
      from claim_balance_moves where true ${until(sql`effective_on`)} ${scoped(sql`claim_id`)} group by claim_id
    ), sent as (
      select id, (exported_at at time zone ${options.timeZone})::date as sent_on from claims
      where exported_at is not null and status in (${sentList}) ${until(sql`(exported_at at time zone ${options.timeZone})::date`)}
        ${ids ? sql`and (id = any(${ids}) or original_claim_id = any(${ids}))` : sql``}
    ), withdrawn as (
      select r.original_claim_id as claim_id, max(r.id) as by_claim, bool_or(r.frequency_code = '8') as voided
      from claims r join sent s on s.id = r.id where r.original_claim_id is not null ${ids ? sql`and r.original_claim_id = any(${ids})` : sql``} group by r.original_claim_id
    ), base as (
      select c.id as claim_id, c.payer_id, c.patient_id, c.frequency_code, c.status as stored_status, c.total_cents as billed_cents,
             case when c.frequency_code = '8' or w.claim_id is not null then 0 else c.total_cents end as total_cents,
             coalesce(pay.paid, 0) as paid_cents,
             coalesce(adj.adjusted, 0) as payer_adjusted_cents,
             coalesce(adj.patient, 0) as payer_patient_cents,
             coalesce(mv.written_off, 0) as written_off_cents,
             coalesce(mv.to_patient, 0) as to_patient_cents,
             case when c.previous_payer_claim_id is not null and pay.claim_id is null and adj.claim_id is null
                  then coalesce(pp.paid, 0) + coalesce(pa.adjusted, 0) else 0 end as prior_payer_cents,
             s.sent_on, w.by_claim as withdrawn_by, coalesce(w.voided, false) as voided
      from claims c
      left join pay on pay.claim_id = c.id
      left join adj on adj.claim_id = c.id
      left join mv on mv.claim_id = c.id
      left join pay pp on pp.claim_id = c.previous_payer_claim_id
      left join adj pa on pa.claim_id = c.previous_payer_claim_id
      left join sent s on s.id = c.id
      left join withdrawn w on w.claim_id = c.id
      ${ids ? sql`where c.id = any(${ids})` : sql``}
    ), summed as (
      select b.*, b.payer_adjusted_cents + b.written_off_cents + b.prior_payer_cents as adjustment_cents,
             b.payer_patient_cents + b.to_patient_cents as patient_cents
      from base b
    ), settled as (
      select s.*, greatest(s.total_cents - s.paid_cents - s.adjustment_cents - s.patient_cents, 0) as balance_cents,
             greatest(s.paid_cents + s.adjustment_cents + s.patient_cents - s.total_cents, 0) as credit_cents
      from summed s
    )
    select t.claim_id, t.payer_id, t.patient_id, t.billed_cents, t.total_cents, t.paid_cents, t.adjustment_cents, t.written_off_cents,
           t.patient_cents, t.balance_cents, t.credit_cents, t.payer_adjusted_cents, t.payer_patient_cents, t.sent_on, t.withdrawn_by,
           case when t.frequency_code = '8' then t.stored_status
                when t.withdrawn_by is not null then case when t.voided then 'void' else 'replaced' end
                else t.stored_status end as status,
           (t.sent_on is not null and t.frequency_code <> '8' and t.withdrawn_by is null and t.balance_cents > 0) as in_ar
    from settled t`;
}

/**
 * After posting or a write-off: the claims' stored totals (what the 835s said: read by the secondary
 * claim's COB loops) and status, from the same figures. After posting, `adjudicated` gives the claims'
 * payer claim numbers (CLP07; a claim without one keeps its own) and marks them adjudicated now, in the
 * same update: a claim updated twice in one transaction has every foreign key of it checked again.
 */
export async function refreshClaims(tx: DbOrTx, claimIds: number[], adjudicated?: Map<number, string>): Promise<void> {
  if (claimIds.length === 0) return;
  const timeZone = await practiceTimeZone(tx);
  const ids = idArray([...new Set(claimIds)]);
  const numbered = [...(adjudicated ?? new Map<number, string>())];
  await tx.execute(sql`
    update claims c set paid_cents = f.paid_cents, adjusted_cents = f.payer_adjusted_cents, patient_responsibility_cents = f.payer_patient_cents,
      ${adjudicated ? sql`payer_claim_control_number = coalesce(n.pccn, c.payer_claim_control_number), adjudicated_at = now(),` : sql``}
      status = case
        when f.status = 'void' then 'void'
        when f.credit_cents > 0 then 'overpaid'
        when f.balance_cents > 0 and exists (select 1 from denials d where d.claim_id = c.id and d.claim_line_id is null and d.status = 'open') then 'denied'
        when f.balance_cents = 0 and f.written_off_cents > 0 and f.paid_cents = 0 then 'written-off'
        when f.balance_cents = 0 then 'paid'
        when f.paid_cents <> 0 or f.adjustment_cents <> 0 or f.patient_cents <> 0 then 'partial'
        else 'accepted' end,
      updated_at = now()
    from (${claimFigures({ timeZone, claimIds })}) f
    ${adjudicated ? sql`left join unnest(${idArray(numbered.map(([id]) => id))}, ${textArray(numbered.map(([, pccn]) => pccn))}) as n(id, pccn) on n.id = f.claim_id` : sql``}
    where f.claim_id = c.id`);
  // Lines: what was paid on each, and how the payer decided it.
  await tx.execute(sql`
    update claim_lines l set paid_cents = coalesce(p.paid, 0),
      status = case when p.paid is null and a.n is null then l.status
                    when a.denied then 'denied'
                    when coalesce(p.paid, 0) = 0 and coalesce(a.amount, 0) = 0 then 'open'
                    when coalesce(p.paid, 0) = 0 and a.payer_side <> 0 and a.patient_side = 0 then 'denied'
                    when coalesce(a.amount, 0) <> 0 then 'adjusted' else 'paid' end
    from claim_lines l2
    -- A line's postings carry its claim: summing only those claims' rows keeps a file's posting from reading every payment ever posted.
    left join (select claim_line_id, sum(amount_cents)::int as paid from payments
               where source = 'payer' and claim_line_id is not null and claim_id = any(${ids}) group by claim_line_id) p on p.claim_line_id = l2.id
    left join (select claim_line_id, count(*) as n, sum(amount_cents)::int as amount,
                      coalesce(sum(amount_cents) filter (where group_code <> 'PR'), 0) as payer_side, coalesce(sum(amount_cents) filter (where group_code = 'PR'), 0) as patient_side,
                      bool_or(denial) and sum(amount_cents) filter (where denial) <> 0 as denied
               from adjustments where claim_line_id is not null and claim_id = any(${ids}) group by claim_line_id) a on a.claim_line_id = l2.id
    where l.id = l2.id and l2.claim_id = any(${ids})`);
}

export interface ClaimBalance {
  id: number;
  patientControlNumber: string;
  status: string;
  payerId: number;
  payer: string;
  serviceDateFrom: string;
  serviceDateTo: string;
  frequencyCode: string;
  originalClaimId: number | null;
  /** CLM02 as sent. */
  billedCents: number;
  /** What the claim stands billed for: 0 once a void or replacement for it was sent. */
  totalCents: number;
  paidCents: number;
  /** CO/OA/PI adjustments and write-offs (writtenOffCents of it). */
  adjustmentCents: number;
  writtenOffCents: number;
  /** PR adjustments and balances moved to the patient. */
  patientResponsibilityCents: number;
  /** Still owed by payers. */
  balanceCents: number;
  /** Paid beyond the claim (status overpaid, or a void/replacement awaiting the payer's takeback). */
  creditCents: number;
  /** In accounts receivable: sent, not withdrawn, balance open. */
  inAr: boolean;
  sentOn: string | null;
  withdrawnBy: number | null;
  batchId: number | null;
}

export async function claimBalances(
  db: DbOrTx,
  filter: { status?: string; claimIds?: number[]; limit?: number; asOf?: string } = {},
): Promise<ClaimBalance[]> {
  const timeZone = await practiceTimeZone(db);
  const where = [sql`true`];
  if (filter.status) where.push(sql`f.status = ${filter.status}`);
  if (filter.claimIds) where.push(sql`c.id = any(${idArray(filter.claimIds)})`);
  return queryRows<ClaimBalance & Record<string, unknown>>(
    db,
    sql`select c.id, c.patient_control_number as "patientControlNumber", f.status, c.payer_id as "payerId", py.name as payer,
               c.service_date_from::text as "serviceDateFrom", c.service_date_to::text as "serviceDateTo", c.frequency_code as "frequencyCode",
               c.original_claim_id as "originalClaimId",
               f.billed_cents as "billedCents", f.total_cents as "totalCents", f.paid_cents as "paidCents", f.adjustment_cents as "adjustmentCents",
               f.written_off_cents as "writtenOffCents", f.patient_cents as "patientResponsibilityCents", f.balance_cents as "balanceCents",
               f.credit_cents as "creditCents", f.in_ar as "inAr", f.sent_on::text as "sentOn", f.withdrawn_by as "withdrawnBy", c.batch_id as "batchId"
        from (${claimFigures({ timeZone, asOf: filter.asOf, claimIds: filter.claimIds })}) f join claims c on c.id = f.claim_id join payers py on py.id = c.payer_id
        where ${sql.join(where, sql` and `)}
        order by c.id limit ${filter.limit ?? 1000}`,
  );
}

export const AGING_BUCKETS = ['0-30', '31-60', '61-90', '91-120', '120+'] as const;
export type AgingBucketName = (typeof AGING_BUCKETS)[number];

export interface AgingRow {
  payerId: number;
  payer: string;
  claims: number;
  days0to30: number;
  days31to60: number;
  days61to90: number;
  days91to120: number;
  over120: number;
  totalCents: number;
}

export interface AgingBucket {
  bucket: AgingBucketName;
  claims: number;
  balanceCents: number;
}

export interface ArAging {
  asOf: string;
  payers: AgingRow[];
  buckets: AgingBucket[];
  claims: number;
  totalCents: number;
}

/** What payers owe on sent claims as of a day, aged from the day each claim was sent, by payer and bucket. */
export async function arAging(db: DbOrTx, options: { asOf: string; timeZone?: string }): Promise<ArAging> {
  const timeZone = options.timeZone ?? (await practiceTimeZone(db));
  const rows = await queryRows<{ payer_id: number; payer: string; bucket: AgingBucketName; claims: number; balance: number }>(
    db,
    sql`select f.payer_id, py.name as payer,
               case when a.age <= 30 then '0-30' when a.age <= 60 then '31-60' when a.age <= 90 then '61-90' when a.age <= 120 then '91-120' else '120+' end as bucket,
               count(*)::int as claims, sum(f.balance_cents)::float8 as balance
        from (${claimFigures({ timeZone, asOf: options.asOf })}) f
        join payers py on py.id = f.payer_id
        cross join lateral (select ${options.asOf}::date - f.sent_on as age) a
        where f.in_ar
        group by 1, 2, 3 order by py.name, f.payer_id`,
  );
  const payers = new Map<number, AgingRow>();
  const field: Record<AgingBucketName, 'days0to30' | 'days31to60' | 'days61to90' | 'days91to120' | 'over120'> = {
    '0-30': 'days0to30', '31-60': 'days31to60', '61-90': 'days61to90', '91-120': 'days91to120', '120+': 'over120',
  };
  const buckets = new Map<AgingBucketName, AgingBucket>(AGING_BUCKETS.map((b) => [b, { bucket: b, claims: 0, balanceCents: 0 }]));
  for (const r of rows) {
    const balance = Number(r.balance);
    const row = payers.get(r.payer_id) ?? { payerId: r.payer_id, payer: r.payer, claims: 0, days0to30: 0, days31to60: 0, days61to90: 0, days91to120: 0, over120: 0, totalCents: 0 };
    row[field[r.bucket]] += balance;
    row.claims += r.claims;
    row.totalCents += balance;
    payers.set(r.payer_id, row);
    const bucket = buckets.get(r.bucket)!;
    bucket.claims += r.claims;
    bucket.balanceCents += balance;
  }
  const list = [...payers.values()];
  return {
    asOf: options.asOf,
    payers: list,
    buckets: [...buckets.values()],
    claims: list.reduce((n, p) => n + p.claims, 0),
    totalCents: list.reduce((n, p) => n + p.totalCents, 0),
  };
}

/**
 * Each visit's claims, first payer to last (the primary claim and the secondary claims built from it),
 * not counting voids and claims voided or replaced: what insurance paid on the visit and, from the last
 * claim in the chain, what the patient owes (PR and balances moved to the patient; nothing while the
 * last payer has not decided, since its payment may cover it).
 */
function visitChains(figures: SQL): SQL {
  return sql`
    with recursive f as (${figures}),
    live as (
      select c.id, c.previous_payer_claim_id, c.patient_id, c.service_date_from from claims c join f on f.claim_id = c.id
      where c.frequency_code <> '8' and f.withdrawn_by is null and f.status <> 'void'
    ), chain as (
      select id as root_id, id, 1 as depth from live where previous_payer_claim_id is null or previous_payer_claim_id not in (select id from live)
      union all
      select chain.root_id, live.id, chain.depth + 1 from live join chain on live.previous_payer_claim_id = chain.id
    ), last_payer as (
      select distinct on (root_id) root_id, id from chain order by root_id, depth desc
    )
    select chain.root_id, min(live.patient_id) as patient_id, min(live.service_date_from) as service_date,
           max(f.billed_cents) filter (where chain.depth = 1) as billed_cents,
           sum(f.paid_cents)::int as insurance_paid_cents,
           max(f.patient_cents) filter (where chain.id = ld.id) as patient_cents,
           bool_or(f.balance_cents > 0) as insurance_pending
    from chain join live on live.id = chain.id join f on f.claim_id = chain.id join last_payer ld on ld.root_id = chain.root_id
    group by chain.root_id`;
}

export interface PatientVisitBalance {
  claimId: number;
  serviceDate: string;
  billedCents: number;
  insurancePaidCents: number;
  patientCents: number;
  /** A payer still owes on the visit: what the patient owes may change. */
  insurancePending: boolean;
}

export interface PatientBalance {
  patientId: number;
  /** What the patient owes on visits (PR of the last payer decided, and balances moved to the patient). */
  chargedCents: number;
  /** Payments the patient made (copays, statement payments). */
  paidCents: number;
  /** chargedCents - paidCents: above zero the patient owes, below zero the practice owes a refund. */
  balanceCents: number;
  visits: PatientVisitBalance[];
}

/** What patients owe as of a day, visit by visit, less what they paid. */
export async function patientBalances(db: DbOrTx, options: { asOf: string; patientIds?: number[]; timeZone?: string }): Promise<PatientBalance[]> {
  const timeZone = options.timeZone ?? (await practiceTimeZone(db));
  const onlyPatients = options.patientIds
    ? sql`and v.patient_id = any(${idArray(options.patientIds)})`
    : sql``;
  // For some patients, the figures of their claims only (a visit's chain of claims is all the patient's).
  const claimIds = options.patientIds
    ? (await queryRows<{ id: number }>(db, sql`select id from claims where patient_id = any(${idArray(options.patientIds)})`)).map((r) => r.id)
    : undefined;
  const visits = await queryRows<{ root_id: number; patient_id: number; service_date: string; billed_cents: number; insurance_paid_cents: number; patient_cents: number; insurance_pending: boolean }>(
    db,
    sql`select v.root_id, v.patient_id, v.service_date::text as service_date, coalesce(v.billed_cents, 0)::int as billed_cents, v.insurance_paid_cents,
               coalesce(v.patient_cents, 0)::int as patient_cents, v.insurance_pending
        from (${visitChains(claimFigures({ timeZone, asOf: options.asOf, claimIds }))}) v
        where true ${onlyPatients} order by v.patient_id, v.service_date, v.root_id`,
  );
  const paid = await queryRows<{ patient_id: number; paid: number }>(
    db,
    sql`select patient_id, sum(amount_cents)::int as paid from payments
        where source = 'patient' and patient_id is not null and paid_on <= ${options.asOf}::date
        ${options.patientIds ? sql`and patient_id = any(${idArray(options.patientIds)})` : sql``}
        group by patient_id`,
  );
  const byPatient = new Map<number, PatientBalance>();
  const entry = (patientId: number) => {
    let b = byPatient.get(patientId);
    if (!b) byPatient.set(patientId, (b = { patientId, chargedCents: 0, paidCents: 0, balanceCents: 0, visits: [] }));
    return b;
  };
  for (const v of visits) {
    const b = entry(v.patient_id);
    b.visits.push({ claimId: v.root_id, serviceDate: v.service_date, billedCents: v.billed_cents, insurancePaidCents: v.insurance_paid_cents, patientCents: v.patient_cents, insurancePending: v.insurance_pending });
    b.chargedCents += v.patient_cents;
  }
  for (const p of paid) entry(p.patient_id).paidCents = p.paid;
  for (const b of byPatient.values()) b.balanceCents = b.chargedCents - b.paidCents;
  return [...byPatient.values()].sort((a, b) => a.patientId - b.patientId);
}
