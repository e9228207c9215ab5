import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { patientSearchName } from '../../src/chart/names.js';
import { queryRows } from '../../src/db/query.js';
import { auditLog, patients } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { auditCount, NOW, seedPractice } from './setup.js';

describe('patientSearchName', () => {
  it('is lower-case, accent-free "last first"', () => {
    expect(patientSearchName({ firstName: 'José', lastName: "Núñez-O'Brien" })).toBe('nunez obrien jose');
  });
});

describeEachBackend('practice patients', (t) => {
  const cli = (args: string[], extra: Parameters<typeof runCli>[1] = {}) => runCli(args, { database: t.handle, now: NOW, ...extra });

  beforeAll(async () => {
    await seedPractice(t.db);
  });

  it('registers a patient with normalised fields, search name and an audit entry', async () => {
    const run = await cli(['patients', 'add', '--first', 'María', '--last', 'García', '--dob', '4/23/1980', '--sex', 'F', '--phone', '(617) 555-0134', '--state', 'ma', '--zip', '02134', '--mrn', 'C100', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().created).toMatchObject({ mrn: 'C100', dob: '1980-04-23', sex: 'female', phone: '617-555-0134' });
    const [row] = await t.db.select().from(patients).where(eq(patients.mrn, 'C100'));
    expect(row).toMatchObject({ searchName: 'garcia maria', state: 'MA', zip: '02134' });
    const [audit] = await t.db.select().from(auditLog).where(eq(auditLog.entityId, String(row!.id)));
    expect(audit).toMatchObject({ actor: 'test-user', action: 'insert', entity: 'patients' });
    expect(JSON.stringify(audit!.details)).not.toContain('García');
  });

  it('refuses a future birth date and bad contact details in one message, writing nothing', async () => {
    const before = await auditCount(t.db);
    const run = await cli(['patients', 'add', '--first', 'Zed', '--last', 'Future', '--dob', '2027-01-01', '--email', 'not-an-email', '--state', 'XX']);
    expect(run.code).toBe(1);
    // Each problem once: a headline, then one line per problem, after the option typed (not the field's name).
    expect(run.stderr).toBe(
      'error: 3 problems:\n' +
        '  - --dob: the date of birth is in the future.\n' +
        '  - --email: the email address is not valid (it should look like name@example.com).\n' +
        '  - --state: the state must be a two-letter USPS code such as MA or NY.\n',
    );
    expect(run.stderr).not.toContain('2027-01-01');
    expect(await auditCount(t.db)).toBe(before);
    expect(await t.db.select().from(patients).where(eq(patients.lastName, 'Future'))).toHaveLength(0);
  });

  it('refuses a chart number already in use', async () => {
    const run = await cli(['patients', 'add', '--first', 'Other', '--last', 'Person', '--dob', '1990-01-01', '--mrn', 'C100']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('already belongs to another patient');
  });

  it('gives a chart number when none is given', async () => {
    const run = await cli(['patients', 'add', '--first', 'Robert', '--last', 'Smith', '--dob', '1955-07-01', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().created.mrn).toMatch(/^P[0-9]{6}$/);
  });

  it('stops a second registration with the same name and date of birth, with the choices, until told it is a different person', async () => {
    const count = async () => (await t.db.select().from(patients)).length;
    const before = await count();
    const again = await cli(['patients', 'add', '--first', 'ROBERT', '--last', 'smith', '--dob', '7/1/1955', '--json']);
    expect(again.code, again.stderr).toBe(1);
    expect(again.json().error).toMatchObject({ code: 'POSSIBLE_DUPLICATE', message: 'A patient with the same name and date of birth is already registered: nothing was registered.' });
    expect(again.stderr).toContain('Choices: look the patient up with "practice patients find <name or date of birth>" and use that chart; or, if this is a different person, register them with --not-a-duplicate.');
    expect(again.stderr).not.toMatch(/Robert|Smith|1955|P0/i);
    expect(await count()).toBe(before);
    const different = await cli(['patients', 'add', '--first', 'Robert', '--last', 'Smith', '--dob', '1955-07-01', '--not-a-duplicate', '--json']);
    expect(different.code, different.stderr).toBe(0);
    const [audit] = await queryRows<{ details: { sameNameAndBirthDate?: number } }>(t.db, sql`select a.details from audit_log a join patients p on a.entity_id = p.id::text where a.entity = 'patients' and a.action = 'insert' and p.mrn = ${different.json().created.mrn}`);
    expect(audit!.details.sameNameAndBirthDate).toBe(1);
    // On the form, the doubt is asked there and then; "no" registers nothing.
    const answers: Record<string, string> = { 'First name': 'Robert', 'Last name': 'Smith', 'Date of birth': '1955-07-01' };
    const asked: string[] = [];
    const prompter = (answer: boolean) => ({
      input: async (message: string) => answers[message] ?? '',
      confirm: async (message: string) => (asked.push(message), answer),
      select: async () => undefined as never,
    });
    const declined = await cli(['patients', 'add'], { tty: true, prompter: prompter(false) });
    expect(declined.code).toBe(1);
    expect(asked).toEqual(['Is this a different person (register a new chart)?']);
    expect(declined.stderr).toContain('2 patients with the same name and date of birth are already registered.');
    expect(await count()).toBe(before + 1);
    expect((await cli(['patients', 'add'], { tty: true, prompter: prompter(true) })).code).toBe(0);
    expect(await count()).toBe(before + 2);
  });

  it('asks with a form on a terminal when no option is given, and refuses without one', async () => {
    const refused = await cli(['patients', 'add']);
    expect(refused.code).toBe(2);
    const answers: Record<string, string> = { 'First name': 'Lena', 'Last name': 'Ortiz', 'Date of birth': '2001-02-03', Sex: 'f' };
    const prompter = {
      input: async (message: string, options?: { validate?: (v: string) => true | string }) => {
        const value = answers[message] ?? '';
        expect(options?.validate?.(value)).toBe(true);
        if (message === 'Date of birth') expect(options?.validate?.('2099-01-01')).toContain('future');
        return value;
      },
      confirm: async () => true,
      select: async () => undefined as never,
    };
    const run = await cli(['patients', 'add', '--json'], { tty: true, prompter });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().created).toMatchObject({ firstName: 'Lena', lastName: 'Ortiz', sex: 'female' });
  });

  it('finds patients by name in any order, without accents, by DOB and by phone', async () => {
    for (const query of [['garcia,', 'maria'], ['Maria', 'Garcia'], ['GARCÍA'], ['1980-04-23'], ['617-555-0134'], ['C100']]) {
      const run = await cli(['patients', 'find', ...query, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.json().patients.map((p: { mrn: string }) => p.mrn), query.join(' ')).toEqual(['C100']);
    }
    const none = await cli(['patients', 'find', 'nobody']);
    expect(none.stdout).toContain('No patient matches');
    // "search" is the word many people reach for first.
    expect((await cli(['patients', 'search', 'c100', '--json'])).json().patients.map((p: { mrn: string }) => p.mrn)).toEqual(['C100']);
  });

  it('matches chart numbers in any case, refuses one differing only by case, and says how many a capped search found', async () => {
    const lower = await cli(['patients', 'find', 'c100', '--json']);
    expect(lower.json().patients.map((p: { mrn: string }) => p.mrn)).toEqual(['C100']);
    const twin = await cli(['patients', 'add', '--first', 'Other', '--last', 'Person', '--dob', '1990-01-01', '--mrn', 'c100']);
    expect(twin.code).toBe(1);
    expect(twin.stderr).toContain('already belongs to another patient');
    for (const first of ['Ann', 'Bea', 'Cal']) {
      const added = await cli(['patients', 'add', '--first', first, '--last', 'Capwell', '--dob', '1970-01-01']);
      expect(added.code, added.stderr).toBe(0);
    }
    const capped = await cli(['patients', 'find', 'capwell', '--limit', '2', '--json']);
    expect(capped.code, capped.stderr).toBe(0);
    expect(capped.json()).toMatchObject({ count: 2, total: 3 });
    expect(capped.stderr).toContain('Showing 2 of 3; narrow the search or use --limit.');
  });

  it('edits fields, keeps the search name in step, and says what changed', async () => {
    const run = await cli(['patients', 'edit', 'C100', '--last', 'García-López', '--email', 'maria@example.org', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().changed.sort()).toEqual(['email', 'lastName']);
    const [row] = await t.db.select().from(patients).where(eq(patients.mrn, 'C100'));
    expect(row!.searchName).toBe('garcia lopez maria');
    const unknown = await cli(['patients', 'edit', 'NOPE', '--email', 'a@b.co']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('That chart number (MRN) was not found.');
  });

  it('edits through the form on a terminal, offering the current values', async () => {
    const asked: Record<string, string | undefined> = {};
    const prompter = {
      input: async (message: string, options?: { default?: string }) => {
        asked[message] = options?.default;
        return message === 'City' ? 'Boston' : (options?.default ?? '');
      },
      confirm: async () => true,
      select: async () => undefined as never,
    };
    const run = await cli(['patients', 'edit', 'C100', '--json'], { tty: true, prompter });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().changed).toEqual(['city']);
    expect(asked['First name']).toBe('María');
    expect((await cli(['patients', 'edit', 'C100'])).code).toBe(2);
  });

  it('shows the chart summary as text, JSON and a private PDF', async () => {
    const text = await cli(['patients', 'show', 'C100']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('María García-López');
    expect(text.stdout).toContain('No known allergies recorded.');
    expect(text.stdout).toContain('Care gaps');
    const json = (await cli(['patients', 'show', 'C100', '--json'])).json();
    expect(json.patient).toMatchObject({ mrn: 'C100', dob: '1980-04-23' });
    // The bundled 2026 value sets load on first use, so care gaps are computed (none for this visit-less chart).
    expect(json.careGaps).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'pk-chart-'));
    const pdf = await cli(['patients', 'show', 'C100', '--pdf', 'chart.pdf'], { cwd: dir });
    expect(pdf.code, pdf.stderr).toBe(0);
    const file = join(dir, 'chart.pdf');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('deactivates and records a death, refusing a future date of death', async () => {
    const future = await cli(['patients', 'deceased', 'C100', '--date', '2026-12-01']);
    expect(future.code).toBe(1);
    expect(future.stderr).toContain('date of death is in the future');
    const bad = await cli(['patients', 'deceased', 'C100', '--date', 'soon']);
    expect(bad.code).toBe(2);
    const run = await cli(['patients', 'deceased', 'C100', '--date', '2026-03-01', '--json']);
    expect(run.json()).toMatchObject({ deceasedDate: '2026-03-01', active: false });
    expect((await cli(['patients', 'find', 'garcia', '--json'])).json().count).toBe(0);
    expect((await cli(['patients', 'find', 'garcia', '--all', '--json'])).json().count).toBe(1);
    const off = await cli(['patients', 'deactivate', 'C100', '--json']);
    expect(off.json().active).toBe(false);
  });
});
