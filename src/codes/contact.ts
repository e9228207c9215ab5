// Phone numbers, email addresses and ZIP codes as people type them.

/** Any common US form ("(555) 123-4567", "555.123.4567", "+1 555 123 4567") → "555-123-4567". */
export function normalizePhone(input: string): string | undefined {
  const extension = /(?:x|ext\.?)\s*([0-9]{1,6})\s*$/i.exec(input);
  const main = extension ? input.slice(0, extension.index) : input;
  let digits = main.replace(/[^0-9]/g, '');
  if (digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
  if (digits.length !== 10 || /^[01]/.test(digits)) return undefined;
  const formatted = `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}`;
  return extension ? `${formatted} x${extension[1]}` : formatted;
}

export function isEmail(input: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(input.trim());
}

/** "02134", "02134-1234", "021341234" → normalised; a 4-digit ZIP has lost its leading zero (spreadsheets). */
export function normalizeZip(input: string): string | undefined {
  const text = input.trim();
  const m = /^([0-9]{5})(?:-?([0-9]{4}))?$/.exec(text);
  if (!m) return undefined;
  return m[2] ? `${m[1]}-${m[2]}` : m[1];
}
