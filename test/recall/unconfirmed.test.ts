// The mail server drops the connection after it received the whole message, before its reply reaches us:
// the message may have gone out, so it is unconfirmed, reported, and never resent until staff settle it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { addDiabetes, addPatient, addPractice } from './fixtures.js';
import { startSmtp, type TestSmtp } from './servers.js';

const NOW = new Date('2026-11-10T16:00:00Z'); // 10:00 in Chicago
const LATER = new Date('2026-11-11T16:00:00Z'); // a day later: past any failure backoff
const FROM = 'Maple Street Family Clinic <reminders@maple.example>';
const HOUR = 3_600_000;

const rules = [
  {
    code: 'diabetes-visit',
    name: 'Diabetes check-up',
    spacingDays: 14,
    definition: { visitLabel: 'check-up', eligibility: { diagnoses: [{ system: 'icd-10-cm', prefixes: ['E11'] }] }, basis: { kind: 'visit' }, interval: { months: 6 } },
  },
];

describeEachBackend('recall run: the mail server drops the connection after DATA', (t) => {
  let smtp: TestSmtp;
  let mrn: string;
  const env = () => ({ PRACTICE_SMTP_URL: smtp.url, PRACTICE_SMTP_FROM: FROM });
  const run = (at: Date, ...extra: string[]) => runCli(['recall', 'run', '--json', '--no-appointments', ...extra], { database: t.handle, now: at, env: env() });
  const statuses = async () =>
    queryRows<{ message: string; log: string }>(t.db, sql`select m.status as message, l.status as log from reminder_messages m join reminder_log l on l.message_id = m.id order by m.id`);

  beforeAll(async () => {
    smtp = await startSmtp();
    const dir = mkdtempSync(join(tmpdir(), 'recall-drop-'));
    await addPractice(t.db);
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules));
    expect((await runCli(['recall', 'rules', 'add', '--file', 'rules.json'], { database: t.handle, cwd: dir })).code).toBe(0);
    const id = await addPatient(t.db, { firstName: 'Dora', lastName: 'Drop', dob: '1970-06-01', email: 'dora@example.org' });
    await addDiabetes(t.db, id);
    mrn = (await queryRows<{ mrn: string }>(t.db, sql`select mrn from patients where id = ${id}`))[0]!.mrn;
    expect((await runCli(['recall', 'refresh'], { database: t.handle, now: NOW })).code).toBe(0);
  });

  afterAll(async () => {
    await smtp?.close();
  });

  it('marks the message unconfirmed (exit 3, chart listed), and a rerun sends that patient nothing', async () => {
    smtp.dropAfterData = 1;
    const first = await run(NOW);
    expect(first.code, first.stderr).toBe(3);
    expect(smtp.received.map((m) => m.to)).toEqual([['dora@example.org']]);
    const summary = first.json();
    expect(summary).toMatchObject({ unconfirmed: 1, failed: 0, sent: { email: 0 } });
    expect(summary.unsent).toEqual([expect.objectContaining({ purpose: 'recall', count: 1, mrns: [mrn] })]);
    expect(first.stderr).toContain('1 message(s) unconfirmed');
    expect(first.stderr).toContain('practice recall settle');
    expect(first.stderr).not.toContain('dora@example.org');
    expect(await statuses()).toEqual([{ message: 'unconfirmed', log: 'unconfirmed' }]);

    const dryRun = await run(LATER, '--dry-run');
    expect(dryRun.json().planned.email).toBe(0);
    const rerun = await run(LATER);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()).toMatchObject({ sent: { email: 0 }, skipped: { 'contacted-recently': 1 } });
    expect(smtp.received).toHaveLength(1);
  });

  it('"recall settle --resend" lets the next run send it once, audited; a second settle finds nothing', async () => {
    const usage = await runCli(['recall', 'settle', mrn], { database: t.handle, now: LATER });
    expect(usage.code).toBe(2);
    const dry = await runCli(['recall', 'settle', mrn, '--resend', '--dry-run', '--json'], { database: t.handle, now: LATER });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json().messages).toHaveLength(1);
    expect(await statuses()).toEqual([{ message: 'unconfirmed', log: 'unconfirmed' }]);

    const settle = await runCli(['recall', 'settle', mrn, '--resend'], { database: t.handle, now: LATER });
    expect(settle.code, settle.stderr).toBe(0);
    expect(settle.stdout).toContain(`Settled 1 unconfirmed reminder(s) for ${mrn}`);
    const again = await runCli(['recall', 'settle', mrn, '--received'], { database: t.handle, now: LATER });
    expect(again.stdout).toContain('no unconfirmed reminder');

    const resent = await run(new Date(LATER.getTime() + HOUR));
    expect(resent.code, resent.stderr).toBe(0);
    expect(resent.json().sent.email).toBe(1);
    expect(smtp.received).toHaveLength(2);
    expect(await statuses()).toEqual([
      { message: 'failed', log: 'failed' },
      { message: 'sent', log: 'sent' },
    ]);
    const audited = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log where entity = 'reminder_messages' and details->>'settledBy' = 'staff'`);
    expect(audited[0]!.n).toBe(1);
  });

  it('a failure before DATA (recipient refused) stays failed and is retried', async () => {
    await t.db.execute(sql`update reminder_log set sent_at = sent_at - interval '30 days'`);
    smtp.refuse.add('dora@example.org');
    const refused = await run(new Date(LATER.getTime() + 26 * HOUR)); // another practice day: a new message key
    expect(refused.code).toBe(3);
    expect(refused.json()).toMatchObject({ failed: 1, unconfirmed: 0 });
    smtp.refuse.clear();
    const retried = await run(new Date(LATER.getTime() + 50 * HOUR));
    expect(retried.json().sent.email).toBe(1);
  });
});
