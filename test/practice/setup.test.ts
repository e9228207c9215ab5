import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import type { Prompter } from '../../src/cli/prompt.js';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend, truncateAll } from '../helpers/db.js';

const fixture = JSON.parse(readFileSync('fixtures/practice/practice.json', 'utf8'));
const workDir = mkdtempSync(join(tmpdir(), 'pk-setup-'));

function writeSetup(name: string, doc: unknown): string {
  const path = join(workDir, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

const practiceFlags = ['--legal-name', 'Flag Street Clinic', '--tin', '12-3456789', '--billing-npi', '2888888809', '--state', 'ny', '--zip', '12345', '--time-zone', 'America/Chicago'];

async function counts(t: { db: Parameters<typeof queryRows>[0] }) {
  const [row] = await queryRows<Record<string, number>>(
    t.db,
    sql`select (select count(*)::int from practice) as practice, (select count(*)::int from locations) as locations,
      (select count(*)::int from providers) as providers, (select count(*)::int from payers) as payers,
      (select count(*)::int from clearinghouses) as clearinghouses, (select count(*)::int from audit_log) as audit`,
  );
  return row!;
}

describeEachBackend('practice setup', (t) => {
  beforeEach(async () => truncateAll(t.db));

  it('records the practice from flags, normalising what people type', async () => {
    const run = await runCli(['setup', ...practiceFlags, '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ practice: 'created', dryRun: false });
    const [row] = await queryRows<Record<string, string>>(t.db, sql`select legal_name, tin, billing_npi, state, time_zone from practice`);
    expect(row).toEqual({ legal_name: 'Flag Street Clinic', tin: '123456789', billing_npi: '2888888809', state: 'NY', time_zone: 'America/Chicago' });

    const clearinghouse = ['--clearinghouse-name', 'Acme Claims', '--clearinghouse-sender-id', 'PK123', '--clearinghouse-receiver-id', 'ACME'];
    const withClearinghouse = await runCli(['setup', ...clearinghouse, '--clearinghouse-usage-indicator', 't', '--json'], { database: t.handle });
    expect(withClearinghouse.code, withClearinghouse.stderr).toBe(0);
    expect(withClearinghouse.json()).toMatchObject({ practice: 'unchanged', clearinghouses: { created: 1 } });
    const [ch] = await queryRows<Record<string, unknown>>(t.db, sql`select sender_id, receiver_id, usage_indicator, is_default from clearinghouses`);
    expect(ch).toEqual({ sender_id: 'PK123', receiver_id: 'ACME', usage_indicator: 'T', is_default: true });
    const tooLong = await runCli(['setup', '--clearinghouse-name', 'Acme Claims', '--clearinghouse-sender-id', 'A-SENDER-ID-LONGER-THAN-15'], { database: t.handle });
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('Sender id (ISA06) "A-SENDER-ID-LONGER-THAN-15" must be 1 to 15 letters or digits');
  });

  it('records everything from practice.json, and a rerun edits rather than duplicates', async () => {
    const first = await runCli(['setup', '--from', 'fixtures/practice/practice.json', '--json'], { database: t.handle });
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ practice: 'created', locations: { created: 2 }, providers: { created: 2 }, payers: { created: 3 }, clearinghouses: { created: 1 } });
    const before = await counts(t);
    expect(before).toMatchObject({ practice: 1, locations: 2, providers: 2, payers: 3, clearinghouses: 1 });

    const changed = structuredClone(fixture);
    changed.practice.legalName = 'Main Street Family Medicine PLLC';
    changed.providers[0].credentials = 'DO';
    const rerun = await runCli(['setup', '--from', writeSetup('changed.json', changed), '--json'], { database: t.handle });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()).toMatchObject({ practice: 'updated', providers: { created: 0, updated: 2 }, payers: { created: 0, updated: 3 } });
    const after = await counts(t);
    expect(after).toMatchObject({ practice: 1, locations: 2, providers: 2, payers: 3, clearinghouses: 1 });
    // Every write is audited.
    expect(after.audit).toBeGreaterThan(before.audit);
    const [provider] = await queryRows<{ credentials: string; default_location: string }>(
      t.db,
      sql`select p.credentials, l.code as default_location from providers p join locations l on l.id = p.default_location_id where p.npi = '1999999901'`,
    );
    expect(provider).toEqual({ credentials: 'DO', default_location: 'MAIN' });
    const [name] = await queryRows<{ legal_name: string }>(t.db, sql`select legal_name from practice`);
    expect(name!.legal_name).toBe('Main Street Family Medicine PLLC');
  });

  it('refuses a bad NPI, TIN or state with one clear sentence each and writes nothing', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['npi', { ...fixture, providers: [{ ...fixture.providers[0], npi: '1999999902' }] }, /^error: Provider 1: NPI 1999999902 fails its check digit: it is probably mistyped\.$/m],
      ['tin', { ...fixture, practice: { ...fixture.practice, tin: '12-34567' } }, /^error: Practice: A TIN has 9 digits, like 12-3456789; "12-34567" does not\.$/m],
      ['state', { ...fixture, payers: [{ ...fixture.payers[2], state: 'XY' }] }, /^error: Payer 1: "XY" is not a US state code; use the two-letter postal code, like NY or CA\.$/m],
      ['pos', { ...fixture, locations: [{ ...fixture.locations[0], placeOfService: '98' }] }, /^error: Location 1: "98" is not a CMS place-of-service code/m],
    ];
    for (const [name, doc, message] of cases) {
      const run = await runCli(['setup', '--from', writeSetup(`${name}.json`, doc)], { database: t.handle });
      expect(run.code, name).toBe(1);
      expect(run.stderr, name).toMatch(message);
      expect(run.stdout, name).toBe('');
    }
    expect(await counts(t)).toEqual({ practice: 0, locations: 0, providers: 0, payers: 0, clearinghouses: 0, audit: 0 });
  });

  it('lists every problem of a file at once, and --dry-run saves nothing', async () => {
    const bad = { ...fixture, providers: [{ npi: '123', firstName: 'A' }], payers: [{ payerId: 'X1', name: 'P', claimFilingIndicator: 'QQ' }] };
    const run = await runCli(['setup', '--from', writeSetup('many.json', bad), '--json'], { database: t.handle });
    expect(run.code).toBe(1);
    const paths = run.json().error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(['providers[0].npi', 'providers[0].lastName', 'payers[0].claimFilingIndicator']);

    const dry = await runCli(['setup', '--from', 'fixtures/practice/practice.json', '--dry-run'], { database: t.handle });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Providers: 2 would be added');
    expect(dry.stdout).toContain('nothing was saved');
    expect(await counts(t)).toMatchObject({ practice: 0, providers: 0, audit: 0 });
  });

  it('needs the practice first, and says so without a terminal instead of asking', async () => {
    const noPractice = await runCli(['setup', '--from', writeSetup('providers-only.json', { providers: fixture.providers })], { database: t.handle });
    expect(noPractice.code).toBe(1);
    expect(noPractice.stderr).toContain('The practice itself (legal name, TIN, billing NPI) must be set up first.');
    const nothing = await runCli(['setup'], { database: t.handle });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('--from practice.json');
    const unreadable = await runCli(['setup', '--from', join(workDir, 'missing.json')], { database: t.handle });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain('Cannot read the set-up file');
  });

  it('asks on a terminal with the wizard, rejecting bad answers as they are typed', async () => {
    const answers: Record<string, string> = {
      'Legal name:': 'Wizard Clinic',
      'TIN (EIN like 12-3456789):': '98-7654321',
      'Billing NPI:': '1234567893',
      'State (optional):': 'ca',
      'Location code:': 'MAIN',
      'Name:': 'Main office',
      'Place of service (CMS code, 11 office) (optional):': '11',
      'NPI:': '1999999927',
      'First name:': 'Cleo',
      'Last name:': 'Example',
    };
    const rejected: string[] = [];
    let locationsAsked = 0;
    let providersAsked = 0;
    const prompter: Prompter = {
      async input(message, options = {}) {
        const answer = answers[message] ?? '';
        if (message === 'Billing NPI:') {
          const verdict = options.validate?.('1234567890');
          if (typeof verdict === 'string') rejected.push(verdict);
        }
        return answer;
      },
      async confirm(message) {
        if (message.includes('location')) return locationsAsked++ === 0;
        if (message.includes('provider')) return providersAsked++ === 0;
        return false;
      },
      async select() {
        throw new Error('not asked');
      },
    };
    const run = await runCli(['setup', '--json'], { database: t.handle, tty: true, prompter });
    expect(run.code, run.stderr).toBe(0);
    expect(rejected).toEqual(['NPI 1234567890 fails its check digit: it is probably mistyped.']);
    expect(run.json()).toMatchObject({ practice: 'created', locations: { created: 1 }, providers: { created: 1 }, payers: { created: 0 } });
    expect(await counts(t)).toMatchObject({ practice: 1, locations: 1, providers: 1 });
  });
});

