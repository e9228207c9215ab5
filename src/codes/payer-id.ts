// Payer ids (NM109 of loop 2010BB) are the routing codes clearinghouses publish in their payer lists:
// letters and digits only. One rule, read by the set-up checks (payers add/edit, setup files) and by
// the scrubber, so the toolkit never accepts an id it would later refuse on a claim.

/** 2 to 80 letters or digits: the X12 element's length, and no punctuation clearinghouses would drop. */
export const PAYER_ID_PATTERN = '^[A-Za-z0-9]{2,80}$';

const payerIdRegex = new RegExp(PAYER_ID_PATTERN);

export function isValidPayerId(value: string): boolean {
  return payerIdRegex.test(value);
}
