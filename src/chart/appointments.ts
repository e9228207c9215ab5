// The schedule: booking, the day's list, what happened to each appointment, and no-show rates.
// Times are the practice's local times (practice.time_zone), stored as instants.
import { and, asc, desc, eq, gte, lt, ne, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { appointments, locations, patients, providers } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { NotFoundError, PracticeError, ValidationError, type Issue } from '../errors.js';
import { locationByCode, patientByMrn, providerByNpi } from './lookup.js';
import { byOption } from '../records/record.js';
import { APPOINTMENT_FIELDS, checkAppointment, type AppointmentValues } from '../records/appointment.js';

export interface Clock {
  now: Date;
  today: string;
  zone: string;
}

export interface BookingInput {
  mrn: string;
  providerNpi: string;
  at: string;
  durationMinutes?: string;
  locationCode?: string;
  reason?: string;
  /** Book even though the provider has another appointment then. */
  doubleBook?: boolean;
}

/** --at and --duration read by the appointment's declaration; a booking is ahead of now. Every problem at once. */
function readBooking(at: string, duration: string | undefined, reason: string | undefined, clock: Clock): AppointmentValues & { start: Date } {
  const context = { today: clock.today, zone: clock.zone };
  const checked = checkAppointment({ at, duration, reason }, context);
  // The date and time of --at, read apart, are named after it (the declaration's first option).
  const issues: Issue[] = 'problems' in checked ? byOption(checked.problems.map((p) => ({ path: p.field, code: p.code, message: p.message })), APPOINTMENT_FIELDS) : [];
  // The time alone, so that its having passed is told beside a bad --duration.
  const time = 'values' in checked ? checked : checkAppointment({ at }, context);
  const start = 'values' in time ? new Date(time.values.startsAt) : undefined;
  if (start && start < clock.now) issues.unshift({ path: '--at', code: 'IN_PAST', message: 'That time has already passed: appointments are booked ahead.' });
  if (issues.length || !('values' in checked)) throw new ValidationError(issues);
  return { ...checked.values, start: start! };
}

/** Other scheduled appointments of the provider that overlap [start, start + minutes), earliest first. */
async function overlapping(db: DbOrTx, providerId: number, startsAt: Date, minutes: number, exceptId?: number): Promise<{ id: number; startsAt: Date; durationMinutes: number }[]> {
  const end = new Date(startsAt.getTime() + minutes * 60_000);
  return db
    .select({ id: appointments.id, startsAt: appointments.startsAt, durationMinutes: appointments.durationMinutes })
    .from(appointments)
    .where(
      and(
        eq(appointments.providerId, providerId),
        eq(appointments.status, 'scheduled'),
        lt(appointments.startsAt, end),
        sql`${appointments.startsAt} + make_interval(mins => ${appointments.durationMinutes}) > ${startsAt.toISOString()}::timestamptz`,
        exceptId === undefined ? undefined : ne(appointments.id, exceptId),
      ),
    )
    .orderBy(asc(appointments.startsAt), asc(appointments.id));
}

/**
 * A provider booked twice at once is a doubt, not a detail: it stops with the clashing appointments (numbers
 * and times, no patient) and the choices, unless the front desk books it anyway with --double-book.
 */
function doubleBooking(clashes: { id: number; startsAt: Date; durationMinutes: number }[], doubleBook: boolean | undefined, provider: string, clock: Clock): string[] {
  if (!clashes.length) return [];
  const when = (a: { startsAt: Date; durationMinutes: number }) => {
    const start = DateTime.fromJSDate(a.startsAt, { zone: clock.zone });
    return `${start.toFormat('yyyy-MM-dd HH:mm')}-${start.plus({ minutes: a.durationMinutes }).toFormat('HH:mm')}`;
  };
  const list = clashes.map((a) => `appointment ${a.id} (${when(a)})`).join(', ');
  if (!doubleBook) {
    const day = DateTime.fromJSDate(clashes[0]!.startsAt, { zone: clock.zone }).toISODate();
    throw new PracticeError('DOUBLE_BOOKED', `The provider already has ${list} at that time: nothing was booked.`, {
      hint: `Choices: pick a free time (see "practice appointments list --date ${day} --provider ${provider}"), or another provider; or, if the provider agreed to see both, book it anyway with --double-book.`,
    });
  }
  return [`Double-booked on purpose: the provider also has ${list}.`];
}

export async function bookAppointment(db: Db, actor: AuditActor, input: BookingInput, clock: Clock) {
  const { start: startsAt, durationMinutes, reason } = readBooking(input.at, input.durationMinutes, input.reason, clock);
  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, input.mrn);
    if (patient.deceasedDate) throw new ValidationError([{ code: 'DECEASED', message: 'This patient is recorded as deceased: no appointment was booked.' }]);
    const provider = await providerByNpi(tx, input.providerNpi);
    const locationId = input.locationCode ? (await locationByCode(tx, input.locationCode)).id : provider.defaultLocationId;
    const warnings: string[] = [];
    if (!patient.active) warnings.push('The patient is marked inactive.');
    const clashes = await overlapping(tx, provider.id, startsAt, durationMinutes);
    warnings.push(...doubleBooking(clashes, input.doubleBook, provider.npi, clock));
    const [row] = await tx
      .insert(appointments)
      .values({ patientId: patient.id, providerId: provider.id, locationId, startsAt, durationMinutes, reason })
      .returning();
    await recordAudit(tx, actor, { action: 'book', entity: 'appointments', entityId: row!.id, details: { patientId: patient.id, providerId: provider.id, doubleBooked: clashes.length > 0 } });
    return { appointment: row!, warnings };
  });
}

