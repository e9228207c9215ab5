// Days as whole numbers (days since 1970-01-01) so the generator does arithmetic, not date objects;
// clock times are the practice's local time, converted with the zone's offset on that day.
import { DateTime } from 'luxon';

const DAY_MS = 86_400_000;

export class Calendar {
  /** Today in the practice's time zone: the demo's "now", truncated to the day. */
  readonly today: number;
  private readonly offsets = new Map<number, number>();
  private readonly isoDates = new Map<number, string>();

  constructor(
    now: Date,
    readonly timeZone: string,
  ) {
    const local = DateTime.fromJSDate(now, { zone: timeZone });
    this.today = Math.floor(Date.UTC(local.year, local.month - 1, local.day) / DAY_MS);
  }

  /** "YYYY-MM-DD" of a day. */
  date(day: number): string {
    let text = this.isoDates.get(day);
    if (text === undefined) {
      text = new Date(day * DAY_MS).toISOString().slice(0, 10);
      this.isoDates.set(day, text);
    }
    return text;
  }

  /** The instant of a local clock time (minutes after midnight) on a day. */
  at(day: number, minutes: number): Date {
    let offset = this.offsets.get(day);
    if (offset === undefined) {
      // Office hours never fall in a daylight-saving change, so the offset at noon holds all day.
      const d = new Date(day * DAY_MS);
      offset = DateTime.fromObject({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 12 }, { zone: this.timeZone }).offset;
      this.offsets.set(day, offset);
    }
    return new Date(day * DAY_MS + (minutes - offset) * 60_000);
  }

  /** Moves a Saturday back to Friday and a Sunday on to Monday: the office is closed at weekends. */
  weekday(day: number): number {
    const dow = new Date(day * DAY_MS).getUTCDay();
    return dow === 6 ? day - 1 : dow === 0 ? day + 1 : day;
  }

  month(day: number): number {
    return new Date(day * DAY_MS).getUTCMonth() + 1;
  }

  year(day: number): number {
    return new Date(day * DAY_MS).getUTCFullYear();
  }

  /** The day of a calendar date (month 1-12). */
  dayOf(year: number, month: number, dayOfMonth: number): number {
    return Date.UTC(year, month - 1, dayOfMonth) / DAY_MS;
  }

  /** Whole years between two days (age on a day). */
  static years(from: number, to: number): number {
    const a = new Date(from * DAY_MS);
    const b = new Date(to * DAY_MS);
    let years = b.getUTCFullYear() - a.getUTCFullYear();
    if (b.getUTCMonth() < a.getUTCMonth() || (b.getUTCMonth() === a.getUTCMonth() && b.getUTCDate() < a.getUTCDate())) years--;
    return years;
  }
}
