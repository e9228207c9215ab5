import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/db/audit.js';
import { queryRows } from '../../src/db/query.js';
import { auditLog } from '../../src/db/schema/index.js';
import { practiceTables } from '../../src/db/status.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

describeEachBackend('the migrated database', (t) => {
  it('has every table of the schema and no pending migration', async () => {
    const status = await runCli(['db', 'status', '--json'], { database: t.handle });
    expect(status.code).toBe(0);
    const doc = status.json();
    expect(doc.backend).toBe(t.backend);
    expect(doc.migrationsPending).toBe(0);
    expect(Object.keys(doc.rowCounts).sort()).toHaveLength(practiceTables.length);
    expect(doc.rowCounts.patients).toBe(0);
  });

  it('keeps the audit log append-only', async () => {
    await recordAudit(t.db, { actor: 'nurse', command: 'practice test' }, { action: 'insert', entity: 'patients', entityId: 1 });
    const rows = await t.db.select().from(auditLog);
    expect(rows.at(-1)).toMatchObject({ actor: 'nurse', entity: 'patients', entityId: '1' });
    await expect(t.db.execute(sql`update audit_log set actor = 'someone else'`)).rejects.toThrow();
    await expect(t.db.execute(sql`delete from audit_log`)).rejects.toThrow();
    const after = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log where actor = 'nurse'`);
    expect(after[0]!.n).toBe(1);
  });

  it('returns counts as numbers and dates as text on both drivers', async () => {
    const rows = await queryRows<{ n: number; d: string }>(t.db, sql`select count(*) as n, '2026-01-31'::date as d from audit_log`);
    expect(typeof rows[0]!.n).toBe('number');
    expect(String(rows[0]!.d)).toContain('2026-01-31');
  });
});

describe('the CLI without a database', () => {
  it('lists its commands in --help without opening anything', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('db');
    expect(run.stdout).toContain('Exit codes');
  });

  it('maps usage errors to exit 2', async () => {
    expect((await runCli(['no-such-command'])).code).toBe(2);
    expect((await runCli(['db', 'status', '--no-such-option'])).code).toBe(2);
  });

  it('refuses a password on the command line', async () => {
    const run = await runCli(['--database-url', 'postgres://me:secret@localhost/x', 'db', 'status']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('DATABASE_URL');
    expect(run.stderr).not.toContain('secret');
  });

  it('says plainly when the server cannot be reached, without the password', async () => {
    const run = await runCli(['db', 'status', '--json'], { env: { DATABASE_URL: 'postgres://me:secret@127.0.0.1:1/practice' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Cannot connect to the PostgreSQL server/);
    expect(run.stderr + run.stdout).not.toContain('secret');
    expect(run.json().ok).toBe(false);
  });
});
