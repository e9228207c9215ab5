// An 835 posting killed (SIGKILL, as kill -9) at each of its steps, then run again: every payment is
// posted exactly once (the ledger is the one an uninterrupted run writes), and every claim balances.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { backends } from '../helpers/db.js';
import { seedPractice } from '../claims/seed.js';
import { twoPayments } from './seeds.js';
import { builtWith, killAt, practice, seeded, type Seeded } from './spawn.js';

const built = builtWith('claims/post-835.js', 'post-835:');

/** What the posting wrote, by payment trace number rather than row id (a rolled-back run still takes ids). */
async function ledger(handle: PracticeDatabase) {
  const rows = async (query: ReturnType<typeof sql>) => queryRows<Record<string, unknown>>(handle.db, query);
  return {
    remittances: await rows(sql`select trace_number, payment_key, total_paid_cents from remittances order by trace_number`),
    payments: await rows(sql`select r.trace_number, p.claim_id, p.claim_line_id, p.amount_cents from payments p join remittances r on r.id = p.remittance_id order by 1, 2, 3, 4`),
    adjustments: await rows(sql`select r.trace_number, a.claim_id, a.claim_line_id, a.group_code, a.reason_code, a.amount_cents, a.denial from adjustments a join remittances r on r.id = a.remittance_id order by 1, 2, 3, 4, 5, 6`),
    denials: await rows(sql`select r.trace_number, d.claim_id, d.claim_line_id, d.carc_code, d.amount_cents from denials d join remittances r on r.id = d.remittance_id order by 1, 2, 3, 4`),
    providerAdjustments: await rows(sql`select r.trace_number, x.claim_id, x.reason_code, x.amount_cents from provider_adjustments x join remittances r on r.id = x.remittance_id order by 1, 2, 3, 4`),
    unmatched: await rows(sql`select count(*)::int as n from remittance_unmatched`),
    audited: await rows(sql`select count(*)::int as n from audit_log where action = 'post-835'`),
  };
}

/** Every claim balances: paid + adjusted + patient's share + open balance - credit = billed. */
async function expectBalanced(database: PracticeDatabase): Promise<void> {
  // The listing in process, on the test's own handle: only the posting needs a process to kill.
  const list = await runCli(['--json', 'claims', 'list'], { database });
  expect(list.code, list.stderr).toBe(0);
  const claims: { patientControlNumber: string; totalCents: number; paidCents: number; adjustmentCents: number; patientResponsibilityCents: number; balanceCents: number; creditCents: number }[] = JSON.parse(list.stdout).claims;
  expect(claims).toHaveLength(2);
  for (const c of claims) {
    expect(c.paidCents + c.adjustmentCents + c.patientResponsibilityCents + c.balanceCents - c.creditCents, c.patientControlNumber).toBe(c.totalCents);
  }
}

// One kill point per commit boundary: inside the file's one transaction part-way through (the first
// payment posted, the second's remittance stored), at its very end, and after its commit.
const POINTS = ['after-remittance@2', 'before-commit', 'after-commit'];

for (const backend of backends) {
  describe.skipIf(!built)(`835 posting killed at every step (built CLI) [${backend}]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-835-kill-'));
    const file = join(dir, 'two-payments.835');
    writeFileSync(file, twoPayments());
    let db: Seeded;
    let expected: Awaited<ReturnType<typeof ledger>>;

    beforeAll(async () => {
      db = await seeded(backend, async (handle) => {
        await seedPractice(handle.db);
        await handle.db.execute(sql`update payers set timely_filing_days = 36500`);
        expect((await runCli(['--json', 'claims', 'build'], { database: handle })).json()).toMatchObject({ claims: 2 });
        // The claim numbers the remittance names.
        await handle.db.execute(sql`update claims c set patient_control_number = 'PKT-' || lpad(n.rn::text, 6, '0')
                                    from (select id, row_number() over (order by id) as rn from claims) n where n.id = c.id`);
        const exported = await runCli(['--json', 'claims', 'export', '--all', '--out', dir], { database: handle });
        expect(exported.code, exported.stderr).toBe(0);
      });
      // The uninterrupted posting, twice: the ledger every killed-and-rerun posting must end with. In
      // process: only the killed postings need a process of their own.
      const place = await db.fresh('reference');
      expected = await place.use(async (database) => {
        const first = await runCli(['--json', 'claims', 'post', file], { database });
        expect(first.code, first.stdout).toBe(0);
        expect(first.json()).toMatchObject({ claimsMatched: 2, unmatched: [] });
        const again = await runCli(['--json', 'claims', 'post', file], { database });
        expect(again.json().alreadyPosted).toBe(true);
        await expectBalanced(database);
        return ledger(database);
      });
      expect(expected.remittances).toHaveLength(2);
      expect(expected.payments.length).toBeGreaterThan(0);
      expect(expected.audited).toEqual([{ n: 2 }]);
    }, 300_000);

    afterAll(async () => db?.close());

    it.each(POINTS)('killed at post-835:%s, then run again: each payment posted once, every claim balances', async (point) => {
      const place = await db.fresh(point);
      const args = [...place.args, '--json', 'claims', 'post', file];
      const killed = await practice(args, { ...place.env, ...killAt(`post-835:${point}`) });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      // The file posts in one transaction: killed before the commit, nothing of it is left.
      const left = await place.use(ledger);
      expect(left.remittances).toHaveLength(point === 'after-commit' ? 2 : 0);
      if (point !== 'after-commit') expect(left.payments).toEqual([]);

      const rerun = await practice(args, place.env);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(JSON.parse(rerun.stdout).alreadyPosted).toBe(point === 'after-commit');
      await place.use(async (database) => {
        expect(await ledger(database)).toEqual(expected);
        await expectBalanced(database);
      });
    }, 300_000);
  });
}
