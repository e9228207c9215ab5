// Money is an integer number of cents everywhere: the *_cents columns, claims, payments, statements, AR and
// reports. Amounts come in as text (an option or CSV cell like "$1,250.00", an X12 decimal like "-2.5") and are
// turned into cents here without floating point; they go out through the formats below.
import { ValidationError } from './errors.js';

/** An amount of money in cents (integer). */
export type Cents = number;

function cents(sign: string | undefined, whole: string, fraction = ''): Cents {
  const value = Number(whole || '0') * 100 + Number(fraction.padEnd(2, '0'));
  return sign === '-' ? -value : value;
}

/** "125", "125.5", "$1,250.00" → cents; undefined when it is not an amount of money (no sign, at most 2 decimals). */
export function parseMoney(text: string): Cents | undefined {
  const m = /^([0-9]+)(?:\.([0-9]{1,2}))?$/.exec(text.trim().replace(/^\$/, '').replace(/,/g, ''));
  return m ? cents(undefined, m[1]!, m[2]) : undefined;
}

/** Money in cents from an X12 decimal ("150", "-2.50", "1222.00"), exactly: no floating point. */
export function centsFromX12(value: string): Cents {
  const m = /^(-)?([0-9]*)(?:\.([0-9]{0,2}))?$/.exec(value.trim());
  if (!m || (m[2] === '' && !m[3])) throw new ValidationError([{ code: 'X12_AMOUNT', message: `"${value}" is not an X12 amount.` }]);
  return cents(m[1], m[2]!, m[3]);
}

function parts(amount: Cents): { sign: string; whole: number; fraction: number } {
  const abs = Math.abs(amount);
  return { sign: amount < 0 ? '-' : '', whole: Math.floor(abs / 100), fraction: abs % 100 };
}

/** Cents as a plain amount with two decimals: "1250.00", "-2.50" (tables, messages). */
export function formatMoney(amount: Cents): string {
  const { sign, whole, fraction } = parts(amount);
  return `${sign}${whole}.${String(fraction).padStart(2, '0')}`;
}

/** Cents with a dollar sign: "$1250.00". */
export function formatDollars(amount: Cents): string {
  return `$${formatMoney(amount)}`;
}

/** Cents as an X12 decimal: no thousands separator, decimal point only when needed. */
export function x12Amount(amount: Cents): string {
  const { sign, whole, fraction } = parts(amount);
  if (fraction === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(fraction).padStart(2, '0').replace(/0$/, '')}`;
}

/** Cents as a number of dollars (JSON and CSV cells that hold a number): 125050 → 1250.5. */
export function dollarsNumber(amount: Cents): number {
  return amount / 100;
}