async function appointmentById(db: DbOrTx, id: string) {
  const n = Number(id);
  const [row] = Number.isInteger(n) && n > 0 ? await db.select().from(appointments).where(eq(appointments.id, n)) : [];
  if (!row) throw new NotFoundError(`Appointment ${id}`, 'The appointment number is in the first column of "practice appointments list".');
  return row;
}

const ALLOWED_FROM: Record<'kept' | 'no-show' | 'cancelled', string[]> = {
  // kept and no-show may be corrected into each other; a cancelled or rescheduled one is closed.
  kept: ['scheduled', 'no-show'],
  'no-show': ['scheduled', 'kept'],
  cancelled: ['scheduled'],
};

export async function setAppointmentStatus(db: Db, actor: AuditActor, id: string, status: 'kept' | 'no-show' | 'cancelled', clock: Clock, reason?: string) {
  return db.transaction(async (tx) => {
    const current = await appointmentById(tx, id);
    if (current.status === status) return { appointment: current, changed: false };
    if (!ALLOWED_FROM[status].includes(current.status)) {
      throw new ValidationError([{ code: 'STATUS', message: `Appointment ${current.id} is ${current.status}; it cannot be marked ${status}.` }]);
    }
    const startedDay = DateTime.fromJSDate(current.startsAt, { zone: clock.zone }).toISODate()!;
    if (status === 'no-show' && current.startsAt > clock.now) {
      throw new ValidationError([{ code: 'NOT_YET', message: `Appointment ${current.id} has not started yet, so it cannot be a no-show.` }]);
    }
    if (status === 'kept' && startedDay > clock.today) {
      throw new ValidationError([{ code: 'NOT_YET', message: `Appointment ${current.id} is on a later day; it cannot be kept yet.` }]);
    }
    const [row] = await tx
      .update(appointments)
      .set({ status, statusChangedAt: clock.now, cancelReason: status === 'cancelled' ? (reason?.trim() || null) : current.cancelReason, updatedAt: clock.now })
      .where(eq(appointments.id, current.id))
      .returning();
    await recordAudit(tx, actor, { action: status, entity: 'appointments', entityId: current.id, details: { from: current.status, to: status } });
    return { appointment: row!, changed: true };
  });
}

export async function rescheduleAppointment(db: Db, actor: AuditActor, id: string, at: string, clock: Clock, durationText?: string, doubleBook?: boolean) {
  const booking = readBooking(at, durationText, undefined, clock);
  const startsAt = booking.start;
  return db.transaction(async (tx) => {
    const current = await appointmentById(tx, id);
    if (current.status !== 'scheduled') {
      throw new ValidationError([{ code: 'STATUS', message: `Appointment ${current.id} is ${current.status}; only a scheduled appointment can be rescheduled.` }]);
    }
    const durationMinutes = durationText === undefined ? current.durationMinutes : booking.durationMinutes;
    const clashes = current.providerId ? await overlapping(tx, current.providerId, startsAt, durationMinutes, current.id) : [];
    const provider = current.providerId ? (await tx.select({ npi: providers.npi }).from(providers).where(eq(providers.id, current.providerId)))[0] : undefined;
    const warnings = doubleBooking(clashes, doubleBook, provider?.npi ?? '', clock);
    await tx.update(appointments).set({ status: 'rescheduled', statusChangedAt: clock.now, updatedAt: clock.now }).where(eq(appointments.id, current.id));
    const [row] = await tx
      .insert(appointments)
      .values({ patientId: current.patientId, providerId: current.providerId, locationId: current.locationId, startsAt: startsAt, durationMinutes, reason: current.reason, recallRuleCode: current.recallRuleCode, rescheduledFromId: current.id })
      .returning();
    await recordAudit(tx, actor, [
      { action: 'rescheduled', entity: 'appointments', entityId: current.id, details: { to: row!.id } },
      { action: 'book', entity: 'appointments', entityId: row!.id, details: { rescheduledFrom: current.id, doubleBooked: clashes.length > 0 } },
    ]);
    return { appointment: row!, previousId: current.id, warnings };
  });
}

