// An appointment, declared once: when it starts (a date and a time of day in the practice's zone, or an
// instant with its offset), how long it is (whole minutes), what it is for, and what became of it (the
// schedule's words, with FHIR's appointmentstatus codes and the words other schedules write for them).
// `appointments book|reschedule`, the CSV appointments kind and the FHIR Appointment import all check an
// appointment here, so the same value is accepted, normalised or refused with the same words; the FHIR
// export reads its status codes. Booking's own rules (ahead of now, not twice at once) are the schedule's
// (src/chart/appointments.ts).
import { DateTime } from 'luxon';
import { choices, readNumber, readRecordDate, RecordCheck, type Checked, type RecordContext, type RecordFields, type Vocabulary } from './record.js';

export const APPOINTMENT_STATUSES: Vocabulary<'scheduled' | 'kept' | 'no-show' | 'cancelled' | 'rescheduled'> = {
  codes: ['scheduled', 'kept', 'no-show', 'cancelled', 'rescheduled'],
  // FHIR's appointmentstatus codes (an appointment not yet held is booked here, whatever its stage) and
  // the words schedules export.
  words: {
    booked: 'scheduled', pending: 'scheduled', proposed: 'scheduled', waitlist: 'scheduled', confirmed: 'scheduled',
    fulfilled: 'kept', arrived: 'kept', 'checked-in': 'kept', completed: 'kept', seen: 'kept',
    noshow: 'no-show', 'no show': 'no-show', 'did not attend': 'no-show',
    canceled: 'cancelled',
  },
};
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES.codes)[number];

/** The status as FHIR's appointmentstatus codes it: a rescheduled appointment was cancelled for another one. */
export const FHIR_APPOINTMENT_STATUSES: Record<AppointmentStatus, string> = { scheduled: 'booked', kept: 'fulfilled', 'no-show': 'noshow', cancelled: 'cancelled', rescheduled: 'cancelled' };

/** Whole minutes: a day's clinic at most. */
export const APPOINTMENT_LENGTH = { default: 15, max: 8 * 60 } as const;

/** An appointment's fields: how they are named in its reasons, their options in `appointments book`, their CSV columns. */
export const APPOINTMENT_FIELDS = {
  startsAt: { label: 'the appointment time', option: { flags: '--at <when>', description: 'date and time, e.g. "2026-03-12 09:30" or "tomorrow 2:15pm"' } },
  // A file gives the date and the time apart; on the command line both are --at.
  date: { label: 'the appointment date', required: true, column: { name: 'date', type: 'date', description: 'appointment date', aliases: ['date', 'appt date', 'appointment date'], asWritten: true } },
  time: { label: 'the start time', column: { name: 'time', type: 'time', description: 'start time', aliases: ['appt time', 'appointment time', 'start time'], asWritten: true } },
  durationMinutes: {
    label: 'the length',
    option: { flags: '--duration <minutes>', description: `length in minutes (1 to ${APPOINTMENT_LENGTH.max})` },
    column: { name: 'duration', type: 'integer', description: `minutes (1 to ${APPOINTMENT_LENGTH.max}, default ${APPOINTMENT_LENGTH.default})`, aliases: ['minutes', 'length', 'duration minutes'], asWritten: true },
  },
  reason: {
    label: 'the reason',
    option: { flags: '--reason <text>', description: 'reason for the visit' },
    column: { name: 'reason', type: 'text', description: 'what it is for', aliases: ['visit reason', 'appointment type', 'type'], asWritten: true },
  },
  status: { label: 'the appointment status', column: { name: 'status', type: 'text', description: choices(APPOINTMENT_STATUSES), aliases: ['appt status'], asWritten: true } },
} satisfies RecordFields;

/** An appointment as a path read it: the date and time in one text (`--at`, FHIR's start) or apart (a file's columns). */
export interface AppointmentInput {
  at?: string;
  date?: string;
  time?: string;
  duration?: string | number;
  reason?: string;
  status?: string;
}

export interface AppointmentValues {
  /** The instant, ISO 8601 with its offset. */
  startsAt: string;
  durationMinutes: number;
  reason: string | null;
  status: AppointmentStatus;
}

