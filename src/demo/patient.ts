// One synthetic patient and two years of their care, composed from the pieces other tests can use as
// builders: who they are (person.ts), their place in the practice (registration.ts), what they bring
// to the chart (history.ts), their visits (life.ts) and what happens at each (visit.ts), plus the
// appointments they have booked ahead.
import type { Calendar } from './calendar.js';
import { recordHistory } from './history.js';
import { followUpDays, planVisits } from './life.js';
import { createPerson } from './person.js';
import { Random } from './random.js';
import { registerPatient, type DemoStaff } from './registration.js';
import type { RowSink } from './rows.js';
import { freshMemory, recordVisit } from './visit.js';

export type { DemoStaff } from './registration.js';

export interface DemoSettings {
  seed: number;
  calendar: Calendar;
  staff: DemoStaff;
}

/** How far back the demo's history goes. */
export const HISTORY_DAYS = 730;

export function generatePatient(settings: DemoSettings, sink: RowSink, index: number): void {
  const r = new Random(settings.seed, index);
  const cal = settings.calendar;
  const history = { start: cal.today - HISTORY_DAYS, days: HISTORY_DAYS };
  const person = createPerson(r, cal.today);
  const reg = registerPatient(r, cal, sink, settings.staff, person, history);
  recordHistory(person, reg, HISTORY_DAYS);

  const memory = freshMemory(r.chance(0.3));
  const followUp = followUpDays(person);
  for (const visit of planVisits(r, cal, person, reg, history)) recordVisit(person, reg, visit, memory, followUp);

  // Booked visits ahead: most people with chronic conditions, some others.
  if (reg.deceasedDay === null && r.chance(person.conditions.size ? 0.55 : 0.15)) {
    const day = cal.weekday(cal.today + r.int(1, 90));
    reg.chart.appointment(Math.max(day, cal.today + 1), 8 * 60 + r.int(0, 34) * 15, 20, reg.pcp, person.conditions.size ? 'Follow-up of chronic conditions' : 'Annual physical', 'scheduled');
  }
}
