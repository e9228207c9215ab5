// The audit trail you can prove (SECURITY.md, "Audit trail"): chart reads and writes are recorded with a
// named actor, the chain shows a deleted, changed, reordered or cut entry, and disclosures are accounted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeEach, expect, it } from 'vitest';
import { recordAudit } from '../../src/db/audit.js';
import { queryRows } from '../../src/db/query.js';
import type { Db } from '../../src/db/types.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend, truncateAll } from '../helpers/db.js';
import { NOW, seedPractice } from '../chart/setup.js';

const out = mkdtempSync(join(tmpdir(), 'pk-audit-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** What someone who owns the database can do: switch the trail's triggers off and edit it. */
async function tamper(db: Db, statements: ReturnType<typeof sql>[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_log disable trigger user`);
    for (const statement of statements) await tx.execute(statement);
    await tx.execute(sql`alter table audit_log enable trigger user`);
  });
}

describeEachBackend('audit trail', (t) => {
  let mrn: string;
  const cli = (args: string[], options: Parameters<typeof runCli>[1] = {}) => runCli(args, { database: t.handle, now: NOW, ...options });

  // A clean trail per test; the bundled value sets the chart's care gaps read are loaded by the first test only.
  beforeEach(async () => {
    await truncateAll(t.db, { keepReference: true });
    await seedPractice(t.db);
    const added = await cli(['--json', '--user', 'frontdesk', 'patients', 'add', '--first', 'Maria', '--last', 'Garcia', '--dob', '1980-04-23', '--sex', 'F']);
    expect(added.code).toBe(0);
    mrn = added.json().created.mrn;
  });

  it('records every chart read with who read it, and "audit log --patient" answers who looked at or changed the chart', async () => {
    expect((await cli(['--user', 'dr.quill', 'patients', 'show', mrn])).code).toBe(0);
    expect((await cli(['--user', 'dr.quill', 'patients', 'show', mrn, '--pdf', join(out, `chart-${t.backend}.pdf`)])).code).toBe(0);
    expect((await cli(['--user', 'nurse.ann', 'problems', 'add', mrn, '--icd10', 'I10'])).code).toBe(0);
    expect((await cli(['--user', 'nurse.ann', 'problems', 'list', mrn])).code).toBe(0);
    expect((await cli(['--user', 'nurse.ann', 'allergies', 'list', mrn])).code).toBe(0);
    expect((await cli(['--user', 'biller', 'patients', 'find', 'garcia'])).code).toBe(0);
    expect((await cli(['--user', 'biller', 'fhir', 'export', mrn, '--out', join(out, `chart-${t.backend}.json`)])).code).toBe(0);

    const log = await cli(['--json', 'audit', 'log', '--patient', mrn]);
    expect(log.code).toBe(0);
    const entries = log.json().entries as { actor: string; action: string; entity: string; mrn: string; details: Record<string, unknown>; seq: number }[];
    expect(entries.map((e) => [e.actor, e.action, e.details?.view ?? null])).toEqual([
      ['frontdesk', 'insert', null],
      ['dr.quill', 'read', 'chart-summary'],
      ['dr.quill', 'read', 'chart-summary+pdf'],
      ['nurse.ann', 'insert', null],
      ['nurse.ann', 'read', 'problems'],
      ['nurse.ann', 'read', 'allergies'],
      ['biller', 'read', 'search-result'],
      ['biller', 'export', null],
    ]);
    expect(entries.find((e) => e.action === 'insert' && e.entity === 'problems')).toBeDefined();
    expect(entries.every((e) => typeof e.seq === 'number')).toBe(true);
    // Ids and counts only: never the patient's values.
    expect(JSON.stringify(entries)).not.toMatch(/Garcia|Maria|1980-04-23/);

    const byActor = await cli(['--json', 'audit', 'log', '--actor', 'nurse.ann']);
    expect(byActor.json().entries.map((e: { action: string }) => e.action)).toEqual(['insert', 'read', 'read']);
    const later = await cli(['--json', 'audit', 'log', '--since', '2999-01-01']);
    expect(later.json().count).toBe(0);
    const table = await cli(['audit', 'log', '--patient', mrn]);
    expect(table.stdout).toContain('chart-summary');
    expect((await cli(['audit', 'log', '--since', 'someday'])).code).toBe(2);
  });

  it('refuses a blank actor, in the command and in the database', async () => {
    const blank = await cli(['--user', '  ', 'patients', 'show', mrn]);
    expect(blank.code).toBe(2);
    expect(blank.stdout).toBe('');
    expect(blank.stderr).toContain('--user');
    await expect(t.db.execute(sql`insert into audit_log (actor, action, entity) values (' ', 'read', 'patients')`)).rejects.toThrow();
    await expect(recordAudit(t.db, { actor: '', command: 'practice test' }, { action: 'read', entity: 'patients' })).rejects.toThrow(/blank/);
  });

  it('verifies an intact chain and prints its head', async () => {
    await cli(['patients', 'show', mrn]);
    const head = await cli(['--json', 'audit', 'head']);
    // Registration, the chart read, and the bundled value sets the chart's care gaps loaded on first use.
    const { seq } = head.json() as { seq: number };
    expect(seq).toBeGreaterThanOrEqual(2);
    expect(head.json().head).toMatch(new RegExp(`^${seq}:[0-9a-f]{64}$`));
    const verify = await cli(['--json', 'audit', 'verify', '--head', head.json().head]);
    expect(verify.code).toBe(0);
    expect(verify.json()).toMatchObject({ ok: true, entries: seq, heads: [{ found: true }], broken: null });
    expect((await cli(['audit', 'verify'])).stdout).toContain(`${seq} entries`);
    // A head recorded earlier stays valid as the trail grows.
    await cli(['patients', 'show', mrn]);
    expect((await cli(['audit', 'verify', '--expect', head.json().head])).code).toBe(0);
    expect((await cli(['audit', 'verify', '--head', 'not-a-head'])).code).toBe(2);
  });

  it('names the first broken entry when one was changed', async () => {
    for (let i = 0; i < 3; i++) await cli(['patients', 'show', mrn]);
    await tamper(t.db, [sql`update audit_log set actor = 'someone-else' where seq = 3`]);
    const verify = await cli(['--json', 'audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.json().broken).toMatchObject({ kind: 'changed', seq: 3 });
    expect(verify.stderr).toContain('entry #3');
  });

  it('names the entry after a deleted one', async () => {
    for (let i = 0; i < 3; i++) await cli(['patients', 'show', mrn]);
    await tamper(t.db, [sql`delete from audit_log where seq = 2`]);
    const verify = await cli(['--json', 'audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.json().broken).toMatchObject({ kind: 'missing', seq: 3 });
    expect(verify.json().broken.message).toContain('entry #2 is missing');
  });

  it('finds entries put in another order', async () => {
    for (let i = 0; i < 3; i++) await cli(['patients', 'show', mrn]);
    await tamper(t.db, [sql`update audit_log set seq = -1 where seq = 2`, sql`update audit_log set seq = 2 where seq = 3`, sql`update audit_log set seq = 3 where seq = -1`]);
    const verify = await cli(['--json', 'audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.json().broken).toMatchObject({ seq: 2 });
  });

  it('finds a first entry deleted, and entries written past the sealing trigger', async () => {
    await cli(['patients', 'show', mrn]);
    await tamper(t.db, [sql`delete from audit_log where seq = 1`]);
    expect((await cli(['--json', 'audit', 'verify'])).json().broken).toMatchObject({ kind: 'missing', seq: 2 });
    await truncateAll(t.db, { keepReference: true });
    await recordAudit(t.db, { actor: 'x', command: 'practice test' }, { action: 'read', entity: 'patients' });
    await tamper(t.db, [sql`insert into audit_log (actor, action, entity) values ('intruder', 'read', 'patients')`]);
    const verify = await cli(['--json', 'audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.json().broken).toMatchObject({ kind: 'unsealed' });
  });

  it('shows a cut tail or a trail rewritten from scratch against a head recorded earlier', async () => {
    for (let i = 0; i < 3; i++) await cli(['patients', 'show', mrn]);
    const head = (await cli(['--json', 'audit', 'head'])).json().head as string;
    const hashOnly = head.split(':')[1]!;
    const last = Number(head.split(':')[0]);
    await tamper(t.db, [sql`delete from audit_log where seq = ${last}`]);
    // Without the earlier head a cut tail looks whole: that is why heads are kept outside the database.
    expect((await cli(['audit', 'verify'])).code).toBe(0);
    const cut = await cli(['--json', 'audit', 'verify', '--head', head]);
    expect(cut.code).toBe(1);
    expect(cut.json().broken).toMatchObject({ kind: 'head-missing', seq: last });
    expect(cut.stderr).toContain('cut short');
    expect((await cli(['audit', 'verify', '--head', hashOnly])).code).toBe(1);

    // The owner rewrites entry 2 and recomputes every hash after it: the chain holds, the head does not.
    await truncateAll(t.db, { keepReference: true });
    for (let i = 0; i < 3; i++) await recordAudit(t.db, { actor: 'dr.quill', command: 'practice test' }, { action: 'read', entity: 'patients', entityId: 1 });
    const before = (await cli(['--json', 'audit', 'head'])).json().head as string;
    await tamper(t.db, [
      sql`update audit_log set actor = 'nobody' where seq = 2`,
      sql`update audit_log a set hash = audit_entry_hash(a.prev_hash, a) where seq = 2`,
      sql`update audit_log a set prev_hash = (select hash from audit_log where seq = 2) where seq = 3`,
      sql`update audit_log a set hash = audit_entry_hash(a.prev_hash, a) where seq = 3`,
    ]);
    expect((await cli(['audit', 'verify'])).code).toBe(0);
    const rewritten = await cli(['--json', 'audit', 'verify', '--head', before]);
    expect(rewritten.code).toBe(1);
    expect(rewritten.json().broken).toMatchObject({ kind: 'head-rewritten', seq: 3 });
  });

  it('accounts for disclosures: referral packets and exports to third parties, with recipient and purpose, six years back', async () => {
    const referral = await cli(['--user', 'dr.quill', 'referrals', 'create', mrn, '--to', 'Dr. Ana Ruiz', '--org', 'Cardiology Associates', '--specialty', 'Cardiology', '--reason', 'Resistant hypertension', '--attach-summary', '--out', out]);
    expect(referral.code).toBe(0);
    expect((await cli(['fhir', 'export', mrn, '--out', join(out, `for-lawyer-${t.backend}.json`), '--recipient', 'Smith & Co (attorneys)'])).code).toBe(2);
    expect((await cli(['--user', 'records', 'fhir', 'export', mrn, '--out', join(out, `for-lawyer-${t.backend}.json`), '--recipient', 'Smith & Co (attorneys)', '--purpose', 'subpoena 2026-114'])).code).toBe(0);
    // An export for the practice itself (a backup) is not a disclosure.
    expect((await cli(['fhir', 'export', mrn, '--out', join(out, `backup-${t.backend}.json`)])).code).toBe(0);
    const bulk = await cli(['--json', '--user', 'it', 'fhir', 'export', '--all', '--out', join(out, `bulk-disclosed-${t.backend}`), '--recipient', 'State immunization registry', '--purpose', 'public health reporting']);
    expect(bulk.code).toBe(0);

    const accounting = await cli(['--json', 'audit', 'disclosures', '--patient', mrn]);
    expect(accounting.code).toBe(0);
    const rows = accounting.json().disclosures as { recipient: string; purpose: string; what: string; scope: string; actor: string; at: string }[];
    expect(rows.map((r) => [r.recipient, r.purpose, r.scope, r.actor])).toEqual([
      ['Dr. Ana Ruiz, Cardiology Associates', 'treatment: referral to Cardiology', 'chart', 'dr.quill'],
      ['Smith & Co (attorneys)', 'subpoena 2026-114', 'chart', 'records'],
      ['State immunization registry', 'public health reporting', 'practice', 'it'],
    ]);
    expect(rows[0]!.what).toMatch(/referral packet: FHIR bundle of \d+ resources and PDF summary/);
    expect(rows[1]!.what).toMatch(/^FHIR bundle: .*1 Patient/);
    expect(rows[2]!.what).toMatch(/^FHIR bulk export: .*1 Patient/);
    expect(JSON.stringify(rows)).not.toMatch(/Garcia|hypertension/i);
    const table = await cli(['audit', 'disclosures', '--patient', mrn]);
    expect(table.stdout).toContain('Smith & Co (attorneys)');

    // Six years back from the day asked: a disclosure seven years ago has left the accounting.
    const inFive = new Date(Date.now() + 5 * 365 * 86_400_000);
    const inSeven = new Date(Date.now() + 7 * 365 * 86_400_000);
    expect((await cli(['--json', 'audit', 'disclosures', '--patient', mrn], { now: inFive })).json().count).toBe(3);
    expect((await cli(['--json', 'audit', 'disclosures', '--patient', mrn], { now: inSeven })).json().count).toBe(0);
  });

  it('keeps the head in the bulk export manifest (its --json result) and the monthly pack', async () => {
    // The first pack loads the bundled fee schedule and value sets (audited writes); later packs only read.
    expect((await cli(['--json', 'report', 'monthly', '--month', '2026-02', '--format', 'json'])).code).toBe(0);
    const bulk = await cli(['--json', 'fhir', 'export', '--all', '--out', join(out, `bulk-${t.backend}`), '--replace']);
    expect(bulk.code).toBe(0);
    const head = (await cli(['--json', 'audit', 'head'])).json().head as string;
    const manifest = bulk.json();
    expect(manifest).toMatchObject({ transactionTime: expect.any(String), output: expect.any(Array), auditHead: head });
    const pack = await cli(['--json', 'report', 'monthly', '--month', '2026-02', '--format', 'json']);
    expect(pack.code).toBe(0);
    expect(pack.json().auditHead).toBe(head);
    const csv = await cli(['report', 'monthly', '--month', '2026-02', '--format', 'csv']);
    expect(csv.stdout).toContain(head);
    expect((await cli(['audit', 'verify', '--head', manifest.auditHead])).code).toBe(0);
    const again = await cli(['fhir', 'export', '--all', '--out', join(out, `bulk-${t.backend}`), '--replace']);
    expect(again.stdout).toContain('Audit chain head: ');
  });

  it('keeps one chain when several writers commit at once', async () => {
    // On PostgreSQL these transactions run on separate connections and overlap; PGlite runs them in turn.
    await cli(['patients', 'show', mrn]); // loads the bundled value sets the care gaps read, once
    const [before] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log`);
    const writers = Array.from({ length: 12 }, (_, i) =>
      t.db.transaction(async (tx) => {
        await recordAudit(tx, { actor: `writer-${i}`, command: 'practice test' }, { action: 'read', entity: 'patients', entityId: i });
        await tx.execute(sql`select pg_sleep(0.02)`);
        await recordAudit(tx, { actor: `writer-${i}`, command: 'practice test' }, { action: 'read', entity: 'patients', entityId: i });
      }),
    );
    const commands = Array.from({ length: 4 }, () => cli(['patients', 'show', mrn]));
    await Promise.all([...writers, ...commands]);
    const rows = await queryRows<{ n: number; max: number; distinct_prev: number }>(
      t.db,
      sql`select count(*)::int as n, max(seq) as max, count(distinct coalesce(prev_hash, ''))::int as distinct_prev from audit_log`,
    );
    // What was there (registration, reference data loaded on first use) + 24 + 4 reads, positions 1..n,
    // every entry chained onto a different one.
    const n = before!.n + 28;
    expect(rows[0]).toEqual({ n, max: n, distinct_prev: n });
    const verify = await cli(['--json', 'audit', 'verify']);
    expect(verify.json()).toMatchObject({ ok: true, entries: n });
  });
});
