// "recall run --dry-run" runs the real run's planning (interrupted claims settled, what is due planned and
// claimed) and rolls it back: it reports exactly what the real run then does, and writes nothing but the
// chart reads of the charts it lists.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { reminderMessages } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { addAppointment, addDiabetes, addPatient, addPractice } from './fixtures.js';
import { startSmsGateway, startSmtp, type TestSmsGateway, type TestSmtp } from './servers.js';

const NOW = new Date('2026-11-10T16:00:00Z'); // 10:00 in Chicago
const EARLIER = new Date('2026-11-10T14:00:00Z');

const rules = [
  {
    code: 'diabetes-visit',
    name: 'Diabetes check-up',
    spacingDays: 14,
    definition: { visitLabel: 'check-up', eligibility: { diagnoses: [{ system: 'icd-10-cm', prefixes: ['E11'] }] }, basis: { kind: 'visit' }, interval: { months: 6 } },
  },
];

describeEachBackend('recall run --dry-run: the real run\'s plan, rolled back', (t) => {
  let smtp: TestSmtp;
  let sms: TestSmsGateway;
  let dir: string;
  let out: string;
  const run = (...extra: string[]) =>
    runCli(['recall', 'run', '--json', '--out-dir', out, ...extra], {
      database: t.handle,
      now: NOW,
      env: { PRACTICE_SMTP_URL: smtp.url, PRACTICE_SMTP_FROM: 'Clinic <r@maple.example>', PRACTICE_SMS_URL: sms.url, PRACTICE_SMS_FROM: '+15550100000' },
    });
  // Every row the sender writes, and the audit trail's length.
  const state = async () => ({
    messages: await queryRows(t.db, sql`select id, status, claimed_by, handed_over_at::text, replaces_id, failure_reason from reminder_messages order by id`),
    log: await queryRows(t.db, sql`select id, status, message_id from reminder_log order by id`),
    audit: (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log`))[0]!.n,
  });

  beforeAll(async () => {
    smtp = await startSmtp();
    sms = await startSmsGateway();
    dir = mkdtempSync(join(tmpdir(), 'recall-dry-'));
    out = mkdtempSync(join(tmpdir(), 'recall-dry-out-'));
    await addPractice(t.db);
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules));
    expect((await runCli(['recall', 'rules', 'add', '--file', 'rules.json'], { database: t.handle, cwd: dir })).code).toBe(0);
    const patients = [
      { firstName: 'Ada', lastName: 'Email', email: 'ada@example.org', preferredChannel: 'email' as const },
      { firstName: 'Sam', lastName: 'Text', phoneMobile: '555-201-0001', preferredChannel: 'sms' as const },
      { firstName: 'Lena', lastName: 'Letter', address: true },
      { firstName: 'Carl', lastName: 'Caller', phoneHome: '555-201-0003' },
      { firstName: 'Nora', lastName: 'Nowhere' },
    ];
    const ids: number[] = [];
    for (const p of patients) {
      const id = await addPatient(t.db, { dob: '1970-06-01', ...p });
      await addDiabetes(t.db, id);
      ids.push(id);
    }
    const visitor = await addPatient(t.db, { dob: '1980-01-01', firstName: 'Vic', lastName: 'Visit', email: 'vic@example.org' });
    await addAppointment(t.db, visitor, '2026-11-11T17:00:00Z');
    const booked = await addPatient(t.db, { dob: '1981-01-01', firstName: 'Una', lastName: 'Unknown', email: 'una@example.org' });
    await addAppointment(t.db, booked, '2026-11-12T17:00:00Z');
    expect((await runCli(['recall', 'refresh'], { database: t.handle, now: NOW })).code).toBe(0);
    // An interrupted run's expired claims: one never handed over (released, then sent), one handed over (unconfirmed).
    const lease = { status: 'claimed', claimedBy: 'dead-run', leaseExpiresAt: EARLIER, createdAt: EARLIER, updatedAt: EARLIER };
    await t.db.insert(reminderMessages).values([
      { patientId: visitor, purpose: 'appointment', channel: 'email', idempotencyKey: 'old-claim-visitor', ...lease },
      { patientId: booked, purpose: 'appointment', channel: 'email', idempotencyKey: 'old-claim-booked', handedOverAt: EARLIER, ...lease },
    ]);
  });

  afterAll(async () => {
    await smtp?.close();
    await sms?.close();
  });

  it('reports what the real run then does, and writes nothing but chart reads', async () => {
    const before = await state();
    const dry = await run('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    const plan = dry.json();
    expect(plan).toMatchObject({ dryRun: true, released: 1, unconfirmed: 1, planned: { email: 1, sms: 1, letter: 1, calls: 1 } });
    expect(plan.files).toEqual({ letters: expect.stringMatching(/recall-letters-.*\.pdf$/), calls: expect.stringMatching(/recall-calls-.*\.csv$/) });

    const after = await state();
    expect(after.messages).toEqual(before.messages);
    expect(after.log).toEqual(before.log);
    const added = await queryRows<{ action: string; view: string }>(t.db, sql`select action, details->>'view' as view from audit_log order by id offset ${before.audit}`);
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((a) => a.action === 'read' && a.view === 'recall-run-dry-run')).toBe(true);
    expect(readdirSync(out)).toEqual([]);
    expect(smtp.received).toHaveLength(0);
    expect(sms.received).toHaveLength(0);

    const real = await run();
    expect(real.code, real.stderr).toBe(3); // Nora has no contact details; Una's reminder is unconfirmed
    const done = real.json();
    for (const key of ['due', 'patients', 'planned', 'skipped', 'released', 'unconfirmed', 'unsent', 'files', 'warnings'] as const) expect(done[key], key).toEqual(plan[key]);
    expect(done.appointments).toEqual({ ...plan.appointments, sent: plan.appointments.planned });
    expect(done.sent).toEqual(plan.planned);
    expect(readdirSync(out).sort()).toEqual([plan.files.calls, plan.files.letters].map((f: string) => f.slice(out.length + 1)).sort());
    expect(smtp.received.length + sms.received.length).toBe(plan.planned.email + plan.planned.sms + plan.appointments.planned.email + plan.appointments.planned.sms);
  });
});
