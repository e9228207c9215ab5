// How each practice set-up value is checked and normalised, with the sentence a practice manager sees
// when it is wrong. The field lists in entities.ts are built from these.
import { IANAZone } from 'luxon';
import { normalizePhone, normalizeZip } from '../codes/contact.js';
import { describeNpiProblem } from '../codes/npi.js';
import { isValidPayerId } from '../codes/payer-id.js';
import { isUsState } from '../codes/states.js';
import { readPlaceOfService } from '../records/encounter.js';
import { CLAIM_FILING_INDICATORS } from './code-lists.js';

/** The normalised value, or the plain sentence saying what is wrong with it. */
export type CheckResult = { value: string } | { problem: string };
export type Check = (raw: string, label: string) => CheckResult;

const ok = (value: string): CheckResult => ({ value });
const bad = (problem: string): CheckResult => ({ problem });

export const text: Check = (raw, label) => {
  const value = raw.trim().replace(/\s+/g, ' ');
  return value ? ok(value) : bad(`${label} cannot be empty.`);
};

export const npi: Check = (raw) => {
  const value = raw.trim();
  const problem = describeNpiProblem(value);
  return problem ? bad(problem) : ok(value);
};

// IRS EIN prefixes never issued; an SSN never has area 000, 666 or 9xx, group 00 or serial 0000.
const UNUSED_EIN_PREFIXES = new Set(['00', '07', '08', '09', '17', '18', '19', '28', '29', '49', '69', '70', '78', '79', '89', '96', '97']);
const isEin = (d: string) => !UNUSED_EIN_PREFIXES.has(d.slice(0, 2));
const isSsn = (d: string) => !/^(000|666|9)/.test(d) && d.slice(3, 5) !== '00' && d.slice(5) !== '0000';

/** A Tax Identification Number: an EIN (12-3456789) or, for a sole practitioner, an SSN (123-45-6789). */
export const tin: Check = (raw) => {
  const input = raw.trim();
  const digits = input.replace(/[\s-]/g, '');
  if (!/^[0-9]{9}$/.test(digits)) return bad(`A TIN has 9 digits, like 12-3456789; "${input}" does not.`);
  const valid = /^[0-9]{2}-[0-9]{7}$/.test(input) ? isEin(digits) : /^[0-9]{3}-[0-9]{2}-[0-9]{4}$/.test(input) ? isSsn(digits) : isEin(digits) || isSsn(digits);
  return valid ? ok(digits) : bad(`TIN ${input} cannot be a real EIN or SSN: it is probably mistyped.`);
};

export const state: Check = (raw) => {
  const value = raw.trim().toUpperCase();
  return isUsState(value) ? ok(value) : bad(`"${raw.trim()}" is not a US state code; use the two-letter postal code, like NY or CA.`);
};

export const zip: Check = (raw) => {
  const value = normalizeZip(raw);
  return value ? ok(value) : bad(`"${raw.trim()}" is not a ZIP code; use 5 digits or ZIP+4, like 12345 or 12345-6789.`);
};

export const phone: Check = (raw) => {
  const value = normalizePhone(raw);
  return value ? ok(value) : bad(`"${raw.trim()}" is not a US phone number; use 10 digits, like 555-010-1234.`);
};

export const placeOfService: Check = (raw) => {
  const read = readPlaceOfService(raw);
  return 'code' in read ? ok(read.code) : bad(read.problem);
};

export const claimFilingIndicator: Check = (raw) => {
  const value = raw.trim().toUpperCase();
  return CLAIM_FILING_INDICATORS[value]
    ? ok(value)
    : bad(`"${raw.trim()}" is not an X12 claim filing indicator; use MB for Medicare Part B, MC for Medicaid, CI for commercial, BL for Blue Cross.`);
};

/** NUCC health care provider taxonomy: 10 characters ending in X, like 207Q00000X (family medicine). */
export const taxonomy: Check = (raw) => {
  const value = raw.trim().toUpperCase();
  return /^[0-9]{3}[0-9A-Z]{6}X$/.test(value) ? ok(value) : bad(`"${raw.trim()}" is not a provider taxonomy code; it has 10 characters ending in X, like 207Q00000X.`);
};

export const timeZone: Check = (raw) => {
  const value = raw.trim();
  return IANAZone.isValidZone(value) ? ok(value) : bad(`"${value}" is not a time zone name; use one like America/New_York or America/Chicago.`);
};

export const unitSystem: Check = (raw) => {
  const value = raw.trim().toLowerCase();
  return value === 'us' || value === 'metric' ? ok(value) : bad(`"${raw.trim()}" is not a unit setting; use us (lb, in, °F) or metric (kg, cm, °C).`);
};

/** A short code people type on the command line: letters, digits, - and _. */
export const shortCode: Check = (raw, label) => {
  const value = raw.trim();
  return /^[A-Za-z0-9_-]{1,30}$/.test(value) ? ok(value) : bad(`${label} "${value}" may only use letters, digits, - and _ (30 at most).`);
};

/** Payer ids are routing codes assigned by the clearinghouse (NM109): the same rule the scrubber applies. */
export const payerId: Check = (raw) => {
  const value = raw.trim().toUpperCase();
  return isValidPayerId(value)
    ? ok(value)
    : bad(`Payer id "${raw.trim()}" must be 2 to 80 letters and digits only (no spaces or hyphens), as on the clearinghouse payer list.`);
};

/** ISA05/ISA07 interchange id qualifiers used for claims. */
const ISA_QUALIFIERS = new Set(['01', '14', '20', '27', '28', '29', '30', '33', 'ZZ']);
export const isaQualifier: Check = (raw) => {
  const value = raw.trim().toUpperCase();
  return ISA_QUALIFIERS.has(value) ? ok(value) : bad(`"${raw.trim()}" is not an X12 interchange id qualifier; most clearinghouses use ZZ.`);
};

/** ISA06/ISA08: at most 15 printable characters (padded when written). */
export const isaId: Check = (raw, label) => {
  const value = raw.trim();
  return /^[\x21-\x7e][\x20-\x7e]{0,14}$/.test(value) ? ok(value) : bad(`${label} "${value}" must be 1 to 15 letters or digits, as the clearinghouse gave it.`);
};

export const usageIndicator: Check = (raw) => {
  const value = raw.trim().toUpperCase();
  return value === 'P' || value === 'T' ? ok(value) : bad(`The usage indicator is P (production) or T (test), not "${raw.trim()}".`);
};

export const wholeDays: Check = (raw, label) => {
  const value = raw.trim();
  return /^[0-9]{1,4}$/.test(value) && Number(value) > 0 ? ok(String(Number(value))) : bad(`${label} must be a whole number of days, not "${value}".`);
};

export const yesNo: Check = (raw, label) => {
  const value = raw.trim().toLowerCase();
  if (['yes', 'y', 'true', '1'].includes(value)) return ok('true');
  if (['no', 'n', 'false', '0'].includes(value)) return ok('false');
  return bad(`${label} is yes or no, not "${raw.trim()}".`);
};
