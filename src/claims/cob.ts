// Coordination of benefits in the 837P (005010X222A1): every other coverage of the patient in force
// on the date of service goes in loop 2320 (other subscriber information) with 2330A (other
// subscriber) and 2330B (other payer); when that payer has already adjudicated the claim (its 835
// was posted against the claim this one was passed on from), 2320 carries the claim-level CAS,
// AMT*D paid and AMT*EAF remaining patient liability, and each service line gets a 2430 (SVD line
// adjudication, CAS line adjustments, DTP*573 adjudication date).
import { sql, type SQL } from 'drizzle-orm';
import { idArray, queryRows } from '../db/query.js';
import type { DbOrTx } from '../db/types.js';
import { x12Amount } from './x12/model.js';
import type { X12Writer } from './x12/writer.js';

export interface CasAmount {
  group: string;
  reason: string;
  amountCents: number;
}

export interface LineAdjudication {
  code: string;
  modifiers: string[];
  units: number;
  paidCents: number;
  adjustments: CasAmount[];
  adjudicatedOn: string;
}

export interface Adjudication {
  claimId: number;
  paidCents: number;
  patientResponsibilityCents: number;
  payerClaimControlNumber: string | null;
  adjudicatedOn: string;
  claimAdjustments: CasAmount[];
  /** By line number; empty when the payer adjudicated the claim as a whole. */
  lines: Map<number, LineAdjudication>;
}

export interface OtherPayer {
  claimId: number;
  coverageId: number;
  priority: number;
  relationship: string;
  memberId: string;
  groupNumber: string | null;
  subscriberLastName: string | null;
  subscriberFirstName: string | null;
  subscriberMiddleName: string | null;
  payerName: string;
  payerIdentifier: string;
  filingIndicator: string;
  adjudication?: Adjudication;
}

/** SBR01 payer responsibility sequence: primary, secondary, tertiary, then payers 4 to 11 (A-H). */
const PAYER_SEQUENCE = ['P', 'S', 'T', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];

/**
 * SBR01 for the coverage of the given priority among the claim's own and its other payers: its rank
 * in priority order, so a claim to the only coverage in force is primary whatever its number.
 */
export function responsibilitySequence(claimPriority: number, others: OtherPayer[], priority: number): string {
  const rank = [claimPriority, ...others.map((o) => o.priority)].filter((p) => p < priority).length;
  return PAYER_SEQUENCE[rank] ?? 'H';
}
/** The guide allows at most 10 other payers (2320 repeats) on a claim. */
const MAX_OTHER_PAYERS = 10;

/**
 * The claims a batch claim was passed on from (its previous payers' claims, any depth), as
 * (claim_id, prior_id) rows. Used by the export and by the scrubber, so both see the same data.
 */
export const priorClaimsOf = (claims: SQL) => sql`
  with recursive chain(claim_id, prior_id) as (
    select c.id, c.previous_payer_claim_id from claims c where c.id in (${claims}) and c.previous_payer_claim_id is not null
    union all
    select ch.claim_id, p.previous_payer_claim_id from chain ch join claims p on p.id = ch.prior_id where p.previous_payer_claim_id is not null
  )
  select claim_id, prior_id from chain`;

/** The coverages in force on the claim's first date of service, plus any that already adjudicated it. */
const otherCoverageCondition = sql`o.patient_id = c.patient_id and o.id <> c.coverage_id and (
    (o.active and (o.effective_from is null or o.effective_from <= c.service_date_from)
              and (o.effective_to is null or o.effective_to >= c.service_date_from))
    or exists (select 1 from prior_claims pc join claims pp on pp.id = pc.prior_id where pc.claim_id = c.id and pp.coverage_id = o.id))`;

/**
 * The date a payer adjudicated a claim (claim id as SQL): the last payment or adjustment its 835s
 * posted, else the time the claim was marked adjudicated; what DTP*573 reports and what a secondary
 * payer's timely filing counts from.
 */
export const adjudicationDate = (claimId: SQL) => sql`coalesce(
  (select max(e.on_date) from (select paid_on as on_date from payments where claim_id = ${claimId} and source = 'payer'
                               union all select adjusted_on from adjustments where claim_id = ${claimId}) e),
  (select (p.adjudicated_at at time zone 'UTC')::date from claims p where p.id = ${claimId}))`;

