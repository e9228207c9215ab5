// Writers run twice at once, as two real CLI processes on one PostgreSQL database (two nurses scanning
// the same dose, a cron job and a biller posting the same 835): no lost and no doubled rows. The embedded
// database serves one process at a time: the second waits for the first, then does nothing twice.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { seedPractice } from '../claims/seed.js';
import { runCli } from '../helpers/cli.js';
import { backends } from '../helpers/db.js';
import { startSmtp } from '../recall/servers.js';
import { EMAILED, seedBuiltClaims, seedDoseDueNow, seedRecalls, twoPayments } from './seeds.js';
import { builtWith, practice, seeded, type Place, type Seeded } from './spawn.js';

const built = builtWith('mar/administer.js', 'emar:');
const METFORMIN_SCAN = '(01)00300027510019(17)271231(10)LOT42';
const FROM = 'Maple Street Family Clinic <reminders@maple.example>';

/** The same command, twice at once. */
const twice = (place: Place, args: string[], env: Record<string, string> = {}) =>
  Promise.all([practice([...place.args, ...args], { ...place.env, ...env }), practice([...place.args, ...args], { ...place.env, ...env })]);

const scratch = () => mkdtempSync(join(tmpdir(), 'pk-concurrent-'));

/** Every interchange file in the folder: its ISA13 and the claims (CLM01) it carries. */
function interchanges(dir: string): { file: string; isa13: string; claims: string[] }[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const isa = text.split('~')[0]!.split('*');
      return { file, isa13: isa[13]!, claims: [...text.matchAll(/CLM\*([^*]+)\*/g)].map((m) => m[1]!) };
    });
}

