// No patient data in diagnostics, and no password anywhere a URL is shown: database errors that carry
// row values (PostgreSQL's detail, drizzle's "params:" message) are shown by their rule, and --debug adds
// the stack, the SQL and the parameter types only. Passwords on the command line are refused.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { redactSecrets, splitPassword, urlHasPassword } from '../../src/db/url.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { serverDatabaseUrl } from '../helpers/templates.js';

const NOW = new Date('2026-03-10T15:00:00Z');
// A patient whose name and birth date must never appear in any message.
const PHI = ['Quixotic', 'Zebulon', '1961-02-03'];
// --not-a-duplicate: past the practice's own same-name-and-birth-date stop, so the database's rule is what refuses.
const add = (mrn: string, extra: string[] = []) => ['patients', 'add', '--first', 'Zebulon', '--last', 'Quixotic', '--dob', '1961-02-03', '--sex', 'M', '--mrn', mrn, '--not-a-duplicate', ...extra];

function expectNoPhi(run: CliRun): void {
  for (const value of PHI) expect(run.stdout + run.stderr).not.toContain(value);
}

describeEachBackend('database errors with patient values', (t) => {
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW });

  beforeAll(async () => {
    // Stand-ins for rules only the database enforces: their errors carry the row's values
    // (detail "Key (last_name, dob)=(Quixotic, 1961-02-03) already exists", "Failing row contains (...)").
    await t.db.execute(sql`create unique index diag_name_dob_uq on patients (last_name, dob)`);
    await t.db.execute(sql`alter table patients add constraint diag_zip_ck check (zip is null or length(zip) <= 5)`);
    expect((await cli(add('D1'))).code).toBe(0);
  });

  it('names the broken rule, never the row, and does not suggest --debug for bad input', async () => {

    const plain = await cli(add('D2'));
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('The database refused the change: it breaks the rule "diag_name_dob_uq" (the record already exists).');
    expect(plain.stderr).toContain('Check the values given');
    expect(plain.stderr).not.toContain('--debug');
    expect(plain.stdout).toBe('');
    expectNoPhi(plain);

    const json = await cli(['--json', ...add('D2')]);
    expect(json.json().error).toMatchObject({ code: 'PG_23505' });
    expectNoPhi(json);
  });

  it('with --debug shows the stack, the SQL and the parameter types, never their values', async () => {
    const run = await cli(['--debug', ...add('D3')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/SQL: insert into "patients" \("id", "mrn", "first_name"/);
    expect(run.stderr).toMatch(/parameters \(types only\): \$1 (text|varchar), \$2 (text|varchar)/);
    expect(run.stderr).toContain('database error: code 23505');
    expect(run.stderr).toContain('constraint diag_name_dob_uq');
    expect(run.stderr).toMatch(/\n\s+at .*patients/);
    expect(run.stderr).not.toContain('D3');
    expectNoPhi(run);
  });

  it('keeps a check constraint\'s "Failing row contains (...)" out of the output', async () => {
    for (const debug of [[], ['--debug']]) {
      const run = await cli([...debug, ...['patients', 'add', '--first', 'Zebulon', '--last', 'Quixotic', '--dob', '1961-02-04', '--sex', 'M', '--mrn', 'D4', '--zip', '02134-1234']]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('it breaks the rule "diag_zip_ck"');
      expect(run.stderr).not.toContain('02134');
      expectNoPhi(run);
    }
  });

  it('a user error never suggests --debug; an unexpected one does, still without values', async () => {
    const missing = await cli(['patients', 'show', 'NO-SUCH-CHART']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).not.toContain('--debug');
    const usage = await cli(['patients', 'add', '--dob', 'someday', '--first', 'Zebulon', '--last', 'Quixotic']);
    expect(usage.code).not.toBe(0);
    expect(usage.stderr).not.toContain('--debug');

    // A schema the code does not expect (a column renamed): an internal error.
    await t.db.execute(sql`alter table patients rename column language to language_gone`);
    try {
      const run = await cli(add('D5'));
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Postgres error 42703');
      expect(run.stderr).toContain('Run again with --debug');
      expectNoPhi(run);
      const debug = await cli(['--debug', ...add('D5')]);
      expect(debug.stderr).toContain('column "language" of relation "patients" does not exist');
      expectNoPhi(debug);
    } finally {
      await t.db.execute(sql`alter table patients rename column language_gone to language`);
    }
  });
});

describe('database passwords', () => {
  const SECRET = 'S3cret-pw';

  it('finds and hides a password in every form a URL carries one', () => {
    expect(urlHasPassword('postgres://u:pw@h/db')).toBe(true);
    expect(urlHasPassword('postgres://u@h/db?sslmode=require&password=pw')).toBe(true);
    expect(urlHasPassword('postgres://u@h1:5432,h2:5432/db')).toBe(false);
    expect(redactSecrets(`postgres://u:${SECRET}@host/db`)).toBe('postgres://u:***@host/db');
    expect(redactSecrets(`postgres://u:p@ss@host/db and postgres://h/db?password=${SECRET}&x=1`)).toBe('postgres://u:***@host/db and postgres://h/db?password=***&x=1');
    expect(splitPassword(`postgres://u:${encodeURIComponent('p@ss')}@host/db?password=&sslmode=require`)).toEqual({ url: 'postgres://u@host/db?sslmode=require', password: '' });
    expect(splitPassword(`postgres://u:p%40ss@host/db`)).toEqual({ url: 'postgres://u@host/db', password: 'p@ss' });
  });

  it('refuses one on the command line (exit 2), without echoing it', async () => {
    for (const url of [`postgres://me:${SECRET}@localhost/practice`, `postgres://me@localhost/practice?sslmode=disable&password=${SECRET}`, `postgres://me@localhost/practice?password=${SECRET}`]) {
      const run = await runCli(['--database-url', url, 'db', 'status']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('DATABASE_URL');
      expect(run.stderr).toContain('PGPASSWORD');
      expect(run.stdout + run.stderr).not.toContain(SECRET);
    }
  });

  it('hides it in a connection failure, with or without --debug', async () => {
    for (const url of [`postgres://me:${SECRET}@127.0.0.1:1/practice`, `postgres://me@127.0.0.1:1/practice?password=${SECRET}`]) {
      for (const debug of [[], ['--debug']]) {
        const run = await runCli([...debug, 'db', 'status'], { env: { DATABASE_URL: url } });
        expect(run.code).toBe(1);
        expect(run.stderr).toContain('Cannot connect to the PostgreSQL server at postgres://me');
        expect(run.stderr).toMatch(/me:\*\*\*@127\.0\.0\.1:1|password=\*\*\*/);
        expect(run.stdout + run.stderr).not.toContain(SECRET);
      }
    }
  });

  const adminUrl = process.env.TEST_DATABASE_URL;
  it.skipIf(!adminUrl)('db status on a server shows the URL with the password hidden, given in DATABASE_URL', async () => {
    const { default: postgres } = await import('postgres');
    const admin = postgres(adminUrl!, { max: 1, onnotice: () => undefined });
    const name = `pk_diag_${randomBytes(4).toString('hex')}`;
    await admin`create database ${admin(name)} template ${admin(inject('serverTemplate')!)}`;
    try {
      const url = new URL(serverDatabaseUrl(adminUrl!, name));
      // The test server trusts local connections: the password is carried, not checked.
      url.password = SECRET;
      const inUrl = await runCli(['db', 'status', '--json'], { env: { DATABASE_URL: url.toString() } });
      expect(inUrl.code, inUrl.stderr).toBe(0);
      expect(inUrl.json().location).toBe(`postgres://${url.username}:***@${url.host}/${name}`);
      expect(inUrl.stdout + inUrl.stderr).not.toContain(SECRET);
      const human = await runCli(['--debug', 'db', 'status'], { env: { DATABASE_URL: url.toString() } });
      expect(human.stdout).toContain(':***@');
      expect(human.stdout + human.stderr).not.toContain(SECRET);

    } finally {
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end();
    }
  });
});
