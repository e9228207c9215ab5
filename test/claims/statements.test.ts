// Patient responsibility becomes the patient's balance: statements for the month (PDF each, one print
// file, CSV; 0600, formulas neutralised) and patient payments that reduce what they owe.
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { EXPORT_TIME, fixtures, seedPractice } from './seed.js';

const MARCH = new Date('2025-03-01T18:00:00Z');

describeEachBackend('patient statements and payments', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-statements-'));
  const run = (args: string[], now = EXPORT_TIME) => runCli(['--json', ...args], { database: t.handle, now });

  beforeAll(async () => {
    await seedPractice(t.db);
    await run(['claims', 'build']);
    await t.db.execute(sql`update claims c set patient_control_number = 'PKT-' || lpad(n.rn::text, 6, '0')
                           from (select id, row_number() over (order by id) as rn from claims) n where n.id = c.id`);
    expect((await run(['claims', 'export', '--all', '--out', dir])).code).toBe(0);
    expect((await run(['claims', 'post', fileURLToPath(new URL('own-835-remit-for-two-claims.x12', fixtures))])).code).toBe(0);
    // A name a spreadsheet would run as a formula.
    await t.db.execute(sql`update patients set address1 = '=1+1' where mrn = 'M1'`);
  });

  it('lists nobody before insurance has decided', async () => {
    const dry = await run(['statements', '--month', '2025-01', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json().statements).toEqual([]);
  });

  it("writes a statement for what insurance left to the patient: visits, insurance paid, amount due, files 0600", async () => {
    const out = mkdtempSync(join(dir, 'feb-'));
    // The dry run plans exactly what the real run then writes, and writes nothing but the chart reads.
    const auditBefore = (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log`))[0]!.n;
    const dry = await run(['statements', '--month', '2025-02', '--out', out, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(readdirSync(out)).toEqual([]);
    const added = await queryRows<{ action: string; view: string; patient: string }>(
      t.db,
      sql`select a.action, a.details->>'view' as view, p.mrn as patient from audit_log a left join patients p on p.id = a.patient_id order by a.id offset ${auditBefore}`,
    );
    expect(added).toEqual([{ action: 'read', view: 'statements-dry-run', patient: 'M1' }]);
    const result = await run(['statements', '--month', '2025-02', '--out', out]);
    expect({ ...result.json(), dryRun: true }).toEqual(dry.json());
    expect(result.code, result.stderr).toBe(0);
    const statements = result.json().statements;
    // Jane owes the deductible and copay (25.00); Emma's denied visit is still the payer's to pay.
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ mrn: 'M1', chargedCents: 2500, paidCents: 0, amountDueCents: 2500 });
    expect(statements[0].visits).toEqual([expect.objectContaining({ serviceDate: '2025-01-10', billedCents: 18500, insurancePaidCents: 12000, patientCents: 2500, services: '99214, 83036' })]);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['statement-2025-02-M1.pdf', 'statements-2025-02-print.pdf', 'statements-2025-02.csv']);
    for (const f of files) expect(statSync(join(out, f)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, 'statements-2025-02-print.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
    const csv = readFileSync(join(out, 'statements-2025-02.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('month,mrn,name,address,visits,patient_share_cents,payments_cents,amount_due_cents');
    expect(csv[1]).toBe(`2025-02,M1,Jane Doe,"'=1+1, Springfield, IL 62702",1,2500,0,2500`);
    const [audit] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log where action = 'statements'`);
    expect(audit!.n).toBe(1);
  });

  it('records a patient payment that reduces what the patient owes', async () => {
    const paid = await run(['payments', 'add', 'M1', '--amount', '10.00', '--method', 'card', '--date', '2025-02-20'], MARCH);
    expect(paid.code, paid.stderr).toBe(0);
    expect(paid.json()).toMatchObject({ amountCents: 1000, balance: { chargedCents: 2500, paidCents: 1000, balanceCents: 1500 } });
    expect((await run(['payments', 'add', 'M1', '--amount', '-5', '--method', 'card'])).code).toBe(2);
    expect((await run(['payments', 'add', 'M1', '--amount', '5', '--method', 'bitcoin'])).code).toBe(2);
    expect((await run(['payments', 'add', 'NOPE', '--amount', '5', '--method', 'cash'])).code).toBe(1);
    const dry = await run(['statements', '--month', '2025-02', '--dry-run']);
    expect(dry.json().statements[0]).toMatchObject({ mrn: 'M1', amountDueCents: 1500, payments: [{ paidOn: '2025-02-20', method: 'card', amountCents: 1000 }] });
  });

  it("bills a denied visit moved to the patient on the next month's statement", async () => {
    const [emma] = await queryRows<{ id: number }>(t.db, sql`select c.id from claims c join patients p on p.id = c.patient_id where p.mrn = 'M2'`);
    const moved = await run(['claims', 'write-off', String(emma!.id), '--to-patient', '--reason', 'not covered, patient agreed'], MARCH);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json().claim).toMatchObject({ patientResponsibilityCents: 9500, balanceCents: 0 });
    const dry = await run(['statements', '--month', '2025-03', '--dry-run']);
    expect(dry.json().statements.map((s: { mrn: string; amountDueCents: number }) => [s.mrn, s.amountDueCents])).toEqual([['M1', 1500], ['M2', 9500]]);
  });
});
