import { eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { appointments, auditLog, patients } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { auditCount, NOW, NPI_A, NPI_B, seedPractice } from './setup.js';

describeEachBackend('practice appointments', (t) => {
  // NOW is 2026-03-10 11:00 in New York.
  const cli = (args: string[], extra: Parameters<typeof runCli>[1] = {}) => runCli(args, { database: t.handle, now: NOW, ...extra });

  beforeAll(async () => {
    await seedPractice(t.db);
    await t.db.insert(patients).values([
      { mrn: 'A1', firstName: 'Nora', lastName: 'Bell', dob: '1988-02-02', searchName: 'bell nora' },
      { mrn: 'A2', firstName: 'Hugo', lastName: 'Park', dob: '1950-09-09', searchName: 'park hugo' },
    ]);
  });

  it('books in the practice\'s local time and lists the day\'s schedule per provider', async () => {
    const first = await cli(['appointments', 'book', 'A1', '--at', 'today 2:30pm', '--provider', NPI_A, '--duration', '20', '--reason', 'follow-up', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(new Date(first.json().startsAt).toISOString()).toBe('2026-03-10T18:30:00.000Z');
    // Double-booking the provider stops, showing the clash (number and time, no patient) and the choices.
    const overlap = await cli(['appointments', 'book', 'A2', '--at', '2026-03-10 14:40', '--provider', NPI_A, '--json']);
    expect(overlap.code, overlap.stderr).toBe(1);
    expect(overlap.json().error).toMatchObject({ code: 'DOUBLE_BOOKED', message: `The provider already has appointment ${first.json().id} (2026-03-10 14:30-14:50) at that time: nothing was booked.` });
    expect(overlap.stderr).toContain(`Choices: pick a free time (see "practice appointments list --date 2026-03-10 --provider ${NPI_A}")`);
    expect(overlap.stderr).toContain('--double-book');
    expect(overlap.stderr).not.toMatch(/Bell|Nora|Park|Hugo/);
    expect((await cli(['appointments', 'list', '--date', '2026-03-10', '--json'])).json().count).toBe(1);
    const anyway = await cli(['appointments', 'book', 'A2', '--at', '2026-03-10 14:40', '--provider', NPI_A, '--double-book']);
    expect(anyway.code, anyway.stderr).toBe(0);
    expect(anyway.stderr).toContain(`Double-booked on purpose: the provider also has appointment ${first.json().id} (2026-03-10 14:30-14:50).`);
    expect((await cli(['appointments', 'book', 'A2', '--at', '2026-03-10 15:00', '--provider', NPI_B])).code).toBe(0);
    const day = await cli(['appointments', 'list', '--date', 'today', '--provider', NPI_A]);
    expect(day.code, day.stderr).toBe(0);
    expect(day.stdout).toContain('14:30');
    expect(day.stdout).toContain('Bell, Nora (A1)');
    expect(day.stdout).not.toContain('15:00');
    expect((await cli(['appointments', 'list', '--date', '2026-03-10', '--json'])).json().count).toBe(3);
    expect((await cli(['appointments', 'list', '--date', 'tomorrow', '--json'])).json().count).toBe(0);
  });

  it('refuses a past time, a bad duration and an unknown patient, writing nothing', async () => {
    const before = await auditCount(t.db);
    const past = await cli(['appointments', 'book', 'A1', '--at', '2026-03-09 09:00', '--provider', NPI_A, '--duration', '0']);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('already passed');
    expect(past.stderr).toContain('--duration: the length must be a whole number of minutes');
    expect((await cli(['appointments', 'book', 'ZZ', '--at', 'tomorrow 9:00', '--provider', NPI_A])).code).toBe(1);
    expect((await cli(['appointments', 'book', 'A1', '--at', 'whenever', '--provider', NPI_A])).stderr).toContain('--at: the appointment time must be a date and time');
    await t.db.insert(patients).values({ mrn: 'A9', firstName: 'Gone', lastName: 'Before', dob: '1930-01-01', deceasedDate: '2025-01-01', active: false, searchName: 'before gone' });
    expect((await cli(['appointments', 'book', 'A9', '--at', 'tomorrow 9:00', '--provider', NPI_A])).stderr).toContain('recorded as deceased');
    expect(await auditCount(t.db)).toBe(before);
  });

  it('reschedules, cancels and records outcomes, only when they make sense', async () => {
    const booked = (await cli(['appointments', 'book', 'A1', '--at', 'tomorrow 09:00', '--provider', NPI_B, '--json'])).json();
    const early = await cli(['appointments', 'no-show', String(booked.id)]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('has not started yet');
    const moved = await cli(['appointments', 'reschedule', String(booked.id), '--at', '2026-03-12 10:00', '--json']);
    expect(moved.code, moved.stderr).toBe(0);
    const [old] = await t.db.select().from(appointments).where(eq(appointments.id, booked.id));
    expect(old!.status).toBe('rescheduled');
    const [fresh] = await t.db.select().from(appointments).where(eq(appointments.id, moved.json().id));
    expect(fresh!.rescheduledFromId).toBe(booked.id);
    expect((await cli(['appointments', 'cancel', String(booked.id)])).stderr).toContain('cannot be marked cancelled');
    // Moving another appointment onto that time stops too, and leaves it where it was.
    const other = (await cli(['appointments', 'book', 'A2', '--at', '2026-03-12 11:00', '--provider', NPI_B, '--json'])).json();
    const clash = await cli(['appointments', 'reschedule', String(other.id), '--at', '2026-03-12 10:05']);
    expect([clash.code, clash.stderr]).toEqual([1, expect.stringContaining(`The provider already has appointment ${fresh!.id} (2026-03-12 10:00-10:15) at that time`)]);
    const [unmoved] = await t.db.select().from(appointments).where(eq(appointments.id, other.id));
    expect(unmoved!.status).toBe('scheduled');
    const cancelled = await cli(['appointments', 'cancel', String(fresh!.id), '--reason', 'patient travelling', '--json']);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', changed: true });
    expect((await cli(['appointments', 'kept', '999'])).stderr).toContain('Appointment 999 was not found.');
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.entityId, String(fresh!.id)));
    expect(audit.map((a) => a.action).sort()).toEqual(['book', 'cancelled']);
  });

  it('computes no-show rates per patient and per provider', async () => {
    const at = (iso: string) => new Date(iso);
    await t.db.insert(appointments).values([
      { patientId: 1, providerId: 1, startsAt: at('2026-02-02T14:00:00Z'), status: 'no-show' },
      { patientId: 1, providerId: 1, startsAt: at('2026-02-09T14:00:00Z'), status: 'kept' },
      { patientId: 1, providerId: 2, startsAt: at('2026-02-16T14:00:00Z'), status: 'no-show' },
      { patientId: 2, providerId: 1, startsAt: at('2026-02-20T14:00:00Z'), status: 'kept' },
      { patientId: 2, providerId: 1, startsAt: at('2026-02-21T14:00:00Z'), status: 'cancelled' },
      // Outside the window: not counted.
      { patientId: 2, providerId: 1, startsAt: at('2025-06-01T14:00:00Z'), status: 'no-show' },
    ]);
    const run = await cli(['appointments', 'no-shows', '--since', '90d', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json();
    expect(doc.totals).toEqual({ appointments: 4, noShows: 2, ratePercent: 50 });
    expect(doc.byPatient).toEqual([expect.objectContaining({ mrn: 'A1', appointments: 3, noShows: 2, ratePercent: 66.7 })]);
    expect(doc.byProvider).toEqual([
      expect.objectContaining({ npi: NPI_B, appointments: 1, noShows: 1, ratePercent: 100 }),
      expect.objectContaining({ npi: NPI_A, appointments: 3, noShows: 1, ratePercent: 33.3 }),
    ]);
    const text = await cli(['appointments', 'no-shows', '--since', '2026-01-01']);
    expect(text.stdout).toContain('Bell, Nora (A1)');
    expect((await cli(['appointments', 'no-shows', '--since', 'lately'])).code).toBe(2);
  });
});
