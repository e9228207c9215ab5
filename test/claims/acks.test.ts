// 999 and 277CA rejections: the codes and text are kept per claim and shown in claims list/show, and
// the claim is held until it is changed and passes the edits, or the biller resubmits it as it is.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { segmentsOf } from './read-837p.js';
import { EXPORT_TIME, seedPractice } from './seed.js';

/** A minimal interchange around the given segments, counts right, as a clearinghouse sends it back. */
function envelope(gs01: string, st01: string, version: string, body: string[]): string {
  const isa = 'ISA*00*          *00*          *ZZ*CLEARHOUSE01   *ZZ*PRACTICEKIT    *250116*1200*^*00501*000000900*0*T*:';
  const set = [`ST*${st01}*0001*${version}`, ...body];
  return [isa, `GS*${gs01}*CLEARHOUSE01*PRACTICEKIT*20250116*1200*900*X*${version}`, ...set, `SE*${set.length + 1}*0001`, 'GE*1*900', 'IEA*1*000000900'].map((s) => `${s}~`).join('\n');
}

describeEachBackend('claim acknowledgements: rejections held until changed or resubmitted', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'pk-acks-'));
  const cli = (args: string[]) => runCli(['--json', 'claims', ...args], { database: t.handle, now: EXPORT_TIME });
  const write = (name: string, text: string) => {
    writeFileSync(join(out, name), text);
    return join(out, name);
  };
  let first: { id: number; pcn: string };
  let second: { id: number; pcn: string };

  beforeAll(async () => {
    await seedPractice(t.db);
    expect((await cli(['build'])).json().claims).toBe(2);
    const run = await cli(['export', '--all', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    [first, second] = await queryRows<{ id: number; pcn: string }>(t.db, sql`select id, patient_control_number as pcn from claims order by id`) as [typeof first, typeof second];
  });

  it('stores a 277CA rejection with its STC codes and text, and shows it in claims list and claims show', async () => {
    const ack = write('first.277', envelope('HN', '277', '005010X214', [
      'BHT*0085*08*1*20250116*1200*TH', 'HL*1**20*1', 'HL*2*1*21*1', 'HL*3*2*19*1',
      'HL*4*3*PT', `TRN*2*${first.pcn}`, 'STC*A7:562:82*20250116*U*150********RENDERING PROVIDER NOT ON FILE',
      'HL*5*3*PT', `TRN*2*${second.pcn}`, 'STC*A1:20*20250116*WQ*95',
    ]));
    const run = await cli(['import-ack', ack]);
    expect(run.code).toBe(3);
    expect(run.json()).toMatchObject({ kind: '277CA', accepted: 1, rejected: 1, rejections: [{ claimId: first.id, source: '277CA', codes: ['STC:A7:562:82'] }] });
    expect(run.json().rejections[0].message).toMatch(/A7 rejected for invalid information: status code 562: RENDERING PROVIDER NOT ON FILE/);

    const list = (await cli(['list'])).json().claims;
    expect(list.map((c: { status: string; rejection: { codes: string[] } | null }) => [c.status, c.rejection?.codes ?? null])).toEqual([['rejected', ['STC:A7:562:82']], ['accepted', null]]);
    const human = await runCli(['claims', 'list'], { database: t.handle });
    expect(human.stdout).toContain('STC:A7:562:82');
    const show = await cli(['show', String(first.id)]);
    expect(show.code).toBe(0);
    expect(show.json()).toMatchObject({ id: first.id, status: 'rejected', batchId: null, rejections: [{ source: '277CA', codes: ['STC:A7:562:82'], resolution: null }] });
    expect((await runCli(['claims', 'show', String(first.id)], { database: t.handle })).stdout).toContain('RENDERING PROVIDER NOT ON FILE');
    // The same acknowledgement again records nothing more.
    expect((await cli(['import-ack', ack])).json()).toMatchObject({ rejected: 0, rejections: [] });
  });

  it('holds the rejected claim unchanged: claims check fails it and the export does not send it', async () => {
    const check = await cli(['check']);
    expect(check.code).toBe(3);
    expect(check.json().failures).toEqual([expect.objectContaining({ claimId: first.id, code: 'REJECTED_UNCHANGED' })]);
    const run = await cli(['export', '--all', '--out', out]);
    expect(run.code).toBe(3);
    expect(run.json()).toMatchObject({ batchId: null, claims: 0 });
    const [claim] = await queryRows<{ status: string }>(t.db, sql`select status from claims where id = ${first.id}`);
    expect(claim!.status).toBe('held');
  });

  it('releases it once changed: it passes the check, goes out in a new batch, and the rejection is settled', async () => {
    // The practice corrects the patient's street (an unrelated chart change would not do: it is not on the claim).
    await t.db.execute(sql`update patients set address1 = '12 Oak Street' where mrn = 'M1'`);
    const check = await cli(['check']);
    expect(check.code, JSON.stringify(check.json())).toBe(0);
    const run = await cli(['export', '--all', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ claims: 1 });
    const { segments } = segmentsOf(readFileSync(run.json().file, 'utf8'));
    expect(segments.filter((s) => s.startsWith('CLM*')).map((s) => s.split('*')[1])).toEqual([first.pcn]);
    expect((await cli(['show', String(first.id)])).json().rejections).toEqual([expect.objectContaining({ resolution: 'changed', resolvedAt: expect.any(String) })]);
  });

  it('stores 999 errors with the claim they point at, and sends it again as it is only when resubmitted', async () => {
    const [batch] = await queryRows<{ id: number; gs06: number; content: string }>(t.db, sql`select id, group_control_number as gs06, content from claim_batches order by id desc limit 1`);
    // The position of the claim's CLM in its transaction set, as the clearinghouse counts (ST is 1).
    const { segments } = segmentsOf(batch!.content);
    const clm = segments.findIndex((s) => s.startsWith('CLM*')) + 2;
    const ack = write('second.999', envelope('FA', '999', '005010X231A1', [
      `AK1*HC*${batch!.gs06}*005010X222A1`, 'AK2*837*0001*005010X222A1', `IK3*CLM*${clm}*2300*8`, 'IK4*5:3*1331*7*Q', 'IK5*R*5', 'AK9*R*1*1*0',
    ]));
    const run = await cli(['import-ack', ack]);
    expect(run.code).toBe(3);
    const [rejection] = run.json().rejections;
    expect(rejection).toMatchObject({ claimId: first.id, source: '999', codes: ['IK5:R:5', `IK3:CLM:${clm}:2300:8`, 'IK4:05-3:1331:7'] });
    expect(rejection.message).toMatch(/one or more segments in error.*segment CLM \(position \d+, loop 2300\): data element errors; CLM05-3: invalid code value/);
    // The bad value itself (IK404) is never kept.
    const [kept] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from claim_rejections where message like '%Q%' or array_to_string(codes, ' ') like '%Q%'`);
    expect(kept!.n).toBe(0);

    expect((await cli(['check'])).json().failures).toEqual([expect.objectContaining({ claimId: first.id, code: 'REJECTED_UNCHANGED' })]);
    const notRejected = await cli(['resubmit', String(second.id)]);
    expect(notRejected.code).toBe(1);
    expect(notRejected.stderr).toContain('has no open rejection');
    const resubmit = await cli(['resubmit', String(first.id)]);
    expect(resubmit.code, resubmit.stderr).toBe(0);
    expect(resubmit.json()).toMatchObject({ claimId: first.id, status: 'ready', failures: [] });
    const again = await cli(['export', '--all', '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    const resent = segmentsOf(readFileSync(again.json().file, 'utf8')).segments;
    // Unchanged: the same claim segments as the rejected file, in a new interchange.
    const claimPart = (all: string[]) => all.slice(all.findIndex((s) => s.startsWith('CLM*')));
    expect(claimPart(resent)).toEqual(claimPart(segments));
    expect((await cli(['show', String(first.id)])).json().rejections.map((r: { source: string; resolution: string }) => [r.source, r.resolution])).toEqual([['999', 'resubmitted'], ['277CA', 'changed']]);
  });
});
