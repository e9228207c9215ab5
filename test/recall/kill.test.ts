// A recall run killed mid-send (the built CLI as a child process, as cron runs it, killed by a failpoint
// right after its second message was confirmed): the claims it left are held until their lease runs out,
// then the next run sends each of them once and reports them as recovered. Every patient gets one message.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { backends } from '../helpers/db.js';
import { builtWith, killAt, practice, seeded, type Place, type Seeded } from '../faults/spawn.js';
import { addDiabetes, addPatient, addPractice } from './fixtures.js';
import { startSmtp, type TestSmtp } from './servers.js';

// The child runs dist/: skip when it is missing or older than the failpoints (run "npm run build").
const built = builtWith('recall/run.js', 'recall:after-send');
const FROM = 'Maple Street Family Clinic <reminders@maple.example>';
const NAMES = ['ann', 'ben', 'cat', 'dan', 'eve'];

/** The patients, each due for several recalls (check-up, A1c, and the flu shot in season). */
async function seed(handle: PracticeDatabase): Promise<void> {
  await addPractice(handle.db);
  for (const name of NAMES) await addDiabetes(handle.db, await addPatient(handle.db, { firstName: name, lastName: 'Kill', dob: '1970-06-01', email: `${name}@example.org` }));
  expect((await runCli(['recall', 'rules', 'add', '--defaults'], { database: handle })).code).toBe(0);
  expect((await runCli(['recall', 'refresh'], { database: handle })).code).toBe(0);
}

for (const backend of backends) {
  describe.skipIf(!built)(`recall run killed mid-send (built CLI) [${backend}]`, () => {
    let smtp: TestSmtp;
    let db: Seeded;
    let target: Place;

    beforeAll(async () => {
      smtp = await startSmtp();
      db = await seeded(backend, seed);
      target = await db.fresh('run');
    }, 120_000);

    afterAll(async () => {
      await smtp?.close();
      await db?.close();
    });

    it('holds the dead run’s claims until the lease runs out, then sends each once, reported as recovered', { timeout: 300_000 }, async () => {
      const env = { ...target.env, PRACTICE_SMTP_URL: smtp.url, PRACTICE_SMTP_FROM: FROM };
      const args = [...target.args, 'recall', 'run', '--json'];

      const killed = await practice(args, { ...env, ...killAt('recall:after-send@2') });
      expect(killed.signal).toBe('SIGKILL');
      expect(smtp.received).toHaveLength(2);
      const left = await target.use((h) => queryRows<{ status: string; n: number }>(h.db, sql`select status, count(*)::int as n from reminder_messages group by status order by status`));
      expect(left).toEqual([
        { status: 'claimed', n: 3 },
        { status: 'sent', n: 2 },
      ]);

      // Straight after: the claims are still leased, so this run neither sends them nor steals them.
      const early = await practice(args, env);
      expect(early.code).toBe(0);
      const held = JSON.parse(early.stdout);
      expect(held.sent.email).toBe(0);
      expect(held.skipped['claimed-by-another-run']).toBeGreaterThanOrEqual(3);
      expect(held.skipped['contacted-recently']).toBeGreaterThanOrEqual(2);
      expect(early.stderr).toContain('claimed by another run that is sending now or was interrupted');
      expect(smtp.received).toHaveLength(2);

      // The lease timeout passes.
      await target.use((h) => h.db.execute(sql`update reminder_messages set lease_expires_at = now() - interval '1 second' where status = 'claimed'`));

      const rerun = await practice(args, env);
      expect(rerun.code).toBe(0);
      const summary = JSON.parse(rerun.stdout);
      expect(summary).toMatchObject({ released: 3, recovered: 3, failed: 0, unsent: [], sent: { email: 3 } });
      expect(rerun.stderr).toContain('3 message(s) claimed by an interrupted run were never confirmed sent; they go out with this run.');

      const mail = smtp.received.flatMap((m) => m.to).sort();
      expect(mail).toEqual(NAMES.map((n) => `${n}@example.org`));

      const after = await target.use((h) =>
        queryRows<{ status: string; n: number; replacing: number }>(
          h.db,
          sql`select status, count(*)::int as n, (count(*) filter (where replaces_id is not null))::int as replacing from reminder_messages group by status order by status`,
        ),
      );
      expect(after).toEqual([
        { status: 'released', n: 3, replacing: 0 },
        { status: 'sent', n: 5, replacing: 3 },
      ]);
      // Sent under the Message-ID of the claim they replace: had the dead run's copy gone out, mail systems can drop one.
      const sameId = await target.use((h) =>
        queryRows<{ n: number }>(h.db, sql`select count(*)::int as n from reminder_messages where status = 'sent' and transport_message_id = '<practicekit.reminder.' || replaces_id || '@maple.example>'`),
      );
      expect(sameId[0]!.n).toBe(3);
      const pending = await target.use((h) => queryRows<{ n: number }>(h.db, sql`select count(*)::int as n from reminder_log where status = 'pending'`));
      expect(pending[0]!.n).toBe(0);

      const last = await practice(args, env);
      expect(last.code).toBe(0);
      expect(JSON.parse(last.stdout).sent.email).toBe(0);
      expect(smtp.received).toHaveLength(5);
    });
  });
}
