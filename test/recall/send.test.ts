// The sender against a real SMTP server and a local SMS gateway: channels, consent, exactly-once.
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { addAppointment, addDiabetes, addPatient, addPractice, optOut, type PatientSpec } from './fixtures.js';
import { startSmsGateway, startSmtp, type TestSmsGateway, type TestSmtp } from './servers.js';

const NOW = new Date('2026-11-10T16:00:00Z'); // 10:00 in Chicago
const EVENING = new Date('2026-11-11T03:00:00Z'); // 21:00 in Chicago: quiet hours for SMS
const FROM = 'Maple Street Family Clinic <reminders@maple.example>';

// A rule for patients with diabetes: the reminders must still never mention it.
const rules = [
  {
    code: 'diabetes-visit',
    name: 'Diabetes check-up',
    spacingDays: 14,
    definition: {
      visitLabel: 'check-up',
      eligibility: { diagnoses: [{ system: 'icd-10-cm', prefixes: ['E11'] }] },
      basis: { kind: 'visit' },
      interval: { months: 6 },
      messages: { sms: '{practiceName}: {firstName}, it is time for your {visit}. Call {practicePhone}.' },
    },
  },
];

async function setUp(t: { db: Parameters<typeof addPractice>[0]; handle: unknown }, dir: string): Promise<void> {
  await addPractice(t.db);
  writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules));
  const add = await runCli(['recall', 'rules', 'add', '--file', 'rules.json'], { database: t.handle as never, cwd: dir });
  expect(add.code).toBe(0);
}

async function diabetic(db: Parameters<typeof addPractice>[0], spec: Omit<PatientSpec, 'dob'>): Promise<number> {
  const id = await addPatient(db, { dob: '1970-06-01', ...spec });
  await addDiabetes(db, id);
  return id;
}

function env(smtp: TestSmtp, sms: TestSmsGateway): NodeJS.ProcessEnv {
  return { PRACTICE_SMTP_URL: smtp.url, PRACTICE_SMTP_FROM: FROM, PRACTICE_SMS_URL: sms.url, PRACTICE_SMS_FROM: '+15550100000' };
}

async function logCount(db: Parameters<typeof queryRows>[0]): Promise<number> {
  return (await queryRows<{ n: number }>(db, sql`select count(*)::int as n from reminder_log`))[0]!.n;
}

