// practice appointments book | list | kept | no-show | cancel | reschedule | no-shows
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { wholeNumber } from '../cli/options.js';
import { renderTable } from '../cli/output.js';
import { bookAppointment, listSchedule, noShowRates, rescheduleAppointment, setAppointmentStatus } from '../chart/appointments.js';
import { formatLocal, requireDate, sinceDate } from '../chart/time.js';
import { practiceClock } from '../practice/clock.js';
import { APPOINTMENT_FIELDS, APPOINTMENT_LENGTH } from '../records/appointment.js';
import { UsageError } from '../errors.js';

// The appointment's options, from its declaration (src/records/appointment.ts).
const { startsAt, durationMinutes, reason } = APPOINTMENT_FIELDS;

export function register(program: Command, action: ActionFactory): void {
  const appointments = program.command('appointments').description('the schedule: book, list, record what happened, reschedule; no-show rates');

  appointments
    .command('book')
    .description('book an appointment (times are the practice\'s local time)')
    .argument('<mrn>', 'chart number')
    .requiredOption(startsAt.option.flags, startsAt.option.description)
    .requiredOption('--provider <npi>', 'provider seen')
    .option(durationMinutes.option.flags, durationMinutes.option.description, String(APPOINTMENT_LENGTH.default))
    .option('--location <code>', 'location code (default: the provider\'s)')
    .option(reason.option.flags, reason.option.description)
    .option('--double-book', 'book even though the provider has another appointment then (otherwise that stops)')
    .addHelpText('after', '\nExample:\n  practice appointments book C100 --at "2026-03-12 09:30" --provider 1234567893 --duration 20 --reason "diabetes follow-up"')
    .action(
      action(async (ctx, mrn: string, options: { at: string; provider: string; duration: string; location?: string; reason?: string; doubleBook?: boolean }) => {
        const db = await ctx.db();
        const clock = await practiceClock(db, ctx.now);
        const { appointment, warnings } = await bookAppointment(db, ctx.auditActor, { mrn, providerNpi: options.provider, at: options.at, durationMinutes: options.duration, locationCode: options.location, reason: options.reason, doubleBook: options.doubleBook }, clock);
        warnings.forEach((w) => ctx.warn(w));
        return { data: { id: appointment.id, startsAt: appointment.startsAt, durationMinutes: appointment.durationMinutes, warnings }, human: `Booked appointment ${appointment.id} for ${formatLocal(appointment.startsAt, clock.zone)} (${appointment.durationMinutes} min).` };
      }),
    );

  appointments
    .command('list')
    .description('the schedule for a day (or several), optionally for one provider or patient')
    .option('--date <date>', 'first day: a date, today or tomorrow', 'today')
    .option('--days <n>', 'number of days', '1')
    .option('--provider <npi>', 'only this provider')
    .option('--patient <mrn>', 'only this patient')
    .option('--all', 'include cancelled and rescheduled appointments')
    .addHelpText('after', '\nExample:\n  practice appointments list --date today --provider 1234567893')
    .action(
      action(async (ctx, options: { date: string; days: string; provider?: string; patient?: string; all?: boolean }) => {
        const db = await ctx.db();
        const { zone, today } = await practiceClock(db, ctx.now);
        const days = wholeNumber(options.days, 'days', 1, 366);
        const date = requireDate('--date', options.date, today);
        const rows = await listSchedule(db, { date, days, providerNpi: options.provider, mrn: options.patient, includeClosed: options.all }, zone);
        const { recordChartRead } = await import('../db/audit.js');
        await recordChartRead(db, ctx.auditActor, { mrns: rows.map((r) => r.mrn) }, 'schedule', { appointments: rows.length });
        const human = rows.length
          ? renderTable(rows, [
              { header: '#', value: (r) => r.id, align: 'right' },
              { header: 'Time', value: (r) => (days === 1 ? formatLocal(r.startsAt, zone).slice(11) : formatLocal(r.startsAt, zone)) },
              { header: 'Min', value: (r) => r.durationMinutes, align: 'right' },
              { header: 'Patient', value: (r) => `${r.patient} (${r.mrn})` },
              { header: 'Provider', value: (r) => r.provider },
              { header: 'Where', value: (r) => r.location },
              { header: 'Reason', value: (r) => r.reason },
              { header: 'Status', value: (r) => r.status },
            ], ctx.out)
          : `No appointments ${days === 1 ? `on ${date}` : `from ${date} for ${days} days`}.`;
        return { data: { date, days, count: rows.length, appointments: rows }, human };
      }),
    );

  for (const [name, status, description] of [
    ['kept', 'kept', 'the patient came'],
    ['no-show', 'no-show', 'the patient did not come and did not cancel'],
    ['cancel', 'cancelled', 'cancel a booked appointment'],
  ] as const) {
    const command = appointments.command(name).description(description).argument('<id>', 'appointment number (from "appointments list")');
    if (status === 'cancelled') command.option('--reason <text>', 'why it was cancelled');
    command.addHelpText('after', `\nExample:\n  practice appointments ${name} 42${status === 'cancelled' ? ' --reason "patient called, rebooking next week"' : ''}`);
    command.action(
      action(async (ctx, id: string, options: { reason?: string }) => {
        const db = await ctx.db();
        const clock = await practiceClock(db, ctx.now);
        const { appointment, changed } = await setAppointmentStatus(db, ctx.auditActor, id, status, clock, options.reason);
        return { data: { id: appointment.id, status: appointment.status, changed }, human: changed ? `Appointment ${appointment.id} is now ${status}.` : `Appointment ${appointment.id} was already ${status}.` };
      }),
    );
  }

  appointments
    .command('reschedule')
    .description('move an appointment to a new time (the old one is kept, marked rescheduled)')
    .argument('<id>', 'appointment number')
    .requiredOption(startsAt.option.flags, `new ${startsAt.option.description}`)
    .option(durationMinutes.option.flags, `new ${durationMinutes.option.description}`)
    .option('--double-book', 'move it even though the provider has another appointment then (otherwise that stops)')
    .addHelpText('after', '\nExamples:\n  practice appointments reschedule 42 --at "2026-03-19 10:15"\n  practice appointments reschedule 42 --at "tomorrow 2:15pm" --duration 30')
    .action(
      action(async (ctx, id: string, options: { at: string; duration?: string; doubleBook?: boolean }) => {
        const db = await ctx.db();
        const clock = await practiceClock(db, ctx.now);
        const result = await rescheduleAppointment(db, ctx.auditActor, id, options.at, clock, options.duration, options.doubleBook);
        result.warnings.forEach((w) => ctx.warn(w));
        return {
          data: { id: result.appointment.id, previousId: result.previousId, startsAt: result.appointment.startsAt, warnings: result.warnings },
          human: `Rescheduled: appointment ${result.appointment.id} at ${formatLocal(result.appointment.startsAt, clock.zone)} replaces ${result.previousId}.`,
        };
      }),
    );

  appointments
    .command('no-shows')
    .description('no-show rates per patient and per provider')
    .option('--since <period>', 'how far back: 90d, 12w, 6m, 1y or a date', '90d')
    .addHelpText('after', '\nExamples:\n  practice appointments no-shows\n  practice appointments no-shows --since 6m --json')
    .action(
      action(async (ctx, options: { since: string }) => {
        const db = await ctx.db();
        const clock = await practiceClock(db, ctx.now);
        const since = sinceDate(options.since, clock.today);
        if (!since) throw new UsageError(`--since must be a period like 90d, 12w, 6m or 1y, or a date; not "${options.since}".`);
        const report = await noShowRates(db, since, clock);
        const human = [
          `Since ${since}: ${report.totals.noShows} no-show(s) out of ${report.totals.appointments} appointment(s) with a known outcome (${report.totals.ratePercent}%).`,
          report.byProvider.length
            ? renderTable(report.byProvider, [
                { header: 'Provider', value: (r) => r.provider },
                { header: 'Appointments', value: (r) => r.appointments, align: 'right' },
                { header: 'No-shows', value: (r) => r.noShows, align: 'right' },
                { header: 'Rate', value: (r) => `${r.ratePercent}%`, align: 'right' },
              ], ctx.out)
            : '',
          report.byPatient.length
            ? renderTable(report.byPatient, [
                { header: 'Patient', value: (r) => `${r.patient} (${r.mrn})` },
                { header: 'Appointments', value: (r) => r.appointments, align: 'right' },
                { header: 'No-shows', value: (r) => r.noShows, align: 'right' },
                { header: 'Rate', value: (r) => `${r.ratePercent}%`, align: 'right' },
                { header: 'Last no-show', value: (r) => (r.lastNoShow ? formatLocal(r.lastNoShow, clock.zone).slice(0, 10) : '') },
              ], ctx.out)
            : 'No patient missed an appointment in this period.',
        ].filter(Boolean).join('\n\n');
        return { data: report, human };
      }),
    );
}
