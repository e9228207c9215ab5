// The patient, declared once: the chart number's rules, the names, the date of birth and of death, sex
// (FHIR AdministrativeGender) with the codes other systems write for it, the address (USPS states, ZIP),
// phones, e-mail, language, race and ethnicity (CDC codes, as US Core uses), the contact channel, and how
// FHIR's Patient carries them. `patients add|edit`, the CSV patient import, the Synthea and FHIR imports
// and the FHIR export all read this, so the same value is accepted, normalised or refused alike, in the same
// words. The words never quote the value: a patient's details are PHI, and the CLI gives the same reason.
import { isEmail, normalizePhone, normalizeZip } from '../codes/contact.js';
import { isScientific } from '../dates.js';
import { isUsState } from '../codes/states.js';
import { RecordCheck, vocabularyCode, type Checked, type RecordContext, type Vocabulary } from './record.js';

export type PatientSex = 'male' | 'female' | 'other' | 'unknown';

/** Administrative sex as stored (FHIR's codes), and what files write for it (1/2 as in HL7 and census codings). */
export const PATIENT_SEXES: Vocabulary<PatientSex> = {
  codes: ['male', 'female', 'other', 'unknown'],
  words: { m: 'male', man: 'male', '1': 'male', f: 'female', woman: 'female', w: 'female', '2': 'female', o: 'other', x: 'other', u: 'unknown', unk: 'unknown', '0': 'unknown', '9': 'unknown' },
};

/** The channels a recall or reminder can go by (communication_consents keeps the opt-outs per channel). */
export const CONTACT_CHANNELS: Vocabulary<'email' | 'sms' | 'letter' | 'phone'> = { codes: ['email', 'sms', 'letter', 'phone'], words: { text: 'sms', mail: 'letter', 'e-mail': 'email' } };

/** How the patient's fields are named, in the form, in --help and in every reason. */
export const PATIENT_FIELDS = {
  mrn: 'the chart number (MRN)',
  firstName: 'the first name',
  middleName: 'the middle name',
  lastName: 'the last name',
  suffix: 'the suffix',
  preferredName: 'the preferred name',
  dob: 'the date of birth',
  sex: 'the sex',
  genderIdentity: 'the gender identity',
  race: 'the race',
  ethnicity: 'the ethnicity',
  phoneMobile: 'the mobile phone',
  phoneHome: 'the home phone',
  phoneWork: 'the work phone',
  email: 'the email address',
  address1: 'the address',
  address2: 'the address line 2',
  city: 'the city',
  state: 'the state',
  zip: 'the ZIP code',
  language: 'the language',
  preferredChannel: 'the preferred contact channel',
  deceasedDate: 'the date of death',
} as const;

export type PatientField = keyof typeof PATIENT_FIELDS;

/** A patient as a path read it: every field as text, as written ("" clears a field when editing). */
export type PatientInput = Partial<Record<PatientField, string>>;

/** What the patients table stores for the fields given (null: cleared). */
export type PatientValues = {
  mrn?: string;
  firstName?: string;
  middleName?: string | null;
  lastName?: string;
  suffix?: string | null;
  preferredName?: string | null;
  dob?: string;
  sex?: PatientSex;
  genderIdentity?: string | null;
  race?: string | null;
  ethnicity?: string | null;
  phoneMobile?: string | null;
  phoneHome?: string | null;
  phoneWork?: string | null;
  email?: string | null;
  address1?: string | null;
  address2?: string | null;
  city?: string | null;
  state?: string | null;
  zip?: string | null;
  language?: string | null;
  preferredChannel?: (typeof CONTACT_CHANNELS.codes)[number] | null;
  deceasedDate?: string | null;
};

/** The earliest year of birth taken without a second look: an earlier one is nearly always a typing slip. */
export const EARLIEST_BIRTH = '1900-01-01';
/** The most characters a chart number may have (a FHIR id's limit, which Synthea's and old systems' ids fit). */
export const MRN_MAX = 64;

