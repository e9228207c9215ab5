// Provider productivity for a month, compared with the previous month, the same month last year and
// the year to date: RVUs, visits, patients seen, time, no-shows, charges, payments, adjustments.
// Each source is one grouped SQL query over all four periods (grouping sets give the practice totals).
import { eq, sql, type SQL } from 'drizzle-orm';
import { queryRows } from '../../db/query.js';
import { locations, practice, providers } from '../../db/schema/index.js';
import type { DbOrTx } from '../../db/types.js';
import { practiceTimeZone } from '../../practice/clock.js';
import { UsageError } from '../../errors.js';
import { providerNotFound } from '../../chart/lookup.js';
import { describeRvuSources, ensureBundledRvus, practiceLocality, rvuSources, type Locality, type RvuSource } from '../../rvu/load.js';
import { NOT_VALUED_STATUS } from '../../rvu/not-valued.js';
import { chargeRvus } from '../../rvu/compute.js';
import { comparisonPeriods, trailingMonths, type Period, type PeriodName } from '../periods.js';

export const GROUP_BY = ['provider', 'location', 'cpt'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface PeriodMetrics {
  workRvu: number;
  totalRvu: number;
  /** Null when no line of the period could be priced (no conversion factor or GPCI for its year). */
  paymentEstimateCents: number | null;
  chargeLines: number;
  units: number;
  chargesCents: number;
  /** Charge lines whose code has no RVU for its year: listed, never counted as zero. */
  missingRvuLines: number;
  visits: number | null;
  newPatientVisits: number | null;
  establishedPatientVisits: number | null;
  patientsSeen: number | null;
  totalMinutes: number | null;
  averageMinutesPerPatient: number | null;
  keptAppointments: number | null;
  noShows: number | null;
  /** No-shows / (kept + no-shows). */
  noShowRate: number | null;
  paymentsCents: number;
  /** Write-offs and contractual adjustments (every CAS group except PR, which moves to the patient). */
  adjustmentsCents: number;
  /** Payments / (charges - adjustments). */
  collectionRate: number | null;
}

export interface ProductivityGroup {
  /** Provider or location id, or the code; null collects lines with none. */
  key: string | null;
  label: string;
  npi?: string;
  periods: Record<PeriodName, PeriodMetrics>;
}

export interface MissingRvu {
  code: string;
  modifier: string;
  year: number;
  chargeLines: number;
  units: number;
}

export interface StatusCount {
  /** CMS status indicator; "missing" for codes without RVUs. */
  status: string;
  meaning: string;
  chargeLines: number;
  units: number;
  workRvu: number;
}

export interface ProductivityReport {
  month: string;
  by: GroupBy;
  providerNpi: string | null;
  practiceName: string;
  periods: Period[];
  locality: Locality | null;
  groups: ProductivityGroup[];
  totals: Record<PeriodName, PeriodMetrics>;
  missingRvus: MissingRvu[];
  statusCodes: StatusCount[];
  /** Which fee schedule year and file the month's RVUs come from, per year of service. */
  rvuSources: RvuSource[];
  notes: string[];
}

/** CMS PFS status indicators (RVU file layout document). */
export const STATUS_MEANINGS: Record<string, string> = {
  A: 'active, paid under the fee schedule',
  B: 'bundled into another service',
  C: 'priced by the contractor',
  D: 'deleted code',
  E: 'excluded from the fee schedule by regulation',
  F: 'deleted, not paid',
  G: 'not valid for Medicare; another code applies',
  H: 'deleted modifier',
  I: 'not valid for Medicare',
  J: 'anesthesia service',
  M: 'measurement code, reporting only',
  N: 'not covered by Medicare (RVUs published for other payers)',
  P: 'bundled or excluded',
  Q: 'therapy functional information',
  R: 'restricted coverage',
  T: 'paid only when no other service is billed that day',
  X: 'statutory exclusion, paid on another fee schedule',
  [NOT_VALUED_STATUS]: 'not valued by the fee schedule (vaccine products, laboratory tests, vaccine administration: paid on other schedules)',
  missing: 'no RVU loaded for this code and year',
};

interface Scope {
  periods: Period[];
  by: GroupBy;
  providerId: number | null;
  timeZone: string;
}

type KeyedRow = { period: PeriodName; key: string | number | null; is_total: number };

const periodValues = (periods: Period[]): SQL =>
  sql`p(period, from_date, to_date) as (values ${sql.join(
    periods.map((p) => sql`(${p.name}::text, ${p.from}::date, ${p.to}::date)`),
    sql`, `,
  )})`;

/** group by (period, key) and (period): one row per group and one total per period. */
function groupingSets(key: SQL | null): SQL {
  return key ? sql`group by grouping sets ((p.period, ${key}), (p.period))` : sql`group by p.period`;
}

function keyColumns(key: SQL | null): SQL {
  return key ? sql`${key}::text as key, grouping(${key})::int as is_total` : sql`null::text as key, 1 as is_total`;
}

function span(periods: Period[]): { from: string; to: string } {
  return { from: periods.map((p) => p.from).sort()[0]!, to: periods.map((p) => p.to).sort().at(-1)! };
}

async function chargeMetrics(db: DbOrTx, scope: Scope) {
  const key = { provider: sql`c.provider_id`, location: sql`c.location_id`, cpt: sql`c.code` }[scope.by];
  return queryRows<KeyedRow & { work_rvu: number; total_rvu: number; payment_cents: number | null; charge_lines: number; units: number; charges_cents: number; missing_rvu_lines: number }>(
    db,
    sql`with ${periodValues(scope.periods)}, c as (${chargeRvus(span(scope.periods))})
      select p.period, ${keyColumns(key)},
        round(coalesce(sum(c.work_rvu), 0), 2)::float8 as work_rvu,
        round(coalesce(sum(c.total_rvu), 0), 2)::float8 as total_rvu,
        sum(c.payment_cents)::float8 as payment_cents,
        count(*)::int as charge_lines,
        sum(c.units)::int as units,
        sum(c.amount_cents)::float8 as charges_cents,
        (count(*) filter (where c.status is null))::int as missing_rvu_lines
      from c join p on c.service_date >= p.from_date and c.service_date < p.to_date
      ${scope.providerId === null ? sql`` : sql`where c.provider_id = ${scope.providerId}`}
      ${groupingSets(key)}`,
  );
}

/** The period's calendar days as instants in the practice's time zone (visits are timestamps). */
const inPeriod = (column: SQL, timeZone: string) =>
  sql`${column} >= (p.from_date::timestamp at time zone ${timeZone}) and ${column} < (p.to_date::timestamp at time zone ${timeZone})`;

async function visitMetrics(db: DbOrTx, scope: Scope) {
  const key = { provider: sql`e.provider_id`, location: sql`e.location_id`, cpt: null }[scope.by];
  return queryRows<KeyedRow & { visits: number; new_visits: number; patients_seen: number; total_minutes: number }>(
    db,
    sql`with ${periodValues(scope.periods)}
      select p.period, ${keyColumns(key)},
        count(*)::int as visits,
        (count(*) filter (where e.is_new_patient))::int as new_visits,
        count(distinct e.patient_id)::int as patients_seen,
        coalesce(sum(coalesce(e.duration_minutes, extract(epoch from (e.ends_at - e.starts_at)) / 60)), 0)::float8 as total_minutes
      from encounters e join p on ${inPeriod(sql`e.starts_at`, scope.timeZone)}
      where e.status = 'finished' ${scope.providerId === null ? sql`` : sql`and e.provider_id = ${scope.providerId}`}
      ${groupingSets(key)}`,
  );
}

async function appointmentMetrics(db: DbOrTx, scope: Scope) {
  const key = { provider: sql`a.provider_id`, location: sql`a.location_id`, cpt: null }[scope.by];
  return queryRows<KeyedRow & { kept: number; no_shows: number }>(
    db,
    sql`with ${periodValues(scope.periods)}
      select p.period, ${keyColumns(key)},
        (count(*) filter (where a.status = 'kept'))::int as kept,
        (count(*) filter (where a.status = 'no-show'))::int as no_shows
      from appointments a join p on ${inPeriod(sql`a.starts_at`, scope.timeZone)}
      where a.status in ('kept', 'no-show') ${scope.providerId === null ? sql`` : sql`and a.provider_id = ${scope.providerId}`}
      ${groupingSets(key)}`,
  );
}

/** Payments or adjustments of the period, attributed through their claim (and line, for codes). */
async function moneyMetrics(db: DbOrTx, scope: Scope, source: 'payments' | 'adjustments') {
  const key = { provider: sql`cl.rendering_provider_id`, location: sql`cl.location_id`, cpt: sql`ln.code` }[scope.by];
  const from =
    source === 'payments'
      ? sql`payments m join p on m.paid_on >= p.from_date and m.paid_on < p.to_date`
      : sql`adjustments m join p on m.adjusted_on >= p.from_date and m.adjusted_on < p.to_date`;
  const conditions = [
    source === 'adjustments' ? sql`m.group_code <> 'PR'` : undefined,
    scope.providerId === null ? undefined : sql`cl.rendering_provider_id = ${scope.providerId}`,
  ].filter((c): c is SQL => c !== undefined);
  return queryRows<KeyedRow & { cents: number }>(
    db,
    sql`with ${periodValues(scope.periods)}
      select p.period, ${keyColumns(key)}, coalesce(sum(m.amount_cents), 0)::float8 as cents
      from ${from}
      left join claims cl on cl.id = m.claim_id
      left join claim_lines ln on ln.id = m.claim_line_id
      ${conditions.length ? sql`where ${sql.join(conditions, sql` and `)}` : sql``}
      ${groupingSets(key)}`,
  );
}

function emptyMetrics(visitsApply: boolean): PeriodMetrics {
  const visit = visitsApply ? 0 : null;
  return {
    workRvu: 0,
    totalRvu: 0,
    paymentEstimateCents: null,
    chargeLines: 0,
    units: 0,
    chargesCents: 0,
    missingRvuLines: 0,
    visits: visit,
    newPatientVisits: visit,
    establishedPatientVisits: visit,
    patientsSeen: visit,
    totalMinutes: visit,
    averageMinutesPerPatient: null,
    keptAppointments: visit,
    noShows: visit,
    noShowRate: null,
    paymentsCents: 0,
    adjustmentsCents: 0,
    collectionRate: null,
  };
}

const ratio = (numerator: number, denominator: number, digits = 4): number | null =>
  denominator > 0 ? Number((numerator / denominator).toFixed(digits)) : null;

function finish(m: PeriodMetrics): void {
  if (m.visits !== null && m.newPatientVisits !== null) m.establishedPatientVisits = m.visits - m.newPatientVisits;
  if (m.totalMinutes !== null && m.patientsSeen) m.averageMinutesPerPatient = Number((m.totalMinutes / m.patientsSeen).toFixed(1));
  if (m.keptAppointments !== null && m.noShows !== null) m.noShowRate = ratio(m.noShows, m.keptAppointments + m.noShows);
  m.collectionRate = ratio(m.paymentsCents, m.chargesCents - m.adjustmentsCents);
}

async function groupLabels(db: DbOrTx, by: GroupBy, keys: string[]): Promise<Map<string, { label: string; npi?: string }>> {
  const labels = new Map<string, { label: string; npi?: string }>();
  if (by === 'cpt') {
    for (const key of keys) labels.set(key, { label: key });
  } else if (by === 'provider') {
    for (const p of await db.select().from(providers)) {
      labels.set(String(p.id), { label: `${p.lastName}, ${p.firstName}${p.credentials ? ` ${p.credentials}` : ''}`, npi: p.npi });
    }
  } else {
    for (const l of await db.select().from(locations)) labels.set(String(l.id), { label: `${l.name} (${l.code})` });
  }
  return labels;
}

const UNASSIGNED: Record<GroupBy, string> = { provider: '(no provider)', location: '(no location)', cpt: '(no code)' };

async function practiceSettings(db: DbOrTx): Promise<{ name: string; timeZone: string }> {
  const [row] = await db.select({ name: practice.legalName }).from(practice).limit(1);
  return { name: row?.name ?? 'Medical practice', timeZone: await practiceTimeZone(db) };
}

async function resolveProvider(db: DbOrTx, npi: string | undefined): Promise<number | null> {
  if (!npi) return null;
  if (!/^\d{10}$/.test(npi.trim())) throw new UsageError(`--provider takes the provider's 10-digit NPI, not "${npi}".`);
  const [row] = await db.select({ id: providers.id }).from(providers).where(eq(providers.npi, npi.trim()));
  if (!row) throw providerNotFound(npi);
  return row.id;
}

export async function productivityReport(
  db: DbOrTx,
  options: { month: string; by?: GroupBy; providerNpi?: string },
): Promise<ProductivityReport> {
  const by = options.by ?? 'provider';
  if (!GROUP_BY.includes(by)) throw new UsageError(`--by must be one of ${GROUP_BY.join(', ')}, not "${by}".`);
  const periods = comparisonPeriods(options.month);
  await ensureBundledRvus(db);
  const [settings, providerId, locality] = await Promise.all([practiceSettings(db), resolveProvider(db, options.providerNpi), practiceLocality(db)]);
  const scope: Scope = { periods, by, providerId, timeZone: settings.timeZone };
  const visitsApply = by !== 'cpt';

  const [charges, visits, appointments, payments, adjustments] = await Promise.all([
    chargeMetrics(db, scope),
    visitMetrics(db, scope),
    appointmentMetrics(db, scope),
    moneyMetrics(db, scope, 'payments'),
    moneyMetrics(db, scope, 'adjustments'),
  ]);

  const totals = Object.fromEntries(periods.map((p) => [p.name, emptyMetrics(true)])) as Record<PeriodName, PeriodMetrics>;
  const byKey = new Map<string, Record<PeriodName, PeriodMetrics>>();
  const metricsFor = (row: KeyedRow, groupApplies: boolean): PeriodMetrics | undefined => {
    if (row.is_total) return totals[row.period];
    if (!groupApplies) return undefined;
    const k = row.key === null ? '' : String(row.key);
    let group = byKey.get(k);
    if (!group) {
      group = Object.fromEntries(periods.map((p) => [p.name, emptyMetrics(visitsApply)])) as Record<PeriodName, PeriodMetrics>;
      byKey.set(k, group);
    }
    return group[row.period];
  };
  for (const r of charges) {
    const m = metricsFor(r, true)!;
    Object.assign(m, {
      workRvu: r.work_rvu,
      totalRvu: r.total_rvu,
      paymentEstimateCents: r.payment_cents === null ? null : Number(r.payment_cents),
      chargeLines: r.charge_lines,
      units: r.units,
      chargesCents: Number(r.charges_cents),
      missingRvuLines: r.missing_rvu_lines,
    });
  }
  for (const r of visits) {
    const m = metricsFor(r, visitsApply);
    if (m) Object.assign(m, { visits: r.visits, newPatientVisits: r.new_visits, patientsSeen: r.patients_seen, totalMinutes: Math.round(r.total_minutes) });
  }
  for (const r of appointments) {
    const m = metricsFor(r, visitsApply);
    if (m) Object.assign(m, { keptAppointments: r.kept, noShows: r.no_shows });
  }
  for (const r of payments) metricsFor(r, true)!.paymentsCents = Number(r.cents);
  for (const r of adjustments) metricsFor(r, true)!.adjustmentsCents = Number(r.cents);

  for (const m of Object.values(totals)) finish(m);
  const labels = await groupLabels(db, by, [...byKey.keys()]);
  const groups: ProductivityGroup[] = [...byKey.entries()].map(([key, metrics]) => {
    Object.values(metrics).forEach(finish);
    const known = labels.get(key);
    return { key: key === '' ? null : key, label: known?.label ?? UNASSIGNED[by], ...(known?.npi ? { npi: known.npi } : {}), periods: metrics };
  });
  groups.sort((a, b) => b.periods.month.workRvu - a.periods.month.workRvu || a.label.localeCompare(b.label));

  const month = periods[0]!;
  const { missingRvus, statusCodes } = await codeBreakdown(db, month, providerId);
  const sources = await rvuSources(db, month);
  const notes: string[] = describeRvuSources(sources).map((line) => `RVU source: ${line}`);
  if (missingRvus.length > 0) {
    const years = [...new Set(missingRvus.map((m) => m.year))].join(', ');
    notes.push(`${missingRvus.reduce((n, m) => n + m.chargeLines, 0)} charge line(s) have no RVU for their year (${years}); they are listed, not counted. Load the year's full file with "practice rvu load <file> --year <year>".`);
  }
  if (!locality) notes.push('No payment locality chosen: estimates use national amounts (all GPCIs 1). Choose one with "practice rvu locality".');
  if (totals.month.chargeLines > 0 && totals.month.paymentEstimateCents === null) {
    notes.push('No conversion factor or GPCI for this year: payment estimates are not shown.');
  }
  return {
    month: options.month,
    by,
    providerNpi: options.providerNpi?.trim() ?? null,
    practiceName: settings.name,
    periods,
    locality,
    groups,
    totals,
    missingRvus,
    statusCodes,
    rvuSources: sources,
    notes,
  };
}

async function codeBreakdown(db: DbOrTx, month: Period, providerId: number | null): Promise<{ missingRvus: MissingRvu[]; statusCodes: StatusCount[] }> {
  const filter = providerId === null ? sql`` : sql`where c.provider_id = ${providerId}`;
  const rows = await queryRows<{ status: string | null; code: string; modifier: string; year: number; lines: number; units: number; work_rvu: number }>(
    db,
    sql`with c as (${chargeRvus(month)})
      select c.status, c.code, c.rvu_modifier as modifier, c.rvu_year as year, count(*)::int as lines, sum(c.units)::int as units,
        round(coalesce(sum(c.work_rvu), 0), 2)::float8 as work_rvu
      from c ${filter}
      group by c.status, c.code, c.rvu_modifier, c.rvu_year
      order by count(*) desc, c.code`,
  );
  const missingRvus = rows
    .filter((r) => r.status === null)
    .map((r) => ({ code: r.code, modifier: r.modifier, year: r.year, chargeLines: r.lines, units: r.units }));
  const byStatus = new Map<string, StatusCount>();
  for (const r of rows) {
    const status = r.status?.trim() ?? 'missing';
    const entry = byStatus.get(status) ?? { status, meaning: STATUS_MEANINGS[status] ?? 'see the CMS RVU file layout', chargeLines: 0, units: 0, workRvu: 0 };
    entry.chargeLines += r.lines;
    entry.units += r.units;
    entry.workRvu = Number((entry.workRvu + r.work_rvu).toFixed(2));
    byStatus.set(status, entry);
  }
  return {
    missingRvus,
    // Missing codes last: they are the ones to act on, not a CMS status.
    statusCodes: [...byStatus.values()].sort((a, b) => Number(a.status === 'missing') - Number(b.status === 'missing') || a.status.localeCompare(b.status)),
  };
}

export interface TrendPoint {
  month: string;
  workRvu: number;
  totalRvu: number;
  chargeLines: number;
}

/** Work and total RVUs per month for the `count` months ending with `month` (the pack's trend line). */
export async function rvuTrend(db: DbOrTx, options: { month: string; count?: number; providerNpi?: string }): Promise<TrendPoint[]> {
  const months = trailingMonths(options.month, options.count ?? 12);
  await ensureBundledRvus(db);
  const providerId = await resolveProvider(db, options.providerNpi);
  const window = { from: `${months[0]}-01`, to: comparisonPeriods(options.month)[0]!.to };
  const rows = await queryRows<{ month: string; work_rvu: number; total_rvu: number; lines: number }>(
    db,
    sql`with c as (${chargeRvus(window)})
      select to_char(c.service_date, 'YYYY-MM') as month,
        round(coalesce(sum(c.work_rvu), 0), 2)::float8 as work_rvu,
        round(coalesce(sum(c.total_rvu), 0), 2)::float8 as total_rvu,
        count(*)::int as lines
      from c ${providerId === null ? sql`` : sql`where c.provider_id = ${providerId}`}
      group by 1`,
  );
  const byMonth = new Map(rows.map((r) => [r.month, r]));
  return months.map((month) => {
    const r = byMonth.get(month);
    return { month, workRvu: r?.work_rvu ?? 0, totalRvu: r?.total_rvu ?? 0, chargeLines: r?.lines ?? 0 };
  });
}
