// How names typed into transcriptions are tidied and split (matching uses src/chart's search-name form).

/** Names typed in capitals ("DOE") become "Doe"; mixed case is kept as typed ("McDonald"). */
export function tidyName(input: string): string {
  const text = input.trim().replace(/\s+/g, ' ');
  if (text !== text.toUpperCase() || text === text.toLowerCase()) return text;
  return text.toLowerCase().replace(/(^|[\s'-])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

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
