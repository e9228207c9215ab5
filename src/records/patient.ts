// The patient, declared once: the chart number's rules, the names, the date of birth and of death, sex
// (FHIR AdministrativeGender) with the codes other systems write for it, the address (USPS states, ZIP),
// phones, e-mail, language, race and ethnicity (CDC codes, as US Core uses), the contact channel, and how
// FHIR's Patient carries them. `patients add|edit`, the CSV patient import, the Synthea and FHIR imports
// and the FHIR export all read this, so the same value is accepted, normalised or refused alike, in the same
// words. The words never quote the value: a patient's details are PHI, and the CLI gives the same reason.
import { isEmail, normalizePhone, normalizeZip } from '../codes/contact.js';
import { isScientific } from '../dates.js';
import { isUsState } from '../codes/states.js';
import { RecordCheck, vocabularyCode, type Checked, type RecordContext, type RecordFields, type Vocabulary } from './record.js';

export type PatientSex = 'male' | 'female' | 'other' | 'unknown';

/** Administrative sex as stored (FHIR's codes), and what files write for it (1/2 as in HL7 and census codings). */
export const PATIENT_SEXES: Vocabulary<PatientSex> = {
  codes: ['male', 'female', 'other', 'unknown'],
  words: { m: 'male', man: 'male', '1': 'male', f: 'female', woman: 'female', w: 'female', '2': 'female', o: 'other', x: 'other', u: 'unknown', unk: 'unknown', '0': 'unknown', '9': 'unknown' },
};

/** The channels a recall or reminder can go by (communication_consents keeps the opt-outs per channel). */
export const CONTACT_CHANNELS: Vocabulary<'email' | 'sms' | 'letter' | 'phone'> = { codes: ['email', 'sms', 'letter', 'phone'], words: { text: 'sms', mail: 'letter', 'e-mail': 'email' } };

/**
 * The patient's fields: how they are named in the form, in --help and in every reason, their options in
 * `patients add|edit` (in the form's order) and their columns in a CSV patient file (every cell read here, as written).
 */