export interface ScheduleFilter {
  /** First day, YYYY-MM-DD, in the practice's zone. */
  date: string;
  days: number;
  providerNpi?: string;
  mrn?: string;
  includeClosed?: boolean;
}

export async function listSchedule(db: DbOrTx, filter: ScheduleFilter, zone: string) {
  const from = DateTime.fromISO(filter.date, { zone }).startOf('day');
  const until = from.plus({ days: filter.days });
  const providerId = filter.providerNpi ? (await providerByNpi(db, filter.providerNpi)).id : undefined;
  const patientId = filter.mrn ? (await patientByMrn(db, filter.mrn)).id : undefined;
  return db
    .select({
      id: appointments.id,
      startsAt: appointments.startsAt,
      durationMinutes: appointments.durationMinutes,
      status: appointments.status,
      reason: appointments.reason,
      mrn: patients.mrn,
      patient: sql<string>`${patients.lastName} || ', ' || ${patients.firstName}`,
      provider: sql<string | null>`${providers.lastName}`,
      providerNpi: providers.npi,
      location: locations.code,
    })
    .from(appointments)
    .innerJoin(patients, eq(patients.id, appointments.patientId))
    .leftJoin(providers, eq(providers.id, appointments.providerId))
    .leftJoin(locations, eq(locations.id, appointments.locationId))
    .where(
      and(
        gte(appointments.startsAt, from.toJSDate()),
        lt(appointments.startsAt, until.toJSDate()),
        providerId === undefined ? undefined : eq(appointments.providerId, providerId),
        patientId === undefined ? undefined : eq(appointments.patientId, patientId),
        filter.includeClosed ? undefined : sql`${appointments.status} not in ('cancelled','rescheduled')`,
      ),
    )
    .orderBy(asc(appointments.startsAt), asc(providers.lastName), asc(appointments.id));
}

/**
 * No-show rates since a date, per patient (only those who missed at least one) and per provider.
 * The rate counts appointments whose outcome is known (kept or no-show), not cancelled ones.
 */
export async function noShowRates(db: DbOrTx, since: string, clock: Clock) {
  const from = DateTime.fromISO(since, { zone: clock.zone }).startOf('day').toJSDate();
  const inWindow = and(gte(appointments.startsAt, from), lt(appointments.startsAt, clock.now), sql`${appointments.status} in ('kept','no-show')`);
  const noShows = sql<number>`count(*) filter (where ${appointments.status} = 'no-show')::int`;
  const total = sql<number>`count(*)::int`;
  const rate = sql<number>`round(100.0 * count(*) filter (where ${appointments.status} = 'no-show') / count(*), 1)::float8`;
  const [byPatient, byProvider] = await Promise.all([
    db
      .select({ mrn: patients.mrn, patient: sql<string>`${patients.lastName} || ', ' || ${patients.firstName}`, appointments: total, noShows, ratePercent: rate, lastNoShow: sql<Date | null>`max(${appointments.startsAt}) filter (where ${appointments.status} = 'no-show')` })
      .from(appointments)
      .innerJoin(patients, eq(patients.id, appointments.patientId))
      .where(inWindow)
      .groupBy(patients.id, patients.mrn, patients.lastName, patients.firstName)
      .having(sql`count(*) filter (where ${appointments.status} = 'no-show') > 0`)
      .orderBy(desc(noShows), desc(rate), asc(patients.mrn)),
    db
      .select({ npi: providers.npi, provider: sql<string>`coalesce(${providers.lastName} || ', ' || ${providers.firstName}, '(none)')`, appointments: total, noShows, ratePercent: rate })
      .from(appointments)
      .leftJoin(providers, eq(providers.id, appointments.providerId))
      .where(inWindow)
      .groupBy(providers.id, providers.npi, providers.lastName, providers.firstName)
      .orderBy(desc(rate), asc(providers.npi)),
  ]);
  const totals = byProvider.reduce((acc, p) => ({ appointments: acc.appointments + p.appointments, noShows: acc.noShows + p.noShows }), { appointments: 0, noShows: 0 });
  return {
    since,
    totals: { ...totals, ratePercent: totals.appointments ? Math.round((1000 * totals.noShows) / totals.appointments) / 10 : 0 },
    byPatient: byPatient.map((p) => ({ ...p, lastNoShow: p.lastNoShow === null ? null : new Date(p.lastNoShow) })),
    byProvider,
  };
}
