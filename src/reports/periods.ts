// Report months: "2026-10" and the periods a monthly report compares it with.
import { DateTime } from 'luxon';
import { UsageError } from '../errors.js';

export type PeriodName = 'month' | 'previousMonth' | 'sameMonthLastYear' | 'yearToDate';

export interface Period {
  name: PeriodName;
  /** First day included, YYYY-MM-DD. */
  from: string;
  /** First day no longer included, YYYY-MM-DD. */
  to: string;
}

export const PERIOD_LABELS: Record<PeriodName, string> = {
  month: 'Month',
  previousMonth: 'Previous month',
  sameMonthLastYear: 'Same month last year',
  yearToDate: 'Year to date',
};

export function parseMonth(month: string): DateTime {
  const match = /^(\d{4})-(\d{2})$/.exec(month.trim());
  const start = match ? DateTime.fromObject({ year: Number(match[1]), month: Number(match[2]), day: 1 }, { zone: 'utc' }) : undefined;
  if (!start?.isValid) throw new UsageError(`--month must be a month such as 2026-10, not "${month}".`);
  return start;
}

/** The last full month before `now`: what a cron job on the 1st reports on. */
/** The month before the one `today` (the practice's date, YYYY-MM-DD) is in. */
export function lastFullMonth(today: string): string {
  return DateTime.fromISO(today).startOf('month').minus({ months: 1 }).toFormat('yyyy-LL');
}

export function monthLabel(month: string): string {
  return parseMonth(month).toFormat('LLLL yyyy');
}

const iso = (d: DateTime) => d.toISODate()!;

export function comparisonPeriods(month: string): Period[] {
  const start = parseMonth(month);
  const end = start.plus({ months: 1 });
  return [
    { name: 'month', from: iso(start), to: iso(end) },
    { name: 'previousMonth', from: iso(start.minus({ months: 1 })), to: iso(start) },
    { name: 'sameMonthLastYear', from: iso(start.minus({ years: 1 })), to: iso(end.minus({ years: 1 })) },
    { name: 'yearToDate', from: iso(start.startOf('year')), to: iso(end) },
  ];
}

/** The `count` months ending with `month`, oldest first, as YYYY-MM. */
export function trailingMonths(month: string, count: number): string[] {
  const start = parseMonth(month);
  return Array.from({ length: count }, (_, i) => start.minus({ months: count - 1 - i }).toFormat('yyyy-LL'));
}
