import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { auditLog, charges, encounterDiagnoses, encounters, patients, progressNotes } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { auditCount, NOW, NPI_A, seedPractice } from './setup.js';

describeEachBackend('practice encounters', (t) => {
  const cli = (args: string[], extra: Parameters<typeof runCli>[1] = {}) => runCli(args, { database: t.handle, now: NOW, ...extra });
  let dir = '';

  beforeAll(async () => {
    await seedPractice(t.db);
    await t.db.insert(patients).values({ mrn: 'V1', firstName: 'Omar', lastName: 'Reyes', dob: '1961-06-30', searchName: 'reyes omar' });
    dir = mkdtempSync(join(tmpdir(), 'pk-visit-'));
    writeFileSync(join(dir, 'visit.txt'), 'S: feels well\nO: BP 132/84\nA: T2DM, HTN\nP: recheck A1c in 3 months\n');
  });

  it('refuses a code without a fee, then prices from the fee schedule', async () => {
    const unpriced = await cli(['encounters', 'add', 'V1', '--provider', NPI_A, '--date', '2026-03-09', '--cpt', '99214', '--dx', 'E11.9', '--no-note']);
    expect(unpriced.code).toBe(1);
    expect(unpriced.stderr).toContain('No fee is set for 99214');
    expect(await t.db.select().from(encounters)).toHaveLength(0);
    expect((await cli(['encounters', 'fees', 'set', '99214', '$145.00'])).code).toBe(0);
    expect((await cli(['encounters', 'fees', 'set', '36415', '12'])).code).toBe(0);
    expect((await cli(['encounters', 'fees', 'list', '--json'])).json().fees).toHaveLength(2);
    expect((await cli(['encounters', 'fees', 'set', '9921', '10'])).code).toBe(2);
  });

  it('records the visit, its diagnoses in order, charges with pointers and modifiers, and the note', async () => {
    const run = await cli(
      ['encounters', 'add', 'V1', '--provider', NPI_A, '--date', '2026-03-09 10:15', '--cpt', '99214:25,36415', '--dx', 'E11.9,i10,Z79.4,E78.5,E66.9', '--duration', '25', '--note-file', 'visit.txt', '--json'],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json();
    const [visit] = await t.db.select().from(encounters).where(eq(encounters.id, doc.encounterId));
    expect(visit).toMatchObject({ durationMinutes: 25, typeCode: '99214', status: 'finished' });
    expect(visit!.startsAt.toISOString()).toBe('2026-03-09T14:15:00.000Z');
    const dx = await t.db.select().from(encounterDiagnoses).where(eq(encounterDiagnoses.encounterId, visit!.id)).orderBy(asc(encounterDiagnoses.position));
    expect(dx.map((d) => d.code)).toEqual(['E11.9', 'I10', 'Z79.4', 'E78.5', 'E66.9']);
    const lines = await t.db.select().from(charges).where(eq(charges.encounterId, visit!.id)).orderBy(asc(charges.id));
    expect(lines.map((l) => [l.code, l.modifiers, l.amountCents, l.diagnosisPointers, l.serviceDate, l.placeOfService, l.status])).toEqual([
      ['99214', ['25'], 14500, [1, 2, 3, 4], '2026-03-09', '11', 'unbilled'],
      ['36415', [], 1200, [1, 2, 3, 4], '2026-03-09', '11', 'unbilled'],
    ]);
    const [note] = await t.db.select().from(progressNotes).where(eq(progressNotes.encounterId, visit!.id));
    expect(note).toMatchObject({ assessment: 'T2DM, HTN', noteDate: '2026-03-09' });
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.entity, 'charges'));
    expect(audit).toHaveLength(2);
    const list = (await cli(['encounters', 'list', 'V1', '--json'])).json();
    expect(list.encounters[0]).toMatchObject({ diagnoses: ['E11.9', 'I10', 'Z79.4', 'E78.5', 'E66.9'], type: '99214' });
  });

  it('uses --amount for a single code and refuses it with several', async () => {
    const run = await cli(['encounters', 'add', 'V1', '--provider', NPI_A, '--date', '2026-03-10', '--cpt', 'G0439', '--modifiers', '33', '--amount', '175.50', '--dx', 'Z00.00', '--no-note', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().charges[0]).toMatchObject({ code: 'G0439', modifiers: ['33'], amountCents: 17550, diagnosisPointers: [1] });
    const several = await cli(['encounters', 'add', 'V1', '--provider', NPI_A, '--cpt', '99213,36415', '--amount', '10', '--dx', 'I10', '--no-note']);
    expect(several.code).toBe(2);
    expect(several.stderr).toContain('--amount can only be used with a single --cpt code');
  });

  it('refuses bad codes, a future date and an unknown provider, writing nothing', async () => {
    const before = await auditCount(t.db);
    const bad = await cli(['encounters', 'add', 'V1', '--provider', NPI_A, '--date', '2026-03-20', '--cpt', '9921,99213:ABC', '--dx', 'E11.9,XYZ', '--no-note']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"9921" is not a CPT or HCPCS code');
    expect(bad.stderr).toContain('ABC are not valid');
    expect(bad.stderr).toContain('"XYZ" is not an ICD-10-CM code');
    const header = await cli(['encounters', 'add', 'V1', '--provider', NPI_A, '--cpt', '99213', '--amount', '10', '--dx', 'E11.0', '--no-note']);
    expect(header.code).toBe(1);
    expect(header.stderr).toContain('E11.0 is an ICD-10-CM category, not a billable code; choose a billable code: E11.00, E11.01.');
    expect(bad.stderr).toContain('in the future');
    const npi = await cli(['encounters', 'add', 'V1', '--provider', '1234567890', '--cpt', '99214', '--dx', 'I10', '--no-note']);
    expect(npi.code).toBe(2);
    expect(npi.stderr).toContain('check digit');
    const unknownMrn = await cli(['encounters', 'add', 'NOPE', '--provider', NPI_A, '--cpt', '99214', '--dx', 'I10', '--no-note']);
    expect(unknownMrn.code).toBe(1);
    expect(await auditCount(t.db)).toBe(before);
  });
});