// FHIR's Patient: US Core's sex extension (SNOMED CT) for the two sexes a code can say, and the form of a
// language that travels as a BCP-47 coding (anything else as text).
export const SEX_SNOMED: Partial<Record<PatientSex, string>> = { female: '248152002', male: '248153007' };
export const LANGUAGE_TAG = '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$';

/** Names typed in capitals ("DOE") become "Doe"; mixed case is kept as typed ("McDonald"). */
export function tidyName(input: string): string {
  const text = input.trim().replace(/\s+/g, ' ');
  if (text !== text.toUpperCase() || text === text.toLowerCase()) return text;
  return text.toLowerCase().replace(/(^|[\s'-])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

const stateNames: Record<string, string> = {
  alabama: 'AL', alaska: 'AK', arizona: 'AZ', arkansas: 'AR', california: 'CA', colorado: 'CO', connecticut: 'CT',
  delaware: 'DE', 'district of columbia': 'DC', florida: 'FL', georgia: 'GA', hawaii: 'HI', idaho: 'ID', illinois: 'IL',
  indiana: 'IN', iowa: 'IA', kansas: 'KS', kentucky: 'KY', louisiana: 'LA', maine: 'ME', maryland: 'MD',
  massachusetts: 'MA', michigan: 'MI', minnesota: 'MN', mississippi: 'MS', missouri: 'MO', montana: 'MT',
  nebraska: 'NE', nevada: 'NV', 'new hampshire': 'NH', 'new jersey': 'NJ', 'new mexico': 'NM', 'new york': 'NY',
  'north carolina': 'NC', 'north dakota': 'ND', ohio: 'OH', oklahoma: 'OK', oregon: 'OR', pennsylvania: 'PA',
  'rhode island': 'RI', 'south carolina': 'SC', 'south dakota': 'SD', tennessee: 'TN', texas: 'TX', utah: 'UT',
  vermont: 'VT', virginia: 'VA', washington: 'WA', 'west virginia': 'WV', wisconsin: 'WI', wyoming: 'WY',
  'puerto rico': 'PR', guam: 'GU', 'virgin islands': 'VI', 'american samoa': 'AS', 'northern mariana islands': 'MP',
};

/** "MA", "ma", "Massachusetts" → "MA"; undefined when it is not a US state or territory. */
export function normalizeState(input: string): string | undefined {
  const text = input.trim().replace(/\s+/g, ' ');
  if (text.length === 2 && isUsState(text)) return text.toUpperCase();
  const name = text.toLowerCase().replace(/\./g, '');
  return Object.hasOwn(stateNames, name) ? stateNames[name] : undefined;
}

/** M/F/Male/female/1/2/U → FHIR administrative gender; undefined when it is none of them. */
export function normalizeSex(input: string): PatientSex | undefined {
  return vocabularyCode(PATIENT_SEXES, input);
}

const raceCodes: Record<string, string> = {
  white: '2106-3', caucasian: '2106-3',
  black: '2054-5', 'black or african american': '2054-5', 'african american': '2054-5',
  asian: '2028-9',
  native: '1002-5', 'american indian or alaska native': '1002-5', 'american indian': '1002-5',
  hawaiian: '2076-8', 'native hawaiian or other pacific islander': '2076-8', 'pacific islander': '2076-8',
  other: '2131-1', 'other race': '2131-1',
};
const ethnicityCodes: Record<string, string> = {
  hispanic: '2135-2', 'hispanic or latino': '2135-2', latino: '2135-2',
  nonhispanic: '2186-5', 'non-hispanic': '2186-5', 'not hispanic or latino': '2186-5', 'non hispanic': '2186-5',
};

const CDC_CODE = /^[0-9]{4}-[0-9]$/;
// Own keys only: a word such as "constructor" must not find Object's members.
const ownEntry = (table: Record<string, string>, key: string): string | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

/** A race word or CDC code → the CDC code; undefined when unrecognised (kept as written rather than guessed). */
export function normalizeRace(input: string): string | undefined {
  const text = input.trim();
  return CDC_CODE.test(text) ? text : ownEntry(raceCodes, text.toLowerCase());
}

export function normalizeEthnicity(input: string): string | undefined {
  const text = input.trim();
  return CDC_CODE.test(text) ? text : ownEntry(ethnicityCodes, text.toLowerCase());
}

/** A phone as written → 555-123-4567, or the reason (a number a spreadsheet mangled is refused, not guessed). */
export function readPhone(text: string, label: string): { value: string } | { problem: string } {
  if (isScientific(text)) return { problem: `${label} was turned into a number by a spreadsheet, so its digits are lost.` };
  const phone = normalizePhone(text);
  return phone ? { value: phone } : { problem: `${label} is not a US phone number (10 digits, e.g. 555-123-4567).` };
}

/** A ZIP as written → 12345 or 12345-6789, or the reason; one that lost its leading zero in a spreadsheet is named so. */
export function readZip(text: string): { value: string } | { problem: string } {
  if (/^[0-9]{3,4}$/.test(text) || (/^[0-9]{3,4}-?[0-9]{4}$/.test(text) && text.replace('-', '').length < 9)) {
    return { problem: `${PATIENT_FIELDS.zip} has lost its leading zero(s), probably in a spreadsheet; write it as text with all 5 digits.` };
  }
  const zip = normalizeZip(text);
  return zip ? { value: zip } : { problem: `${PATIENT_FIELDS.zip} must have 5 digits (or ZIP+4, e.g. 02134-1234).` };
}

const read = <T>(r: { value: T } | { problem: string }): T | { problem: string } => ('value' in r ? r.value : r);

/**
 * Every problem with a patient at once, or the values to store. `creating`: the names and the date of
 * birth must be there, and sex defaults to unknown; otherwise only the fields given change ("" clears one
 * that may be empty).
 */
export function checkPatient(input: PatientInput, context: RecordContext, options: { creating: boolean }): Checked<PatientValues> {
  const c = new RecordCheck(context);
  const values: PatientValues = {};
  const given = (field: PatientField): string | undefined => {
    const text = input[field]?.trim();
    // Registering, an empty field is one not given; editing, it clears the field.
    return text === '' && options.creating ? undefined : text;
  };
  /** A field that may be empty: its normalised text, null when cleared. */
  const optional = <T>(field: PatientField, normalise: (text: string) => T | { problem: string }, code: string): void => {
    const text = given(field);
    if (text === undefined) return;
    if (text === '') return void ((values as Record<string, unknown>)[field] = null);
    const value = normalise(text);
    if (value !== null && typeof value === 'object' && 'problem' in value) c.fail(field, code, value.problem);
    else (values as Record<string, unknown>)[field] = value;
  };

  for (const field of ['firstName', 'lastName'] as const) {
    const text = given(field);
    if (text === '' || (options.creating && text === undefined)) c.fail(field, 'REQUIRED', `${PATIENT_FIELDS[field]} is required.`);
    else if (text !== undefined) values[field] = tidyName(text);
  }
  const mrn = given('mrn');
  if (mrn === '') c.fail('mrn', 'REQUIRED', `${PATIENT_FIELDS.mrn} cannot be empty.`);
  else if (mrn !== undefined) {
    if ([...mrn].length > MRN_MAX || /[\p{Cc}]/u.test(mrn)) c.fail('mrn', 'MRN', `${PATIENT_FIELDS.mrn} must be at most ${MRN_MAX} characters on one line.`);
    else values.mrn = mrn;
  }
  for (const field of ['middleName', 'suffix', 'preferredName'] as const) optional(field, tidyName, 'TEXT');
  for (const field of ['address1', 'address2', 'genderIdentity', 'language'] as const) optional(field, (text) => text.replace(/\s+/g, ' '), 'TEXT');
  optional('city', tidyName, 'TEXT');

  const dobText = given('dob');
  if (dobText === undefined || dobText === '') {
    if (options.creating || dobText === '') c.fail('dob', 'REQUIRED', `${PATIENT_FIELDS.dob} is required.`);
  } else {
    const dob = c.date('dob', PATIENT_FIELDS.dob, dobText);
    if (dob !== undefined && dob > context.today) c.fail('dob', 'DOB_FUTURE', `${PATIENT_FIELDS.dob} is in the future.`);
    else if (dob !== undefined && dob < EARLIEST_BIRTH) c.fail('dob', 'DOB_TOO_OLD', `${PATIENT_FIELDS.dob} is before 1900: please check the year.`);
    else if (dob !== undefined) values.dob = dob;
  }
  const deathText = given('deceasedDate');
  if (deathText === '') values.deceasedDate = null;
  else if (deathText !== undefined) {
    const death = c.date('deceasedDate', PATIENT_FIELDS.deceasedDate, deathText);
    if (death !== undefined && death > context.today) c.fail('deceasedDate', 'DATE_FUTURE', `${PATIENT_FIELDS.deceasedDate} is in the future.`);
    else if (death !== undefined && values.dob && death < values.dob) c.fail('deceasedDate', 'DEATH_BEFORE_BIRTH', `${PATIENT_FIELDS.deceasedDate} is before the date of birth.`);
    else if (death !== undefined) values.deceasedDate = death;
  }

  const sexText = given('sex');
  if (sexText !== undefined && sexText !== '') {
    const sex = normalizeSex(sexText);
    if (!sex) c.fail('sex', 'SEX', `${PATIENT_FIELDS.sex} must be one of: male, female, other, unknown (or M, F, O, U).`);
    else values.sex = sex;
  } else if (options.creating) values.sex = 'unknown';

  for (const field of ['phoneMobile', 'phoneHome', 'phoneWork'] as const) optional(field, (text) => read(readPhone(text, PATIENT_FIELDS[field])), 'PHONE');
  optional('email', (text) => (isEmail(text) ? text.toLowerCase() : { problem: `${PATIENT_FIELDS.email} is not valid (it should look like name@example.com).` }), 'EMAIL');
  optional('state', (text) => normalizeState(text) ?? { problem: `${PATIENT_FIELDS.state} must be a two-letter USPS code such as MA or NY.` }, 'STATE');
  optional('zip', (text) => read(readZip(text)), 'ZIP');
  optional('race', (text) => normalizeRace(text) ?? text, 'TEXT');
  optional('ethnicity', (text) => normalizeEthnicity(text) ?? text, 'TEXT');
  optional('preferredChannel', (text) => {
    return vocabularyCode(CONTACT_CHANNELS, text) ?? { problem: `${PATIENT_FIELDS.preferredChannel} must be one of: ${CONTACT_CHANNELS.codes.join(', ')}.` };
  }, 'CHANNEL');
  return c.result(values);
}

/**
 * A patient as an import stores it: each field the source can hold is set, empty when the source left it
 * out, so a re-import of a corrected file clears what the old one had; fields it cannot hold are untouched.
 */
export function importedPatient(values: PatientValues, holds: readonly PatientField[]): PatientValues & { firstName: string; lastName: string; dob: string } {
  const stored: Record<string, unknown> = Object.fromEntries(holds.map((field) => [field, values[field] ?? null]));
  return { ...stored, firstName: values.firstName!, lastName: values.lastName!, dob: values.dob!, sex: values.sex ?? 'unknown' };
}

/** A sentence's first letter in capitals: the CLI shows a reason on its own line, an import inside a row's list. */
export const asSentence = (message: string): string => message.charAt(0).toUpperCase() + message.slice(1);
