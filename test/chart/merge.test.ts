import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { scorePair } from '../../src/chart/duplicates.js';
import { allergies, appointments, auditLog, communicationConsents, patients, problems, recallRules, recalls } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { NOW, seedPractice } from './setup.js';

const side = (firstName: string, lastName: string, dob: string, extra: { phone?: string; email?: string } = {}) => ({ id: 0, mrn: 'x', firstName, lastName, dob, phone: extra.phone ?? null, email: extra.email ?? null });

describe('duplicate scoring', () => {
  it('explains typos, nicknames, swapped names and date slips', () => {
    expect(scorePair(side('Katherine', 'Smith', '1980-01-02'), side('Kate', 'Smith', '1980-01-02'))).toMatchObject({ reasons: ['same date of birth', 'same last name', 'first names are nickname and full name'] });
    expect(scorePair(side('John', 'Smith', '1980-01-02'), side('Smith', 'John', '1980-01-02')).reasons).toContain('first and last names swapped');
    expect(scorePair(side('Jonathan', 'Mcallister', '1980-01-02'), side('Jonathon', 'Macallister', '1980-01-02')).reasons).toEqual(['same date of birth', 'similar last names (typo?)', 'similar first names (typo?)']);
    expect(scorePair(side('Ann', 'Lee', '1980-01-02'), side('Ann', 'Lee', '1980-02-01')).reasons[0]).toBe('dates of birth differ by a likely typo');
    expect(scorePair(side('Ann', 'Lee', '1980-01-02'), side('Zoe', 'Park', '1980-01-02')).score).toBeLessThan(70);
  });
});

describeEachBackend('practice patients duplicates and merge', (t) => {
  const cli = (args: string[], extra: Parameters<typeof runCli>[1] = {}) => runCli(args, { database: t.handle, now: NOW, ...extra });
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    await seedPractice(t.db);
    const rows = await t.db
      .insert(patients)
      .values([
        { mrn: 'K1', firstName: 'Katherine', lastName: 'Doyle', dob: '1975-05-05', searchName: 'doyle katherine', phoneMobile: '617-555-0101' },
        { mrn: 'K2', firstName: 'Kate', lastName: 'Doyle', dob: '1975-05-05', searchName: 'doyle kate', phoneMobile: '617-555-0101' },
        { mrn: 'S1', firstName: 'Wei', lastName: 'Chen', dob: '1990-10-10', searchName: 'chen wei' },
        { mrn: 'S2', firstName: 'Chen', lastName: 'Wei', dob: '1990-10-10', searchName: 'wei chen' },
        { mrn: 'U1', firstName: 'Paul', lastName: 'Unrelated', dob: '1975-05-05', searchName: 'unrelated paul' },
      ])
      .returning();
    for (const row of rows) ids[row.mrn] = row.id;
    const [rule] = await t.db.insert(recallRules).values({ code: 'A1C', name: 'A1c check', definition: {} }).returning();
    await t.db.insert(problems).values([{ patientId: ids.K2!, codeSystem: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'I10' }]);
    await t.db.insert(allergies).values([{ patientId: ids.K2!, substance: 'Latex' }]);
    await t.db.insert(appointments).values([{ patientId: ids.K2!, startsAt: new Date('2026-04-01T14:00:00Z') }]);
    await t.db.insert(recalls).values([
      { patientId: ids.K1!, ruleId: rule!.id, dueDate: '2026-05-01' },
      { patientId: ids.K2!, ruleId: rule!.id, dueDate: '2026-04-01' },
    ]);
    await t.db.insert(communicationConsents).values([
      { patientId: ids.K1!, channel: 'sms', optedOut: false },
      { patientId: ids.K2!, channel: 'sms', optedOut: true },
      { patientId: ids.K2!, channel: 'email', optedOut: false },
    ]);
  });

  it('lists likely duplicates with scores and reasons, not unrelated people born the same day', async () => {
    const run = await cli(['patients', 'duplicates', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const pairs = run.json().pairs.map((p: { a: { mrn: string }; b: { mrn: string }; reasons: string[] }) => [p.a.mrn, p.b.mrn, p.reasons]);
    expect(pairs).toHaveLength(2);
    expect(pairs).toContainEqual(['K1', 'K2', expect.arrayContaining(['first names are nickname and full name', 'same phone'])]);
    expect(pairs).toContainEqual(['S1', 'S2', expect.arrayContaining(['first and last names swapped'])]);
    expect((await cli(['patients', 'duplicates'])).stdout).toContain('patients merge');
    expect((await cli(['patients', 'duplicates', '--min-score', 'high'])).code).toBe(2);
  });

  it('shows the plan on --dry-run and changes nothing', async () => {
    const run = await cli(['patients', 'merge', 'K1', 'K2', '--dry-run', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const plan = run.json();
    expect(plan).toMatchObject({ merged: false, dryRun: true });
    expect(Object.keys(plan.moves).sort()).toEqual(['allergies', 'appointments', 'communication_consents', 'problems', 'recalls']);
    expect(plan.recallsCancelled).toHaveLength(1);
    expect(plan.consentsFolded).toEqual([expect.objectContaining({ channel: 'sms', optOutCarried: true })]);
    expect(await t.db.select().from(problems).where(eq(problems.patientId, ids.K2!))).toHaveLength(1);
  });

  it('needs --yes without a terminal, and refuses merging a chart into itself', async () => {
    expect((await cli(['patients', 'merge', 'K1', 'K2'])).code).toBe(2);
    expect((await cli(['patients', 'merge', 'K1', 'K1', '--yes'])).code).toBe(2);
    expect((await cli(['patients', 'merge', 'K1', 'NOPE', '--yes'])).code).toBe(1);
  });

  it('moves every record in one go, keeps opt-outs, and audits what moved', async () => {
    const run = await cli(['patients', 'merge', 'K1', 'K2', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(await t.db.select().from(problems).where(eq(problems.patientId, ids.K1!))).toHaveLength(1);
    expect(await t.db.select().from(allergies).where(eq(allergies.patientId, ids.K2!))).toHaveLength(0);
    expect(await t.db.select().from(appointments).where(eq(appointments.patientId, ids.K1!))).toHaveLength(1);
    const open = await t.db.select().from(recalls).where(and(eq(recalls.patientId, ids.K1!), eq(recalls.status, 'open')));
    expect(open).toHaveLength(1);
    const consents = await t.db.select().from(communicationConsents).where(eq(communicationConsents.patientId, ids.K1!));
    expect(consents.map((c) => [c.channel, c.optedOut]).sort()).toEqual([['email', false], ['sms', true]]);
    const [dropped] = await t.db.select().from(patients).where(eq(patients.id, ids.K2!));
    expect(dropped!.active).toBe(false);
    const [audit] = await t.db.select().from(auditLog).where(and(eq(auditLog.action, 'merge'), eq(auditLog.entityId, String(ids.K1!))));
    expect(audit!.details).toMatchObject({ keptPatientId: ids.K1, droppedPatientId: ids.K2, moved: { problems: [expect.any(Number)], allergies: [expect.any(Number)] } });
    expect((await cli(['patients', 'duplicates', '--json'])).json().pairs).toHaveLength(1);
    expect((await cli(['patients', 'show', 'K2'])).stdout).toContain('merged into chart K1');
  });
});
