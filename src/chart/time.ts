// Dates and times as the practice sees them: in the practice's time zone (practice.time_zone).
import { DateTime } from 'luxon';
import { readDate } from '../dates.js';
import { badDate, mistake } from '../errors.js';

/**
 * A date typed at the command line, read as every date is (src/dates.ts), "today"/"yesterday"/"tomorrow"
 * included → "2026-03-01"; undefined when not a date. Without the practice's today (options checked before
 * the database opens), only forms that spell out the year: a two-digit year or "tomorrow" needs today.
 */
export function parseDate(text: string, today?: string): string | undefined {
  const date = today !== undefined ? readDate(text, { today, relative: true, anyYear: true })
    : /[0-9]{4}/.test(text) ? readDate(text, { today: '9999-12-31', anyYear: true }) : undefined;
  return date && 'value' in date ? date.value : undefined;
}

/** A date option that must be a date: the parsed value, or the one bad-date mistake naming the option. */
export function requireDate(option: string, text: string, today?: string): string {
  const date = parseDate(text, today);
  if (date === undefined) throw mistake(badDate(option));
  return date;
}

/** "2026-03-01 09:30", "2026-03-01T09:30" or "today 14:00" in the practice's zone → an instant. */
export function parseLocalDateTime(text: string, zone: string, today: string): Date | undefined {
  const match = /^(\S+)[ T](\d{1,2}):(\d{2})\s*(am|pm)?$/i.exec(text.trim());
  if (!match) return undefined;
  const date = parseDate(match[1]!, today);
  if (!date) return undefined;
  let hour = Number(match[2]);
  const meridiem = match[4]?.toLowerCase();
  if (meridiem === 'pm' && hour < 12) hour += 12;
  if (meridiem === 'am' && hour === 12) hour = 0;
  const local = DateTime.fromISO(date, { zone }).set({ hour, minute: Number(match[3]) });
  return local.isValid && hour < 24 ? local.toJSDate() : undefined;
}

/** An instant shown in the practice's zone: "2026-03-01 09:30". */
export function formatLocal(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('yyyy-MM-dd HH:mm');
}

/** An instant as ISO 8601 with the practice's offset, for --json: "2026-03-01T09:30:00-05:00". */
export function isoLocal(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toISO({ suppressMilliseconds: true })!;
}

/** A row with each instant in it given as isoLocal (one level deep: list rows are flat). */
export function withLocalTimes<T extends Record<string, unknown>>(row: T, zone: string): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key] = value instanceof Date ? isoLocal(value, zone) : value;
  return out as T;
}

/** "90d", "12w", "6m", "1y" or a date → the date that far back from today. */
export function sinceDate(text: string, today: string): string | undefined {
  const match = /^(\d+)\s*([dwmy])$/i.exec(text.trim());
  if (!match) return parseDate(text, today);
  const unit = { d: 'days', w: 'weeks', m: 'months', y: 'years' }[match[2]!.toLowerCase() as 'd']!;
  return DateTime.fromISO(today).minus({ [unit]: Number(match[1]) }).toISODate()!;
}
