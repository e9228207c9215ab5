// Several practices on one PostgreSQL server, each in its own schema: nothing of one practice is seen,
// counted, numbered or chained in another, the shared reference data is loaded once, and a server with
// only the default practice (public) keeps working. The embedded database stays one practice per folder.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { serverDatabaseWithPractices } from '../helpers/db.js';

const now = new Date('2026-11-28T15:30:00Z');

describe('practices on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pk-practices-'));
  const env = { PRACTICE_DATA_DIR: dataDir };

  it('refuses --practice plainly as a usage error (exit 2): one practice per data folder', async () => {
    const run = await runCli(['--practice', 'north', '--json', 'db', 'status'], { env });
    expect(run.code).toBe(2);
    expect(run.json().error.code).toBe('PRACTICE_NEEDS_SERVER');
    expect(run.stderr).toContain('one practice per data folder');
    const fromEnv = await runCli(['db', 'status'], { env: { ...env, PRACTICE_NAME: 'north' } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('one practice per data folder');
  });

  it('says the practices command needs a server', async () => {
    const run = await runCli(['practices', 'list'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PostgreSQL server');
  });

  it('keeps the reference data in its own schema there too', async () => {
    const run = await runCli(['--json', 'db', 'status'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().rowCounts).toHaveProperty('value_sets', 0);
  });
});

const adminUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!adminUrl)('two practices on one PostgreSQL server', () => {
  let server: { url: string; drop(): Promise<void> } | undefined;
  let url: string;
  const env = () => ({ DATABASE_URL: url });
  const cli = (practice: string | undefined, args: string[]) =>
    runCli([...(practice ? ['--practice', practice] : []), '--json', ...args], { env: env(), now });
  const folders = { north: mkdtempSync(join(tmpdir(), 'pk-north-')), south: mkdtempSync(join(tmpdir(), 'pk-south-')) };
  const demos: Record<string, any> = {};

  beforeAll(async () => {
    // A server database made before practices existed (the default practice, migrated, in public), then two added.
    server = await serverDatabaseWithPractices('pk_practices', ['north', 'south'], now);
    url = server.url;
    const north = await cli('north', ['demo', '--patients', '40', '--seed', '3', '--no-pack', '--out', folders.north]);
    expect(north.code, north.stderr).toBe(0);
    // Another practice, configured through the environment as a cron job would be.
    const south = await runCli(['--json', 'demo', '--patients', '25', '--seed', '5', '--no-pack', '--out', folders.south], { env: { ...env(), PRACTICE_NAME: 'south' }, now });
    expect(south.code, south.stderr).toBe(0);
    demos.north = north.json();
    demos.south = south.json();
  }, 600_000);

  afterAll(async () => {
    await server?.drop();
  });

  const inDb = async <T extends Record<string, unknown>>(query: string): Promise<T[]> => {
    const { default: postgres } = await import('postgres');
    const db = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      return (await db.unsafe(query)) as unknown as T[];
    } finally {
      await db.end();
    }
  };

  it('lists the practices with their own patients', async () => {
    const run = await cli(undefined, ['practices', 'list']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().practices).toEqual([
      { name: null, schema: 'public', migrationsApplied: expect.any(Number), migrationsPending: 0, patients: 0 },
      { name: 'north', schema: 'north', migrationsApplied: expect.any(Number), migrationsPending: 0, patients: 40 },
      { name: 'south', schema: 'south', migrationsApplied: expect.any(Number), migrationsPending: 0, patients: 25 },
    ]);
  });

  it('shows each practice only its own patients, claims and reminders', async () => {
    for (const practice of ['north', 'south'] as const) {
      const status = (await cli(practice, ['db', 'status'])).json();
      for (const [table, n] of Object.entries(demos[practice].rows as Record<string, number>)) expect(status.rowCounts[table], `${practice} ${table}`).toBe(n);
      expect(status.location).toContain(`practice ${practice}`);
      const claims = (await cli(practice, ['claims', 'list'])).json();
      const counted = await inDb<{ n: number }>(`select count(*)::int as n from ${practice}.claims`);
      expect(claims.claims.length).toBe(counted[0]!.n);
      expect(counted[0]!.n).toBeGreaterThan(0);
      const sent = await inDb<{ n: number }>(`select count(*)::int as n from ${practice}.reminder_log where status = 'sent'`);
      expect(sent[0]!.n, `${practice} reminders`).toBeGreaterThan(0);
    }
    // The default practice saw nothing of either.
    const [publicRows] = await inDb<{ patients: number; audit: number }>(
      `select (select count(*)::int from public.patients) as patients, (select count(*)::int from public.audit_log) as audit`,
    );
    expect(publicRows).toEqual({ patients: 0, audit: 0 });
  });

  it('numbers each practice\'s claim files on its own counter', async () => {
    for (const practice of ['north', 'south']) {
      const [counter] = await inDb<{ batches: number; first: number; last: number }>(`
        select count(*)::int as batches, min(interchange_control_number) as first, max(interchange_control_number) as last
        from ${practice}.claim_batches`);
      expect(counter!.batches, practice).toBeGreaterThan(0);
      // Each practice's interchanges start at 1, whatever the other practice has sent.
      expect(counter!.first, practice).toBe(1);
      expect(counter!.last, practice).toBeGreaterThanOrEqual(counter!.batches);
    }
  });

  it('keeps an audit trail per practice, each a whole chain of its own', async () => {
    for (const practice of ['north', 'south']) {
      const verify = await cli(practice, ['audit', 'verify']);
      expect(verify.code, verify.stderr).toBe(0);
      const [chain] = await inDb<{ first: number; n: number; last: number; root: string | null }>(`
        select min(seq) as first, count(*)::int as n, max(seq) as last,
               (select prev_hash from ${practice}.audit_log where seq = 1) as root
        from ${practice}.audit_log`);
      expect(chain).toMatchObject({ first: 1, root: null });
      expect(chain!.last).toBe(chain!.n);
      const other = practice === 'north' ? 'south' : 'north';
      const added = await inDb<{ entity_id: string }>(`select entity_id from ${practice}.audit_log where entity = 'practice' and action = 'create' and entity_id in ('north', 'south')`);
      expect(added.map((r) => r.entity_id)).toEqual([practice]);
      expect(added.map((r) => r.entity_id)).not.toContain(other);
    }
  });

  it('shares one copy of the reference data, loaded once', async () => {
    const tables = await inDb<{ schemaname: string; n: number }>(`
      select schemaname, count(*)::int as n from pg_tables
      where tablename in ('value_sets', 'value_set_codes', 'value_set_years', 'rvu_years', 'rvu_values', 'gpci_localities', 'ndc_products')
      group by schemaname`);
    expect(tables).toEqual([{ schemaname: 'reference', n: 7 }]);
    const [sets] = await inDb<{ n: number; loads: number }>(`
      select (select count(*)::int from reference.value_set_years where performance_year = 2026) as n,
             (select count(*)::int from north.audit_log where entity = 'value_sets') + (select count(*)::int from south.audit_log where entity = 'value_sets') as loads`);
    // Whichever practice first needed them loaded them; the other found them there.
    expect(sets!.loads).toBe(sets!.n > 0 ? 1 : 0);
  });

  it('names unknown and unusable practices plainly', async () => {
    const missing = await cli('east', ['db', 'status']);
    expect(missing.code).toBe(1);
    expect(missing.json().error.code).toBe('PRACTICE_NOT_FOUND');
    expect(missing.stderr).toContain('practice practices add east');
    for (const bad of ['North', 'a-b', 'public', 'reference', 'pg_x', '1st']) {
      const run = await cli(bad, ['db', 'status']);
      expect(run.code, bad).toBe(2);
    }
    expect((await cli(undefined, ['practices', 'add', 'Bad Name'])).code).toBe(2);
    const again = await cli(undefined, ['practices', 'add', 'north']);
    expect(again.code).toBe(1);
    expect(again.json().error.code).toBe('PRACTICE_EXISTS');
  });
});
