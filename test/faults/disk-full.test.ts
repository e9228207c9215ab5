// A full disk under the database in the middle of a real command (the built CLI, PRACTICE_FAILPOINT=
// db:disk-full@n: the nth audit entry, written inside the command's own transaction, is refused by the
// database with SQLSTATE 53100 disk_full). Each command says so in one plain line (what happened, what
// to do), exits 1, leaves no partial file and nothing half-written, and the same command run again once
// there is room finishes the job exactly once. A full disk under the letters file (file:enospc) too.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { backends, describeEachBackend } from '../helpers/db.js';
import { startSmtp } from '../recall/servers.js';
import { EMAILED, seedBuiltClaims, seedRecalls } from './seeds.js';
import { builtWith, killAt, practice, seeded, type Run, type Seeded } from './spawn.js';

const built = builtWith('db/audit.js', 'db:disk-full');
const FROM = 'Maple Street Family Clinic <reminders@maple.example>';
const DISK_FULL = 'The disk is full: the database could not save the change, and nothing of that step was saved. Free some space, then run the command again.';

/** Exit 1 and exactly the one plain line on stderr (no stack, no --debug hint, no row values); --json: the error document. */
function expectDiskFull(run: Run): void {
  expect(run.signal, run.stderr).toBeNull();
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr.trimEnd().split('\n'), run.stderr).toEqual([`error: ${DISK_FULL}`]);
  expect(JSON.parse(run.stdout)).toEqual({ ok: false, error: { code: 'DISK_FULL', message: DISK_FULL } });
}

/** Files below dir, hidden temporary ones included. */
function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

const count = async (handle: PracticeDatabase, query: ReturnType<typeof sql>) => (await queryRows<{ n: number }>(handle.db, query))[0]!.n;
const audits = (handle: PracticeDatabase) => count(handle, sql`select count(*)::int as n from audit_log`);
const outDir = (name: string) => mkdtempSync(join(tmpdir(), `pk-disk-full-${name}-`));

