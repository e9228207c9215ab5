// practice recall run killed (SIGKILL, as kill -9) at each step of sending, its lease left to run out,
// then run again: no patient gets the same reminder twice, nobody is marked sent whose message the mail
// server did not accept, and every patient is either sent their reminder or reported, by chart, as
// unconfirmed (handed to the channel by the dead run, never confirmed: at most once, see SECURITY.md).
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';
import { backends } from '../helpers/db.js';
import { startSmtp } from '../recall/servers.js';
import { EMAILED, seedRecalls } from './seeds.js';
import { builtWith, killAt, practice, seeded, type Seeded } from './spawn.js';

const built = builtWith('recall/run.js', 'recall:after-handover');
const FROM = 'Maple Street Family Clinic <reminders@maple.example>';
type Message = { name: string; mrn: string; channel: string; status: string };
const messages = (handle: PracticeDatabase) =>
  queryRows<Message>(handle.db, sql`select p.first_name as name, p.mrn, m.channel, m.status from reminder_messages m join patients p on p.id = m.patient_id where m.purpose = 'recall' order by p.first_name, m.id`);

/** Point, what the dead run got out (emails accepted; letters file written), and whose message is left in doubt. */
const POINTS: { point: string; mailed: number; letters: number; unconfirmed: string[] }[] = [
  // Stamped handed over, then killed before the mail server had it: lost, and reported.
  { point: 'after-handover@1', mailed: 0, letters: 0, unconfirmed: ['ann'] },
  // Accepted by the mail server, killed before it was marked sent: it may have gone out, so never again.
  { point: 'before-confirm@2', mailed: 2, letters: 0, unconfirmed: ['ben'] },
  // Marked sent, killed before the next: the rest were never handed over and go out with the next run.
  { point: 'after-send@2', mailed: 2, letters: 0, unconfirmed: [] },
  // The letters file written, killed before its messages were marked sent: the letter is not written twice.
  { point: 'after-file', mailed: 3, letters: 1, unconfirmed: ['dan'] },
];

for (const backend of backends) {
  describe.skipIf(!built)(`recall run killed at every step of sending (built CLI) [${backend}]`, () => {
    let db: Seeded;
    beforeAll(async () => {
      db = await seeded(backend, seedRecalls);
    }, 300_000);
    afterAll(async () => db?.close());

    it.each(POINTS)('killed at recall:$point, then run again: nobody twice, nobody marked sent who was not', async ({ point, mailed, letters, unconfirmed }) => {
      const smtp = await startSmtp();
      try {
        const place = await db.fresh(point);
        const out = mkdtempSync(join(tmpdir(), 'pk-recall-kill-out-'));
        const env = { ...place.env, PRACTICE_SMTP_URL: smtp.url, PRACTICE_SMTP_FROM: FROM };
        const args = [...place.args, '--json', 'recall', 'run', '--no-appointments', '--out-dir', out];
        const pdfs = () => readdirSync(out).filter((f) => f.endsWith('.pdf'));

        const killed = await practice(args, { ...env, ...killAt(`recall:${point}`) });
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        expect(smtp.received).toHaveLength(mailed);
        expect(pdfs()).toHaveLength(letters);

        // The dead run's lease runs out.
        await place.use((h) => h.db.execute(sql`update reminder_messages set lease_expires_at = now() - interval '1 second' where status = 'claimed'`));
        const rerun = await practice(args, env);
        expect(rerun.code, rerun.stderr).toBe(unconfirmed.length ? 3 : 0);
        const summary = JSON.parse(rerun.stdout);
        expect(summary.unconfirmed).toBe(unconfirmed.length);
        const reported = summary.unsent.flatMap((u: { mrns: string[] }) => u.mrns);
        if (unconfirmed.length) expect(rerun.stderr).toContain('not sent again');

        const rows = await place.use(messages);
        const standing = rows.filter((m) => m.status === 'sent' || m.status === 'unconfirmed');
        // One reminder per patient: sent once, or unconfirmed (and then reported by chart, and not sent again).
        expect(standing.map((m) => m.name).sort()).toEqual([...EMAILED, 'dan']);
        expect(standing.filter((m) => m.status === 'unconfirmed').map((m) => m.name)).toEqual(unconfirmed);
        expect(reported.sort()).toEqual(standing.filter((m) => m.status === 'unconfirmed').map((m) => m.mrn).sort());
        // The mail server got each email at most once, and every email marked sent is one it got.
        const to = smtp.received.flatMap((m) => m.to);
        expect(new Set(to).size).toBe(to.length);
        const sentByEmail = standing.filter((m) => m.channel === 'email' && m.status === 'sent').map((m) => `${m.name}@example.org`);
        expect(to).toEqual(expect.arrayContaining(sentByEmail));
        for (const address of to) expect(standing.some((m) => `${m.name}@example.org` === address)).toBe(true);
        // One letters file at most: a letter the dead run wrote is never written again.
        expect(pdfs()).toHaveLength(1);

        // And after that, nothing more goes out.
        const last = await practice(args, env);
        expect(last.code, last.stderr).toBe(0);
        expect(JSON.parse(last.stdout)).toMatchObject({ sent: { email: 0, letter: 0 }, unconfirmed: 0 });
        expect(smtp.received.flatMap((m) => m.to)).toEqual(to);
        expect(pdfs()).toHaveLength(1);
      } finally {
        await smtp.close();
      }
    }, 300_000);
  });
}
