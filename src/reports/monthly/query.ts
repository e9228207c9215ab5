// The monthly pack a manager hands to the physicians: productivity with charts, quality measure rates
// (when value sets are loaded), recall activity, accounts receivable aging and denials.
// Recall and claim-flow figures are read from their tables directly, one grouped query each; accounts
// receivable comes from the one AR computation (claims/ar.ts), so the pack and `claims ar` agree.
import { sql } from 'drizzle-orm';
import { chainHead } from '../../audit/chain.js';
import { arAging, type AgingBucket } from '../../claims/ar.js';
import { queryRows } from '../../db/query.js';
import type { DbOrTx } from '../../db/types.js';
import { practiceTimeZone } from '../../practice/clock.js';
import { PracticeError } from '../../errors.js';
import { comparisonPeriods, parseMonth } from '../periods.js';
import { productivityReport, rvuTrend, type ProductivityReport, type TrendPoint } from '../productivity/query.js';
import type { MipsEstimate } from '../mips/query.js';

export interface QualityRate {
  measure: string;
  title: string;
  /** Higher is better unless inverse (e.g. poor HbA1c control). */
  inverse: boolean;
  numerator: number;
  /** Denominator less exclusions and exceptions. */
  eligible: number;
  rate: number | null;
}

export interface QualitySection {
  /** Performance period: the year to date of the report month. */
  from: string;
  to: string;
  rates: QualityRate[];
  /** The MIPS quality category estimate from the same rates (its own page). */
  mips: MipsEstimate;
}

export interface RecallActivity {
  opened: number;
  closed: number;
  openNow: number;
  /** Open recalls already due by the end of the month. */
  overdueAtMonthEnd: number;
  /**
   * The day the first recall was opened, when that was in this month: every recall found on the first run
   * counts as opened then, so the month's "opened" is the whole list, not new work.
   */
  trackingBegan?: string;
  /** Per channel: reminders (one letter, call or message can cover several of a patient's recalls) and the recalls sent. */
  reminders: { channel: string; sent: number; recallsSent: number; failed: number; skipped: number; pending: number }[];
}

export interface ClaimsSection {
  /** Claims sent to payers during the month. */
  submitted: number;
  /** Claims with a payer decision (payment, adjustment or denial) dated in the month. */
  decided: number;
  denied: number;
  /** Denied claims / decided claims. */
  denialRate: number | null;
  deniedCents: number;
  topDenialReasons: { groupCode: string | null; carcCode: string; meaning: string; claims: number; amountCents: number }[];
  /** Accounts receivable at the end of the month, from the one AR computation (claims/ar.ts). */
  aging: AgingBucket[];
  openBalanceCents: number;
}

export interface MonthlyPack {
  month: string;
  practiceName: string;
  productivity: ProductivityReport;
  trend: TrendPoint[];
  quality: QualitySection | null;
  /** Why quality rates are missing, when they are. */
  qualityNote: string | null;
  recall: RecallActivity;
  claims: ClaimsSection;
  /** The audit chain's head when the pack was made ("seq:hash"): a copy outside the database. */
  auditHead: string | null;
}

/** Common claim adjustment reason codes (X12 CARC list), paraphrased; others print as the code. */
const CARC_MEANINGS: Record<string, string> = {
  '1': 'deductible',
  '2': 'coinsurance',
  '3': 'copay',
  '4': 'modifier inconsistent or missing',
  '5': 'place of service inconsistent',
  '16': 'claim lacks information',
  '18': 'duplicate claim or service',
  '22': 'another payer may be primary',
  '27': 'coverage terminated',
  '29': 'timely filing limit passed',
  '45': 'charge exceeds the fee schedule',
  '50': 'not medically necessary',
  '96': 'non-covered charge',
  '97': 'bundled into another service',
  '109': 'not covered by this payer',
  '197': 'precertification or authorization absent',
  '204': 'not covered under the benefit plan',
  '252': 'additional documentation needed',
};

async function recallActivity(db: DbOrTx, from: string, to: string, timeZone: string): Promise<RecallActivity> {
  const start = sql`(${from}::timestamp at time zone ${timeZone})`;
  const end = sql`(${to}::timestamp at time zone ${timeZone})`;
  const [counts] = await queryRows<{ opened: number; closed: number; open_now: number; overdue: number; first_opened: string | null }>(
    db,
    sql`select
        (min(r.created_at) at time zone ${timeZone})::date::text as first_opened,
        (count(*) filter (where r.created_at >= ${start} and r.created_at < ${end}))::int as opened,
        (count(*) filter (where r.status = 'closed' and r.closed_at >= ${start} and r.closed_at < ${end}))::int as closed,
        (count(*) filter (where r.status = 'open'))::int as open_now,
        (count(*) filter (where r.status = 'open' and r.due_date < ${to}::date))::int as overdue
      from recalls r`,
  );
  // The log has a row per recall; a reminder is one message (a letter or call can name several recalls).
  const reminders = await queryRows<{ channel: string; sent: number; recallsSent: number; failed: number; skipped: number; pending: number }>(
    db,
    sql`select l.channel,
        (count(distinct coalesce(l.message_id, -l.id)) filter (where l.status = 'sent'))::int as sent,
        (count(*) filter (where l.status = 'sent'))::int as "recallsSent",
        (count(distinct coalesce(l.message_id, -l.id)) filter (where l.status = 'failed'))::int as failed,
        (count(distinct coalesce(l.message_id, -l.id)) filter (where l.status = 'skipped'))::int as skipped,
        (count(distinct coalesce(l.message_id, -l.id)) filter (where l.status = 'pending'))::int as pending
      from reminder_log l
      where l.created_at >= ${start} and l.created_at < ${end}
      group by l.channel order by l.channel`,
  );
  const first = counts?.first_opened ?? undefined;
  const trackingBegan = first !== undefined && first >= from && first < to ? first : undefined;
  return { opened: counts?.opened ?? 0, closed: counts?.closed ?? 0, openNow: counts?.open_now ?? 0, overdueAtMonthEnd: counts?.overdue ?? 0, ...(trackingBegan ? { trackingBegan } : {}), reminders };
}

