// `practice db roles`: on PostgreSQL the application role may only add to and read the audit trail, and
// the practice's commands still work under it (SECURITY.md, "Audit trail").
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServer, type PracticeDatabase } from '../../src/db/client.js';
import { pgCause } from '../../src/db/errors.js';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, describeEachBackend } from '../helpers/db.js';
import { NOW, seedPractice } from '../chart/setup.js';

describeEachBackend('db roles', (t) => {
  it('is for a PostgreSQL server only', async () => {
    const run = await runCli(['db', 'roles'], { database: t.handle });
    if (t.backend === 'pglite') {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('PostgreSQL');
    } else {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('grant select, insert on "public"."audit_log" to "practice_app";');
      expect(run.stdout).toContain('alter table "public"."audit_log" owner to "practice_owner";');
      expect(run.stdout).not.toMatch(/grant [^;]*(update|delete|truncate)[^;]*"audit_log"/i);
      // Printing changes nothing.
      expect(await queryRows(t.db, sql`select 1 from pg_roles where rolname = 'practice_app'`)).toHaveLength(0);
    }
  });
  it('refuses an unusable role name', async () => {
    expect((await runCli(['db', 'roles', '--app', 'x; drop table patients'], { database: t.handle })).code).toBe(2);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('the application role on PostgreSQL', () => {
  const suffix = randomBytes(3).toString('hex');
  const owner = `pk_owner_${suffix}`;
  const app = `pk_app_${suffix}`;
  let admin: PracticeDatabase;
  let asApp: PracticeDatabase;

  beforeAll(async () => {
    admin = await createTestDatabase('postgres');
    await seedPractice(admin.db);
    const applied = await runCli(['--json', 'db', 'roles', '--owner', owner, '--app', app, '--apply'], { database: admin });
    expect(applied.code).toBe(0);
    expect(applied.json().applied).toBe(true);
    const url = new URL(admin.location);
    url.username = app;
    asApp = await openServer(url.toString());
  });

  afterAll(async () => {
    await asApp?.close();
    // Dropping the test database takes the roles' objects and grants with it; then the roles can go.
    await admin.close();
    const cleanup = await openServer(process.env.TEST_DATABASE_URL!);
    await cleanup.db.execute(sql`drop role if exists ${sql.identifier(app)}`);
    await cleanup.db.execute(sql`drop role if exists ${sql.identifier(owner)}`);
    await cleanup.close();
  });

  async function refusal(statement: ReturnType<typeof sql>): Promise<string | undefined> {
    try {
      await asApp.db.execute(statement);
    } catch (error) {
      return pgCause(error)?.code;
    }
    return 'accepted';
  }

  it('cannot truncate, delete, update, or switch off or drop the trail\'s triggers', async () => {
    expect(await queryRows(asApp.db, sql`select current_user as me`)).toEqual([{ me: app }]);
    // 42501: insufficient privilege (not granted, or must be the table's owner).
    expect(await refusal(sql`truncate audit_log`)).toBe('42501');
    expect(await refusal(sql`delete from audit_log`)).toBe('42501');
    expect(await refusal(sql`update audit_log set actor = 'someone else'`)).toBe('42501');
    expect(await refusal(sql`alter table audit_log disable trigger audit_log_append_only`)).toBe('42501');
    expect(await refusal(sql`alter table audit_log disable trigger user`)).toBe('42501');
    expect(await refusal(sql`drop trigger audit_log_seal on audit_log`)).toBe('42501');
    expect(await refusal(sql`create table audit_log_copy (id int)`)).toBe('42501');
  });

  it('still runs the practice: register, show, export, and a sealed, verified trail', async () => {
    const cli = (args: string[]) => runCli(args, { database: asApp, now: NOW });
    const added = await cli(['--json', '--user', 'frontdesk', 'patients', 'add', '--first', 'Ana', '--last', 'Lopez', '--dob', '1975-02-01', '--sex', 'F']);
    expect(added.code).toBe(0);
    const mrn = added.json().created.mrn as string;
    expect((await cli(['--user', 'dr.quill', 'patients', 'show', mrn])).code).toBe(0);
    expect((await cli(['--user', 'dr.quill', 'problems', 'add', mrn, '--icd10', 'I10'])).code).toBe(0);
    expect((await cli(['--user', 'dr.quill', 'fhir', 'export', mrn])).code).toBe(0);
    expect((await cli(['db', 'status'])).code).toBe(0);
    const log = await cli(['--json', 'audit', 'log', '--patient', mrn]);
    expect(log.json().entries.map((e: { action: string }) => e.action)).toEqual(['insert', 'read', 'insert', 'export']);
    expect(log.json().entries.every((e: { seq: number | null }) => typeof e.seq === 'number')).toBe(true);
    const verify = await cli(['--json', 'audit', 'verify']);
    expect(verify.code).toBe(0);
    // The chart's four entries, and the bundled value sets the chart's care gaps loaded on first use.
    expect(verify.json()).toMatchObject({ ok: true, broken: null });
    expect(verify.json().entries).toBeGreaterThanOrEqual(4);
  });
});