for (const backend of backends) {
  describe.skipIf(!built)(`a full disk under the database in a real command (built CLI) [${backend}]`, () => {
    // The claims export and the FHIR bulk export start from the same built claims: seeded once.
    let billed: Seeded;
    beforeAll(async () => {
      billed = await seeded(backend, seedBuiltClaims);
    }, 300_000);
    afterAll(async () => billed?.close());

    describe('import', () => {
      let db: Seeded;
      beforeAll(async () => {
        db = await seeded(backend, async () => undefined);
      }, 300_000);
      afterAll(async () => db?.close());

      it('stops at the batch that met it; the batches before it stay, and the rerun imports the rest once', async () => {
        const place = await db.fresh('import');
        const dir = outDir('import');
        const file = join(dir, 'patients.csv');
        const rows = Array.from({ length: 30 }, (_, i) => `D${i},Last${i},First${i},19${50 + (i % 50)}-01-0${1 + (i % 9)}`);
        writeFileSync(file, `chart_number,last_name,first_name,dob\n${rows.join('\n')}\n`);
        const args = [...place.args, '--quiet', '--json', 'import', file, '--kind', 'patients', '--batch-size', '10'];

        const full = await practice(args, { ...place.env, ...killAt('db:disk-full@2') });
        expectDiskFull(full);
        expect(full.stderr).not.toMatch(/Last1|First1|D1\b/);
        // Batch 1 committed whole; batch 2 (rows, counts and audit entry) not at all.
        await place.use(async (h) => {
          expect(await count(h, sql`select count(*)::int as n from patients`)).toBe(10);
          expect(await queryRows(h.db, sql`select status, rows_read as "rowsRead", inserted from import_runs`)).toEqual([{ status: 'failed', rowsRead: 10, inserted: 10 }]);
          expect(await count(h, sql`select count(*)::int as n from audit_log where action = 'import'`)).toBe(1);
        });
        expect(allFiles(dir)).toEqual(['patients.csv']);

        const again = await practice(args, place.env);
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout).counts).toMatchObject({ read: 30, inserted: 20, unchanged: 10, rejected: 0 });
        await place.use(async (h) => {
          expect(await count(h, sql`select count(distinct mrn)::int as n from patients`)).toBe(30);
          expect(await count(h, sql`select count(*)::int as n from patients`)).toBe(30);
        });
      }, 300_000);
    });

    describe('claims export', () => {

      // @1: recording the batch; @2: marking it written, once its file is in place.
      it.each([1, 2])('met at audit entry %i: no batch half-recorded, and the rerun leaves each claim in exactly one file', async (n) => {
        const place = await billed.fresh(`claims-${n}`);
        const out = outDir(`claims-${n}`);
        const args = [...place.args, '--json', 'claims', 'export', '--all', '--out', out];
        const before = await place.use(audits);

        expectDiskFull(await practice(args, { ...place.env, ...killAt(`db:disk-full@${n}`) }));
        const batchesIn = (h: PracticeDatabase) => queryRows<{ status: string; claims: number }>(h.db, sql`select b.status, count(c.id)::int as claims from claim_batches b left join claims c on c.batch_id = b.id group by b.id, b.status order by b.id`);
        const batches = () => place.use(batchesIn);
        if (n === 1) {
          // Nothing recorded: no batch, no claim taken, no control number used, no file, no audit entry.
          expect(allFiles(out)).toEqual([]);
          await place.use(async (h) => {
            expect(await batchesIn(h)).toEqual([]);
            expect(await count(h, sql`select count(*)::int as n from claims where status = 'ready'`)).toBe(2);
            expect(await count(h, sql`select count(*)::int as n from x12_counters`)).toBe(0);
            expect(await audits(h)).toBe(before);
          });
        } else {
          // The batch is recorded and its whole file in place (the exact bytes kept with it), not yet marked written.
          expect(await batches()).toEqual([{ status: 'open', claims: 2 }]);
          expect(allFiles(out)).toHaveLength(1);
        }

        const again = await practice(args, place.env);
        expect(again.code, again.stderr).toBe(0);
        const result = JSON.parse(again.stdout);
        expect(result.completed.length + (result.batchId === null ? 0 : 1)).toBe(1);
        expect(await batches()).toEqual([{ status: 'exported', claims: 2 }]);
        const files = allFiles(out);
        expect(files).toHaveLength(1);
        expect(files[0]).toMatch(/^837P-000000001-batch\d+\.x12$/);
      }, 300_000);
    });

    describe('FHIR bulk export', () => {

      it('met recording the export: no file is left (an export nobody can account for), and the rerun writes it once', async () => {
        const place = await billed.fresh('fhir');
        const out = join(outDir('fhir'), 'bulk');
        const args = [...place.args, '--json', 'fhir', 'export', '--all', '--out', out];
        const before = await place.use(audits);

        expectDiskFull(await practice(args, { ...place.env, ...killAt('db:disk-full@1') }));
        expect(allFiles(out)).toEqual([]);
        expect(await place.use(audits)).toBe(before);

        const again = await practice(args, place.env);
        expect(again.code, again.stderr).toBe(0);
        expect(allFiles(out)).toContain('Patient.ndjson');
        expect(allFiles(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
        await place.use(async (h) => expect(await count(h, sql`select count(*)::int as n from audit_log where action = 'export' and entity = 'practice'`)).toBe(1));
      }, 300_000);
    });

    describe('recall run', () => {
      let db: Seeded;
      beforeAll(async () => {
        db = await seeded(backend, seedRecalls);
      }, 300_000);
      afterAll(async () => db?.close());

      type Message = { name: string; status: string };
      const messages = (h: PracticeDatabase) =>
        queryRows<Message>(h.db, sql`select p.first_name as name, m.status from reminder_messages m join patients p on p.id = m.patient_id where m.purpose = 'recall' and m.status in ('sent', 'unconfirmed') order by p.first_name`);

      it('met marking an accepted email sent: that email is never sent again, the rest go out once with the rerun', async () => {
        const smtp = await startSmtp();
        try {
          const place = await db.fresh('recall');
          const out = outDir('recall');
          const env = { ...place.env, PRACTICE_SMTP_URL: smtp.url, PRACTICE_SMTP_FROM: FROM };
          const args = [...place.args, '--json', 'recall', 'run', '--no-appointments', '--out-dir', out];

          // Entries: 1 the claims, 2 ann handed over, 3 ann marked sent: the mail server has it, the database refuses.
          expectDiskFull(await practice(args, { ...env, ...killAt('db:disk-full@3') }));
          expect(smtp.received.map((m) => m.to)).toEqual([['ann@example.org']]);
          expect(allFiles(out)).toEqual([]);
          expect(await place.use(messages)).toEqual([]);

          const again = await practice(args, env);
          expect(again.code, again.stderr).toBe(3);
          const summary = JSON.parse(again.stdout);
          expect(summary).toMatchObject({ sent: { email: 2, letter: 1 }, unconfirmed: 1 });
          expect(again.stderr).toContain('not sent again');
          const to = smtp.received.flatMap((m) => m.to);
          expect(to.sort()).toEqual(EMAILED.map((n) => `${n}@example.org`));
          expect(await place.use(messages)).toEqual([
            { name: 'ann', status: 'unconfirmed' },
            { name: 'ben', status: 'sent' },
            { name: 'cat', status: 'sent' },
            { name: 'dan', status: 'sent' },
          ]);
          expect(allFiles(out)).toHaveLength(1);
        } finally {
          await smtp.close();
        }
      }, 300_000);
    });
  });
}

