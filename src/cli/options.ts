// Reading typed option values that commander leaves as text, worded once for every command.
import { UsageError } from '../errors.js';

/** A whole number from min to max, typed as --<name>; a usage error (exit 2) naming the range otherwise. */
export function wholeNumber(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^[0-9]+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, not "${text}".`);
  }
  return value;
}
