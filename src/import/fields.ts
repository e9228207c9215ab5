// Normalisers for values as people type them into spreadsheets: dates in many forms, phone numbers, ZIP
// codes, codes of every system, quantities with units, money. Each returns the stored form or a plain
// reason; a value a spreadsheet has mangled (1.23E+05, a ZIP without its leading zero) is refused, never guessed.
import { DateTime } from 'luxon';
import { isEmail } from '../codes/contact.js';
import { readCvx } from '../codes/code-lists.js';
import { readRxnorm } from '../codes/drug-codes.js';
import { describeLoincProblem } from '../codes/loinc.js';
import { readNdc } from '../codes/ndc.js';
import { readModifiers, readNdcUnit, readProcedureCode } from '../records/encounter.js';
import { normalizeEthnicity, normalizeRace, normalizeSex, normalizeState, PATIENT_FIELDS, readPhone, readZip } from '../records/patient.js';
import { asReason, notANumber, readNumber, readTimeOfDay, type FieldType } from '../records/record.js';
import { isScientific, readDate, type DateOrder } from '../dates.js';
import { parseMoney } from '../money.js';


export interface FieldContext {
  dateOrder: DateOrder;
  /** Today in the practice, for "no birth date in the future". */
  today: DateTime;
}

export type Parsed<T> = { value: T } | { problem: string };

const ok = <T>(value: T): Parsed<T> => ({ value });
const bad = (problem: string): Parsed<never> => ({ problem });
/** A code read by its code list's reader: the reason in the words every path gives. */
const code = (read: { code: string } | { problem: string }): Parsed<string> => ('code' in read ? ok(read.code) : bad(asReason(read.problem)));
/** A value read by a declaration's reader (src/records/): its reason as a row's, without the full stop. */
const reason = <T>(read: { value: T } | { problem: string }): Parsed<T> => ('value' in read ? read : bad(asReason(read.problem)));

/**
 * Why a cell is too long for its field, or undefined: names the field, its length and the limit, never
 * the value. Counted in characters as people see them (an emoji is one).
 */
export function tooLong(field: string, cell: string, max: number): string | undefined {
  // Code units first: a cell within the limit (nearly all) is never walked character by character.
  if (cell.length <= max) return undefined;
  let characters = 0;
  for (const _ of cell) characters++;
  if (characters <= max) return undefined;
  return `${field} is ${characters.toLocaleString('en-US')} characters; the limit is ${max.toLocaleString('en-US')}`;
}


/** context.today as YYYY-MM-DD, formatted once per import rather than once per cell. */
const todayIso = new WeakMap<DateTime, string>();

/** A date cell, read as every date is (src/dates.ts); a bare number is an Excel serial, as spreadsheets save them. */
export function parseDate(input: string, context: FieldContext, what = 'the date', past = false): Parsed<string> {
  let today = todayIso.get(context.today);
  if (today === undefined) todayIso.set(context.today, (today = context.today.toISODate()!));
  return readDate(input, { today, order: context.dateOrder, what, past, spreadsheet: true });
}

/** "14:30", "2:30 PM", "1430" → "14:30", read as every path reads a time of day. */
export function parseTime(input: string): Parsed<string> {
  const time = readTimeOfDay(input);
  if (!time) return bad(`time "${input}" is not a time of day (e.g. 14:30 or 2:30 PM)`);
  return ok(`${String(time.hour).padStart(2, '0')}:${String(time.minute).padStart(2, '0')}`);
}

/** A date with an optional time in the same cell ("3/4/2024 2:30 PM"). */
export function parseDateTime(input: string, context: FieldContext, what: string): Parsed<string> {
  const text = input.trim();
  const iso = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (iso) {
    // The same checks as any other form: 2020-02-30 or 25:00 is refused, not passed on.
    const date = parseDate(iso[1]!, context, what);
    if ('problem' in date) return date;
    const time = parseTime(iso[2]!);
    if ('problem' in time) return time;
    return ok(`${date.value}T${time.value}:00${iso[3] ?? ''}`);
  }
  const split = /^(.*?)[ T]+(\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?)$/.exec(text);
  const date = parseDate(split ? split[1]! : text, context, what);
  if ('problem' in date) return date;
  if (!split) return ok(`${date.value}T00:00:00`);
  const time = parseTime(split[2]!);
  if ('problem' in time) return time;
  return ok(`${date.value}T${time.value}:00`);
}

/** A code from the practice's or another system: kept as text, refused when a spreadsheet mangled it. */
export function parseIdentifier(input: string, what: string): Parsed<string> {
  const text = input.trim();
  if (isScientific(text)) return bad(`${what} "${text}" was turned into a number like 1.23E+05 by a spreadsheet, so its digits are lost; export the column as text and import again`);
  if (/^[0-9]+\.0+$/.test(text)) return bad(`${what} "${text}" has gained a ".0" from a spreadsheet; export the column as text`);
  return ok(text);
}