// The file writer's own full disk (PRACTICE_FAILPOINT=file:enospc, read at each write) under the letters
// file of a recall run, in process: the database is open already, so only the letters file meets it.
describeEachBackend('recall run with the letters file on a full disk (ENOSPC)', (t) => {
  beforeAll(async () => {
    await seedRecalls(t.handle);
  });

  it('writes no file, keeps the letter due, sends the emails, and the rerun writes it once', async () => {
    const smtp = await startSmtp();
    const out = outDir('recall-enospc');
    const files = () => allFiles(out);
    const env = { PRACTICE_SMTP_URL: smtp.url, PRACTICE_SMTP_FROM: FROM };
    const run = async (full: boolean) => {
      process.env.PRACTICE_TEST_HOOKS = '1';
      if (full) process.env.PRACTICE_FAILPOINT = 'file:enospc';
      try {
        return await runCli(['--json', 'recall', 'run', '--no-appointments', '--out-dir', out], { database: t.handle, env });
      } finally {
        delete process.env.PRACTICE_FAILPOINT;
        delete process.env.PRACTICE_TEST_HOOKS;
      }
    };
    try {
      const full = await run(true);
      expect(full.code, full.stderr).toBe(3);
      expect(full.stderr).toContain('1 patient(s) due for a recall not sent: letter: the disk is full, so the letters file could not be written; free some space (retried on a later run).');
      expect(full.stderr).not.toMatch(/\n\s+at /);
      expect(full.json()).toMatchObject({ sent: { email: 3, letter: 0 }, failed: 1 });
      expect(files()).toEqual([]);

      // A failed letter waits out its back-off (two hours after one failure) before the next try.
      await t.db.execute(sql`update reminder_log set next_attempt_after = now() - interval '1 second' where status = 'failed'`);
      const again = await run(false);
      expect(again.code, again.stderr).toBe(0);
      expect(again.json()).toMatchObject({ sent: { email: 0, letter: 1 } });
      expect(files().filter((f) => f.endsWith('.pdf'))).toHaveLength(1);
      expect(files().filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(smtp.received).toHaveLength(3);
    } finally {
      await smtp.close();
    }
  });
});