/** Other payers of each claim chosen (a condition on claims c), in priority order, with what they have paid and adjusted. */
export async function loadOtherPayers(db: DbOrTx, chosen: SQL): Promise<Map<number, OtherPayer[]>> {
  const inBatch = sql`select c.id from claims c where ${chosen}`;
  const rows = await queryRows<Omit<OtherPayer, 'adjudication'> & { adjudicatedClaimId: number | null }>(
    db,
    sql`with prior_claims as (${priorClaimsOf(inBatch)})
        select c.id as "claimId", o.id as "coverageId", o.priority, o.relationship, o.member_id as "memberId", o.group_number as "groupNumber",
               case when o.relationship = '18' then p.last_name else o.subscriber_last_name end as "subscriberLastName",
               case when o.relationship = '18' then p.first_name else o.subscriber_first_name end as "subscriberFirstName",
               case when o.relationship = '18' then p.middle_name end as "subscriberMiddleName",
               py.name as "payerName", py.payer_id as "payerIdentifier", py.claim_filing_indicator as "filingIndicator",
               (select max(pc.prior_id) from prior_claims pc join claims pp on pp.id = pc.prior_id
                 where pc.claim_id = c.id and pp.coverage_id = o.id and pp.status in ('paid', 'partial', 'denied')) as "adjudicatedClaimId"
        from claims c
        join patients p on p.id = c.patient_id
        join coverages o on ${otherCoverageCondition}
        join payers py on py.id = o.payer_id
        where ${chosen}
        order by c.id, o.priority, o.id`,
  );
  const adjudications = await loadAdjudications(db, [...new Set(rows.map((r) => r.adjudicatedClaimId).filter((id): id is number => id !== null))]);
  const byClaim = new Map<number, OtherPayer[]>();
  for (const { adjudicatedClaimId, ...row } of rows) {
    const list = byClaim.get(row.claimId) ?? [];
    if (list.length < MAX_OTHER_PAYERS) list.push({ ...row, adjudication: adjudicatedClaimId === null ? undefined : adjudications.get(adjudicatedClaimId) });
    byClaim.set(row.claimId, list);
  }
  return byClaim;
}

/** What the 835s posted against these claims say: payments, CAS by group and reason, dates. */
async function loadAdjudications(db: DbOrTx, claimIds: number[]): Promise<Map<number, Adjudication>> {
  const result = new Map<number, Adjudication>();
  if (claimIds.length === 0) return result;
  const ids = idArray(claimIds);
  const heads = await queryRows<{ id: number; paid: number; patient: number; pccn: string | null; adjudicated: string | null }>(
    db,
    sql`select id, paid_cents as paid, patient_responsibility_cents as patient, payer_claim_control_number as pccn,
               (adjudicated_at at time zone 'UTC')::date::text as adjudicated
        from claims where id = any(${ids})`,
  );
  // Amounts per claim, line and CAS group/reason (rows without a group only carry the payment date).
  const events = await queryRows<{ claim_id: number; line_number: number | null; group_code: string | null; reason_code: string | null; amount: number; on_date: string }>(
    db,
    sql`with ev as (
          select claim_id, claim_line_id, null::text as group_code, null::text as reason_code, 0 as amount_cents, paid_on as on_date
          from payments where claim_id = any(${ids}) and source = 'payer'
          union all
          select claim_id, claim_line_id, group_code::text, reason_code, amount_cents, adjusted_on from adjustments where claim_id = any(${ids})
        )
        select ev.claim_id, l.line_number, ev.group_code, ev.reason_code, sum(ev.amount_cents)::int as amount, max(ev.on_date)::text as on_date
        from ev left join claim_lines l on l.id = ev.claim_line_id
        group by ev.claim_id, l.line_number, ev.group_code, ev.reason_code
        order by ev.claim_id, l.line_number nulls first, ev.group_code, ev.reason_code`,
  );
  const lines = await queryRows<{ claim_id: number; line_number: number; code: string; modifiers: string[]; units: number; paid_cents: number }>(
    db,
    sql`select claim_id, line_number, code, modifiers, units, paid_cents from claim_lines
        where claim_id = any(${ids}) and status <> 'open' order by claim_id, line_number`,
  );
  for (const h of heads) {
    result.set(h.id, {
      claimId: h.id,
      paidCents: h.paid,
      patientResponsibilityCents: h.patient,
      payerClaimControlNumber: h.pccn,
      adjudicatedOn: '',
      claimAdjustments: [],
      lines: new Map(),
    });
  }
  for (const l of lines) {
    result.get(l.claim_id)!.lines.set(l.line_number, { code: l.code, modifiers: l.modifiers, units: l.units, paidCents: l.paid_cents, adjustments: [], adjudicatedOn: '' });
  }
  for (const e of events) {
    const adj = result.get(e.claim_id)!;
    const line = e.line_number === null ? undefined : adj.lines.get(e.line_number);
    if (e.on_date > adj.adjudicatedOn) adj.adjudicatedOn = e.on_date;
    if (line && e.on_date > line.adjudicatedOn) line.adjudicatedOn = e.on_date;
    if (!e.group_code || e.amount === 0) continue;
    const cas = { group: e.group_code, reason: e.reason_code!, amountCents: e.amount };
    // Adjustments on a line the payer did not adjudicate line by line stay at claim level.
    (line ? line.adjustments : adj.claimAdjustments).push(cas);
  }
  // No payment or adjustment rows (nothing posted by line or claim): the claim's adjudication time.
  for (const h of heads) result.get(h.id)!.adjudicatedOn ||= h.adjudicated ?? '';
  for (const adj of result.values()) for (const line of adj.lines.values()) line.adjudicatedOn ||= adj.adjudicatedOn;
  return result;
}

