// Rules as data and the due lists: refresh and list through the real command path, on both backends.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { addA1c, addAppointment, addDiabetes, addMammogram, addPatient, addPractice, addShot, addVisit } from './fixtures.js';

const NOW = new Date('2026-11-10T16:00:00Z');
const DAY_LATER = new Date('2026-11-11T16:00:00Z');

async function openRecalls(db: Parameters<typeof queryRows>[0], rule: string) {
  return queryRows<{ patient_id: number; due_date: string; last_done_on: string | null }>(
    db,
    sql`select r.patient_id, r.due_date::text as due_date, r.last_done_on::text as last_done_on
      from recalls r join recall_rules rr on rr.id = r.rule_id where rr.code = ${rule} and r.status = 'open' order by r.patient_id`,
  );
}

describeEachBackend('recall rules and due lists', (t) => {
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    await addPractice(t.db);
    ids.a1cHigh = await addPatient(t.db, { dob: '1960-03-01', sex: 'male' });
    await addDiabetes(t.db, ids.a1cHigh);
    await addA1c(t.db, ids.a1cHigh, '2026-07-01', '9.1');
    ids.a1cGood = await addPatient(t.db, { dob: '1962-03-01', sex: 'male' });
    await addDiabetes(t.db, ids.a1cGood);
    await addA1c(t.db, ids.a1cGood, '2026-07-01', '6.8');
    ids.woman60 = await addPatient(t.db, { dob: '1966-01-15', sex: 'female' });
    await addMammogram(t.db, ids.woman60, '2025-02-01');
    ids.woman40 = await addPatient(t.db, { dob: '1986-01-15', sex: 'female' });
    ids.fluDone = await addPatient(t.db, { dob: '1980-05-05', sex: 'male' });
    await addShot(t.db, ids.fluDone, '158', '2026-10-01');
    ids.followUp = await addPatient(t.db, { dob: '1990-05-05', sex: 'male' });
    await addVisit(t.db, ids.followUp, '2026-10-20', { followUpWeeks: 6 });
    ids.noShow = await addPatient(t.db, { dob: '1991-05-05', sex: 'male' });
    await addAppointment(t.db, ids.noShow, '2026-11-02T15:00:00Z', { status: 'no-show' });
    ids.baby = await addPatient(t.db, { dob: '2026-01-10', sex: 'female' });
    await addShot(t.db, ids.baby, '08', '2026-01-10');
    await addShot(t.db, ids.baby, '08', '2026-02-12');
    ids.deceased = await addPatient(t.db, { dob: '1950-01-01', sex: 'male', deceasedDate: '2026-01-01' });
  });

  it('loads the standard rules and lists them', async () => {
    const add = await runCli(['recall', 'rules', 'add', '--defaults', '--json'], { database: t.handle });
    expect(add.code).toBe(0);
    expect(add.json().added).toContain('diabetes-a1c');
    const again = await runCli(['recall', 'rules', 'add', '--defaults', '--json'], { database: t.handle });
    expect(again.json().added).toEqual([]);
    const list = await runCli(['recall', 'rules', 'list', '--json'], { database: t.handle });
    const a1c = list.json().rules.find((r: { code: string }) => r.code === 'diabetes-a1c');
    expect(a1c.definition.intervalWhen[0]).toEqual({ lastValueAtLeast: 8, interval: { months: 3 } });
  });

  it('refuses a rules file with mistakes, naming every one, and stores nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recall-rules-'));
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify([{ code: 'Bad Code', name: 'x', definition: { visitLabel: 'visit', basis: { kind: 'lab' }, messages: { sms: 'Hi {diagnosis}' } } }]),
    );
    const run = await runCli(['recall', 'rules', 'add', '--file', 'bad.json'], { database: t.handle, cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('lower-case letters');
    expect(run.stderr).toContain('{diagnosis}');
    expect(run.stderr).toContain('basis.codes');
    const rows = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from recall_rules where code = 'Bad Code'`);
    expect(rows[0]!.n).toBe(0);
    const missing = await runCli(['recall', 'rules', 'add', '--file', 'nope.json'], { database: t.handle, cwd: dir });
    expect(missing.code).toBe(2);
  });

  it('computes due dates for the whole practice, with conditional intervals, seasons, schedules and follow-ups', async () => {
    const run = await runCli(['recall', 'refresh', '--json'], { database: t.handle, now: NOW });
    expect(run.code).toBe(0);
    expect(run.json().today).toBe('2026-11-10');

    const a1c = await openRecalls(t.db, 'diabetes-a1c');
    expect(a1c).toEqual([
      { patient_id: ids.a1cHigh, due_date: '2026-10-01', last_done_on: '2026-07-01' },
      { patient_id: ids.a1cGood, due_date: '2027-01-01', last_done_on: '2026-07-01' },
    ]);
    const mammo = await openRecalls(t.db, 'mammogram');
    expect(mammo).toEqual([{ patient_id: ids.woman60, due_date: '2027-02-01', last_done_on: '2025-02-01' }]);
    const flu = await openRecalls(t.db, 'flu-vaccine');
    expect(flu.find((r) => r.patient_id === ids.fluDone)?.due_date).toBe('2027-09-01');
    expect(flu.find((r) => r.patient_id === ids.woman40)?.due_date).toBe('2026-09-01');
    expect(flu.some((r) => r.patient_id === ids.deceased)).toBe(false);
    expect(await openRecalls(t.db, 'follow-up')).toEqual([{ patient_id: ids.followUp, due_date: '2026-12-01', last_done_on: '2026-10-20' }]);
    expect(await openRecalls(t.db, 'no-show')).toEqual([{ patient_id: ids.noShow, due_date: '2026-11-03', last_done_on: null }]);
    // Two hepatitis B doses given: the third is due at six months of age.
    expect((await openRecalls(t.db, 'childhood-hepb')).find((r) => r.patient_id === ids.baby)?.due_date).toBe('2026-07-10');
  });

  it('closes a recall when the test happens, moves it with the result, and leaves never-done dates alone', async () => {
    const wellnessBefore = await openRecalls(t.db, 'annual-wellness');
    await addA1c(t.db, ids.a1cGood, '2026-11-10', '8.4');
    await addAppointment(t.db, ids.noShow, '2026-11-20T15:00:00Z');
    const run = await runCli(['recall', 'refresh', '--json'], { database: t.handle, now: DAY_LATER });
    expect(run.code).toBe(0);
    const byRule = Object.fromEntries(run.json().rules.map((r: { rule: string }) => [r.rule, r]));
    expect(byRule['diabetes-a1c']).toMatchObject({ completed: 1, opened: 1, open: 2 });
    expect(byRule['no-show']).toMatchObject({ completed: 1, open: 0 });
    expect((await openRecalls(t.db, 'diabetes-a1c')).find((r) => r.patient_id === ids.a1cGood)?.due_date).toBe('2027-02-10');
    expect(await openRecalls(t.db, 'annual-wellness')).toEqual(wellnessBefore);
    const closed = await queryRows<{ closed_reason: string }>(t.db, sql`select closed_reason from recalls where status = 'closed' and patient_id = ${ids.a1cGood}`);
    expect(closed).toEqual([{ closed_reason: 'completed' }]);
  });

  it('previews with --dry-run without saving', async () => {
    await addMammogram(t.db, ids.woman60, '2026-11-09');
    const dry = await runCli(['recall', 'refresh', '--dry-run', '--json'], { database: t.handle, now: DAY_LATER });
    expect(dry.json().rules.find((r: { rule: string }) => r.rule === 'mammogram').completed).toBe(1);
    expect(await openRecalls(t.db, 'mammogram')).toEqual([{ patient_id: ids.woman60, due_date: '2027-02-01', last_done_on: '2025-02-01' }]);
  });

  it('lists recalls due soon, overdue or by rule, as a table, JSON or formula-safe CSV', async () => {
    const overdue = await runCli(['recall', 'list', '--overdue', '--rule', 'diabetes-a1c', '--json'], { database: t.handle, now: DAY_LATER });
    expect(overdue.code).toBe(0);
    expect(overdue.json().recalls.map((r: { dueDate: string }) => r.dueDate)).toEqual(['2026-10-01']);
    const soon = await runCli(['recall', 'list', '--due-within', '30d', '--format', 'json'], { database: t.handle, now: DAY_LATER });
    const dates: string[] = soon.json().recalls.map((r: { dueDate: string }) => r.dueDate);
    expect(dates.length).toBeGreaterThan(0);
    expect(dates.every((d) => d <= '2026-12-11')).toBe(true);
    await t.db.execute(sql`update patients set last_name = '=HYPERLINK("x")' where id = ${ids.a1cHigh}`);
    const csv = await runCli(['recall', 'list', '--rule', 'diabetes-a1c', '--format', 'csv'], { database: t.handle, now: DAY_LATER });
    expect(csv.stdout.split('\n')[0]).toBe('MRN,Last name,First name,Recall,Due,Last done,Reminders,Last reminder');
    expect(csv.stdout).toContain(`"'=HYPERLINK(""x"")"`);
    const unknown = await runCli(['recall', 'list', '--rule', 'no-such-rule'], { database: t.handle });
    expect(unknown.code).toBe(1);
    expect((await runCli(['recall', 'list', '--due-within', 'soon'], { database: t.handle })).code).toBe(2);
  });

  it('edits and disables a rule; a disabled rule cancels its open recalls', async () => {
    const edit = await runCli(['recall', 'rules', 'edit', 'mammogram', '--spacing-days', '45', '--json'], { database: t.handle });
    expect(edit.code).toBe(0);
    expect(edit.json().rule.spacingDays).toBe(45);
    expect((await runCli(['recall', 'rules', 'disable', 'flu-vaccine'], { database: t.handle })).code).toBe(0);
    const run = await runCli(['recall', 'refresh', '--json'], { database: t.handle, now: DAY_LATER });
    expect(run.json().cancelled).toBeGreaterThan(0);
    expect(await openRecalls(t.db, 'flu-vaccine')).toEqual([]);
    const audit = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log where entity = 'recall_rules' and action = 'update'`);
    expect(audit[0]!.n).toBe(2);
  });
});