for (const backend of backends) {
  describe.skipIf(!built)(`two writers at once (built CLI) [${backend}]`, () => {
    let mar: Seeded;
    let claims: Seeded;
    let billed: Seeded;
    let recalls: Seeded;
    beforeAll(async () => {
      mar = await seeded(backend, seedDoseDueNow);
      claims = await seeded(backend, async (handle) => {
        await seedPractice(handle.db);
        await handle.db.execute(sql`update payers set timely_filing_days = 36500`);
      });
      billed = await seeded(backend, seedBuiltClaims);
      recalls = await seeded(backend, seedRecalls);
    }, 300_000);
    afterAll(async () => {
      await mar?.close();
      await claims?.close();
      await billed?.close();
      await recalls?.close();
    });

    it('mar give of the same scan twice at once: one dose given, the other scan refused', async () => {
      const place = await mar.fresh('give');
      const runs = await twice(place, ['--json', 'mar', 'give', '--patient-scan', 'MRN:M100', '--med-scan', METFORMIN_SCAN]);
      expect(runs.map((r) => r.code).sort()).toEqual([0, 1]);
      expect(runs.find((r) => r.code === 1)!.stderr).toMatch(/already given/);
      const rows = await place.use((h) => queryRows<{ status: string; n: number }>(h.db, sql`select status, count(*)::int as n from administrations group by status order by status`));
      expect(rows).toEqual([{ status: 'given', n: 1 }, { status: 'rejected', n: 1 }]);
    }, 300_000);

    it('claims build twice at once: one claim per visit', async () => {
      const place = await claims.fresh('build');
      const runs = await twice(place, ['--json', 'claims', 'build']);
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      expect(runs.map((r) => JSON.parse(r.stdout).claims).sort()).toEqual([0, 2]);
      const rows = await place.use((h) => queryRows<{ encounters: number; claims: number }>(h.db, sql`select count(distinct encounter_id)::int as encounters, count(*)::int as claims from claims`));
      expect(rows).toEqual([{ encounters: 2, claims: 2 }]);
    }, 300_000);

    it('claims export twice at once: each claim in exactly one file, control numbers never reused', async () => {
      const place = await billed.fresh('export');
      const out = scratch();
      const runs = await twice(place, ['--json', 'claims', 'export', '--all', '--out', out]);
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const files = interchanges(out);
      expect(files.flatMap((f) => f.claims).sort()).toEqual(['PKT-000001', 'PKT-000002']);
      expect(new Set(files.map((f) => f.isa13)).size).toBe(files.length);
      const batches = await place.use((h) =>
        queryRows<{ batches: number; claims: number; controls: number }>(h.db, sql`select count(*)::int as batches, coalesce(sum(claim_count), 0)::int as claims, count(distinct interchange_control_number)::int as controls from claim_batches`),
      );
      expect(batches).toEqual([{ batches: files.length, claims: 2, controls: files.length }]);
    }, 300_000);

    it('the same 835 posted twice at once: posted once, the other run says it already was', async () => {
      const place = await billed.fresh('post');
      const out = scratch();
      // Set-up in process: only the two postings need processes of their own.
      const exported = await place.use((database) => runCli(['--json', 'claims', 'export', '--all', '--out', out], { database }));
      expect(exported.code, exported.stderr).toBe(0);
      const file = join(out, 'two-payments.835');
      writeFileSync(file, twoPayments());
      const runs = await twice(place, ['--json', 'claims', 'post', file]);
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      expect(runs.map((r) => JSON.parse(r.stdout).alreadyPosted).sort()).toEqual([false, true]);
      const posted = await place.use((h) =>
        queryRows<{ remittances: number; payments: number; audited: number }>(
          h.db,
          sql`select (select count(*)::int from remittances) as remittances, (select count(*)::int from payments where remittance_id is not null) as payments,
                     (select count(*)::int from audit_log where action = 'post-835') as audited`,
        ),
      );
      // Two payments (ST/SE) in the file; claim 1 is paid on two lines, claim 2 denied (a zero payment is no row).
      expect(posted[0]!.remittances).toBe(2);
      // Both runs are audited: the posting, and the refusal of the same file again.
      expect(posted[0]!.audited).toBe(2);
      // The same file posted once, alone (in process): the payments one posting makes.
      const single = await billed.fresh('post-once');
      const once = await single.use(async (database) => {
        const alone = await runCli(['--json', 'claims', 'export', '--all', '--out', scratch()], { database });
        expect(alone.code, alone.stderr).toBe(0);
        expect((await runCli(['--json', 'claims', 'post', file], { database })).code).toBe(0);
        return queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from payments where remittance_id is not null`);
      });
      expect(posted[0]!.payments).toBe(once[0]!.n);
    }, 300_000);

    it('recall run twice at once: each reminder sent once', async () => {
      const smtp = await startSmtp();
      try {
        const place = await recalls.fresh('run');
        const out = scratch();
        const runs = await twice(place, ['--json', 'recall', 'run', '--no-appointments', '--out-dir', out], { PRACTICE_SMTP_URL: smtp.url, PRACTICE_SMTP_FROM: FROM });
        for (const r of runs) expect(r.code, r.stderr).toBe(0);
        const sent = runs.map((r) => JSON.parse(r.stdout).sent as { email: number; letter: number });
        expect(sent.map((s) => s.email).sort()).toEqual([0, EMAILED.length]);
        expect(sent.map((s) => s.letter).sort()).toEqual([0, 1]);
        expect(smtp.received.flatMap((m) => m.to).sort()).toEqual(EMAILED.map((name) => `${name}@example.org`));
        expect(readdirSync(out).filter((f) => f.endsWith('.pdf'))).toHaveLength(1);
        const rows = await place.use((h) =>
          queryRows<{ status: string; n: number }>(h.db, sql`select status, count(*)::int as n from reminder_messages where purpose = 'recall' group by status`),
        );
        expect(rows).toEqual([{ status: 'sent', n: EMAILED.length + 1 }]);
      } finally {
        await smtp.close();
      }
    }, 300_000);

    it('the same patients file imported twice at once: every patient once', async () => {
      const place = await claims.fresh('import');
      const dir = scratch();
      const file = join(dir, 'new-patients.csv');
      // No chart numbers: the practice numbers them, so only the import itself can tell a patient is known.
      writeFileSync(file, 'last_name,first_name,dob,sex\nBrown,Olivia,1961-03-05,female\nGreen,Liam,1977-08-19,male\nWhite,Ava,1990-12-01,female\n');
      const runs = await twice(place, ['--json', 'import', file, '--kind', 'patients']);
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const rows = await place.use((h) =>
        queryRows<{ name: string; n: number }>(h.db, sql`select last_name as name, count(*)::int as n from patients where last_name in ('Brown', 'Green', 'White') group by last_name order by 1`),
      );
      expect(rows).toEqual([{ name: 'Brown', n: 1 }, { name: 'Green', n: 1 }, { name: 'White', n: 1 }]);
    }, 300_000);

    it('payments add with the same reference twice at once: one payment, the other refused', async () => {
      const place = await claims.fresh('payment');
      const runs = await twice(place, ['--json', 'payments', 'add', 'M1', '--amount', '25.00', '--method', 'check', '--reference', '1042']);
      expect(runs.map((r) => r.code).sort()).toEqual([0, 1]);
      expect(runs.find((r) => r.code === 1)!.stderr).toMatch(/already recorded/);
      const rows = await place.use((h) => queryRows<{ n: number; cents: number }>(h.db, sql`select count(*)::int as n, sum(amount_cents)::int as cents from payments where source = 'patient'`));
      expect(rows).toEqual([{ n: 1, cents: 2500 }]);
    }, 300_000);
  });
}