export const PATIENT_FIELDS = {
  lastName: { label: 'the last name', required: true, option: { flags: '--last <name>', description: 'last name' }, column: { name: 'last_name', type: 'text', description: 'family name', aliases: ['last name', 'last', 'surname', 'family name', 'lname'], max: 100, asWritten: true } },
  firstName: { label: 'the first name', required: true, option: { flags: '--first <name>', description: 'first name' }, column: { name: 'first_name', type: 'text', description: 'given name', aliases: ['first name', 'first', 'given name', 'fname'], max: 100, asWritten: true } },
  middleName: { label: 'the middle name', option: { flags: '--middle <name>', description: 'middle name' }, column: { name: 'middle_name', type: 'text', description: 'middle name or initial', aliases: ['middle name', 'middle', 'mi', 'middle initial'], max: 100, asWritten: true } },
  suffix: { label: 'the suffix', option: { flags: '--suffix <suffix>', description: 'suffix' } },
  preferredName: { label: 'the preferred name', option: { flags: '--preferred-name <name>', description: 'preferred name' } },
  dob: { label: 'the date of birth', required: true, option: { flags: '--dob <date>', description: 'date of birth' }, column: { name: 'dob', type: 'past-date', description: 'date of birth', aliases: ['date of birth', 'birth date', 'birthdate', 'd.o.b.', 'birthday'], asWritten: true } },
  sex: { label: 'the sex', option: { flags: '--sex <sex>', description: 'sex' }, column: { name: 'sex', type: 'sex', description: 'sex: M, F, U (or male/female, 1/2)', aliases: ['gender', 'sex at birth', 'administrative sex'], asWritten: true } },
  mrn: { label: 'the chart number (MRN)', option: { flags: '--mrn <chart-number>', description: 'chart number (MRN)' } },
  genderIdentity: { label: 'the gender identity' },
  address1: { label: 'the address', option: { flags: '--address <line>', description: 'address' }, column: { name: 'address1', type: 'text', description: 'street address', aliases: ['address', 'street', 'address line 1', 'address 1', 'street address'], max: 200, asWritten: true } },
  address2: { label: 'the address line 2', option: { flags: '--address2 <line>', description: 'address line 2' }, column: { name: 'address2', type: 'text', description: 'address line 2', aliases: ['address line 2', 'address 2', 'apt', 'suite'], max: 200, asWritten: true } },
  city: { label: 'the city', option: { flags: '--city <city>', description: 'city' }, column: { name: 'city', type: 'text', description: 'city', aliases: ['town'], max: 100, asWritten: true } },
  state: { label: 'the state', option: { flags: '--state <code>', description: 'state' }, column: { name: 'state', type: 'state', description: 'state (MA or Massachusetts)', aliases: ['st', 'province'], asWritten: true } },
  zip: { label: 'the ZIP code', option: { flags: '--zip <zip>', description: 'ZIP code' }, column: { name: 'zip', type: 'zip', description: 'ZIP code', aliases: ['zip code', 'zipcode', 'postal code', 'postcode'], asWritten: true } },
  phoneHome: { label: 'the home phone', option: { flags: '--home-phone <number>', description: 'home phone' }, column: { name: 'phone', type: 'phone', description: 'home phone', aliases: ['home phone', 'telephone', 'phone number', 'tel', 'phone #'], asWritten: true } },
  phoneMobile: { label: 'the mobile phone', option: { flags: '--phone <number>', description: 'mobile phone' }, column: { name: 'mobile_phone', type: 'phone', description: 'mobile phone', aliases: ['cell', 'cell phone', 'mobile', 'mobile phone'], asWritten: true } },
  phoneWork: { label: 'the work phone', option: { flags: '--work-phone <number>', description: 'work phone' }, column: { name: 'work_phone', type: 'phone', description: 'work phone', aliases: ['work phone', 'business phone'], asWritten: true } },
  email: { label: 'the email address', option: { flags: '--email <address>', description: 'email address' }, column: { name: 'email', type: 'email', description: 'e-mail address', aliases: ['e-mail', 'email address'], asWritten: true } },
  race: { label: 'the race', column: { name: 'race', type: 'race', description: 'race (word or CDC code)', asWritten: true } },
  ethnicity: { label: 'the ethnicity', column: { name: 'ethnicity', type: 'ethnicity', description: 'ethnicity (word or CDC code)', asWritten: true } },
  language: { label: 'the language', option: { flags: '--language <language>', description: 'language' }, column: { name: 'language', type: 'text', description: 'preferred language', aliases: ['preferred language', 'primary language'], max: 100, asWritten: true } },
  preferredChannel: { label: 'the preferred contact channel', option: { flags: '--channel <channel>', description: 'preferred contact channel' } },
  deceasedDate: { label: 'the date of death', column: { name: 'deceased_date', type: 'past-date', description: 'date of death', aliases: ['date of death', 'death date', 'deceased', 'dod'], asWritten: true } },
} satisfies RecordFields;

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
    return { problem: `${PATIENT_FIELDS.zip.label} has lost its leading zero(s), probably in a spreadsheet; write it as text with all 5 digits.` };
  }
  const zip = normalizeZip(text);
  return zip ? { value: zip } : { problem: `${PATIENT_FIELDS.zip.label} must have 5 digits (or ZIP+4, e.g. 02134-1234).` };
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
    if (text === '' || (options.creating && text === undefined)) c.fail(field, 'REQUIRED', `${PATIENT_FIELDS[field].label} is required.`);
    else if (text !== undefined) values[field] = tidyName(text);
  }
  const mrn = given('mrn');
  if (mrn === '') c.fail('mrn', 'REQUIRED', `${PATIENT_FIELDS.mrn.label} cannot be empty.`);
  else if (mrn !== undefined) {
    if ([...mrn].length > MRN_MAX || /[\p{Cc}]/u.test(mrn)) c.fail('mrn', 'MRN', `${PATIENT_FIELDS.mrn.label} must be at most ${MRN_MAX} characters on one line.`);
    else values.mrn = mrn;
  }
  for (const field of ['middleName', 'suffix', 'preferredName'] as const) optional(field, tidyName, 'TEXT');
  for (const field of ['address1', 'address2', 'genderIdentity', 'language'] as const) optional(field, (text) => text.replace(/\s+/g, ' '), 'TEXT');
  optional('city', tidyName, 'TEXT');

  const dobText = given('dob');
  if (dobText === undefined || dobText === '') {
    if (options.creating || dobText === '') c.fail('dob', 'REQUIRED', `${PATIENT_FIELDS.dob.label} is required.`);
  } else {
    const dob = c.date('dob', PATIENT_FIELDS.dob.label, dobText);
    if (dob !== undefined && dob > context.today) c.fail('dob', 'DOB_FUTURE', `${PATIENT_FIELDS.dob.label} is in the future.`);
    else if (dob !== undefined && dob < EARLIEST_BIRTH) c.fail('dob', 'DOB_TOO_OLD', `${PATIENT_FIELDS.dob.label} is before 1900: please check the year.`);
    else if (dob !== undefined) values.dob = dob;
  }
  const deathText = given('deceasedDate');
  if (deathText === '') values.deceasedDate = null;
  else if (deathText !== undefined) {
    const death = c.date('deceasedDate', PATIENT_FIELDS.deceasedDate.label, deathText);
    if (death !== undefined && death > context.today) c.fail('deceasedDate', 'DATE_FUTURE', `${PATIENT_FIELDS.deceasedDate.label} is in the future.`);
    else if (death !== undefined && values.dob && death < values.dob) c.fail('deceasedDate', 'DEATH_BEFORE_BIRTH', `${PATIENT_FIELDS.deceasedDate.label} is before the date of birth.`);
    else if (death !== undefined) values.deceasedDate = death;
  }

  const sexText = given('sex');
  if (sexText !== undefined && sexText !== '') {
    const sex = normalizeSex(sexText);
    if (!sex) c.fail('sex', 'SEX', `${PATIENT_FIELDS.sex.label} must be one of: male, female, other, unknown (or M, F, O, U).`);
    else values.sex = sex;
  } else if (options.creating) values.sex = 'unknown';

  for (const field of ['phoneMobile', 'phoneHome', 'phoneWork'] as const) optional(field, (text) => read(readPhone(text, PATIENT_FIELDS[field].label)), 'PHONE');
  optional('email', (text) => (isEmail(text) ? text.toLowerCase() : { problem: `${PATIENT_FIELDS.email.label} is not valid (it should look like name@example.com).` }), 'EMAIL');
  optional('state', (text) => normalizeState(text) ?? { problem: `${PATIENT_FIELDS.state.label} must be a two-letter USPS code such as MA or NY.` }, 'STATE');
  optional('zip', (text) => read(readZip(text)), 'ZIP');
  optional('race', (text) => normalizeRace(text) ?? text, 'TEXT');
  optional('ethnicity', (text) => normalizeEthnicity(text) ?? text, 'TEXT');
  optional('preferredChannel', (text) => {
    return vocabularyCode(CONTACT_CHANNELS, text) ?? { problem: `${PATIENT_FIELDS.preferredChannel.label} must be one of: ${CONTACT_CHANNELS.codes.join(', ')}.` };
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