async function claimsSection(db: DbOrTx, from: string, to: string, lastDay: string, timeZone: string): Promise<ClaimsSection> {
  const [flow] = await queryRows<{ submitted: number; decided: number; denied: number; denied_cents: number }>(
    db,
    sql`with decided as (
        select claim_id from payments where source = 'payer' and claim_id is not null and paid_on >= ${from}::date and paid_on < ${to}::date
        union select claim_id from adjustments where claim_id is not null and adjusted_on >= ${from}::date and adjusted_on < ${to}::date
        union select claim_id from denials where denied_on >= ${from}::date and denied_on < ${to}::date
      )
      select
        (select count(*)::int from claims where exported_at >= (${from}::timestamp at time zone ${timeZone}) and exported_at < (${to}::timestamp at time zone ${timeZone})) as submitted,
        (select count(*)::int from decided) as decided,
        (select count(distinct claim_id)::int from denials where denied_on >= ${from}::date and denied_on < ${to}::date) as denied,
        (select coalesce(sum(amount_cents), 0)::float8 from denials where denied_on >= ${from}::date and denied_on < ${to}::date) as denied_cents`,
  );
  const reasons = await queryRows<{ group_code: string | null; carc_code: string; claims: number; amount_cents: number }>(
    db,
    sql`select d.group_code, d.carc_code, count(distinct d.claim_id)::int as claims, coalesce(sum(d.amount_cents), 0)::float8 as amount_cents
      from denials d where d.denied_on >= ${from}::date and d.denied_on < ${to}::date
      group by d.group_code, d.carc_code order by count(distinct d.claim_id) desc, sum(d.amount_cents) desc, d.carc_code limit 5`,
  );
  // What payers still owe at the end of the month, aged from the day each claim was sent: as claims ar shows it.
  const ar = await arAging(db, { asOf: lastDay, timeZone });
  return {
    submitted: flow?.submitted ?? 0,
    decided: flow?.decided ?? 0,
    denied: flow?.denied ?? 0,
    denialRate: flow && flow.decided > 0 ? Number((flow.denied / flow.decided).toFixed(4)) : null,
    deniedCents: Number(flow?.denied_cents ?? 0),
    topDenialReasons: reasons.map((r) => ({
      groupCode: r.group_code?.trim() || null,
      carcCode: r.carc_code,
      meaning: CARC_MEANINGS[r.carc_code] ?? '',
      claims: r.claims,
      amountCents: Number(r.amount_cents),
    })),
    aging: ar.buckets,
    openBalanceCents: ar.totalCents,
  };
}

/** Quality rates come from the measure engine; the pack shows them when it can compute them. */
async function qualitySection(db: DbOrTx, month: string, timeZone: string): Promise<{ section: QualitySection | null; note: string | null }> {
  const year = Number(month.slice(0, 4));
  // The value sets bundled for their year load here on first use; other years need the practice's own.
  const { ensureBundledValueSets } = await import('../../measures/valuesets.js');
  await ensureBundledValueSets(db, year);
  const [loaded] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from value_set_years where performance_year = ${year}`);
  if (!loaded?.n) return { section: null, note: `Quality rates need the measure value sets for ${year}: load them with "practice valueset import <files> --year ${year}".` };
  const { parsePeriod, runQuality, selectMeasures } = await import('../../measures/run.js');
  const from = `${month.slice(0, 4)}-01-01`;
  const lastDay = parseMonth(month).endOf('month').toISODate()!;
  try {
    const period = parsePeriod(`${from}..${lastDay}`, timeZone);
    const report = await runQuality(db, { period, program: 'mips', measures: selectMeasures(Number(month.slice(0, 4)), 'mips') });
    const rates = report.measures.flatMap((m) =>
      m.groups.map((g) => ({
        measure: m.groups.length > 1 ? `${m.id} ${g.id}` : m.id,
        title: m.groups.length > 1 ? `${m.title} - ${g.title}` : m.title,
        inverse: m.inverse,
        numerator: g.overall.numer,
        eligible: g.overall.den - g.overall.denex - g.overall.denexcep,
        rate: g.overall.rate,
      })),
    );
    const { estimateMips, practiceClinicians } = await import('../mips/query.js');
    return { section: { from, to: lastDay, rates, mips: estimateMips({ report, clinicians: await practiceClinicians(db) }) }, note: null };
  } catch (error) {
    if (error instanceof PracticeError) return { section: null, note: `Quality rates are not available: ${error.message}` };
    throw error;
  }
}

export async function monthlyPack(db: DbOrTx, options: { month: string }): Promise<MonthlyPack> {
  const productivity = await productivityReport(db, { month: options.month, by: 'provider' });
  const { from, to } = comparisonPeriods(options.month)[0]!;
  const timeZone = await practiceTimeZone(db);
  const [trend, quality, recall, claims] = await Promise.all([
    rvuTrend(db, { month: options.month }),
    qualitySection(db, options.month, timeZone),
    recallActivity(db, from, to, timeZone),
    claimsSection(db, from, to, parseMonth(options.month).endOf('month').toISODate()!, timeZone),
  ]);
  return {
    month: options.month,
    practiceName: productivity.practiceName,
    productivity,
    trend,
    quality: quality.section,
    qualityNote: quality.note,
    recall,
    claims,
    auditHead: (await chainHead(db))?.head ?? null,
  };
}
