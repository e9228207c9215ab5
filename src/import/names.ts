// How whole names typed into transcriptions are split (each part tidied as the patient declaration does).
import { tidyName } from '../records/patient.js';

/** "DOE, JOHN A" → last Doe, first John, middle A; "John A Doe" → the same. */
export function splitFullName(input: string): { last: string; first: string; middle?: string } | undefined {
  const text = input.trim().replace(/\s+/g, ' ');
  if (!text) return undefined;
  const comma = text.indexOf(',');
  if (comma >= 0) {
    const last = text.slice(0, comma).trim();
    const [first, ...rest] = text.slice(comma + 1).trim().split(' ');
    if (!last || !first) return undefined;
    return { last: tidyName(last), first: tidyName(first), middle: rest.length ? tidyName(rest.join(' ')) : undefined };
  }
  const parts = text.split(' ');
  if (parts.length < 2) return undefined;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).join(' ');
  return { last: tidyName(last), first: tidyName(first), middle: middle ? tidyName(middle) : undefined };
}
