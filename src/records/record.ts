// What every record kind's declaration shares: a problem found with a field (one wording, whichever path
// met it), a vocabulary of codes with the words people write for them, and the date rules. A path names
// the field its own way when it reports a problem: the CLI prefixes its option ("--onset: ..."); an import
// gives the reason as it is (without the final full stop, since a row's reasons are joined with "; ").
// Dates and numbers are read here for every kind, whichever path gave them: one reader, one wording.
// Each kind's fields are declared here too (RecordField): the CLI's options and the CSV columns come from them.
import { readDate, type DateOrder } from '../dates.js';
import type { Issue } from '../errors.js';

export interface RecordProblem {
  /** The declaration's field name (onsetDate), which each path maps to its option, column or element. */
  field: string;
  /** Stable code, e.g. DATE_FUTURE. */
  code: string;
  /** The one wording every path gives: a sentence naming the field in the practice's words. */
  message: string;
}

export type Checked<T> = { values: T } | { problems: RecordProblem[] };

/**
 * How the path that met a record writes its dates: typed at the command line ("today" allowed), a cell of a
 * file people filled (any usual form, in the file's day/month order, an Excel serial), or written by a
 * machine (FHIR, Synthea: ISO forms only). One reader (src/dates.ts) and one wording for all three.
 */
export interface DateForm {
  form: 'typed' | 'file' | 'machine';
  order?: DateOrder;
}

/** What a check needs to know about the day and the patient: the practice's today, the birth date when known. */
export interface RecordContext {
  today: string;
  dob?: string;
  /** How dates given as text are read; typed at the command line unless said. */
  dates?: DateForm;
  /** The practice's zone (src/practice/clock.ts): a time given without its offset is its wall-clock time. */
  zone?: string;
}

/** The one wording for a number that is not one (or is below zero). */
export const notANumber = (what: string): string => `${what} must be a number (0 or more).`;

/**
 * A number as any path gives it (a cell's text, a JSON value, an option) → the number, or the one wording
 * every path gives. Every number a record holds is a measure of something (a dose, a count, a reading),
 * never below zero; `whole` for counts.
 */
export function readNumber(given: string | number, what: string, whole = false): { value: number } | { problem: string } {
  // ".5" is refused with its own reason: a dose written without its leading zero is read as 5 (ISMP).
  if (typeof given === 'string' && /^\s*\.[0-9]+\s*$/.test(given)) return { problem: `${what} needs a zero before the decimal point (0${given.trim()}, not ${given.trim()}).` };
  const value = typeof given === 'number' ? given : /^\s*[+-]?[0-9]+(?:\.[0-9]+)?\s*$/.test(given) ? Number(given) : Number.NaN;
  if (!Number.isFinite(value) || value < 0) return { problem: notANumber(what) };
  if (whole && !Number.isInteger(value)) return { problem: `${what} must be a whole number.` };
  return { value };
}

/** A date given as text by any path → YYYY-MM-DD, or the one wording (src/dates.ts) as a sentence. */
export function readRecordDate(text: string, what: string, context: RecordContext): { value: string } | { problem: string } {
  const form = context.dates?.form ?? 'typed';
  const read = readDate(text, { today: context.today, what, order: context.dates?.order, relative: form === 'typed', spreadsheet: form === 'file', machine: form === 'machine', anyYear: true });
  return 'value' in read ? read : { problem: `${read.problem}.` };
}

/** A time of day as any path writes it ("14:30", "2:30 PM", "1430", "09:30:00") → hours and minutes; undefined when not one. */
export function readTimeOfDay(text: string): { hour: number; minute: number } | undefined {
  const m = /^(\d{1,2}):?(\d{2})(?::\d{2}(?:\.\d+)?)?\s*([AaPp])?\.?(?:[Mm]\.?)?$/.exec(text.trim());
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = Number(m[2]);
  const meridiem = m[3]?.toLowerCase();
  if (meridiem && (hour < 1 || hour > 12)) return undefined;
  if (meridiem === 'p' && hour < 12) hour += 12;
  if (meridiem === 'a' && hour === 12) hour = 0;
  return hour > 23 || minute > 59 ? undefined : { hour, minute };
}