describeEachBackend('recall run: channels and consent', (t) => {
  let smtp: TestSmtp;
  let sms: TestSmsGateway;
  let dir: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    smtp = await startSmtp();
    sms = await startSmsGateway();
    dir = mkdtempSync(join(tmpdir(), 'recall-run-'));
    await setUp(t, dir);
    ids.email = await diabetic(t.db, { firstName: 'Ada', lastName: 'Email', email: 'ada@example.org', preferredChannel: 'email', address: true });
    ids.sms = await diabetic(t.db, { firstName: 'Sam', lastName: 'Text', phoneMobile: '555-201-0001', preferredChannel: 'sms' });
    ids.optedOut = await diabetic(t.db, { firstName: 'Otto', lastName: 'Out', email: 'otto@example.org', preferredChannel: 'email' });
    await optOut(t.db, ids.optedOut, 'email');
    ids.letter = await diabetic(t.db, { firstName: 'Lena', lastName: 'Letter', address: true });
    ids.calls = await diabetic(t.db, { firstName: 'Carl', lastName: 'Caller', phoneHome: '555-201-0003' });
    ids.booked = await diabetic(t.db, { firstName: 'Bea', lastName: 'Booked', email: 'bea@example.org' });
    await addAppointment(t.db, ids.booked, '2026-11-20T15:00:00Z', { recallRuleCode: 'diabetes-visit' });
    ids.fallback = await diabetic(t.db, { firstName: 'Fay', lastName: 'Fallback', email: 'fay@example.org', phoneMobile: '555-201-0002', preferredChannel: 'email' });
    await optOut(t.db, ids.fallback, 'email');
    ids.deceased = await diabetic(t.db, { firstName: 'Dee', lastName: 'Ceased', email: 'dee@example.org' });
    expect((await runCli(['recall', 'refresh'], { database: t.handle, now: NOW })).code).toBe(0);
    // Died after the last refresh: the sender itself must hold the reminder back.
    await t.db.execute(sql`update patients set deceased_date = '2026-11-09' where id = ${ids.deceased}`);
  });

  afterAll(async () => {
    await smtp?.close();
    await sms?.close();
  });

  it('plans with --dry-run without sending or logging anything', async () => {
    const run = await runCli(['recall', 'run', '--dry-run', '--json', '--out-dir', dir], { database: t.handle, now: NOW, env: env(smtp, sms) });
    expect(run.code).toBe(0);
    const summary = run.json();
    expect(summary).toMatchObject({ dryRun: true, due: 8, planned: { email: 1, sms: 2, letter: 1, calls: 1 }, skipped: { 'opted-out': 1, 'already-booked': 1, deceased: 1 } });
    expect(smtp.received).toHaveLength(0);
    expect(sms.received).toHaveLength(0);
    expect(await logCount(t.db)).toBe(0);
  });

  it('holds text messages back during quiet hours', async () => {
    const run = await runCli(['recall', 'run', '--dry-run', '--json'], { database: t.handle, now: EVENING, env: env(smtp, sms) });
    expect(run.json().skipped['quiet-hours']).toBe(2);
    expect(run.json().planned.sms).toBe(0);
  });

  it('sends on each channel, writes the letters PDF and call list, and never names the diagnosis', async () => {
    const run = await runCli(['recall', 'run', '--json', '--out-dir', dir], { database: t.handle, now: NOW, env: env(smtp, sms) });
    expect(run.code).toBe(0);
    const summary = run.json();
    expect(summary.sent).toEqual({ email: 1, sms: 2, letter: 1, calls: 1 });
    expect(summary.failed).toBe(0);

    expect(smtp.received.map((m) => m.to)).toEqual([['ada@example.org']]);
    expect(smtp.received[0]!.text).toContain('It is time for your check-up');
    expect(smtp.received[0]!.text).toContain('555-010-2000');
    expect(sms.received.map((m) => m.to).sort()).toEqual(['+15552010001', '+15552010002']);
    expect(sms.received[0]!.body).toMatch(/^Maple Street Family Clinic: (Sam|Fay), it is time for your check-up\. Call 555-010-2000\.$/);
    expect(sms.received[0]!.authorization).toBe(`Basic ${Buffer.from('AC123:secret-token').toString('base64')}`);
    for (const text of [...smtp.received.map((m) => m.text), ...sms.received.map((m) => m.body)]) expect(text).not.toMatch(/diabet|E11/i);
    expect(run.stdout + run.stderr).not.toContain('secret-token');

    const letters = summary.files.letters as string;
    expect(statSync(letters).mode & 0o777).toBe(0o600);
    const parser = new PDFParse({ data: readFileSync(letters) });
    const pdf = (await parser.getText()).text;
    await parser.destroy();
    expect(pdf).toContain('Lena Letter');
    expect(pdf).toContain('12 Elm Road');
    expect(pdf).toContain('Springfield, IL 62702');
    expect(pdf).toContain('it is time for your check-up');
    expect(pdf).toContain('100 Maple Street');
    expect(pdf).not.toMatch(/diabet/i);

    const calls = summary.files.calls as string;
    expect(statSync(calls).mode & 0o777).toBe(0o600);
    const csv = readFileSync(calls, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('MRN,Last name,First name,Phone,Recall,Due date,Attempt');
    expect(csv[1]).toContain('Caller,Carl,555-201-0003,Diabetes check-up,2026-11-10,1');
    expect(readdirSync(dir).filter((f) => f.startsWith('recall-'))).toHaveLength(2);

    const log = await queryRows<{ status: string; n: number }>(t.db, sql`select status, count(*)::int as n from reminder_log group by status`);
    expect(log).toEqual([{ status: 'sent', n: 5 }]);
  });

  it('does not contact anyone again within the rule spacing', async () => {
    const run = await runCli(['recall', 'run', '--json', '--out-dir', dir], { database: t.handle, now: new Date(NOW.getTime() + 3_600_000), env: env(smtp, sms) });
    expect(run.code).toBe(0);
    expect(run.json().sent).toEqual({ email: 0, sms: 0, letter: 0, calls: 0 });
    expect(run.json().skipped['contacted-recently']).toBe(5);
    expect(smtp.received).toHaveLength(1);
    expect(sms.received).toHaveLength(2);
  });

  it('escalates to the next channel after unanswered reminders, and lists who was reminded', async () => {
    const later = new Date(NOW.getTime() + 15 * 86_400_000);
    const run = await runCli(['recall', 'run', '--dry-run', '--json', '--escalate-after', '1'], { database: t.handle, now: later, env: env(smtp, sms) });
    // Ada (email, has an address) moves on to a letter; Sam and Fay (texted) to the front desk's call list;
    // Bea's appointment has passed, so she gets her first reminder by email.
    expect(run.json().planned).toEqual({ email: 1, sms: 0, letter: 2, calls: 3 });
    const list = await runCli(['recall', 'list', '--json'], { database: t.handle, now: later });
    const ada = list.json().recalls.find((r: { firstName: string }) => r.firstName === 'Ada');
    expect(ada).toMatchObject({ reminders: 1, lastChannel: 'email', lastReminder: '2026-11-10' });
  });

  it('upgrades to TLS with STARTTLS when the server offers it', async () => {
    const tlsSmtp = await startSmtp({ starttls: true });
    try {
      const later = new Date(NOW.getTime() + 20 * 86_400_000);
      // The test server's certificate is self-signed; a real server's is verified.
      const url = `${tlsSmtp.url}/?requireTLS=true&tls.rejectUnauthorized=false`;
      const run = await runCli(['recall', 'run', '--channel', 'email', '--json', '--out-dir', dir], { database: t.handle, now: later, env: { ...env(smtp, sms), PRACTICE_SMTP_URL: url } });
      expect(run.code).toBe(0);
      // Ada's second reminder (past the spacing) and Bea's first (her appointment has passed).
      expect(run.json().sent.email).toBe(2);
      expect(tlsSmtp.received.map((m) => [m.to[0], m.secure]).sort()).toEqual([
        ['ada@example.org', true],
        ['bea@example.org', true],
      ]);
    } finally {
      await tlsSmtp.close();
    }
  });

  it('refuses an SMTP setting without a sender address', async () => {
    const run = await runCli(['recall', 'run'], { database: t.handle, now: NOW, env: { PRACTICE_SMTP_URL: smtp.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PRACTICE_SMTP_FROM');
  });
});

describeEachBackend('recall run: failures, retries and concurrent runs', (t) => {
  let smtp: TestSmtp;
  let sms: TestSmsGateway;
  let dir: string;

  beforeAll(async () => {
    smtp = await startSmtp();
    sms = await startSmsGateway();
    dir = mkdtempSync(join(tmpdir(), 'recall-retry-'));
    await setUp(t, dir);
    await diabetic(t.db, { firstName: 'Bo', lastName: 'Bounce', email: 'bounce@example.org' });
    await diabetic(t.db, { firstName: 'Gail', lastName: 'Gateway', phoneMobile: '555-301-0001', preferredChannel: 'sms' });
    await diabetic(t.db, { firstName: 'Olga', lastName: 'Okay', email: 'olga@example.org' });
    expect((await runCli(['recall', 'refresh'], { database: t.handle, now: NOW })).code).toBe(0);
  });

  afterAll(async () => {
    await smtp?.close();
    await sms?.close();
  });

  it('marks transport failures failed (exit 3), backs off, then retries once and sends exactly one copy', async () => {
    smtp.refuse.add('bounce@example.org');
    sms.failNext = 1;
    const first = await runCli(['recall', 'run', '--json'], { database: t.handle, now: NOW, env: env(smtp, sms) });
    expect(first.code).toBe(3);
    const summary = first.json();
    expect(summary.sent.email).toBe(1);
    expect(summary.failed).toBe(2);
    expect(summary.failures).toEqual(
      expect.arrayContaining([
        { channel: 'email', reason: 'SMTP 550 (EENVELOPE)', count: 1 },
        { channel: 'sms', reason: 'SMS gateway HTTP 503', count: 1 },
      ]),
    );
    expect(first.stderr).not.toContain('bounce@example.org');
    const failed = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from reminder_log where status = 'failed' and sent_at is null and next_attempt_after > created_at`);
    expect(failed[0]!.n).toBe(2);

    const tooSoon = await runCli(['recall', 'run', '--json'], { database: t.handle, now: new Date(NOW.getTime() + 10 * 60_000), env: env(smtp, sms) });
    expect(tooSoon.code).toBe(0);
    expect(tooSoon.json().skipped['retry-later']).toBe(2);

    smtp.refuse.clear();
    const retry = await runCli(['recall', 'run', '--json'], { database: t.handle, now: new Date(NOW.getTime() + 2 * 3_600_000), env: env(smtp, sms) });
    expect(retry.code).toBe(0);
    expect(retry.json().sent).toMatchObject({ email: 1, sms: 1 });
    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual(['bounce@example.org', 'olga@example.org']);
    expect(sms.received).toHaveLength(1);
  });

  it('sends one copy when two runs start at the same time', async () => {
    const fresh = ['ann', 'ben', 'cat', 'dan'];
    for (const name of fresh) await diabetic(t.db, { firstName: name, lastName: 'Race', email: `${name}@example.org` });
    expect((await runCli(['recall', 'refresh'], { database: t.handle, now: NOW })).code).toBe(0);
    const at = new Date(NOW.getTime() + 3 * 3_600_000);
    const [a, b] = await Promise.all([
      runCli(['recall', 'run', '--json'], { database: t.handle, now: at, env: env(smtp, sms) }),
      runCli(['recall', 'run', '--json'], { database: t.handle, now: at, env: env(smtp, sms) }),
    ]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const raced = smtp.received.flatMap((m) => m.to).filter((to) => fresh.some((n) => to === `${n}@example.org`));
    expect(raced.sort()).toEqual(fresh.map((n) => `${n}@example.org`));
    expect(a.json().sent.email + b.json().sent.email).toBe(4);
    const keys = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from reminder_log where status = 'sent'`);
    expect(keys[0]!.n).toBe(7);
  });
});
