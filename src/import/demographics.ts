// Demographic values as other systems write them → what the patients table stores: USPS state codes,
// administrative sex, and CDC race/ethnicity codes (urn:oid:2.16.840.1.113883.6.238, as US Core uses).
import { isUsState } from '../codes/states.js';

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
  return stateNames[text.toLowerCase().replace(/\./g, '')];
}

const sexCodes: Record<string, 'male' | 'female' | 'other' | 'unknown'> = {
  m: 'male', male: 'male', man: 'male', '1': 'male',
  f: 'female', female: 'female', woman: 'female', w: 'female', '2': 'female',
  o: 'other', other: 'other', x: 'other',
  u: 'unknown', unknown: 'unknown', unk: 'unknown', '0': 'unknown', '9': 'unknown',
};

/** M/F/Male/female/1/2/U (1 and 2 as in HL7 and census codings) → FHIR administrative gender. */
export function normalizeSex(input: string): 'male' | 'female' | 'other' | 'unknown' | undefined {
  return sexCodes[input.trim().toLowerCase()];
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

/** A race word or CDC code → the CDC code; undefined when unrecognised (kept out rather than guessed). */
export function normalizeRace(input: string): string | undefined {
  const text = input.trim();
  return CDC_CODE.test(text) ? text : raceCodes[text.toLowerCase()];
}

export function normalizeEthnicity(input: string): string | undefined {
  const text = input.trim();
  return CDC_CODE.test(text) ? text : ethnicityCodes[text.toLowerCase()];
}
