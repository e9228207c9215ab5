// An export stopped after its batch was recorded (status open) is finished by the next export, in the
// folder it was recorded for; when that folder is gone the biller is told how to finish it elsewhere.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { EXPORT_TIME, seedPractice } from './seed.js';

describeEachBackend('finishing an interrupted claims export', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pk-export-recovery-'));
  const first = join(root, 'outbox');
  const other = join(root, 'elsewhere');
  const cli = (args: string[]) => runCli(['--json', 'claims', ...args], { database: t.handle, now: EXPORT_TIME });
  let batchId = 0;
  let bytes = '';

  beforeAll(async () => {
    await seedPractice(t.db);
    mkdirSync(first);
    mkdirSync(other);
    expect((await cli(['build'])).json().claims).toBe(2);
    const run = await cli(['export', '--all', '--out', first]);
    expect(run.code, run.stderr).toBe(0);
    batchId = run.json().batchId;
    bytes = readFileSync(run.json().file, 'utf8');
    // As a kill right after the batch was committed leaves it: recorded, no file yet.
    await t.db.execute(sql`update claim_batches set status = 'open', exported_at = null`);
    rmSync(first, { recursive: true });
  });

  it('refuses to write the open batch anywhere but its folder, and says how to finish it', async () => {
    const run = await cli(['export', '--all', '--out', other]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Batch ${batchId} is recorded, but its file could not be written`);
    expect(run.stderr).toContain(`practice claims export --batch ${batchId} --again --out <dir>`);
    expect(readdirSync(other)).toEqual([]);
  });

  it('finishes it with --again in another folder, byte for byte, and the next export sends nothing twice', async () => {
    const again = await cli(['export', '--batch', String(batchId), '--again', '--out', other]);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(again.json().file, 'utf8')).toBe(bytes);
    const [batch] = await queryRows<{ status: string }>(t.db, sql`select status from claim_batches where id = ${batchId}`);
    expect(batch!.status).toBe('exported');
    mkdirSync(first);
    const next = await cli(['export', '--all', '--out', first]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.json()).toMatchObject({ batchId: null, claims: 0, completed: [] });
    expect(readdirSync(first)).toEqual([]);
    expect(existsSync(join(other, `.${readdirSync(other)[0]}.tmp`))).toBe(false);
  });
});
