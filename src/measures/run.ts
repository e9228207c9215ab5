// Runs compiled measures: summary counts overall, per provider and per stratum, aggregated in SQL;
// per-patient rows only when a detail list or care-gap list is asked for.
import { sql, type SQL } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { DateTime } from 'luxon';
import pMap from 'p-map';
import { readIsoDate } from '../dates.js';
import { queryRows } from '../db/query.js';
import type { DbOrTx } from '../db/types.js';
import { UsageError } from '../errors.js';
import { providerNotFound } from '../chart/lookup.js';
import { compileMeasure, flagColumn, partColumn, POPULATIONS, stratumColumn, type Period, type Population } from './compile.js';
import type { MeasureDefinition } from './definition.js';
import { measureDefinitions } from './definitions/index.js';
import { measureValueSetCodes } from './valuesets.js';
import { practiceTimeZone } from '../practice/clock.js';

export interface Counts {
  ip: number;
  den: number;
  denex: number;
  numer: number;
  denexcep: number;
  /** numer / (den - denex - denexcep); null when that divisor is 0. */
  rate: number | null;
}

export interface ProviderCounts extends Counts {
  providerId: number | null;
  npi: string | null;
  provider: string;
}

export interface GroupResult {
  id: string;
  title: string;
  inverse: boolean;
  overall: Counts;
  providers: ProviderCounts[];
  strata: (Counts & { id: string; title: string })[];
}

export interface MeasureResult {
  id: string;
  version: string;
  title: string;
  qualityId: string | null;
  inverse: boolean;
  groups: GroupResult[];
}

export interface QualityQuery {
  period: Period;
  program: 'mips' | 'hedis';
  measures: MeasureDefinition[];
  providerId?: number;
  tin?: string;
}

export interface QualityReport {
  period: { start: string; end: string; timeZone: string };
  program: 'mips' | 'hedis';
  provider: string | null;
  tin: string | null;
  measures: MeasureResult[];
}

export interface DetailRow {
  measure: string;
  group: string;
  mrn: string;
  sourceIds: string;
  providerNpi: string | null;
  ip: boolean;
  den: boolean;
  denex: boolean;
  numer: boolean;
  denexcep: boolean;
  strata: string[];
  /** For a group whose numerator has parts: the ones this patient has not met (empty when it has none). */
  unmetParts: string[];
}

/** "2026" or "2026-01-01..2026-06-30" (a year to date inside one performance year). */
export function parsePeriod(text: string, timeZone: string): Period {
  const year = /^(\d{4})$/.exec(text.trim());
  if (year) return { start: `${year[1]}-01-01`, end: `${year[1]}-12-31`, timeZone };
  const range = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text.trim());
  const start = range && readIsoDate(range[1]!) === range[1] ? range[1]! : undefined;
  const end = range && readIsoDate(range[2]!) === range[2] ? range[2]! : undefined;
  if (!start || !end || end < start || start.slice(0, 4) !== end.slice(0, 4)) {
    throw new UsageError(
      `"${text}" is not a reporting period.`,
      'Give a year (--period 2026) or a range inside one year (--period 2026-01-01..2026-06-30).',
    );
  }
  return { start, end, timeZone };
}

/** The definitions for the period's performance year and program, optionally a chosen few. */
export function selectMeasures(year: number, program: 'mips' | 'hedis', ids?: string[]): MeasureDefinition[] {
  const available = measureDefinitions.filter((m) => m.performanceYear === year && m.program === program);
  if (available.length === 0) {
    const years = [...new Set(measureDefinitions.filter((m) => m.program === program).map((m) => m.performanceYear))].join(', ');
    throw new UsageError(`No ${program.toUpperCase()} measures are defined for ${year}.`, `Measures exist for: ${years || 'no year'}.`);
  }
  if (!ids?.length) return available;
  const wanted = ids.map((id) => id.trim().toUpperCase()).filter(Boolean);
  const unknown = wanted.filter((id) => !available.some((m) => m.id === id));
  if (unknown.length) {
    throw new UsageError(`Unknown measure(s) for ${year}: ${unknown.join(', ')}.`, `Available: ${available.map((m) => m.id).join(', ')}.`);
  }
  return available.filter((m) => wanted.includes(m.id));
}

