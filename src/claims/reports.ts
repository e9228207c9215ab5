// Accounts receivable aging by payer, denials by reason, payer and provider, and the claim list.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows } from '../db/query.js';
import type { DbOrTx } from '../db/types.js';

export const CLAIM_STATUSES = ['draft', 'ready', 'held', 'exported', 'accepted', 'rejected', 'paid', 'partial', 'denied', 'void'] as const;

/**
 * What the payer still owes: billed minus paid, written off and moved to the patient. A secondary
 * claim not yet adjudicated is owed only what the previous payer left (its payment and write-offs
 * are not this payer's to pay); once adjudicated, its own 835 accounts for them (CAS OA-23).
 */
const balance = sql`(c.total_cents - c.paid_cents - c.adjusted_cents - c.patient_responsibility_cents
  - case when c.previous_payer_claim_id is not null and c.adjudicated_at is null
         then coalesce((select p.paid_cents + p.adjusted_cents from claims p where p.id = c.previous_payer_claim_id), 0) else 0 end)`;

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

/** Open balances of sent claims by payer, aged from the date the claim was sent (or the service date). */
export async function arAging(db: DbOrTx, asOf: string): Promise<AgingRow[]> {
  const age = sql`(${asOf}::date - coalesce(c.exported_at::date, c.service_date_from))`;
  const bucket = (from: number, to?: number): SQL =>
    sql`coalesce(sum(${balance}) filter (where ${age} >= ${from} ${to === undefined ? sql`` : sql`and ${age} <= ${to}`}), 0)::int`;
  return queryRows<AgingRow & Record<string, unknown>>(
    db,
    sql`select py.id as "payerId", py.name as payer, count(*)::int as claims,
               ${bucket(-100000, 30)} as "days0to30", ${bucket(31, 60)} as "days31to60", ${bucket(61, 90)} as "days61to90",
               ${bucket(91, 120)} as "days91to120", ${bucket(121)} as "over120", sum(${balance})::int as "totalCents"
        from claims c join payers py on py.id = c.payer_id
        where c.status in ('exported', 'accepted', 'partial', 'denied', 'paid') and ${balance} <> 0
        group by py.id, py.name order by py.name`,
  );
}

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

export interface ClaimListRow {
  id: number;
  patientControlNumber: string;
  status: string;
  payer: string;
  serviceDateFrom: string;
  serviceDateTo: string;
  frequencyCode: string;
  totalCents: number;
  paidCents: number;
  balanceCents: number;
  batchId: number | null;
}

export async function listClaims(db: DbOrTx, filter: { status?: string; limit?: number } = {}): Promise<ClaimListRow[]> {
  return queryRows<ClaimListRow & Record<string, unknown>>(
    db,
    sql`select c.id, c.patient_control_number as "patientControlNumber", c.status, py.name as payer,
               c.service_date_from::text as "serviceDateFrom", c.service_date_to::text as "serviceDateTo", c.frequency_code as "frequencyCode",
               c.total_cents as "totalCents", c.paid_cents as "paidCents", ${balance}::int as "balanceCents", c.batch_id as "batchId"
        from claims c join payers py on py.id = c.payer_id
        ${filter.status ? sql`where c.status = ${filter.status}` : sql``}
        order by c.id limit ${filter.limit ?? 1000}`,
  );
}

export async function claimStatusCounts(db: DbOrTx): Promise<{ status: string; claims: number; totalCents: number }[]> {
  return queryRows(db, sql`select status, count(*)::int as claims, coalesce(sum(total_cents), 0)::int as "totalCents" from claims group by status order by status`);
}
