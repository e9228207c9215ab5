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

/** How the practice reads a vital sign typed without a unit; US customary before set-up. */
export async function practiceUnits(db: DbOrTx): Promise<UnitSystem> {
  const [row] = await db.select({ units: practice.units }).from(practice).limit(1);
  return row?.units === 'metric' ? 'metric' : 'us';
}
