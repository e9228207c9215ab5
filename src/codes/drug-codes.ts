// RxNorm concept ids and CVX vaccine codes: forms only (the code lists themselves are loaded as value sets).

export function normalizeRxnorm(input: string): string | undefined {
  const code = input.trim();
  return /^[0-9]{1,8}$/.test(code) ? String(Number(code)) : undefined;
}

/** An RxNorm concept id as typed → its code, or the one message every path gives for it. */
export function readRxnorm(text: string): { code: string } | { problem: string } {
  const code = normalizeRxnorm(text);
  return code ? { code } : { problem: `"${text.trim()}" is not an RxNorm concept id (digits only, e.g. 860975).` };
}

/** CVX codes are 1-3 digits, conventionally written with two digits at least ("08"). */
export function normalizeCvx(input: string): string | undefined {
  const code = input.trim();
  if (!/^[0-9]{1,3}$/.test(code)) return undefined;
  return String(Number(code)).padStart(2, '0');
}
