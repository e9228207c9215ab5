// The practice as letters, reminders and schedules see it: name, phone, return address, and its time zone,
// which turns instants into the practice's days. One place, so every area counts days the same way.
import { DateTime } from 'luxon';
import { practice } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import type { UnitSystem } from '../records/vital.js';

export interface PracticeInfo {
  name: string;
  phone: string;
  addressLines: string[];
  timeZone: string;
}

export const DEFAULT_TIME_ZONE = 'America/New_York';

export async function practiceInfo(db: DbOrTx): Promise<PracticeInfo> {
  const [row] = await db.select().from(practice).limit(1);
  if (!row) return { name: 'Your medical practice', phone: '', addressLines: [], timeZone: DEFAULT_TIME_ZONE };
  const cityLine = [row.city, [row.state, row.zip].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return {
    name: row.legalName,
    phone: row.phone ?? '',
    addressLines: [row.address1, row.address2, cityLine].filter((l): l is string => Boolean(l)),
    timeZone: row.timeZone,
  };
}

/** The practice's time zone; `fallback` before the practice is set up. */
export async function practiceTimeZone(db: DbOrTx, fallback = DEFAULT_TIME_ZONE): Promise<string> {
  const [row] = await db.select({ timeZone: practice.timeZone }).from(practice).limit(1);
  return row?.timeZone ?? fallback;
}

/** The practice's calendar date at `now`. */
export function practiceToday(now: Date, timeZone: string): string {
  return DateTime.fromJSDate(now, { zone: timeZone }).toISODate()!;
}

/**
 * The one clock domain code reads: `now` is the instant the entry point gave the command (main() reads the
 * machine's clock once; tests set it), seen in the practice's zone. Domain code takes it as data and never
 * asks the machine for the time or its zone.
 */
export interface PracticeClock {
  now: Date;
  zone: string;
  /** The practice's calendar date at `now` (YYYY-MM-DD). */
  today: string;
}

/** The clock for `now` in the practice's zone (`fallback` before the practice is set up). */
export async function practiceClock(db: DbOrTx, now: Date, fallback = DEFAULT_TIME_ZONE): Promise<PracticeClock> {
  const zone = await practiceTimeZone(db, fallback);
  return { now, zone, today: practiceToday(now, zone) };
}

/** How the practice reads a vital sign typed without a unit; US customary before set-up. */
export async function practiceUnits(db: DbOrTx): Promise<UnitSystem> {
  const [row] = await db.select({ units: practice.units }).from(practice).limit(1);
  return row?.units === 'metric' ? 'metric' : 'us';
}