// People write 14:30, 2:30 PM, 1430; a machine writes 14:30:00(.000). A time in a text with its date needs its colon.
const TYPED_TIME = /^(\d{1,2}):?(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:([AaPp])\.?[Mm]\.?)?$/;
const MACHINE_TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;
const DATE_AND_TIME = /^(.+?)[ T]+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** A time of day as the path writes it → hour, minute, second; undefined when it is none. */
function readTime(text: string, context: RecordContext): { hour: number; minute: number; second: number } | undefined {
  const m = (context.dates?.form === 'machine' ? MACHINE_TIME : TYPED_TIME).exec(text.trim());
  if (!m) return undefined;
  let hour = Number(m[1]);
  const meridiem = m[4]?.toLowerCase();
  if (meridiem && (hour < 1 || hour > 12)) return undefined;
  if (meridiem === 'p' && hour < 12) hour += 12;
  if (meridiem === 'a' && hour === 12) hour = 0;
  const minute = Number(m[2]);
  const second = Number(m[3] ?? 0);
  return hour < 24 && minute < 60 && second < 60 ? { hour, minute, second } : undefined;
}

/** Every problem with an appointment at once, or its values. */
export function checkAppointment(input: AppointmentInput, context: RecordContext): Checked<AppointmentValues> {
  const c = new RecordCheck(context);
  let dateText = input.date;
  let timeText = input.time;
  let offset: string | undefined;
  if (input.at !== undefined && input.at.trim() !== '') {
    const m = DATE_AND_TIME.exec(input.at.trim());
    if (m) [dateText, timeText, offset] = [m[1], m[2], m[3]];
    else c.fail('startsAt', 'DATE_FORMAT', `${APPOINTMENT_FIELDS.startsAt.label} must be a date and time like "2026-03-12 09:30" (or "tomorrow 2:15pm").`);
  } else if (!dateText?.trim()) c.fail('date', 'REQUIRED', `${APPOINTMENT_FIELDS.date.label} is required.`);
  const read = dateText?.trim() ? readRecordDate(dateText, APPOINTMENT_FIELDS.date.label, context) : undefined;
  if (read && 'problem' in read) c.fail('date', 'DATE_FORMAT', read.problem);
  // A date alone is the start of the day (files that schedule by the day).
  const time = timeText?.trim() ? readTime(timeText, context) : { hour: 0, minute: 0, second: 0 };
  if (!time) c.fail('time', 'TIME_FORMAT', `${APPOINTMENT_FIELDS.time.label} is not a time of day (e.g. 14:30 or 2:30 PM).`);

  let durationMinutes: number = APPOINTMENT_LENGTH.default;
  if (input.duration !== undefined && String(input.duration).trim() !== '') {
    const minutes = readNumber(input.duration, APPOINTMENT_FIELDS.durationMinutes.label, true);
    if ('value' in minutes && minutes.value >= 1 && minutes.value <= APPOINTMENT_LENGTH.max) durationMinutes = minutes.value;
    else c.fail('durationMinutes', 'DURATION', `${APPOINTMENT_FIELDS.durationMinutes.label} must be a whole number of minutes (1 to ${APPOINTMENT_LENGTH.max}).`);
  }
  const status = c.choice('status', APPOINTMENT_FIELDS.status.label, input.status, APPOINTMENT_STATUSES) ?? 'scheduled';

  let startsAt = '';
  if (read && 'value' in read && time) {
    const local = `${read.value}T${[time.hour, time.minute, time.second].map((n) => String(n).padStart(2, '0')).join(':')}`;
    // With its offset the instant is as written; without, it is the practice's wall-clock time.
    const at = offset ? DateTime.fromISO(`${local}${offset}`, { setZone: true }) : DateTime.fromISO(local, { zone: context.zone ?? 'UTC' });
    startsAt = at.toISO({ suppressMilliseconds: true })!;
  }
  return c.result({ startsAt, durationMinutes, reason: input.reason?.trim() || null, status });
}
