// What every record kind's declaration shares: a problem found with a field (one wording, whichever path
// met it), a vocabulary of codes with the words people write for them, and the date rules. A path names
// the field its own way when it reports a problem: the CLI prefixes its option ("--onset: ..."); an import
// gives the reason as it is (without the final full stop, since a row's reasons are joined with "; ").

export interface RecordProblem {
  /** The declaration's field name (onsetDate), which each path maps to its option, column or element. */
  field: string;
  /** Stable code, e.g. DATE_FUTURE. */
  code: string;
  /** The one wording every path gives: a sentence naming the field in the practice's words. */
  message: string;
}

export type Checked<T> = { values: T } | { problems: RecordProblem[] };

/** What a check needs to know about the day and the patient: the practice's today, the birth date when known. */
export interface RecordContext {
  today: string;
  dob?: string;
}

/** A status, category or severity: its codes (as stored, FHIR's) and the other words files use for them. */
export interface Vocabulary<T extends string = string> {
  codes: readonly T[];
  words?: Record<string, T>;
}

/** An import's row-level reason for a declaration's message: the same words, without the final full stop. */
export const asReason = (message: string): string => message.replace(/\.$/, '');

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
    const key = text.trim().toLowerCase();
    const code = vocabulary.codes.find((c) => c === key) ?? vocabulary.words?.[key];
    return code ?? this.fail(field, 'CHOICE', `${label} must be one of: ${vocabulary.codes.join(', ')}.`);
  }

  /** A date (YYYY-MM-DD) that cannot be after today, nor before the patient was born. */
  pastDate(field: string, label: string, date: string | undefined): string | undefined {
    if (date === undefined) return undefined;
    if (date > this.context.today) return this.fail(field, 'DATE_FUTURE', `${label} is in the future.`);
    return this.notBeforeBirth(field, label, date);
  }

  /** A date that may be ahead (a start, an expiry), but not before the patient was born. */
  notBeforeBirth(field: string, label: string, date: string | undefined): string | undefined {
    if (date === undefined) return undefined;
    if (this.context.dob && date < this.context.dob) return this.fail(field, 'BEFORE_BIRTH', `${label} is before the date of birth.`);
    return date;
  }

  /** A number that cannot be below zero (a dose, a quantity); `whole` for counts (refills). */
  amount(field: string, label: string, value: number | undefined, whole = false): number | undefined {
    if (value === undefined) return undefined;
    if (!Number.isFinite(value) || value < 0) return this.fail(field, 'NUMBER', `${label} must be a number (0 or more).`);
    if (whole && !Number.isInteger(value)) return this.fail(field, 'NUMBER', `${label} must be a whole number.`);
    return value;
  }

  result<T>(values: T): Checked<T> {
    return this.problems.length ? { problems: this.problems } : { values };
  }
}
