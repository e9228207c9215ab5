// ICD-10-CM code form: a letter, a digit, an alphanumeric, then up to 4 more characters after the dot
// (ICD-10-CM Official Guidelines, I.A). Stored with the dot; claims print it without (837P HI segment).
// U is the chapter of codes for emergency use (U07.1 COVID-19, U09.9 post COVID-19 condition).
// Whether a code exists and is billable is the code list's business: ./code-lists.ts.

const ICD10CM = /^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$/;

/** "e119", "E11.9", " e11.9 " → "E11.9"; undefined when it is not an ICD-10-CM code form. */
export function normalizeIcd10(input: string): string | undefined {
  const compact = input.trim().toUpperCase().replace(/\s+/g, '');
  const bare = compact.replace('.', '');
  if (!/^[A-Z0-9]{3,7}$/.test(bare)) return undefined;
  const dotted = bare.length > 3 ? `${bare.slice(0, 3)}.${bare.slice(3)}` : bare;
  return ICD10CM.test(dotted) ? dotted : undefined;
}

export function isIcd10Form(code: string): boolean {
  return ICD10CM.test(code);
}

/** The claim form: no decimal point. */
export function icd10ForClaim(code: string): string {
  return code.replace('.', '');
}
