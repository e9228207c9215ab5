// LOINC codes: digits, a hyphen and a mod-10 check digit (LOINC Users' Guide, "Calculating Mod 10 Check Digits").

export function loincCheckDigit(base: string): number {
  // Double every other digit starting from the rightmost, then sum the digits of all numbers.
  let sum = 0;
  for (let i = 0; i < base.length; i++) {
    const d = base.charCodeAt(base.length - 1 - i) - 48;
    if (i % 2 === 0) {
      const doubled = d * 2;
      sum += Math.floor(doubled / 10) + (doubled % 10);
    } else {
      sum += d;
    }
  }
  return (10 - (sum % 10)) % 10;
}

export function isValidLoinc(code: string): boolean {
  const match = /^([0-9]{1,7})-([0-9])$/.exec(code.trim());
  if (!match) return false;
  return loincCheckDigit(match[1]!) === Number(match[2]);
}

export function describeLoincProblem(code: string): string | undefined {
  if (!/^[0-9]{1,7}-[0-9]$/.test(code.trim())) return `"${code}" is not a LOINC code (digits, a hyphen and a check digit, e.g. 4548-4).`;
  if (!isValidLoinc(code)) return `LOINC ${code} fails its check digit: it is probably mistyped.`;
  return undefined;
}
