// The mail server or the SMS gateway drops the connection (or never answers) after it received the whole
// message: it may have gone out, so it is unconfirmed, reported, and never resent until staff settle it.
// A failure before the message left (recipient refused, connection refused) stays failed and is retried.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { addDiabetes, addPatient, addPractice } from './fixtures.js';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startSmsGateway, startSmtp, type TestSmsGateway, type TestSmtp } from './servers.js';

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

/** A gateway address nothing listens on: the connection is refused before any request leaves. */
async function closedPortUrl(gatewayUrl: string): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const url = new URL(gatewayUrl);
  url.port = String(port);
  return url.toString();
}

describeEachBackend('recall run: the SMS gateway hangs or drops the connection after the request', (t) => {
  let gateway: TestSmsGateway;
  let mrn: string;
  let dir: string;
  const env = (url = gateway.url) => ({ PRACTICE_SMS_URL: url, PRACTICE_SMS_FROM: '+15550100000', PRACTICE_SMS_TIMEOUT: '1' });
  const run = (at: Date, options: { url?: string; extra?: string[] } = {}) =>
    // Texts only: the patient is not moved on to a call list after unanswered texts.
    runCli(['recall', 'run', '--json', '--no-appointments', '--escalate-after', '20', '--out-dir', dir, ...(options.extra ?? [])], { database: t.handle, now: at, env: env(options.url) });
  const statuses = async () =>
    queryRows<{ message: string; log: string }>(t.db, sql`select m.status as message, l.status as log from reminder_messages m join reminder_log l on l.message_id = m.id order by m.id`);
  // The last text was long ago, so the rule's spacing lets the next run send again.
  const longAgo = () => t.db.execute(sql`update reminder_log set sent_at = sent_at - interval '30 days'`);

  beforeAll(async () => {
    gateway = await startSmsGateway();
    dir = mkdtempSync(join(tmpdir(), 'recall-sms-drop-'));
    await addPractice(t.db);
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules));
    expect((await runCli(['recall', 'rules', 'add', '--file', 'rules.json'], { database: t.handle, cwd: dir })).code).toBe(0);
    const id = await addPatient(t.db, { firstName: 'Tess', lastName: 'Text', dob: '1970-06-01', phoneMobile: '555-201-0042', preferredChannel: 'sms' });
    await addDiabetes(t.db, id);
    mrn = (await queryRows<{ mrn: string }>(t.db, sql`select mrn from patients where id = ${id}`))[0]!.mrn;
    expect((await runCli(['recall', 'refresh'], { database: t.handle, now: NOW })).code).toBe(0);
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('a gateway that never answers: unconfirmed (exit 3, chart listed), never resent; "settle --received" counts it sent', async () => {
    gateway.hangNext = 1;
    const first = await run(NOW);
    expect(first.code, first.stderr).toBe(3);
    expect(gateway.received.map((m) => m.to)).toEqual(['+15552010042']);
    const summary = first.json();
    expect(summary).toMatchObject({ unconfirmed: 1, failed: 0, sent: { sms: 0 } });
    expect(summary.unsent).toEqual([expect.objectContaining({ purpose: 'recall', count: 1, mrns: [mrn] })]);
    expect(summary.unsent[0].reason).toContain('SMS gateway timed out after it received the message');
    expect(first.stderr).toContain('1 message(s) unconfirmed');
    expect(first.stderr).not.toContain('555-201-0042');
    expect(await statuses()).toEqual([{ message: 'unconfirmed', log: 'unconfirmed' }]);

    const dryRun = await run(LATER, { extra: ['--dry-run'] });
    expect(dryRun.json().planned.sms).toBe(0);
    const rerun = await run(LATER);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()).toMatchObject({ sent: { sms: 0 }, skipped: { 'contacted-recently': 1 } });
    expect(gateway.received).toHaveLength(1);

    const settle = await runCli(['recall', 'settle', mrn, '--received'], { database: t.handle, now: LATER });
    expect(settle.code, settle.stderr).toBe(0);
    expect(await statuses()).toEqual([{ message: 'sent', log: 'sent' }]);
  });

  it('a gateway that drops the connection after the request: unconfirmed; "settle --resend" sends it once', async () => {
    await longAgo();
    const day2 = new Date(LATER.getTime() + 26 * HOUR); // another practice day: a new message key
    gateway.dropNext = 1;
    const dropped = await run(day2);
    expect(dropped.code, dropped.stderr).toBe(3);
    expect(dropped.json()).toMatchObject({ unconfirmed: 1, failed: 0, sent: { sms: 0 } });
    expect(dropped.json().unsent[0].mrns).toEqual([mrn]);
    expect(gateway.received).toHaveLength(2);
    expect((await run(new Date(day2.getTime() + HOUR))).json()).toMatchObject({ sent: { sms: 0 }, skipped: { 'contacted-recently': 1 } });
    expect(gateway.received).toHaveLength(2);

    expect((await runCli(['recall', 'settle', mrn, '--resend'], { database: t.handle, now: new Date(day2.getTime() + 2 * HOUR) })).code).toBe(0);
    const resent = await run(new Date(day2.getTime() + 3 * HOUR));
    expect(resent.code, resent.stderr).toBe(0);
    expect(resent.json().sent.sms).toBe(1);
    expect(gateway.received).toHaveLength(3);
    expect((await statuses()).slice(1)).toEqual([
      { message: 'failed', log: 'failed' },
      { message: 'sent', log: 'sent' },
    ]);
  });

  it('a refused connection (nothing left) stays failed and is retried by a later run', async () => {
    await longAgo();
    const day4 = new Date(LATER.getTime() + 74 * HOUR);
    const refused = await run(day4, { url: await closedPortUrl(gateway.url) });
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.json()).toMatchObject({ failed: 1, unconfirmed: 0, failures: [{ channel: 'sms', reason: 'SMS gateway ECONNREFUSED', count: 1 }] });
    expect(gateway.received).toHaveLength(3);
    const retried = await run(new Date(day4.getTime() + 24 * HOUR));
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.json().sent.sms).toBe(1);
    expect(gateway.received).toHaveLength(4);
  });
});
