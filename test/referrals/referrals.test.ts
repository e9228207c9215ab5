import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { auditLog, priorAuthorizations, referrals } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { seedChart, type SeededChart } from '../fhir/seed.js';

const now = new Date('2026-04-01T12:00:00Z');

describeEachBackend('referrals', (t) => {
  let chart: SeededChart;
  let dir: string;
  beforeAll(async () => {
    chart = await seedChart(t.db);
    dir = await mkdtemp(join(tmpdir(), 'pk-referrals-'));
  });

  it('records a referral with its prior authorization and writes the packet', async () => {
    const run = await runCli(
      ['referrals', 'create', chart.mrn, '--to', 'Dr. Julius Hibbert Jr', '--npi', '1679576722', '--org', 'Springfield Heart Center', '--specialty', 'Cardiology', '--reason', 'Chest pain on exertion', '--reason-code', 'r079', '--from', '1245319599', '--follow-up', '2026-04-15', '--auth-number', 'PA-1', '--attach-summary', '--out', dir, '--json'],
      { database: t.handle, now },
    );
    expect(run.code, run.stderr).toBe(0);
    const result = run.json();
    expect(result.status).toBe('sent');
    const [row] = await t.db.select().from(referrals).where(eq(referrals.id, result.id));
    expect(row).toMatchObject({ toNpi: '1679576722', reasonSystem: 'http://hl7.org/fhir/sid/icd-10-cm', reasonCode: 'R07.9', followUpDate: '2026-04-15', status: 'sent' });
    const [auth] = await t.db.select().from(priorAuthorizations).where(eq(priorAuthorizations.id, row!.priorAuthorizationId!));
    expect(auth).toMatchObject({ authNumber: 'PA-1', status: 'approved' });
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.entity, 'referrals'));
    expect(audit.map((a) => a.entityId)).toContain(String(result.id));
    expect(JSON.stringify(audit)).not.toContain('Chest pain');

    for (const file of [result.packet.bundleFile, result.packet.pdfFile]) expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(result.packet.pdfFile)).subarray(0, 5).toString()).toBe('%PDF-');
    const bundle = JSON.parse(await readFile(result.packet.bundleFile, 'utf8'));
    const request = bundle.entry.map((e: any) => e.resource).find((r: any) => r.id === `ref-${result.id}`);
    expect(request).toMatchObject({ status: 'active', reasonCode: [{ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'R07.9' }], text: 'Chest pain on exertion' }], identifier: [{ value: 'PA-1' }] });
    const check = await runCli(['fhir', 'validate', result.packet.bundleFile]);
    expect(check.code, check.stdout).toBe(0);
    const again = await runCli(['referrals', 'packet', String(result.id), '--out', join(dir, 'again'), '--json'], { database: t.handle, now });
    expect(again.code, again.stderr).toBe(0);
    expect(await readFile(again.json().bundleFile, 'utf8')).toBe(await readFile(result.packet.bundleFile, 'utf8'));
  });

  it('keeps the referral and says how to retry when the packet cannot be written', async () => {
    const blocker = join(dir, 'not-a-folder');
    await writeFile(blocker, 'x');
    const run = await runCli(['referrals', 'create', chart.mrn, '--to', 'Dr. Y', '--reason', 'Back pain', '--attach-summary', '--out', blocker], { database: t.handle, now });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Referral \d+ was recorded, but its packet could not be written/);
    expect(run.stderr).toMatch(/practice referrals packet \d+/);
  });

  it('checks every input at once and saves nothing when one is wrong', async () => {
    const before = (await t.db.select().from(referrals)).length;
    const run = await runCli(['referrals', 'create', chart.mrn, '--to', 'Dr. X', '--reason', 'Knee', '--npi', '1234567890', '--reason-code', 'knee', '--follow-up', '2026-02-30', '--auth-status', 'maybe'], { database: t.handle, now });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/NPI/);
    expect(run.stderr).toMatch(/ICD-10-CM/);
    expect(run.stderr).toContain('--follow-up must be a date like 2026-03-01 (or 3/1/2026).');
    expect(run.stderr).toMatch(/authorization status/);
    expect((await t.db.select().from(referrals)).length).toBe(before);
    const counts = async () => [(await t.db.select().from(auditLog)).length, (await t.db.select().from(priorAuthorizations)).length];
    const countsBefore = await counts();
    const dry = await runCli(['referrals', 'create', chart.mrn, '--to', 'Dr. X', '--reason', 'Knee', '--auth-number', 'A1', '--follow-up', '2026-05-01', '--dry-run'], { database: t.handle, now });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Nothing was saved/);
    // The same statements ran (planThenApply) and were rolled back: no referral, no authorization, no audit entry.
    expect((await t.db.select().from(referrals)).length).toBe(before);
    expect(await counts()).toEqual(countsBefore);
    const dryJson = await runCli(['--json', 'referrals', 'create', chart.mrn, '--to', 'Dr. X', '--reason', 'Knee', '--follow-up', '2026-05-01', '--dry-run'], { database: t.handle, now });
    expect(dryJson.json()).toMatchObject({ dryRun: true, status: 'draft', followUpDate: '2026-05-01' });
  });

  it('lists open referrals with their authorization and flags due follow-ups', async () => {
    const created = await runCli(['referrals', 'create', chart.mrn, '--to', 'Dr. Marvin Monroe', '--reason', 'Counselling', '--follow-up', '2026-05-01', '--json'], { database: t.handle, now });
    expect(created.json().status).toBe('draft');
    const all = (await runCli(['referrals', 'list', '--json'], { database: t.handle, now })).json().referrals;
    expect(all.map((r: any) => r.followUpDate)).toEqual(['2026-04-01', '2026-04-15', '2026-05-01', null]);
    const due = (await runCli(['referrals', 'list', '--due', '--json'], { database: t.handle, now: new Date('2026-04-20T00:00:00Z') })).json().referrals;
    expect(due.map((r: any) => r.followUpDate)).toEqual(['2026-04-01', '2026-04-15']);
    const table = await runCli(['referrals', 'list'], { database: t.handle, now });
    expect(table.stdout).toContain('Dr. Julius Hibbert Jr (Springfield Heart Center)');
    expect(table.stdout).toContain('PA-1 (approved)');
  });

  it('changes status, authorization and follow-up, and closed referrals leave the open list', async () => {
    const id = (await runCli(['referrals', 'list', '--status', 'draft', '--json'], { database: t.handle, now })).json().referrals[0].id;
    const run = await runCli(['referrals', 'status', String(id), 'sent', '--auth-number', 'PA-9', '--auth-status', 'pending', '--follow-up', '2026-06-01', '--json'], { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().referral).toMatchObject({ status: 'sent', authNumber: 'PA-9', authStatus: 'pending', followUpDate: '2026-06-01' });
    const [row] = await t.db.select().from(referrals).where(eq(referrals.id, id));
    expect(row!.sentAt?.toISOString()).toBe(now.toISOString());
    await runCli(['referrals', 'status', String(id), 'completed'], { database: t.handle, now });
    const open = (await runCli(['referrals', 'list', '--json'], { database: t.handle, now })).json().referrals;
    expect(open.map((r: any) => r.id)).not.toContain(id);
    expect((await runCli(['referrals', 'status', String(id), 'lost'], { database: t.handle, now })).stderr).toMatch(/status must be one of/);
    expect((await runCli(['referrals', 'status', '999'], { database: t.handle, now })).code).toBe(1);
    expect((await runCli(['referrals', 'status', 'abc'], { database: t.handle, now })).code).toBe(2);
  });
});
