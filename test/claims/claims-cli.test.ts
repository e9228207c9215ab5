import { mkdtempSync, readFileSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import X12 from 'node-x12';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { EXPORT_TIME, fixtures, seedPractice } from './seed.js';

const { X12Parser } = X12 as unknown as typeof import('node-x12');
const fixture = (name: string) => fileURLToPath(new URL(name, fixtures));

/** A minimal interchange around the given segments, counts right, as a clearinghouse sends it back. */
function envelope(gs01: string, st01: string, version: string, body: string[]): string {
  const isa = 'ISA*00*          *00*          *ZZ*CLEARHOUSE01   *ZZ*PRACTICEKIT    *250116*1200*^*00501*000000900*0*T*:';
  const set = [`ST*${st01}*0001*${version}`, ...body];
  return [isa, `GS*${gs01}*CLEARHOUSE01*PRACTICEKIT*20250116*1200*900*X*${version}`, ...set, `SE*${set.length + 1}*0001`, 'GE*1*900', 'IEA*1*000000900'].map((s) => `${s}~`).join('\n');
}

describeEachBackend('claims from visit to payment', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'pk-claims-'));
  let exported: { file: string; batchId: number; interchangeControlNumber: number };
  const cli = (args: string[]) => runCli(['--json', 'claims', ...args], { database: t.handle, now: EXPORT_TIME });

  beforeAll(async () => {
    await seedPractice(t.db);
  });

  it('builds one claim per visit with its lines and diagnoses, and a dry run saves nothing', async () => {
    expect((await cli(['build', '--dry-run', '--since', '2025-01-11'])).json()).toMatchObject({ claims: 1, lines: 1 });
    const dry = await cli(['build', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.json()).toMatchObject({ claims: 2, lines: 3, dryRun: true });
    expect((await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from claims`))[0]!.n).toBe(0);

    const run = await cli(['build']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ claims: 2, lines: 3, diagnoses: 3, withoutCoverage: 0 });
    const again = await cli(['build']);
    expect(again.json().claims).toBe(0);
    // The fixture's claim numbers, so the fixture 835 pays exactly these claims.
    await t.db.execute(sql`update claims c set patient_control_number = 'PKT-' || lpad(n.rn::text, 6, '0')
                           from (select id, row_number() over (order by id) as rn from claims) n where n.id = c.id`);
    await t.db.execute(sql`insert into x12_counters (name, last_value) values ('interchange', 100)`);
    const lines = await queryRows<{ pointers: number[] }>(t.db, sql`select diagnosis_pointers as pointers from claim_lines order by claim_id, line_number`);
    expect(lines.map((l) => l.pointers)).toEqual([[1, 2], [1], [1]]);
  });

  it('passes the edits', async () => {
    const run = await cli(['check']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ checked: 2, failing: 0 });
  });

  it('refuses an export without a choice of claims or folder (usage, exit 2)', async () => {
    expect((await cli(['export', '--all'])).code).toBe(2);
    expect((await cli(['export', '--out', out])).code).toBe(2);
  });

  it('counts what would be exported on a dry run, and writes and marks nothing', async () => {
    const run = await cli(['export', '--all', '--out', out, '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ batchId: null, file: null, claims: 2, dryRun: true });
    expect(readdirSync(out)).toEqual([]);
    const [ready] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from claims where status = 'ready' and batch_id is null`);
    expect(ready!.n).toBe(2);
  });

  it('refuses to export without a billing office phone for PER, and marks nothing', async () => {
    await t.db.execute(sql`update clearinghouses set submitter_contact_phone = null`);
    await t.db.execute(sql`update practice set phone = null`);
    const run = await cli(['export', '--all', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('needs a contact phone');
    await t.db.execute(sql`update clearinghouses set submitter_contact_phone = '555-555-0100'`);
    await t.db.execute(sql`update practice set phone = '555-555-0100'`);
    const [ready] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from claims where status = 'ready'`);
    expect(ready!.n).toBe(2);
  });

  it('exports the fixture 837P: same segments, node-x12 strict accepts it, mode 0600', async () => {
    const run = await cli(['export', '--all', '--out', out]);
    expect(run.code).toBe(0);
    exported = run.json();
    expect(exported.interchangeControlNumber).toBe(101);
    const text = readFileSync(exported.file, 'utf8');
    expect(statSync(exported.file).mode & 0o777).toBe(0o600);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // The fixture differs only in ISA14 (it asks for a TA1) and line breaks; BHT03 is the batch
    // reference (B, the date, batch 1), never a claim number.
    const expected = readFileSync(fixture('own-837p-valid-two-claims.x12'), 'utf8')
      .replaceAll('~\n', '~')
      .replace('*000000101*1*T*', '*000000101*0*T*');
    expect(text).toContain('BHT*0019*00*B20250115001*');
    expect(text).toBe(expected);
    const interchange = new X12Parser(true).parse(text) as import('node-x12').X12Interchange;
    const transaction = interchange.functionalGroups[0]!.transactions[0]!;
    expect(transaction.segments.filter((s) => s.tag === 'CLM')).toHaveLength(2);
    expect(transaction.trailer.elements[0]!.value).toBe(String(transaction.segments.length + 2));
    expect(Number(interchange.header.elements[12]!.value)).toBe(101);
  });

  it('marks the claims exported in that batch, and never puts them in another', async () => {
    const rows = await queryRows<{ status: string; batch_id: number }>(t.db, sql`select status, batch_id from claims order by id`);
    expect(rows).toEqual([{ status: 'exported', batch_id: exported.batchId }, { status: 'exported', batch_id: exported.batchId }]);
    const second = await cli(['export', '--all', '--out', out]);
    expect(second.code).toBe(0);
    expect(second.json()).toMatchObject({ batchId: null, claims: 0 });
    expect(readdirSync(out)).toHaveLength(1);
  });

  it('ages what the payer owes once the claims are sent', async () => {
    const ar = await cli(['ar', '--as-of', '2025-03-01']);
    expect(ar.json().payers).toEqual([
      { payerId: expect.any(Number), payer: 'Example Health Plan', claims: 2, days0to30: 0, days31to60: 28000, days61to90: 0, days91to120: 0, over120: 0, totalCents: 28000 },
    ]);
  });

  it('writes a batch again byte for byte', async () => {
    const before = readFileSync(exported.file);
    writeFileSync(exported.file, 'damaged');
    const run = await cli(['export', '--batch', String(exported.batchId), '--again', '--out', out]);
    expect(run.code).toBe(0);
    expect(readFileSync(exported.file).equals(before)).toBe(true);
  });

  it('reads a 999 and a 277CA: accepted claims move on, unknown claim numbers are reported', async () => {
    const ack999 = join(out, 'ack.999');
    writeFileSync(ack999, envelope('FA', '999', '005010X231A1', ['AK1*HC*101*005010X222A1', 'AK2*837*0001*005010X222A1', 'IK5*A', 'AK9*A*1*1*1']));
    const run = await cli(['import-ack', ack999]);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ kind: '999', batchId: exported.batchId, accepted: 2, rejected: 0 });
    const ack277 = join(out, 'ack.277');
    writeFileSync(ack277, envelope('HN', '277', '005010X214', ['BHT*0085*08*1*20250116*1200*TH', 'HL*1**20*1', 'HL*2*1*21*1', 'HL*3*2*19*1', 'HL*4*3*PT', 'TRN*2*PKT-000001', 'STC*A1:20*20250116*WQ*185', 'HL*5*3*PT', 'TRN*2*PKT-999999', 'STC*A3:21*20250116*U*10']));
    const claimAck = await cli(['import-ack', ack277]);
    expect(claimAck.code).toBe(3);
    expect(claimAck.json()).toMatchObject({ kind: '277CA', accepted: 1, rejected: 0, unmatched: ['PKT-999999'] });
    const rows = await queryRows<{ status: string }>(t.db, sql`select status from claims order by id`);
    expect(rows.map((r) => r.status)).toEqual(['accepted', 'accepted']);
  });

  it('posts the fixture 835: payments, CO/PR adjustments, the denial and PLB; the second time nothing', async () => {
    const run = await cli(['import-835', fixture('own-835-remit-for-two-claims.x12')]);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ claimsMatched: 2, linesMatched: 3, payments: 2, adjustments: 5, denials: 1, providerAdjustments: 2, unmatched: [] });
    const claims = await queryRows<{ status: string; paid_cents: number; patient_responsibility_cents: number; adjusted_cents: number; payer_claim_control_number: string }>(
      t.db,
      sql`select status, paid_cents, patient_responsibility_cents, adjusted_cents, payer_claim_control_number from claims order by id`,
    );
    expect(claims).toEqual([
      { status: 'paid', paid_cents: 12000, patient_responsibility_cents: 2500, adjusted_cents: 4000, payer_claim_control_number: 'EHP250204001' },
      // The denial's CO-16 is kept, flagged: the balance stays open for a corrected claim.
      { status: 'denied', paid_cents: 0, patient_responsibility_cents: 0, adjusted_cents: 0, payer_claim_control_number: 'EHP250204002' },
    ]);
    const [denial] = await queryRows<{ carc_code: string; rarc_codes: string[] }>(t.db, sql`select carc_code, rarc_codes from denials`);
    expect(denial).toEqual({ carc_code: '16', rarc_codes: ['M76'] });
    const twice = await cli(['import-835', fixture('own-835-remit-for-two-claims.x12')]);
    expect(twice.code).toBe(0);
    expect(twice.json().alreadyPosted).toBe(true);
    const [count] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from payments`);
    expect(count!.n).toBe(2);
  });

  it('keeps and reports 835 claims that match nothing (exit 3)', async () => {
    const run = await cli(['import-835', fixture('pyx12-835-denials.txt')]);
    expect(run.code).toBe(3);
    expect(run.json().unmatched).toEqual([
      { remittanceId: expect.any(Number), traceNumber: '000000000', patientControlNumber: '2005555A', claimId: null, claimStatusCode: '4', billedCents: 91539, paidCents: 0, reason: expect.stringContaining('not one of the practice\'s payers') },
    ]);
    const [kept] = await queryRows<{ n: number; reason: string }>(t.db, sql`select count(*)::int as n, max(reason) as reason from remittance_unmatched where patient_control_number = '2005555A'`);
    expect(kept).toEqual({ n: 1, reason: expect.stringContaining('"PAYER"') });
  });

  it('refuses an 835 that does not balance and posts nothing', async () => {
    const broken = join(out, 'unbalanced.835');
    writeFileSync(broken, readFileSync(fixture('own-835-remit-for-two-claims.x12'), 'utf8').replace('BPR*I*112.50', 'BPR*I*112.75'));
    const run = await cli(['import-835', broken]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/does not balance/);
    const [count] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from remittances`);
    expect(count!.n).toBe(2);
  });

  it('reports AR by payer and denials by reason, payer and provider', async () => {
    const ar = await cli(['ar', '--as-of', '2025-03-01']);
    expect(ar.code).toBe(0);
    // Claim 1 is settled (120 paid + 25 patient + 40 adjusted = 185); the denied claim stays owed, sent 45 days before.
    expect(ar.json().payers).toEqual([
      { payerId: expect.any(Number), payer: 'Example Health Plan', claims: 1, days0to30: 0, days31to60: 9500, days61to90: 0, days91to120: 0, over120: 0, totalCents: 9500 },
    ]);
    const denials = await cli(['denials']);
    expect(denials.json().byReason).toEqual([{ key: 'CO-16', label: '16', denials: 1, amountCents: 9500 }]);
    // The denied visit had no rendering provider of its own.
    expect(denials.json().byProvider).toEqual([{ key: 'none', label: 'no rendering provider', denials: 1, amountCents: 9500 }]);
  });

  it('queues a corrected claim with frequency 7 and the payer claim number, and exports it with REF*F8', async () => {
    const [first] = await queryRows<{ id: number }>(t.db, sql`select min(id) as id from claims`);
    const run = await cli(['replace', String(first!.id)]);
    expect(run.code).toBe(0);
    const replacement = run.json();
    expect(replacement).toMatchObject({ originalClaimId: first!.id, frequencyCode: '7' });
    const exportRun = await cli(['export', '--payer', '99999', '--out', out]);
    expect(exportRun.code).toBe(0);
    const next = exportRun.json();
    expect(next.interchangeControlNumber).toBe(102);
    const text = readFileSync(next.file, 'utf8');
    expect(text).toContain(`CLM*${replacement.patientControlNumber}*185***11:B:7*Y*A*Y*Y~REF*F8*EHP250204001~`);
    new X12Parser(true).parse(text);
  });

  it('holds a claim that fails an edit out of the export, lists every reason and exits 3', async () => {
    await t.db.execute(sql`insert into charges (patient_id, service_date, code_system, code, amount_cents, diagnosis_pointers, place_of_service)
                           select id, '2025-01-14', 'http://www.ama-assn.org/go/cpt', '99213', 0, '{}', '11' from patients where mrn = 'M1'`);
    expect((await cli(['build'])).json().claims).toBe(1);
    const check = await cli(['check']);
    expect(check.code).toBe(3);
    expect(check.json().failures.map((f: { code: string }) => f.code)).toEqual(['DX_MISSING', 'CHARGE', 'POINTER_MISSING']);
    const human = await runCli(['claims', 'check'], { database: t.handle, now: EXPORT_TIME });
    expect(human.stdout).toContain('The claim has no diagnosis code.');
    const run = await cli(['export', '--all', '--out', out]);
    expect(run.code).toBe(3);
    expect(run.json()).toMatchObject({ batchId: null, claims: 0 });
    expect(run.stderr).toContain('held back');
  });

  it('exports nothing and marks nothing when the file cannot be written', async () => {
    await t.db.execute(sql`update claims set status = 'ready' where status = 'held'`);
    await t.db.execute(sql`update claim_lines set charge_cents = 5000, diagnosis_pointers = '{1}' where claim_id = (select max(id) from claims)`);
    await t.db.execute(sql`insert into claim_diagnoses (claim_id, position, code_system, code) select max(id), 1, 'http://hl7.org/fhir/sid/icd-10-cm', 'Z00.00' from claims`);
    await t.db.execute(sql`update claims set total_cents = 5000 where id = (select max(id) from claims)`);
    const [before] = await queryRows<{ batches: number; counter: number }>(t.db, sql`select (select count(*)::int from claim_batches) as batches, (select max(last_value) from x12_counters) as counter`);
    const run = await cli(['export', '--all', '--out', join(out, 'no-such-folder')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Cannot write the claim file/);
    const [after] = await queryRows<{ batches: number; counter: number }>(t.db, sql`select (select count(*)::int from claim_batches) as batches, (select max(last_value) from x12_counters) as counter`);
    expect(after).toEqual(before);
    const [claim] = await queryRows<{ status: string; batch_id: number | null }>(t.db, sql`select status, batch_id from claims where id = (select max(id) from claims)`);
    expect(claim).toEqual({ status: 'ready', batch_id: null });
  });

  it('takes a claim out of its batch when the 999 rejects it, so it can be fixed and sent again', async () => {
    const [batch] = await queryRows<{ id: number; gs06: number }>(t.db, sql`select id, group_control_number as gs06 from claim_batches order by id desc limit 1`);
    const ack = join(out, 'reject.999');
    writeFileSync(ack, envelope('FA', '999', '005010X231A1', [`AK1*HC*${batch!.gs06}*005010X222A1`, 'AK2*837*0001*005010X222A1', 'IK3*CLM*41**8', 'IK5*R*5', 'AK9*R*1*1*0']));
    const run = await cli(['import-ack', ack]);
    expect(run.code).toBe(3);
    expect(run.json()).toMatchObject({ batchId: batch!.id, accepted: 0, rejected: 1 });
    const [claim] = await queryRows<{ status: string; batch_id: number | null }>(t.db, sql`select status, batch_id from claims where frequency_code = '7'`);
    expect(claim).toEqual({ status: 'rejected', batch_id: null });
    const [state] = await queryRows<{ status: string }>(t.db, sql`select status from claim_batches where id = ${batch!.id}`);
    expect(state!.status).toBe('rejected');
  });

  it('lists claims by status', async () => {
    const run = await cli(['list', '--status', 'denied']);
    expect(run.code).toBe(0);
    expect(run.json().claims.map((c: { patientControlNumber: string }) => c.patientControlNumber)).toEqual(['PKT-000002']);
    expect((await cli(['status', '--status', 'nonsense'])).code).toBe(2);
    const human = await runCli(['claims', 'list'], { database: t.handle });
    expect(human.stdout).toContain('PKT-000001');
  });
});

describe('claims without a database', () => {
  it('validates an 837P file and names what is wrong', async () => {
    const good = await runCli(['--json', 'claims', 'validate', fixture('own-837p-valid-two-claims.x12')]);
    expect(good.code).toBe(0);
    expect(good.json()).toMatchObject({ valid: true, issues: [] });
    const bad = await runCli(['claims', 'validate', fixture('own-837p-sem-npi-check-digit.x12')]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain('NPI 1234567890 fails its check digit');
    const missing = await runCli(['claims', 'validate', 'no-such-file.x12']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Cannot read no-such-file.x12 (ENOENT)');
  });

  it('rejects a badly formed date before opening anything', async () => {
    const run = await runCli(['claims', 'build', '--since', '2025-13-01']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--since must be a date like 2026-03-01 (or 3/1/2026).');
  });
});
