// Who a demo patient is: age, sex, name, address and contact details, and their health (chronic
// conditions by age, weight, glucose control, blood pressure, smoking, mood). Pure data from a seeded
// random stream: nothing is written here.
import { Calendar } from './calendar.js';
import { AREA_CODES, FIRST_NAMES, STREETS, SURNAMES, TOWNS, type ConditionId } from './catalog.js';
import type { Random } from './random.js';

const AGE_BANDS: [[number, number], number][] = [
  [[0, 2], 5],
  [[3, 17], 12],
  [[18, 34], 18],
  [[35, 49], 18],
  [[50, 64], 22],
  [[65, 74], 15],
  [[75, 95], 10],
];

export interface Person {
  sex: 'female' | 'male';
  dobDay: number;
  /** Age today. */
  age: number;
  adult: boolean;
  firstName: string;
  middleName: string | null;
  lastName: string;
  address1: string;
  city: string;
  zip: string;
  phoneHome: string | null;
  phoneMobile: string | null;
  email: string | null;
  conditions: Set<ConditionId>;
  smoking: 'current' | 'former' | 'never' | null;
  /** Adult height; children grow (see childHeightCm). */
  heightCm: number;
  bmi: number;
  /** The patient's usual HbA1c. */
  a1cMean: number;
  bpControlled: boolean;
  /** The patient's usual PHQ-9 score. */
  phqBase: number;
}

export const phoneNumber = (r: Random) => `${r.pick(AREA_CODES)}-555-01${String(r.int(0, 99)).padStart(2, '0')}`;

/** A person aged by the practice's age mix on `today`, with conditions as common as they are at that age. */
export function createPerson(r: Random, today: number, options: { age?: [number, number] } = {}): Person {
  const sex = r.chance(0.51) ? 'female' : 'male';
  const [minAge, maxAge] = options.age ?? r.weighted(AGE_BANDS);
  const dobDay = today - Math.floor(r.int(minAge, maxAge) * 365.25) - r.int(0, 364);
  const age = Calendar.years(dobDay, today);
  const adult = age >= 18;
  const firstName = r.pick(FIRST_NAMES[sex]);
  const lastName = r.pick(SURNAMES);
  const [city, zip] = TOWNS[r.int(0, TOWNS.length - 1)]!;
  const phoneMobile = age >= 13 && r.chance(0.85) ? phoneNumber(r) : null;
  const phoneHome = !phoneMobile || r.chance(0.3) ? phoneNumber(r) : null;
  const email = age >= 16 && r.chance(0.7) ? `${firstName}.${lastName}${r.int(1, 999)}@example.com`.toLowerCase() : null;

  const conditions = new Set<ConditionId>();
  const has = (id: ConditionId) => conditions.has(id);
  const maybe = (id: ConditionId, probability: number) => r.chance(probability) && conditions.add(id);
  maybe('diabetes', age < 18 ? 0.002 : age < 45 ? 0.04 : age < 65 ? 0.15 : 0.26);
  maybe('hypertension', (age < 18 ? 0.01 : age < 40 ? 0.08 : age < 60 ? 0.3 : 0.58) + (has('diabetes') ? 0.15 : 0));
  maybe('hyperlipidemia', (age < 20 ? 0.01 : age < 40 ? 0.08 : age < 65 ? 0.28 : 0.45) + (has('diabetes') ? 0.2 : 0));
  maybe('asthma', age >= 2 ? 0.08 : 0);
  maybe('depression', age >= 12 ? (sex === 'female' ? 0.11 : 0.07) : 0);
  const smoking = age < 12 ? null : adult ? r.weighted([['current', 12], ['former', age >= 30 ? 25 : 10], ['never', 63]] as const) : r.chance(0.02) ? 'current' : 'never';
  if (smoking === 'current' && adult) maybe('tobacco', 0.7);
  const heightCm = adult ? (sex === 'male' ? r.normal(176, 7, 155, 200) : r.normal(162, 6.5, 145, 185)) : 0;
  const bmi = adult ? r.normal(has('diabetes') ? 31 : 28.5, 5.5, 17, 50) : r.normal(16.5 + 0.3 * Math.max(0, age - 5), 2, 13, 32);
  if (adult && bmi >= 30) maybe('obesity', 0.6);
  const a1cMean = has('diabetes')
    ? r.chance(0.8) ? r.normal(7.1, 0.7, 5.8, 8.9) : r.normal(9.8, 0.9, 9.1, 13)
    : age >= 18 && r.chance(age >= 40 ? 0.18 : 0.06) ? r.normal(6.0, 0.2, 5.7, 6.4) : r.normal(5.2, 0.25, 4.6, 5.6);
  if (!has('diabetes') && a1cMean >= 5.7) maybe('prediabetes', 0.7);
  return {
    sex,
    dobDay,
    age,
    adult,
    firstName,
    middleName: r.chance(0.4) ? r.pick([...'ABCDEFGHJKLMNPRST']) : null,
    lastName,
    address1: `${r.int(10, 9999)} ${r.pick(STREETS)}`,
    city,
    zip,
    phoneHome,
    phoneMobile,
    email,
    conditions,
    smoking,
    heightCm,
    bmi,
    a1cMean,
    bpControlled: r.chance(0.62),
    phqBase: has('depression') ? r.int(5, 19) : r.int(0, 4),
  };
}

export function childHeightCm(ageYears: number): number {
  if (ageYears < 1) return 50 + 25 * ageYears;
  if (ageYears < 2) return 75 + 12 * (ageYears - 1);
  return Math.min(87 + 6.2 * (ageYears - 2), 170);
}