const unitAliases: Record<string, string> = {
  mmhg: 'mm[Hg]', 'mm hg': 'mm[Hg]', 'mm[hg]': 'mm[Hg]',
  lb: '[lb_av]', lbs: '[lb_av]', pound: '[lb_av]', pounds: '[lb_av]', '[lb_av]': '[lb_av]',
  kg: 'kg', kgs: 'kg', g: 'g',
  in: '[in_i]', inch: '[in_i]', inches: '[in_i]', '"': '[in_i]', '[in_i]': '[in_i]',
  cm: 'cm', m: 'm',
  f: '[degF]', '°f': '[degF]', degf: '[degF]', '[degf]': '[degF]',
  c: 'Cel', '°c': 'Cel', degc: 'Cel', cel: 'Cel',
  bpm: '/min', '/min': '/min', 'beats/min': '/min', 'breaths/min': '/min',
  '%': '%', percent: '%',
  'mg/dl': 'mg/dL', 'g/dl': 'g/dL', 'mmol/l': 'mmol/L', 'meq/l': 'meq/L', 'u/l': 'U/L', 'iu/l': '[IU]/L',
  'ng/ml': 'ng/mL', 'pg/ml': 'pg/mL', 'ml/min/1.73m2': 'mL/min/{1.73_m2}', 'kg/m2': 'kg/m2', 'kg/m^2': 'kg/m2',
};

/** A unit as typed → UCUM where known ("mmHg" → "mm[Hg]", "lbs" → "[lb_av]"); unknown units are kept. */
export function normalizeUnit(input: string): string {
  const text = input.trim();
  return unitAliases[text.toLowerCase()] ?? text;
}

/** "180 lb", "180lbs", "72.5", "98.6 F" → value and UCUM unit (the default unit when none is written). */
export function parseQuantity(input: string, what: string, defaultUnit?: string): Parsed<{ value: number; unit: string | null }> {
  const m = /^([+-]?[0-9]+(?:[.,][0-9]+)?)\s*(.*)$/.exec(input.trim());
  // A sign is kept for the record's own check, which names the rule (a dose below zero).
  if (!m || isScientific(input)) return bad(asReason(notANumber(what)));
  const value = Number(m[1]!.replace(',', '.'));
  const unit = m[2] ? normalizeUnit(m[2]) : (defaultUnit ?? null);
  return ok({ value, unit });
}

/** "$1,234.50" → 123450 cents. */
export function parseMoneyField(input: string, what: string): Parsed<number> {
  const cents = parseMoney(input);
  return cents === undefined ? bad(`${what} "${input}" is not an amount of money (e.g. 125.00)`) : ok(cents);
}


/** One cell → its stored form, by the field's declared type. */
export function parseField(type: FieldType, raw: string, label: string, context: FieldContext): Parsed<unknown> {
  const text = raw.trim();
  switch (type) {
    case 'text':
      return ok(text);
    case 'id':
      return parseIdentifier(text, label);
    case 'date':
      return parseDate(text, context, label);
    case 'past-date':
      return parseDate(text, context, label, true);
    case 'datetime':
      return parseDateTime(text, context, label);
    case 'time':
      return parseTime(text);
    case 'sex': {
      const sex = normalizeSex(text);
      return sex ? ok(sex) : bad(`${label} "${text}" is not a sex code (M, F, U, male, female, 1, 2)`);
    }
    case 'phone':
      return reason(readPhone(text, label));
    case 'email':
      return isEmail(text) ? ok(text.toLowerCase()) : bad(`${label} "${text}" is not an e-mail address`);
    case 'zip':
      return reason(readZip(text));
    case 'state': {
      const state = normalizeState(text);
      return state ? ok(state) : bad(`${PATIENT_FIELDS.state} "${text}" is not a US state or territory`);
    }
    case 'race':
      return ok(normalizeRace(text) ?? text);
    case 'ethnicity':
      return ok(normalizeEthnicity(text) ?? text);
    case 'loinc': {
      const problem = describeLoincProblem(text);
      return problem ? bad(problem) : ok(text);
    }
    case 'rxnorm':
      return code(readRxnorm(text));
    case 'ndc':
      return code(readNdc(text));
    case 'ndc-unit':
      return code(readNdcUnit(text));
    case 'cvx':
      return code(readCvx(text));
    case 'procedure': {
      const read = readProcedureCode(text);
      return 'problem' in read ? bad(asReason(read.problem)) : ok(read);
    }
    case 'modifiers': {
      const read = readModifiers(text);
      return 'problem' in read ? bad(asReason(read.problem)) : ok(read.modifiers);
    }
    case 'number':
      return reason(readNumber(text, label));
    case 'integer':
      return reason(readNumber(text, label, true));
    case 'money':
      return parseMoneyField(text, label);
    case 'quantity':
      return parseQuantity(text, label);
  }
}
