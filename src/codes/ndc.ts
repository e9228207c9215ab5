// National Drug Codes. Labels print 10 digits in 4-4-2, 5-3-2 or 5-4-1 segments; billing (837P, NCPDP)
// and our database use the 11-digit 5-4-2 form, padding the short segment with a leading zero.
import { isScientific } from '../dates.js';

export function normalizeNdc(input: string): string | undefined {
  const text = input.trim();
  const segments = text.split(/[-\s]/);
  if (segments.length === 3 && segments.every((s) => /^[0-9]+$/.test(s))) {
    const [labeler, product, pack] = segments as [string, string, string];
    const lengths = `${labeler.length}-${product.length}-${pack.length}`;
    switch (lengths) {
      case '4-4-2':
        return `0${labeler}${product}${pack}`;
      case '5-3-2':
        return `${labeler}0${product}${pack}`;
      case '5-4-1':
        return `${labeler}${product}0${pack}`;
      case '5-4-2':
        return `${labeler}${product}${pack}`;
      default:
        return undefined;
    }
  }
  const digits = text.replace(/[^0-9]/g, '');
  // Without hyphens a 10-digit NDC is ambiguous (which segment to pad), so only 11 digits are accepted.
  if (digits.length === 11 && digits === text) return digits;
  return undefined;
}

/** An NDC as a label or a file writes it → the 11-digit form, or the one message every path gives for it. */
export function readNdc(text: string): { code: string } | { problem: string } {
  const written = text.trim();
  if (isScientific(written)) return { problem: `NDC "${written}" was turned into a number by a spreadsheet, so its digits are lost; export the column as text.` };
  const code = normalizeNdc(written);
  return code ? { code } : { problem: `"${written}" is not an NDC: give the 10-digit form with its hyphens (e.g. 0093-1048-01) or the 11-digit form.` };
}

/** 11-digit NDC in its printed 5-4-2 form. */
export function formatNdc11(ndc11: string): string {
  return `${ndc11.slice(0, 5)}-${ndc11.slice(5, 9)}-${ndc11.slice(9)}`;
}
