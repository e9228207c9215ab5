// Learning from denials: three claims for 99213 denied CO-4 by the same payer (no modifier 25) propose
// an edit; once a biller accepts it, the next 99213 without 25 to that payer is held by the scrubber.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { CodeSystem } from '../../src/codes/systems.js';
import { queryRows } from '../../src/db/query.js';
import { charges, encounterDiagnoses, encounters } from '../../src/db/schema/index.js';
import type { Db } from '../../src/db/types.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { EXPORT_TIME, seedPractice } from './seed.js';

async function visit(db: Db, patientId: number, day: string, modifiers: string[]): Promise<void> {
  const [e] = await db.insert(encounters).values({ patientId, startsAt: new Date(`${day}T15:00:00Z`) }).returning();
  await db.insert(encounterDiagnoses).values({ encounterId: e!.id, position: 1, codeSystem: CodeSystem.icd10cm, code: 'J06.9' });
  await db.insert(charges).values({ patientId, encounterId: e!.id, serviceDate: day, codeSystem: CodeSystem.cpt, code: '99213', modifiers, amountCents: 9500, diagnosisPointers: [1], placeOfService: '11' });
}

describeEachBackend('claim edits learned from denials', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-denial-rules-'));
  const cli = (args: string[]) => runCli(['--json', 'claims', ...args], { database: t.handle, now: EXPORT_TIME });
  let jane = 0;

  beforeAll(async () => {
    const seeded = await seedPractice(t.db);
    jane = seeded.janeId;
    await visit(t.db, seeded.janeId, '2025-01-11', ['25']);
    await visit(t.db, seeded.janeId, '2025-01-13', []);
    await visit(t.db, seeded.emmaId, '2025-01-14', []);
  });

  it('proposes modifier 25 for a payer that denied 99213 without it three times, and holds the next such claim once accepted', async () => {
    await cli(['build']);
    expect((await cli(['export', '--all', '--out', dir])).code).toBe(0);
    const claims = await queryRows<{ pcn: string; day: string; mods: string[] }>(
      t.db,
      sql`select c.patient_control_number as pcn, c.service_date_from::text as day, l.modifiers as mods from claims c join claim_lines l on l.claim_id = c.id where l.code = '99213' order by c.id`,
    );
    const clp = (c: { pcn: string; day: string; mods: string[] }) => {
      const svc = `SVC*HC:99213${c.mods.map((m) => `:${m}`).join('')}`;
      const d = c.day.replaceAll('-', '');
      return c.mods.includes('25')
        ? [`CLP*${c.pcn}*1*95*80*0*12*P${d}*11*1`, `${svc}*95*80**1`, `DTM*472*${d}`, 'CAS*CO*45*15']
        : [`CLP*${c.pcn}*4*95*0*0*12*P${d}*11*1`, `${svc}*95*0**1`, `DTM*472*${d}`, 'CAS*CO*4*95', 'LQ*HE*N519'];
    };
    const set = ['ST*835*0001', 'BPR*I*80*C*CHK************20250205', 'TRN*1*CHK9000*1999999999', 'N1*PR*EXAMPLE HEALTH PLAN', 'N1*PE*MAPLE FAMILY MEDICINE*XX*1234567893', 'LX*1', ...claims.flatMap(clp)];
    const era = [
      'ISA*00*          *00*          *ZZ*EXAMPLEPAYER   *ZZ*PRACTICEKIT    *250205*0900*^*00501*000000600*0*T*:',
      'GS*HP*EXAMPLEPAYER*PRACTICEKIT*20250205*0900*600*X*005010X221A1', ...set, `SE*${set.length + 1}*0001`, 'GE*1*600', 'IEA*1*000000600',
    ].map((s) => `${s}~\n`).join('');
    writeFileSync(join(dir, 'denials.835'), era);
    const posted = await cli(['post', join(dir, 'denials.835')]);
    expect(posted.code, posted.stderr).toBe(0);
    expect(posted.json()).toMatchObject({ claimsMatched: 4, denials: 3 });

    expect((await cli(['denials', '--suggest', '--min', '4'])).json().suggestions).toEqual([]);
    const suggested = await cli(['denials', '--suggest']);
    expect(suggested.code).toBe(0);
    expect(suggested.json().suggestions).toEqual([
      expect.objectContaining({ key: '99999:99213:modifier', procedureCode: '99213', carcCode: '4', rarcCodes: ['N519'], deniedClaims: 3, kind: 'modifier', modifier: '25', accepted: false,
        edit: { code: 'DENIAL_RULE', level: 'line', rule: '99213 billed to Example Health Plan must carry modifier 25' } }),
    ]);
    expect((await cli(['denials', '--accept', 'nope'])).code).toBe(1);
    const accepted = await cli(['denials', '--accept', '99999:99213:modifier']);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect((await cli(['denials', '--suggest'])).json().suggestions[0].accepted).toBe(true);

    await visit(t.db, jane, '2025-01-15', []);
    await visit(t.db, jane, '2025-01-15', ['25']);
    expect((await cli(['build'])).json().claims).toBe(2);
    const check = await cli(['check']);
    expect(check.code).toBe(3);
    expect(check.json()).toMatchObject({ checked: 2, failing: 1 });
    expect(check.json().failures).toEqual([expect.objectContaining({ code: 'DENIAL_RULE', lineNumber: 1 })]);
  });
});
