// Recall as a patient receives it: one message per patient per run naming every recall due, on every channel;
// rules' age bounds hold at refresh and at send time; anything left unsent exits 3 and says why.
// And appointment reminders before each booked visit, in the practice's time zone, on the same machinery.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { providers } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { pdfPages } from '../helpers/pdf-text.js';
import { addAppointment, addDiabetes, addMammogram, addPatient, addPractice, optOut } from './fixtures.js';
import { useTestTransports, type TestSmtp } from './servers.js';

const REFRESHED = new Date('2026-11-10T16:00:00Z');
// Eleven days later, 10:00 in Chicago; no refresh in between (a cron job whose refresh failed).
const RUN_AT = new Date('2026-11-21T16:00:00Z');
const FROM = 'Maple Street Family Clinic <reminders@maple.example>';

function byRecipient(smtp: TestSmtp): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const m of smtp.received) for (const to of m.to) map.set(to, [...(map.get(to) ?? []), m.text]);
  return map;
}

describeEachBackend('recall run: one message per patient', (t) => {
  const servers = useTestTransports(FROM);
  let dir: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recall-messages-'));
    await addPractice(t.db);
    // Due for a check-up, an A1c, a mammogram and a flu shot: four recalls, one email.
    ids.multi = await addPatient(t.db, { firstName: 'Mia', lastName: 'Multi', dob: '1970-06-01', sex: 'female', email: 'mia@example.org' });
    await addDiabetes(t.db, ids.multi);
    ids.teen = await addPatient(t.db, { firstName: 'Ted', lastName: 'Nineteen', dob: '2007-06-01', sex: 'male', email: 'ted@example.org' });
    // 18 at the refresh, 19 on the day of the run: the childhood doses opened then must not go out.
    ids.turning = await addPatient(t.db, { firstName: 'Tom', lastName: 'Turning', dob: '2007-11-20', sex: 'male', email: 'tom@example.org' });
    // 74, mammogram a year ago: the next one would fall due after her 75th birthday, past the rule's bound.
    ids.old = await addPatient(t.db, { firstName: 'Olive', lastName: 'Older', dob: '1952-05-01', sex: 'female', address: true });
    await addMammogram(t.db, ids.old, '2025-12-01');
    ids.letter = await addPatient(t.db, { firstName: 'Lena', lastName: 'Letter', dob: '1980-03-03', sex: 'female', address: true });
    ids.calls = await addPatient(t.db, { firstName: 'Carl', lastName: 'Caller', dob: '1975-03-03', sex: 'male', phoneHome: '555-201-0003' });
    ids.text = await addPatient(t.db, { firstName: 'Sam', lastName: 'Text', dob: '1985-03-03', sex: 'male', phoneMobile: '555-201-0001', preferredChannel: 'sms' });
    ids.out = await addPatient(t.db, { firstName: 'Otto', lastName: 'Out', dob: '1985-03-03', sex: 'male', email: 'otto@example.org', phoneMobile: '555-201-0009', address: true });
    for (const channel of ['email', 'sms', 'letter', 'phone'] as const) await optOut(t.db, ids.out, channel);
    ids.nobody = await addPatient(t.db, { firstName: 'Nora', lastName: 'Nobody', dob: '1985-03-03', sex: 'female' });
    expect((await runCli(['recall', 'rules', 'add', '--defaults'], { database: t.handle })).code).toBe(0);
    expect((await runCli(['recall', 'refresh'], { database: t.handle, now: REFRESHED })).code).toBe(0);
  });

  const openRules = async (patientId: number) =>
    (await queryRows<{ code: string }>(t.db, sql`select rr.code from recalls r join recall_rules rr on rr.id = r.rule_id where r.patient_id = ${patientId} and r.status = 'open' order by rr.code`)).map((r) => r.code);

  it('compiles the age bounds of the rules: no childhood doses at 19, no screening due past its last year', async () => {
    expect(await openRules(ids.teen)).toEqual(['annual-wellness', 'flu-vaccine']);
    expect(await openRules(ids.turning)).toEqual(['annual-wellness', 'childhood-hepb', 'childhood-mmr', 'childhood-varicella', 'flu-vaccine']);
    expect(await openRules(ids.old)).toEqual(['annual-wellness', 'flu-vaccine']);
    expect(await openRules(ids.multi)).toEqual(['annual-wellness', 'diabetes-a1c', 'flu-vaccine', 'mammogram']);
  });

  it('sends each patient one message naming every recall due, holds back outgrown rules, and exits 3 for a patient it cannot reach', async () => {
    const run = await runCli(['recall', 'run', '--json', '--out-dir', dir], { database: t.handle, now: RUN_AT, env: servers.env() });
    expect(run.code).toBe(3);
    const summary = run.json();
    expect(summary.patients).toBe(9);
    expect(summary.sent).toEqual({ email: 3, sms: 1, letter: 2, calls: 1 });
    expect(summary.skipped).toEqual({ 'opted-out': 2, 'no-contact-details': 2 });
    const nora = (await queryRows<{ mrn: string }>(t.db, sql`select mrn from patients where id = ${ids.nobody}`))[0]!.mrn;
    expect(summary.unsent).toEqual([{ purpose: 'recall', reason: expect.stringContaining('no email, mobile number, phone or full postal address'), count: 1, mrns: [nora] }]);
    expect(run.stderr).toContain('"practice patients edit"');
    expect(run.stderr).not.toContain(nora);
    expect(run.stderr).toContain('1 patient(s) due for a recall not sent: no email, mobile number, phone or full postal address on record');
    expect(run.stderr).not.toMatch(/Nora|Nobody/);

    const mail = byRecipient(servers.smtp);
    expect([...mail.keys()].sort()).toEqual(['mia@example.org', 'ted@example.org', 'tom@example.org']);
    for (const texts of mail.values()) expect(texts).toHaveLength(1);
    const mia = mail.get('mia@example.org')![0]!;
    for (const visit of ['yearly check-up', 'lab test', 'screening appointment', 'flu shot']) expect(mia).toContain(visit);
    expect(mia).not.toMatch(/diabet/i);
    expect(mail.get('tom@example.org')![0]).toContain('flu shot and yearly check-up');
    expect(mail.get('tom@example.org')![0]).not.toContain('child vaccination');
    expect(mail.get('ted@example.org')![0]).not.toContain('child vaccination');
    expect(servers.sms.received).toHaveLength(1);
    expect(servers.sms.received[0]!.body).toContain('flu shot and yearly check-up');

    const pages = await pdfPages(readFileSync(summary.files.letters));
    expect(pages).toHaveLength(2);
    expect(pages.filter((p) => p.includes('Lena Letter'))).toHaveLength(1);
    expect(pages.find((p) => p.includes('Lena Letter'))).toContain('flu shot and yearly check-up');
    const calls = readFileSync(summary.files.calls, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[1]).toContain('Caller,Carl,555-201-0003,Flu vaccine each season; Yearly preventive visit,');

    const messages = await queryRows<{ status: string; n: number; items: number }>(
      t.db,
      sql`select m.status, count(distinct m.id)::int as n, count(l.id)::int as items from reminder_messages m left join reminder_log l on l.message_id = m.id group by m.status`,
    );
    // Mia 4, Ted 2, Tom 2, Sam 2, Lena 2, Olive 2, Carl 2.
    expect(messages).toEqual([{ status: 'sent', n: 7, items: 16 }]);
    const transportIds = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from reminder_messages where channel = 'email' and transport_message_id like '<practicekit.reminder.%@maple.example>'`);
    expect(transportIds[0]!.n).toBe(3);
  });

  it('a second run the same day sends nothing again, and the next refresh closes the outgrown recalls', async () => {
    const again = await runCli(['recall', 'run', '--json', '--out-dir', dir], { database: t.handle, now: new Date(RUN_AT.getTime() + 3_600_000), env: servers.env() });
    expect(again.json().sent).toEqual({ email: 0, sms: 0, letter: 0, calls: 0 });
    expect(again.json().skipped['contacted-recently']).toBe(16);
    expect(servers.smtp.received).toHaveLength(3);
    const refresh = await runCli(['recall', 'refresh', '--json'], { database: t.handle, now: RUN_AT });
    expect(refresh.json().rules.find((r: { rule: string }) => r.rule === 'childhood-mmr').noLongerDue).toBe(1);
    expect(await openRules(ids.turning)).toEqual(['annual-wellness', 'flu-vaccine']);
  });
});

// Thursday 12 November 2026, Chicago (CST, UTC-6).
const TUESDAY_9AM = new Date('2026-11-10T15:00:00Z');
const DAY = 86_400_000;

describeEachBackend('recall run: appointment reminders', (t) => {
  const servers = useTestTransports(FROM);
  let dir: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recall-appointments-'));
    await addPractice(t.db);
    const [provider] = await t.db.insert(providers).values({ npi: '1234567893', firstName: 'Jane', lastName: 'Smith', credentials: 'MD' }).returning({ id: providers.id });
    ids.ann = await addPatient(t.db, { firstName: 'Ann', lastName: 'Evening', dob: '1980-01-01', email: 'ann@example.org', preferredChannel: 'email' });
    // 8:30 PM on Thursday in Chicago is already Friday in UTC: reminder days count in the practice's days.
    await addAppointment(t.db, ids.ann, '2026-11-13T02:30:00Z');
    await t.db.execute(sql`update appointments set provider_id = ${provider!.id} where patient_id = ${ids.ann}`);
    ids.ben = await addPatient(t.db, { firstName: 'Ben', lastName: 'Missed', dob: '1980-01-01', phoneMobile: '555-301-0002', preferredChannel: 'sms' });
    await addAppointment(t.db, ids.ben, '2026-06-01T15:00:00Z', { status: 'no-show' });
    await addAppointment(t.db, ids.ben, '2026-11-12T20:00:00Z');
    ids.cal = await addPatient(t.db, { firstName: 'Cal', lastName: 'Paper', dob: '1980-01-01', phoneHome: '555-301-0003', address: true, preferredChannel: 'letter' });
    await addAppointment(t.db, ids.cal, '2026-11-12T16:00:00Z');
    ids.dot = await addPatient(t.db, { firstName: 'Dot', lastName: 'Optout', dob: '1980-01-01', email: 'dot@example.org' });
    await optOut(t.db, ids.dot, 'email');
    await addAppointment(t.db, ids.dot, '2026-11-12T16:00:00Z');
    ids.eve = await addPatient(t.db, { firstName: 'Eve', lastName: 'Later', dob: '1980-01-01', email: 'eve@example.org' });
    await addAppointment(t.db, ids.eve, '2026-11-20T16:00:00Z');
  });

  const run = (at: Date) => runCli(['recall', 'run', '--json', '--out-dir', dir], { database: t.handle, now: at, env: servers.env() });

  it('two days before: by the patient channel, with the visit time in the practice time zone and how to confirm or cancel', async () => {
    const first = await run(TUESDAY_9AM);
    expect(first.code).toBe(0);
    const a = first.json().appointments;
    expect(a).toMatchObject({ due: 4, sent: { email: 1, sms: 1, letter: 0, calls: 1 }, skipped: { 'opted-out': 1 } });
    expect(servers.smtp.received.map((m) => m.to[0])).toEqual(['ann@example.org']);
    const mail = servers.smtp.received[0]!.text;
    expect(mail).toContain('Thursday, November 12 at 8:30 PM CST');
    expect(mail).toContain('with Jane Smith, MD');
    expect(mail).toMatch(/To confirm it, or if you need to cancel or change it, please call us at 555-010-2000/);
    expect(servers.sms.received.map((m) => m.to)).toEqual(['+15553010002']);
    expect(servers.sms.received[0]!.body).toContain('Thursday, November 12 at 2:00 PM CST');
    expect(servers.sms.received[0]!.body).toContain('To confirm, cancel or change it, call us at 555-010-2000');
    // A letter would come too late: the front desk calls instead.
    const calls = readFileSync(first.json().files.calls, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[1]).toContain('Paper,Cal,555-301-0003,"Appointment Thursday, November 12 at 10:00 AM CST');
  });

  it('never twice for the same reminder day; the day before, once more; the morning of the visit only after a no-show', async () => {
    const again = await run(new Date(TUESDAY_9AM.getTime() + 2 * 3_600_000));
    expect(again.json().appointments.sent).toEqual({ email: 0, sms: 0, letter: 0, calls: 0 });
    expect(again.json().appointments.skipped['already-reminded']).toBe(3);

    const wednesday = await run(new Date(TUESDAY_9AM.getTime() + DAY));
    expect(wednesday.json().appointments.sent).toEqual({ email: 1, sms: 1, letter: 0, calls: 1 });
    const thursday = await run(new Date(TUESDAY_9AM.getTime() + 2 * DAY));
    // Ben missed a visit in June: a text on the morning of it too. Ann and Cal were reminded enough.
    expect(thursday.json().appointments.sent).toEqual({ email: 0, sms: 1, letter: 0, calls: 0 });
    expect(servers.sms.received).toHaveLength(3);
    expect(servers.smtp.received.map((m) => m.to[0])).toEqual(['ann@example.org', 'ann@example.org']);

    const keys = await queryRows<{ idempotency_key: string }>(t.db, sql`select idempotency_key from reminder_messages where patient_id = ${ids.ben} and status = 'sent' order by id`);
    expect(keys.map((k) => k.idempotency_key.replace(/^appointment-\d+-/, ''))).toEqual(['2d', '1d', '0d']);
  });

  it('--no-appointments sends recall reminders only, and --appointment-days is checked', async () => {
    const none = await runCli(['recall', 'run', '--json', '--no-appointments', '--dry-run'], { database: t.handle, now: new Date('2026-11-18T15:00:00Z'), env: servers.env() });
    expect(none.json().appointments.due).toBe(0);
    const some = await runCli(['recall', 'run', '--json', '--dry-run', '--appointment-days', '3'], { database: t.handle, now: new Date('2026-11-17T15:00:00Z'), env: servers.env() });
    expect(some.json().appointments).toMatchObject({ due: 1, planned: { email: 1 } });
    const bad = await runCli(['recall', 'run', '--appointment-days', 'tomorrow'], { database: t.handle, env: servers.env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--appointment-days takes whole days');
  });
});