describeEachBackend('practice providers, locations and payers', (t) => {
  it('adds, edits, deactivates and lists providers', async () => {
    await runCli(['locations', 'add', '--code', 'MAIN', '--name', 'Main office'], { database: t.handle });
    const add = await runCli(['providers', 'add', '--npi', '1999999935', '--first-name', 'Dee', '--last-name', 'Example', '--credentials', 'PA', '--json'], { database: t.handle });
    expect(add.code, add.stderr).toBe(0);
    expect(add.json().provider).toMatchObject({ npi: '1999999935', lastName: 'Example', active: true });

    const again = await runCli(['providers', 'add', '--npi', '1999999935', '--first-name', 'Dee', '--last-name', 'Example'], { database: t.handle });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('The provider with NPI 1999999935 is already recorded.');

    const edit = await runCli(['providers', 'edit', '1999999935', '--taxonomy-code', '363a00000x', '--default-location', 'MAIN', '--json'], { database: t.handle });
    expect(edit.code, edit.stderr).toBe(0);
    expect(edit.json().provider).toMatchObject({ taxonomyCode: '363A00000X', credentials: 'PA' });
    expect(edit.json().provider.defaultLocationId).toEqual(expect.any(Number));

    const badLocation = await runCli(['providers', 'edit', '1999999935', '--default-location', 'NOPE'], { database: t.handle });
    expect(badLocation.code).toBe(1);
    expect(badLocation.stderr).toContain('There is no location with code "NOPE".');

    const off = await runCli(['providers', 'deactivate', '1999999935'], { database: t.handle });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain('Dee Example, PA (NPI 1999999935) is now deactivated.');
    expect((await runCli(['providers', 'list', '--json'], { database: t.handle })).json().providers).toEqual([]);
    const all = (await runCli(['providers', 'list', '--all', '--json'], { database: t.handle })).json().providers;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ npi: '1999999935', active: false });

    const audit = await queryRows<{ action: string }>(t.db, sql`select action from audit_log where entity = 'providers' order by id`);
    expect(audit.map((a) => a.action)).toEqual(['insert', 'update', 'deactivate']);
  });

  it('explains a bad NPI, state, place of service or an unknown record', async () => {
    const badNpi = await runCli(['providers', 'add', '--npi', '1999999936', '--first-name', 'A', '--last-name', 'B'], { database: t.handle });
    expect(badNpi.code).toBe(1);
    expect(badNpi.stderr).toMatch(/^error: NPI 1999999936 fails its check digit: it is probably mistyped\.$/m);
    const badState = await runCli(['payers', 'add', '--payer-id', 'P1', '--name', 'Plan', '--state', 'ZZ'], { database: t.handle });
    expect(badState.code).toBe(1);
    expect(badState.stderr).toContain('"ZZ" is not a US state code');
    const badPos = await runCli(['locations', 'add', '--code', 'X', '--name', 'X', '--place-of-service', '98'], { database: t.handle });
    expect(badPos.code).toBe(1);
    expect(badPos.stderr).toContain('"98" is not a CMS place-of-service code');
    const missing = await runCli(['payers', 'deactivate', 'NOPE'], { database: t.handle });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('The payer with payer id NOPE was not found.');
    const nothing = await runCli(['payers', 'edit', 'NOPE'], { database: t.handle });
    expect(nothing.code).toBe(2);
    const [n] = await queryRows<{ n: number }>(t.db, sql`select (select count(*)::int from payers) + (select count(*)::int from locations where code = 'X') as n`);
    expect(n!.n).toBe(0);
  });
});
