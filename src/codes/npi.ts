// NPI check digit: Luhn over the 10 digits prefixed with the ISO card issuer prefix 80840
// (CMS "Requirements for the NPI check digit"). Equivalent: add 24 to the Luhn sum of the 10 digits.

export function luhnSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum;
}

export function isValidNpi(npi: string): boolean {
  if (!/^[12][0-9]{9}$/.test(npi)) return false;
  return luhnSum(`80840${npi}`) % 10 === 0;
}

/** The check digit that completes a 9-digit NPI base. */
export function npiCheckDigit(base9: string): string {
  for (let d = 0; d <= 9; d++) if (luhnSum(`80840${base9}${d}`) % 10 === 0) return String(d);
  throw new Error('unreachable');
}

export function describeNpiProblem(npi: string): string | undefined {
  if (!/^[0-9]{10}$/.test(npi)) return `An NPI has exactly 10 digits; "${npi}" does not.`;
  if (!/^[12]/.test(npi)) return `An NPI starts with 1 or 2; "${npi}" does not.`;
  if (!isValidNpi(npi)) return `NPI ${npi} fails its check digit: it is probably mistyped.`;
  return undefined;
}
