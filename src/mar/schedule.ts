// Administration schedules as nurses write them ("BID 08:00,20:00", "Q6H", "daily", "PRN"), and the dose
// times they produce. Clock times are wall-clock times in the practice's zone, so a dose stays at 08:00
// across a DST change; "every N hours" counts real hours.
import { DateTime } from 'luxon';
import { UsageError } from '../errors.js';

export interface Schedule {
  kind: 'fixed' | 'interval' | 'prn';
  /** HH:MM wall-clock times for fixed schedules. */
  times: string[];
  intervalHours?: number;
}

const TIMES_PER_DAY: Record<string, string[]> = {
  DAILY: ['09:00'],
  QD: ['09:00'],
  QAM: ['08:00'],
  QHS: ['21:00'],
  BID: ['09:00', '21:00'],
  TID: ['08:00', '14:00', '20:00'],
  QID: ['08:00', '12:00', '16:00', '20:00'],
};

function parseTimes(text: string): string[] {
  return text.split(/[,\s]+/).filter(Boolean).map((t) => {
    const m = /^([01]?[0-9]|2[0-3]):?([0-5][0-9])$/.exec(t);
    if (!m) throw new UsageError(`"${t}" is not a clock time; write times as HH:MM, e.g. 08:00,20:00.`);
    return `${m[1]!.padStart(2, '0')}:${m[2]}`;
  });
}

export function parseSchedule(text: string): Schedule {
  const words = text.trim().toUpperCase().split(/\s+/);
  const head = words[0] ?? '';
  const rest = words.slice(1).join(' ');
  if (head === 'PRN') {
    const interval = /^Q([0-9]{1,2})H$/.exec(rest);
    return { kind: 'prn', times: [], intervalHours: interval ? Number(interval[1]) : undefined };
  }
  const everyN = /^Q([0-9]{1,2})H$/.exec(head) ?? /^EVERY ([0-9]{1,2}) HOURS?$/.exec(words.join(' '));
  if (everyN) {
    const hours = Number(everyN[1]);
    if (hours < 1 || hours > 72) throw new UsageError('An interval schedule is every 1 to 72 hours.');
    if (/PRN/.test(rest)) return { kind: 'prn', times: [], intervalHours: hours };
    return { kind: 'interval', times: [], intervalHours: hours };
  }
  const defaults = TIMES_PER_DAY[head];
  if (defaults) {
    const times = rest ? parseTimes(rest) : defaults;
    if (times.length !== defaults.length) {
      throw new UsageError(`${head} means ${defaults.length} dose(s) a day, but ${times.length} time(s) were given.`);
    }
    return { kind: 'fixed', times: [...times].sort() };
  }
  if (/^[0-9]/.test(head)) return { kind: 'fixed', times: [...parseTimes(words.join(' '))].sort() };
  throw new UsageError(
    `The schedule "${text}" was not understood.`,
    'Use DAILY, BID, TID or QID with optional times (BID 08:00,20:00), times alone (08:00,14:00), Q6H, or PRN [Q4H].',
  );
}

/** Dose times of a schedule between from and until (inclusive), within the order's start and stop. */
export function doseTimes(
  schedule: Schedule,
  order: { startsAt: Date; stopsAt?: Date | null; timeZone: string },
  from: Date,
  until: Date,
): Date[] {
  const start = Math.max(from.getTime(), order.startsAt.getTime());
  const end = Math.min(until.getTime(), order.stopsAt ? order.stopsAt.getTime() : Infinity);
  if (end < start) return [];
  const result: Date[] = [];
  if (schedule.kind === 'interval' && schedule.intervalHours) {
    const step = schedule.intervalHours * 3_600_000;
    const first = order.startsAt.getTime() + Math.ceil(Math.max(0, start - order.startsAt.getTime()) / step) * step;
    for (let t = first; t <= end; t += step) result.push(new Date(t));
    return result;
  }
  if (schedule.kind !== 'fixed') return result;
  let day = DateTime.fromMillis(start, { zone: order.timeZone }).startOf('day');
  const lastDay = DateTime.fromMillis(end, { zone: order.timeZone }).startOf('day');
  while (day <= lastDay) {
    for (const time of schedule.times) {
      const [hour, minute] = time.split(':').map(Number);
      // A time skipped by the spring-forward gap moves forward by the gap (02:30 becomes 03:30).
      const at = day.set({ hour, minute }).toMillis();
      if (at >= start && at <= end) result.push(new Date(at));
    }
    day = day.plus({ days: 1 });
  }
  return result;
}
