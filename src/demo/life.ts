// A patient's life at the practice as a list of visits: a new patient's first visit, well-child
// checks on the schedule, yearly physicals or Medicare wellness visits, chronic follow-ups at the
// interval their conditions need, and sick visits. Only days, no rows: visit.ts writes each one.
import { CONDITIONS, WELL_CHILD, type Vaccine } from './catalog.js';
import type { Person } from './person.js';
import type { Random } from './random.js';
import type { Registration } from './registration.js';
import type { Calendar } from './calendar.js';

export type VisitKind = 'well-child' | 'preventive' | 'wellness' | 'chronic' | 'acute' | 'new';

export interface PlannedVisit {
  day: number;
  kind: VisitKind;
  vaccines: Vaccine[];
}

/** The visits in date order, one a day at most, on weekdays between joining and the last day. */
export function planVisits(r: Random, cal: Calendar, person: Person, reg: Registration, history: { start: number }): PlannedVisit[] {
  const { dobDay, age } = person;
  const visits: PlannedVisit[] = [];
  const book = (day: number, kind: VisitKind, vaccines: Vaccine[] = []) => {
    const weekday = cal.weekday(day);
    if (weekday >= reg.startDay && weekday <= reg.lastDay) visits.push({ day: weekday, kind, vaccines });
  };
  if (reg.isNew) book(reg.startDay, 'new');
  if (age < 4) {
    for (const [months, vaccines] of WELL_CHILD) if (r.chance(0.93)) book(dobDay + Math.round(months * 30.44) + r.int(0, 10), 'well-child', vaccines);
  }
  const ageAtStart = reg.chart.ageOn(history.start);
  for (let year = 0; year < 3; year++) {
    const birthdayish = dobDay + Math.round((ageAtStart + year + 1) * 365.25) + r.int(-30, 30);
    const wantsCheckup = age < 18 ? 0.75 : reg.medicare ? 0.55 : 0.45;
    if (age >= 4 && r.chance(wantsCheckup)) book(birthdayish, reg.medicare && reg.chart.ageOn(birthdayish) >= 65 ? 'wellness' : 'preventive');
  }
  const followUp = followUpDays(person);
  if (Number.isFinite(followUp)) {
    for (let day = reg.startDay + r.int(10, followUp); day <= reg.lastDay; day += Math.round(followUp * r.normal(1, 0.2, 0.6, 1.5))) book(day, 'chronic');
  }
  const sickVisits = Math.round(r.normal(age < 18 ? 2.4 : age >= 65 ? 1.8 : 1.4, 1, 0, 6));
  for (let i = 0; i < sickVisits; i++) book(r.int(reg.startDay, reg.lastDay), 'acute');
  visits.sort((a, b) => a.day - b.day);
  // A new patient's first visit comes first on its day; later bookings on the same day fold into it.
  return visits.filter((v, i) => i === 0 || v.day !== visits[i - 1]!.day);
}

/** Days between chronic follow-ups: the shortest any of the patient's conditions asks for. */
export function followUpDays(person: Person): number {
  return Math.min(...[...person.conditions].map((id) => CONDITIONS[id].followUpDays ?? Infinity));
}