/** A status, category or severity: its codes (as stored, FHIR's) and the other words files use for them. */
export interface Vocabulary<T extends string = string> {
  codes: readonly T[];
  words?: Record<string, T>;
}

/** "active, inactive or resolved": a vocabulary's codes, for a field's description. */
export const choices = (vocabulary: Vocabulary): string => `${vocabulary.codes.slice(0, -1).join(', ')} or ${vocabulary.codes.at(-1)}`;

/** A word of a vocabulary, any case, or one of its other words → its code; undefined for any other text. */
export function vocabularyCode<T extends string>(vocabulary: Vocabulary<T>, text: string): T | undefined {
  const key = text.trim().toLowerCase();
  // Own keys only: "constructor" or "toString" typed in a field must not find Object's members.
  return vocabulary.codes.find((c) => c === key) ?? (vocabulary.words && Object.hasOwn(vocabulary.words, key) ? vocabulary.words[key] : undefined);
}

/** An import's row-level reason for a declaration's message: the same words, without the final full stop. */
export const asReason = (message: string): string => message.replace(/\.$/, '');

/** A record checked by its declaration, as an import takes it: its values, or each problem added to the row's reasons. */
export function valuesOrReasons<T>(checked: Checked<T>, reasons: string[]): T | undefined {
  if ('values' in checked) return checked.values;
  reasons.push(...checked.problems.map((p) => asReason(p.message)));
  return undefined;
}

/** Collects a record's problems, then gives the values or every problem at once. */
export class RecordCheck {
  readonly problems: RecordProblem[] = [];
  constructor(readonly context: RecordContext) {}

  fail(field: string, code: string, message: string): undefined {
    this.problems.push({ field, code, message });
    return undefined;
  }

  /** A field that must be there: `message` says what is missing. */
  required<T>(field: string, value: T | undefined | null, message: string): T | undefined {
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return this.fail(field, 'REQUIRED', message);
    return value;
  }

  /** A code read by its code list's own reader (readCvx, readDiagnosisCode, ...), whose message is the one every path gives. */
  code<T extends object>(field: string, text: string | undefined, reader: (s: string) => T | { problem: string }, problemCode: string): T | undefined {
    if (text === undefined || text.trim() === '') return undefined;
    const read = reader(text);
    return 'problem' in read ? this.fail(field, problemCode, read.problem) : read;
  }

  /** A word of a vocabulary, any case, or one of its other words → its code. */
  choice<T extends string>(field: string, label: string, text: string | undefined, vocabulary: Vocabulary<T>): T | undefined {
    if (text === undefined || text.trim() === '') return undefined;
    return vocabularyCode(vocabulary, text) ?? this.fail(field, 'CHOICE', `${label} must be one of: ${vocabulary.codes.join(', ')}.`);
  }

  /** A date (as text: read by this.date) that cannot be after today, nor before the patient was born. */
  pastDate(field: string, label: string, text: string | undefined): string | undefined {
    const date = this.date(field, label, text);
    if (date === undefined) return undefined;
    if (date > this.context.today) return this.fail(field, 'DATE_FUTURE', `${label} is in the future.`);
    return this.notBeforeBirth(field, label, date);
  }

  /** A date that may be ahead (a start, an expiry), but not before the patient was born. */
  notBeforeBirth(field: string, label: string, text: string | undefined): string | undefined {
    const date = this.date(field, label, text);
    if (date === undefined) return undefined;
    if (this.context.dob && date < this.context.dob) return this.fail(field, 'BEFORE_BIRTH', `${label} is before the date of birth.`);
    return date;
  }

  /** A date given as text, read as every path reads dates (the context says how it was written). */
  date(field: string, label: string, text: string | undefined): string | undefined {
    if (text === undefined || text.trim() === '') return undefined;
    const read = readRecordDate(text, label, this.context);
    return 'value' in read ? read.value : this.fail(field, 'DATE_FORMAT', read.problem);
  }

