// Calendar dates as people and files give them: the one reader behind every date option of the CLI and every
// date cell or element an import reads. One set of forms, one set of reasons; a value a spreadsheet has
// mangled is refused, never guessed.
import { DateTime } from 'luxon';

export type DateOrder = 'mdy' | 'dmy';

export type DateParsed = { value: string } | { problem: string };

export interface DateReading {
  /** The practice's today, YYYY-MM-DD: settles two-digit years, "today", "past" and the years accepted. */
  today: string;
  /** How 03/04/1985 is read; month first unless the file says otherwise. */
  order?: DateOrder;
  /** What the date is, to name it in a reason ("the date of birth", "--since"). */
  what?: string;
  /**
   * A date a machine wrote (FHIR date/dateTime, Synthea): YYYY, YYYY-MM or YYYY-MM-DD (a partial date is its
   * first day), perhaps with a time; the forms people type are not guessed at there.
   */
  machine?: boolean;
  /** A date after today is refused (a birth, a death, a result). */
  past?: boolean;
  /** "today", "yesterday", "tomorrow": typed at the command line, never read from a file (a rerun would move them). */
  relative?: boolean;
  /** Any year goes: the command checks the range itself ("before 1900: please check the year"); files keep 1880 to five years on. */
  anyYear?: boolean;
  /** A bare number of days since 1899-12-30 is an Excel date: only cells that came through a spreadsheet. */
  spreadsheet?: boolean;
}

/** The form every path reads, for the reason a value is refused. */
export const DATE_EXAMPLE = 'e.g. 2026-03-01';

const ok = (value: string): DateParsed => ({ value });
const bad = (problem: string): DateParsed => ({ problem });

const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12 };

function monthNumber(word: string): number | undefined {
  const key = word.toLowerCase().replace(/\.$/, '');
  return months[key] ?? months[key.slice(0, 3)];
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const iso = (y: number, m: number, d: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/** A number a spreadsheet wrote in scientific notation: the digits past the 15th are gone for good. */
export function isScientific(text: string): boolean {
  return /^[+-]?[0-9](?:[.,][0-9]+)?E[+-]?[0-9]+$/i.test(text.trim());
}

/**
 * A calendar date typed any usual way: 1985-03-04, 3/4/85, 03-04-1985, 04.03.1985, 4 Mar 1985, Mar 4, 1985,
 * 19850304 (and an Excel serial, or "today", where the reading allows). Two-digit years go to the latest
 * century that does not put the date in the future. Checked by hand, not with luxon: imports run this for
 * every date cell of every row. The reasons name the date (`what`) but never quote it: a date can be a
 * patient's (a birth), and the same reason is given at the command line, in a reject file and in a summary.
 */
export function readDate(input: string, reading: DateReading): DateParsed {
  const what = reading.what ?? 'the date';
  const order = reading.order ?? 'mdy';
  const text = input.trim().replace(/\s+/g, ' ');
  if (reading.machine) return readMachineDate(text, reading, what);
  let y: number | undefined;
  let m: number | undefined;
  let d: number | undefined;
  let twoDigitYear = false;
  let match: RegExpExecArray | null;
  if (reading.relative && /^(today|yesterday|tomorrow)$/i.test(text)) {
    const offset = { yesterday: -1, today: 0, tomorrow: 1 }[text.toLowerCase() as 'today'];
    return ok(DateTime.fromISO(reading.today, { zone: 'utc' }).plus({ days: offset }).toISODate()!);
  }
  if ((match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(text))) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(text))) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(text))) {
    const [a, b] = [Number(match[1]), Number(match[2])];
    [m, d] = order === 'mdy' ? [a, b] : [b, a];
    y = Number(match[3]);
    twoDigitYear = match[3]!.length === 2;
    if (m > 12 && d <= 12) {
      return bad(`${what} does not fit the ${order === 'mdy' ? 'month/day/year' : 'day/month/year'} order; if the file uses the other order, import it with --date-order ${order === 'mdy' ? 'dmy' : 'mdy'}`);
    }
  } else if ((match = /^(\d{1,2})[ -]([A-Za-z]{3,9}\.?)[ -,]*(\d{2}|\d{4})$/.exec(text))) {
    [d, m, y] = [Number(match[1]), monthNumber(match[2]!), Number(match[3])];
    twoDigitYear = match[3]!.length === 2;
  } else if ((match = /^([A-Za-z]{3,9}\.?) (\d{1,2}),? (\d{2}|\d{4})$/.exec(text))) {
    [m, d, y] = [monthNumber(match[1]!), Number(match[2]), Number(match[3])];
    twoDigitYear = match[3]!.length === 2;
  } else if ((match = /^(19|20)(\d{2})(\d{2})(\d{2})$/.exec(text))) {
    [y, m, d] = [Number(match[1]! + match[2]!), Number(match[3]), Number(match[4])];
  } else if (reading.spreadsheet && /^\d{4,5}$/.test(text) && Number(text) > 366) {
    // Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in).
    const date = DateTime.fromISO('1899-12-30', { zone: 'utc' }).plus({ days: Number(text) });
    return checkDate(date.toISODate()!, date.year, reading, what);
  } else if (isScientific(text)) {
    return bad(`${what} was turned into a number by a spreadsheet; export the column as text`);
  } else {
    return notADate(what);
  }
  if (m === undefined) return bad(`${what} has a month name that is not known (${DATE_EXAMPLE})`);
  if (twoDigitYear) {
    y = y! + Math.floor(Number(reading.today.slice(0, 4)) / 100) * 100;
    if (iso(y, m, Math.min(d!, 28)) > reading.today) y -= 100;
  }
  if (m < 1 || m > 12 || d! < 1 || d! > daysInMonth(y!, m)) return notReal(what);
  return checkDate(iso(y!, m, d!), y!, reading, what);
}

const notADate = (what: string) => bad(`${what} is not a date (${DATE_EXAMPLE})`);
const notReal = (what: string) => bad(`${what} is not a real calendar date`);

function readMachineDate(text: string, reading: DateReading, what: string): DateParsed {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:$|[T ]\d{2}:\d{2})/.exec(text);
  if (!match) return notADate(what);
  const [y, m, d] = [Number(match[1]), Number(match[2] ?? 1), Number(match[3] ?? 1)];
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return notReal(what);
  return checkDate(iso(y, m, d), y, reading, what);
}

function checkDate(date: string, year: number, reading: DateReading, what: string): DateParsed {
  if (reading.past && date > reading.today) return bad(`${what} is in the future`);
  const thisYear = Number(reading.today.slice(0, 4));
  if (!reading.anyYear && (year < 1880 || year > thisYear + 5)) return bad(`${what} is outside the years accepted (1880 to ${thisYear + 5})`);
  return ok(date);
}

/**
 * A date as a machine wrote it (FHIR date/dateTime, Synthea CSV), read as readDate's machine form →
 * YYYY-MM-DD; undefined when absent or not a real date. For checks that only ask "is this a date".
 */
export function readIsoDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const read = readMachineDate(value.trim(), { today: '9999-12-31', anyYear: true }, 'the date');
  return 'value' in read ? read.value : undefined;
}
