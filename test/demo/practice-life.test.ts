// A fresh demo is a practice in the middle of its life: last month's pack has a figure on every page,
// its claims pass the toolkit's own scrubber, and its files are where it says.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { pdfPages } from '../helpers/pdf-text.js';

const now = new Date('2026-11-28T15:30:00Z');

describeEachBackend('a fresh demo practice', (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'pk-demo-life-'));
  let run: CliRun;

  beforeAll(async () => {
    run = await runCli(['demo', '--patients', '150', '--seed', '3', '--json', '--out', folder], { database: t.handle, now });
  }, 300_000);

  it('says where its files are and writes them there, not in the working folder', () => {
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json();
    expect(doc.folder).toBe(folder);
    expect(doc.monthlyPack).toEqual({ file: join(folder, 'monthly-pack-2026-10.pdf'), month: '2026-10' });
    expect(readdirSync(join(folder, 'claims')).some((f) => f.startsWith('837P-'))).toBe(true);
    expect(readdirSync(join(folder, 'clearinghouse')).some((f) => f.startsWith('835-'))).toBe(true);
    expect(readdirSync(join(folder, 'outbox')).length).toBeGreaterThan(0);
    expect(existsSync(join(process.cwd(), 'monthly-pack-2026-10.pdf'))).toBe(false);
  });

  it("fills every page of last month's pack with figures", async () => {
    const pack = (await runCli(['--json', 'report', 'monthly', '--month', '2026-10'], { database: t.handle, now })).json();
    const month = pack.productivity.totals.month;
    expect(month.workRvu).toBeGreaterThan(0);
    // Every charge line the fee schedule values has RVUs; the rest are labelled, none missing.
    expect(month.missingRvuLines).toBe(0);
    expect(pack.productivity.statusCodes.map((s: { status: string }) => s.status)).not.toContain('missing');
    expect(pack.productivity.notes.join(' ')).toContain('RVU source: 2026 charges: RVUs from the 2025 fee schedule (CMS RVU25D office subset (bundled with practicekit))');
    expect(pack.productivity.totals.yearToDate.newPatientVisits).toBeGreaterThan(0);
    expect(new Set(pack.quality.rates.map((r: { measure: string }) => r.measure.split(' ')[0])).size).toBe(8);
    for (const rate of pack.quality.rates) expect(rate.eligible, rate.measure).toBeGreaterThan(0);
    expect(pack.claims.submitted).toBeGreaterThan(0);
    expect(pack.claims.decided).toBeGreaterThan(0);
    expect(pack.claims.denied).toBeGreaterThan(0);
    expect(pack.claims.openBalanceCents).toBeGreaterThan(0);
    expect(month.paymentsCents).toBeGreaterThan(0);
    expect(pack.recall.reminders.reduce((n: number, r: { sent: number }) => n + r.sent, 0)).toBeGreaterThan(0);

    const text = (await pdfPages(readFileSync(run.json().monthlyPack.file))).join('\n');
    expect(text).toContain('RVU source');
    expect(text).not.toContain('No reminders were sent this month.');
    expect(text).not.toContain('No denials this month.');
    expect(text).not.toContain('Quality rates need');
  });

  it('has claims that pass its own scrubber, the rest held for reasons a biller knows', async () => {
    const check = await runCli(['--json', 'claims', 'check'], { database: t.handle, now });
    const result = check.json();
    expect(result.checked).toBeGreaterThan(0);
    expect(result.passing / result.checked).toBeGreaterThanOrEqual(0.9);
    for (const f of result.failures) expect(['SUBSCRIBER_ID', 'PATIENT_ADDRESS']).toContain(f.code);
    // Over the whole history: nine in ten claims went out the first time they were checked.
    const [sent] = await queryRows<{ sent: number; claims: number }>(t.db, sql`select count(*) filter (where exported_at is not null)::int as sent, count(*)::int as claims from claims`);
    expect(sent!.sent / sent!.claims).toBeGreaterThanOrEqual(0.9);
    const billing = run.json().billing;
    expect(billing.claimsHeld / billing.claimsBuilt).toBeLessThan(0.1);
  });

  it('posts payer answers through the real paths: payments, patient shares, denials, balanced claims', async () => {
    const [money] = await queryRows<Record<string, number>>(
      t.db,
      sql`select (select count(*)::int from remittances) as remittances,
        (select count(*)::int from claims where patient_responsibility_cents > 0) as with_patient_share,
        (select count(*)::int from claims where status = 'denied') as denied,
        (select count(*)::int from remittance_unmatched) as unmatched,
        (select count(*)::int from encounters where is_new_patient and type_code not in ('99202','99203','99204','99205','99381','99382','99383','99384','99385','99386','99387')) as odd_new_visits,
        (select count(*)::int from administrations) as doses`,
    );
    expect(money).toMatchObject({ unmatched: 0, odd_new_visits: 0 });
    // Every claim balances: billed = paid + adjustments + patient responsibility + balance - credit.
    const listed = (await runCli(['--json', 'claims', 'list'], { database: t.handle, now })).json().claims as Record<string, number>[];
    expect(listed.length).toBeGreaterThan(0);
    const unbalanced = listed.filter((c) => c.totalCents !== c.paidCents + c.adjustmentCents + c.patientResponsibilityCents + c.balanceCents - c.creditCents);
    expect(unbalanced).toEqual([]);
    for (const key of ['remittances', 'with_patient_share', 'denied', 'doses']) expect(money![key], key).toBeGreaterThan(0);
  });
  it('works its denials as an office does and brings the shots a child had before its first visit here', async () => {
    const worked = run.json().billing.denialsWorked;
    expect(worked.corrected + worked.writtenOff + worked.toPatient).toBeGreaterThan(0);
    // No claim-level denial is left unworked five weeks after it came: corrected, written off or billed to the patient.
    const [left] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from claims c
          where c.status = 'denied' and not exists (select 1 from claims r where r.original_claim_id = c.id)
            and exists (select 1 from denials d where d.claim_id = c.id and d.claim_line_id is null and d.denied_on < ${'2026-10-24'}::date)`,
    );
    expect(left!.n).toBe(0);
    const moves = await queryRows<{ kind: string; reason: string }>(t.db, sql`select kind, reason from claim_balance_moves`);
    for (const m of moves) expect(m.reason.trim().length, m.kind).toBeGreaterThan(0);
    // A child aged 2 to 5 has immunizations from its first year, given here before the record's two years or brought from elsewhere.
    const [kids] = await queryRows<{ children: number; with_infant_shots: number }>(
      t.db,
      sql`select count(*)::int as children,
                 count(*) filter (where exists (select 1 from immunizations i where i.patient_id = p.id and i.occurrence_date < p.dob + 365))::int as with_infant_shots
          from patients p where p.dob between ${'2020-12-01'}::date and ${'2024-10-01'}::date`,
    );
    expect(kids!.children).toBeGreaterThan(0);
    expect(kids!.with_infant_shots / kids!.children).toBeGreaterThanOrEqual(0.75);
  });
});