  /** A number that cannot be below zero (a dose, a quantity); `whole` for counts (refills). */
  amount(field: string, label: string, value: number | string | undefined, whole = false): number | undefined {
    if (value === undefined) return undefined;
    const read = readNumber(value, label, whole);
    return 'value' in read ? read.value : this.fail(field, 'NUMBER', read.problem);
  }

  result<T>(values: T): Checked<T> {
    return this.problems.length ? { problems: this.problems } : { values };
  }
}

/** How an import reads a cell before the declaration sees it (src/import/fields.ts has a reader for each). */
export type FieldType =
  | 'text'
  | 'id'
  | 'date'
  | 'past-date'
  | 'datetime'
  | 'time'
  | 'sex'
  | 'phone'
  | 'email'
  | 'zip'
  | 'state'
  | 'race'
  | 'ethnicity'
  | 'loinc'
  | 'rxnorm'
  | 'ndc'
  | 'ndc-unit'
  | 'cvx'
  | 'procedure'
  | 'modifiers'
  | 'number'
  | 'integer'
  | 'money'
  | 'quantity';

/** A field's option on the command line: commander's flags ("--onset <date>") and its line in --help. */
export interface FieldOption {
  flags: string;
  description: string;
}

/** A field's column in a CSV import of its kind. */
export interface FieldColumn {
  /** The canonical column name, as the template writes it. */
  name: string;
  type: FieldType;
  /** What the column holds, for the template's documentation and the mapping wizard. */
  description: string;
  /** Other headers people write for it; headers match ignoring case, spaces and punctuation. */
  aliases?: readonly string[];
  /** The most characters a cell may hold, when not its type's limit. */
  max?: number;
  /** The declaration reads the cell as written; its type then only helps the mapping wizard guess the column. */
  asWritten?: boolean;
}

/**
 * One field of a record kind, declared once (the key it is declared under is the name its problems carry):
 * how the practice names it, the option that gives it on the command line and the column that carries it in
 * a CSV import (either may be absent). The CLI's options and the import's columns are made from these, so a
 * new field is one entry here (and its check).
 */
export interface RecordField {
  /** How every reason, the form and --help name it ("the onset date"). */
  label: string;
  option?: FieldOption;
  column?: FieldColumn;
  /**
   * A record needs it (an import wants its column mapped): true, or the name of a group of fields of which
   * one is enough (a medication's RxNorm code or NDC).
   */
  required?: true | string;
}

/** A kind's fields by their declared names, in the order of its CSV template and --help. */
export type RecordFields = Readonly<Record<string, RecordField>>;

/** A kind's command-line options, in its fields' order: what `<kind> add` declares to commander. */
export const fieldOptions = (fields: RecordFields): FieldOption[] => Object.values(fields).flatMap((field) => (field.option ? [field.option] : []));

/** The option a field is given by ("--onset"), when it has one. */
const optionName = (field: RecordField | undefined): string | undefined => field?.option?.flags.split(/[ ,]/)[0];

/**
 * Problems with a record's fields as the command line reports them: each after the option the user typed
 * ("--dob: the date of birth is in the future."), not the declaration's field name. A problem of a field
 * with no option of its own (a rule between two fields) is put after the kind's first option.
 */
export function byOption(issues: Issue[], fields: RecordFields): Issue[] {
  const first = Object.values(fields).map(optionName).find((o) => o !== undefined);
  return issues.map((issue) => {
    const option = issue.path !== undefined && Object.hasOwn(fields, issue.path) ? (optionName(fields[issue.path]) ?? first) : undefined;
    if (!option) return issue;
    // A sentence's capital (the form shows it alone) goes: after the option it is the middle of one.
    const message = /^[A-Z][a-z]/.test(issue.message) ? issue.message.charAt(0).toLowerCase() + issue.message.slice(1) : issue.message;
    return { ...issue, path: option, message: `${option}: ${message}` };
  });
}