export function rate(c: Omit<Counts, 'rate'>): number | null {
  const divisor = c.den - c.denex - c.denexcep;
  return divisor > 0 ? c.numer / divisor : null;
}

/** Provider restriction on the per-patient flags (f.provider_id). */
export function providerFilter(query: Pick<QualityQuery, 'providerId' | 'tin'>): SQL {
  const parts: SQL[] = [sql`true`];
  if (query.providerId !== undefined) parts.push(sql`f.provider_id = ${query.providerId}`);
  // A provider without a tax id of their own bills under the practice's.
  if (query.tin) parts.push(sql`f.provider_id in (select pr.id from providers pr where coalesce(pr.tin, (select tin from practice limit 1)) = ${query.tin})`);
  return sql.join(parts, sql` and `);
}

function countsOf(row: Record<string, unknown>, prefix: string): Counts {
  const get = (p: Population) => Number(row[`${prefix}${p}`] ?? 0);
  const counts = { ip: get('ip'), den: get('den'), denex: get('denex'), numer: get('numer'), denexcep: get('denexcep') };
  return { ...counts, rate: rate(counts) };
}

/** The measure compiled for the period, with its value set codes read ahead (see MeasureCompiler.match). */
export async function compiledMeasure(db: DbOrTx, measure: MeasureDefinition, period: Period, patientFilter?: SQL): Promise<SQL> {
  return compileMeasure(measure, period, patientFilter, await measureValueSetCodes(db, measure));
}

/** One measure's counts, on the planner statistics as they are (runQuality refreshes them once for all its measures). */
export async function summariseMeasure(db: DbOrTx, measure: MeasureDefinition, query: QualityQuery): Promise<MeasureResult> {
  const sums: SQL[] = [];
  measure.groups.forEach((_, g) => {
    for (const p of POPULATIONS) {
      const col = sql.identifier(flagColumn(g, p));
      sums.push(sql`count(*) filter (where f.${col})::int as ${sql.identifier(`${flagColumn(g, p)}`)}`);
      (measure.strata ?? []).forEach((_, s) => {
        sums.push(
          sql`count(*) filter (where f.${col} and f.${sql.identifier(stratumColumn(s))})::int as ${sql.identifier(`${stratumColumn(s)}_${flagColumn(g, p)}`)}`,
        );
      });
    }
  });
  const rows = await measureRows<Record<string, unknown>>(
    db,
    sql`select grouping(f.provider_id) as overall, f.provider_id, pr.npi, pr.first_name, pr.last_name, ${sql.join(sums, sql`, `)}
      from (${await compiledMeasure(db, measure, query.period)}) f left join providers pr on pr.id = f.provider_id
      where ${providerFilter(query)}
      group by grouping sets ((), (f.provider_id, pr.npi, pr.first_name, pr.last_name))
      order by pr.last_name nulls last, pr.first_name`,
  );
  const overallRow = rows.find((r) => Number(r.overall) === 1) ?? {};
  const providerRows = rows.filter((r) => Number(r.overall) !== 1);
  return {
    id: measure.id,
    version: measure.version,
    title: measure.title,
    qualityId: measure.qualityId ?? null,
    inverse: measure.inverse,
    groups: measure.groups.map((group, g) => ({
      id: group.id,
      title: group.title,
      inverse: group.inverse ?? measure.inverse,
      overall: countsOf(overallRow, `g${g + 1}_`),
      providers: providerRows.map((r) => ({
        providerId: r.provider_id === null ? null : Number(r.provider_id),
        npi: (r.npi as string | null) ?? null,
        provider: r.provider_id === null ? '(no visit provider)' : `${String(r.last_name ?? '')}, ${String(r.first_name ?? '')}`,
        ...countsOf(r, `g${g + 1}_`),
      })),
      strata: (measure.strata ?? []).map((stratum, s) => ({ id: stratum.id, title: stratum.title, ...countsOf(overallRow, `${stratumColumn(s)}_g${g + 1}_`) })),
    })),
  };
}