const dt = (iso: string) => iso.replaceAll('-', '');

/** CAS segments: one per group, at most 6 reason/amount pairs each (CAS02-19). */
function writeCas(w: X12Writer, adjustments: CasAmount[]): void {
  const groups = [...new Set(adjustments.map((a) => a.group))];
  for (const group of groups) {
    const inGroup = adjustments.filter((a) => a.group === group);
    for (let i = 0; i < inGroup.length; i += 6) {
      // Reason, amount, and an empty quantity; the writer drops the trailing empty element.
      w.add('CAS', group, ...inGroup.slice(i, i + 6).flatMap((a) => [a.reason, x12Amount(a.amountCents), '']));
    }
  }
}

export interface ClaimFlags {
  coveragePriority: number;
  benefitsAssigned: string;
  releaseOfInformation: string;
}

/** Loops 2320, 2330A and 2330B for every other payer, in the guide's segment order. */
export function writeOtherPayers(w: X12Writer, claim: ClaimFlags, others: OtherPayer[]): void {
  for (const o of others) {
    const adj = o.adjudication;
    // 2320 other subscriber information
    w.add('SBR', responsibilitySequence(claim.coveragePriority, others, o.priority), o.relationship, w.clean(o.groupNumber, 50), '', '', '', '', '', o.filingIndicator);
    if (adj) {
      writeCas(w, adj.claimAdjustments);
      w.add('AMT', 'D', x12Amount(adj.paidCents));
      if (adj.patientResponsibilityCents > 0) w.add('AMT', 'EAF', x12Amount(adj.patientResponsibilityCents));
    }
    w.add('OI', '', '', claim.benefitsAssigned, '', '', claim.releaseOfInformation);
    // 2330A other subscriber, 2330B other payer
    w.add('NM1', 'IL', '1', w.clean(o.subscriberLastName, 60), w.clean(o.subscriberFirstName, 35), w.clean(o.subscriberMiddleName, 25), '', '', 'MI', w.clean(o.memberId, 80));
    w.add('NM1', 'PR', '2', w.clean(o.payerName, 60), '', '', '', '', 'PI', w.clean(o.payerIdentifier, 80));
    // The adjudication date goes here only when the payer gave no line-level detail (2430 carries it otherwise).
    if (adj && adj.lines.size === 0 && adj.adjudicatedOn) w.add('DTP', '573', 'D8', dt(adj.adjudicatedOn));
    if (adj?.payerClaimControlNumber) w.add('REF', 'F8', w.clean(adj.payerClaimControlNumber, 50));
  }
}

/** Loop 2430 for one service line: each adjudicating payer's SVD, CAS and DTP*573. */
export function writeLineAdjudication(w: X12Writer, others: OtherPayer[], lineNumber: number): void {
  for (const o of others) {
    const line = o.adjudication?.lines.get(lineNumber);
    if (!line) continue;
    w.add('SVD', w.clean(o.payerIdentifier, 80), x12Amount(line.paidCents), ['HC', line.code, ...line.modifiers], '', line.units);
    writeCas(w, line.adjustments);
    w.add('DTP', '573', 'D8', dt(line.adjudicatedOn));
  }
}
