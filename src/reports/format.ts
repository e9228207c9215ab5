// How report figures look: locale-formatted on a terminal, machine-neutral in CSV and JSON (the CSV
// rules live in src/text/csv.ts; files are written by src/files/private-file.ts).
export { neutralizeCell, toCsv } from '../text/csv.js';

/** "de_DE.UTF-8" → "de-DE"; C/POSIX or unknown → en-US. Reads LC_ALL, LC_NUMERIC, LANG in that order. */
export function localeFromEnv(env: Record<string, string | undefined>): string {
  const raw = env.LC_ALL || env.LC_NUMERIC || env.LANG || '';
  const tag = raw.split('.')[0]!.split('@')[0]!.replace('_', '-');
  if (!tag || tag === 'C' || tag === 'POSIX') return 'en-US';
  try {
    return Intl.NumberFormat.supportedLocalesOf([tag])[0] ?? 'en-US';
  } catch {
    return 'en-US';
  }
}

export interface NumberFormats {
  /** 1234.5 → "1,234.50" (en-US) or "1.234,50" (de-DE). */
  decimal(value: number | null, digits?: number): string;
  integer(value: number | null): string;
  /** Cents → "$1,234.56"; amounts are US dollars whatever the locale. */
  money(cents: number | null): string;
  /** Cents → "$1,235", for narrow columns. */
  dollars(cents: number | null): string;
  /** 0.1234 → "12.3%". */
  percent(rate: number | null): string;
  /** Relative change, "+3.2%" / "-10.0%"; "n/a" when there is nothing to compare with. */
  change(current: number, previous: number): string;
}

export function numberFormats(locale: string): NumberFormats {
  const decimals = new Map<number, Intl.NumberFormat>();
  const decimalFormat = (digits: number) => {
    let f = decimals.get(digits);
    if (!f) {
      f = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
      decimals.set(digits, f);
    }
    return f;
  };
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD' });
  const dollars = new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD', maximumFractionDigits: 0, minimumFractionDigits: 0 });
  const percent = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const signed = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'exceptZero' });
  return {
    decimal: (value, digits = 2) => (value === null ? '-' : decimalFormat(digits).format(value)),
    integer: (value) => (value === null ? '-' : decimalFormat(0).format(value)),
    money: (cents) => (cents === null ? '-' : money.format(cents / 100)),
    dollars: (cents) => (cents === null ? '-' : dollars.format(cents / 100)),
    percent: (rate) => (rate === null ? '-' : percent.format(rate)),
    change: (current, previous) => (previous === 0 ? 'n/a' : signed.format((current - previous) / previous)),
  };
}