const MEASURE_TABLES = [
  'patients',
  'patient_identifiers',
  'encounters',
  'encounter_diagnoses',
  'problems',
  'procedures',
  'observations',
  'observation_periods',
  'orders',
  'medications',
  'immunizations',
  'not_done_events',
  'record_qualifiers',
  'value_set_codes',
];

/**
 * Rows of a query over compiled measures. It hashes and sorts hundreds of thousands of rows at 100,000
 * patients: 16 MB of working memory (PostgreSQL's default is 4 MB) keeps its bitmaps exact and its
 * aggregates in memory, for this one statement (a tenth less work in bench/quality).
 */
export async function measureRows<T extends Record<string, unknown>>(db: DbOrTx, query: SQL): Promise<T[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local work_mem = '16MB'`);
    return queryRows<T>(tx, query);
  });
}

/**
 * Fresh planner statistics: without them (a new import, or PGlite, which never auto-analyzes) the
 * planner takes every table for empty and nests loops over the code lists. Only the tables that need it
 * are analyzed, by autovacuum's rule (never analyzed, or more than 50 rows + 10% changed since): an
 * ANALYZE of all of them costs seconds at 100,000 patients, on every report even when nothing changed.
 * Row counts a connection has not reported yet (the last seconds of another one) wait for the next run.
 */
export async function refreshStatistics(db: DbOrTx): Promise<void> {
  // This connection's own pending counts (what it has just written) are reported first.
  await db.execute(sql`select pg_stat_force_next_flush()`);
  const stale = await queryRows<{ name: string }>(
    db,
    sql`select t.name from (values ${sql.join(MEASURE_TABLES.map((name) => sql`(${name}::text)`), sql`, `)}) as t(name)
        left join pg_stat_user_tables s on s.relname = t.name and s.schemaname in (current_schema(), 'reference')
        where s.relid is null or coalesce(s.last_analyze, s.last_autoanalyze) is null or s.n_mod_since_analyze > 50 + 0.1 * s.n_live_tup`,
  );
  if (stale.length) await db.execute(sql`analyze ${sql.join(stale.map((t) => sql.identifier(t.name)), sql`, `)}`);
}

/**
 * Measures computed at once, each in its own transaction on its own connection: one measure's query
 * runs mostly on one core, and the server has more (PGlite takes them one after another). A transaction
 * the caller holds is one connection, so its measures run in turn. Results keep the measures' order.
 */
function eachMeasure<T>(db: DbOrTx, measures: MeasureDefinition[], fn: (measure: MeasureDefinition) => Promise<T>): Promise<T[]> {
  return pMap(measures, fn, { concurrency: db instanceof PgTransaction ? 1 : 3 });
}

export async function runQuality(db: DbOrTx, query: QualityQuery): Promise<QualityReport> {
  await refreshStatistics(db);
  const measures = await eachMeasure(db, query.measures, (measure) => summariseMeasure(db, measure, query));
  return {
    period: { start: query.period.start, end: query.period.end, timeZone: query.period.timeZone },
    program: query.program,
    provider: null,
    tin: query.tin ?? null,
    measures,
  };
}

/**
 * One row per patient, measure and group: who counted and why, by chart number and source id. `patientId` limits the run to one
 * chart (the chart view's care gaps): the planner statistics are left as they are then, because one
 * patient's query does not need them and an ANALYZE per chart lookup would cost more than the query.
 */
export async function qualityDetail(db: DbOrTx, query: QualityQuery, options: { gapsOnly?: boolean; patientId?: number } = {}): Promise<DetailRow[]> {
  if (options.patientId === undefined) await refreshStatistics(db);
  const patientFilter = options.patientId === undefined ? undefined : sql`p.id = ${options.patientId}`;
  const perMeasure = await eachMeasure(db, query.measures, async (measure) => {
    const out: DetailRow[] = [];
    const strata = measure.strata ?? [];
    const rows = await measureRows<Record<string, unknown>>(
      db,
      sql`select f.*, pa.mrn, pr.npi,
          (select string_agg(pi.value, '; ' order by pi.id) from patient_identifiers pi where pi.patient_id = f.patient_id) as source_ids
        from (${await compiledMeasure(db, measure, query.period, patientFilter)}) f join patients pa on pa.id = f.patient_id left join providers pr on pr.id = f.provider_id
        where ${providerFilter(query)} order by pa.mrn`,
    );
    for (const row of rows) {
      measure.groups.forEach((group, g) => {
        const flag = (p: Population) => row[flagColumn(g, p)] === true;
        if (!flag('ip')) return;
        // A care gap: counted in the denominator, not excluded, and not (yet) met.
        if (options.gapsOnly && !(flag('den') && !flag('denex') && !flag('denexcep') && flag('numer') === (group.inverse ?? measure.inverse))) return;
        out.push({
          measure: measure.id,
          group: group.id,
          mrn: String(row.mrn),
          sourceIds: (row.source_ids as string | null) ?? '',
          providerNpi: (row.npi as string | null) ?? null,
          ip: flag('ip'),
          den: flag('den'),
          denex: flag('denex'),
          numer: flag('numer'),
          denexcep: flag('denexcep'),
          strata: strata.filter((_, s) => row[stratumColumn(s)] === true).map((s) => s.id),
          unmetParts: (group.numeratorParts?.parts ?? []).filter((_, k) => row[partColumn(g, k)] !== true).map((part) => part.label),
        });
      });
    }
    return out;
  });
  return perMeasure.flat();
}

/** Measures count days in the practice's zone; in UTC before a practice is set up (imported test decks). */
export const measureTimeZone = (db: DbOrTx) => practiceTimeZone(db, 'UTC');

export async function providerIdByNpi(db: DbOrTx, npi: string): Promise<number> {
  const rows = await queryRows<{ id: number }>(db, sql`select id from providers where npi = ${npi}`);
  if (!rows[0]) throw providerNotFound(npi);
  return Number(rows[0].id);
}

export interface TrendPoint extends Counts {
  /** YYYY-MM */
  month: string;
  /** The last day counted: the period runs from its start to here (year to date). */
  through: string;
}

export interface GroupTrend {
  measure: string;
  group: string;
  points: TrendPoint[];
}

/**
 * Each group's counts for the cumulative periods start..end of each month (the CMS convention for a
 * running year: year to date), up to the period's end or `asOf`, whichever comes first. One set-based
 * pass per measure and month; overall only (with the provider/TIN filter).
 */
export async function qualityTrend(db: DbOrTx, query: QualityQuery, asOf?: string): Promise<GroupTrend[]> {
  const last = asOf && asOf < query.period.end ? asOf : query.period.end;
  const ends: string[] = [];
  for (let month = DateTime.fromISO(query.period.start).startOf('month'); month.toISODate()! <= last; month = month.plus({ months: 1 })) {
    const end = month.endOf('month').toISODate()!;
    ends.push(end < last ? end : last);
  }
  const out: GroupTrend[] = query.measures.flatMap((m) => m.groups.map((g) => ({ measure: m.id, group: g.id, points: [] as TrendPoint[] })));
  await eachMeasure(db, query.measures, async (measure) => {
    const sums = measure.groups.flatMap((_, g) =>
      POPULATIONS.map((p) => sql`count(*) filter (where f.${sql.identifier(flagColumn(g, p))})::int as ${sql.identifier(flagColumn(g, p))}`),
    );
    // The codes read once for all the months.
    const codes = await measureValueSetCodes(db, measure);
    for (const end of ends) {
      const period = { ...query.period, end };
      const [row] = await measureRows<Record<string, unknown>>(
        db,
        sql`select ${sql.join(sums, sql`, `)} from (${compileMeasure(measure, period, undefined, codes)}) f where ${providerFilter(query)}`,
      );
      measure.groups.forEach((group, g) => {
        const trend = out.find((t) => t.measure === measure.id && t.group === group.id)!;
        trend.points.push({ month: end.slice(0, 7), through: end, ...countsOf(row ?? {}, `g${g + 1}_`) });
      });
    }
  });
  return out;
}
