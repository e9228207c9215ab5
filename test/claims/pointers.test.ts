// Each service line points at the diagnoses entered for it (encounters add --cpt CODE:MODS@1,2 and the
// charges import's pointer column), the first four only when none are given; BHT03 is the batch.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { claimSegments, segmentsOf } from './read-837p.js';
import { EXPORT_TIME, seedPractice } from './seed.js';

const RIVERA = '1999999992';

describeEachBackend('diagnosis pointers per service line', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-pointers-'));
  const cli = (args: string[]) => runCli(['--json', ...args], { database: t.handle, now: EXPORT_TIME, cwd: dir });

  beforeAll(async () => {
    await seedPractice(t.db);
    // Only the visits of this test are billed.
    await t.db.execute(sql`update charges set status = 'void'`);
    for (const [code, fee] of [['99213', '95'], ['73562', '60'], ['36415', '12']]) expect((await cli(['encounters', 'fees', 'set', code, fee])).code).toBe(0);
  });

  it('records the pointers given after @ on each code, and the first four for a code without', async () => {
    const run = await cli(['encounters', 'add', 'M1', '--provider', RIVERA, '--date', '2025-01-14', '--cpt', '99213:25@1,2,73562:RT@3,36415', '--dx', 'E11.9,I10,M25.561,Z79.4,E78.5', '--no-note']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().charges.map((c: { code: string; modifiers: string[]; diagnosisPointers: number[] }) => [c.code, c.modifiers, c.diagnosisPointers])).toEqual([
      ['99213', ['25'], [1, 2]],
      ['73562', ['RT'], [3]],
      ['36415', [], [1, 2, 3, 4]],
    ]);
    // The practice has no locations here: the place of service is the office.
    await t.db.execute(sql`update charges set place_of_service = '11' where place_of_service is null`);
  });

  it.each([
    ['a diagnosis the visit does not have', '99213@1,4', /points at diagnosis 4, but the visit lists 2/],
    ['a place out of range', '99213@13', /not a place from 1 to 12/],
    ['five pointers', '99213@1,2,3,4,5', /at most at 4 diagnoses/],
    ['the same pointer twice', '99213@2,2', /given twice/],
    ['nothing after @', '99213@', /give the diagnoses after @/],
  ])('refuses %s and records nothing', async (_what, cpt, message) => {
    const dx = cpt.includes('1,2,3,4,5') ? 'E11.9,I10,M25.561,Z79.4,E78.5' : 'E11.9,I10';
    const run = await cli(['encounters', 'add', 'M1', '--provider', RIVERA, '--date', '2025-01-14', '--cpt', cpt, '--dx', dx, '--no-note']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    const [n] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from encounters where starts_at::date = '2025-01-14'`);
    expect(n!.n).toBe(1);
  });

  it('imports per-line pointers with the charges (places or CMS-1500 letters), rejecting bad ones by row', async () => {
    writeFileSync(
      join(dir, 'charges.csv'),
      ['Chart #,Visit #,DOS,CPT,Charge,Dx Pointer', 'M2,V9,2025-01-13,99213,95.00,"2,1"', 'M2,V9,2025-01-13,36415,12.00,B', 'M2,V9,2025-01-13,81002,8.00,', 'M2,V9,2025-01-13,85025,20.00,13'].join('\n'),
    );
    const run = await cli(['import', 'charges.csv', '--kind', 'charges']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json().counts).toMatchObject({ inserted: 3, rejected: 1 });
    const rejects = parse(readFileSync(join(dir, 'charges.rejects.csv')), { columns: true }) as Record<string, string>[];
    expect(rejects.map((r) => r.reject_reason)).toEqual([expect.stringMatching(/diagnosis pointer "13" is not a place from 1 to 12/)]);
    const rows = await queryRows<{ code: string; pointers: number[] }>(t.db, sql`select code, diagnosis_pointers as pointers from charges where status = 'unbilled' and patient_id = (select id from patients where mrn = 'M2') order by code`);
    expect(rows).toEqual([{ code: '36415', pointers: [2] }, { code: '81002', pointers: [] }, { code: '99213', pointers: [2, 1] }]);
    // The imported charges belong to one visit with five diagnoses (as a visit import would record them).
    await t.db.execute(sql`insert into encounters (patient_id, starts_at) select id, '2025-01-13 15:00Z' from patients where mrn = 'M2'`);
    await t.db.execute(sql`insert into encounter_diagnoses (encounter_id, position, code_system, code)
                           select (select max(id) from encounters), p, 'http://hl7.org/fhir/sid/icd-10-cm', (array['J06.9', 'R50.9', 'R05.9', 'Z20.822', 'R51.9'])[p]
                           from generate_series(1, 5) p`);
    await t.db.execute(sql`update charges set encounter_id = (select max(id) from encounters), place_of_service = '11' where status = 'unbilled' and patient_id = (select id from patients where mrn = 'M2')`);
  });

  it('carries each line\'s pointers through build, check and export (SV107), BHT03 the batch reference', async () => {
    expect((await cli(['claims', 'build'])).json()).toMatchObject({ claims: 2, lines: 6 });
    const check = await cli(['claims', 'check']);
    expect(check.code, JSON.stringify(check.json().failures)).toBe(0);
    const run = await cli(['claims', 'export', '--all', '--out', dir]);
    expect(run.code, run.stderr).toBe(0);
    const { segments } = segmentsOf(readFileSync(run.json().file, 'utf8'));
    const claims = await queryRows<{ pcn: string }>(t.db, sql`select patient_control_number as pcn from claims order by id`);
    const sv1 = (pcn: string) => claimSegments(segments, pcn).filter((s) => s.startsWith('SV1*')).map((s) => s.split('*')[7]);
    expect(sv1(claims[0]!.pcn)).toEqual(['1:2', '3', '1:2:3:4']);
    // The default (no pointers) is the visit's first four of its five diagnoses.
    expect(sv1(claims[1]!.pcn).sort()).toEqual(['1:2:3:4', '2', '2:1']);
    const bht03 = segments.find((s) => s.startsWith('BHT*'))!.split('*')[3];
    expect(bht03).toMatch(/^B20250115[0-9]{3,}$/);
    expect(claims.map((c) => c.pcn)).not.toContain(bht03);
  });

  it('holds a line whose pointer names a diagnosis the claim does not have (claims check)', async () => {
    await t.db.execute(sql`insert into charges (patient_id, encounter_id, service_date, code_system, code, amount_cents, diagnosis_pointers, place_of_service)
                           select patient_id, id, '2025-01-13', 'http://www.ama-assn.org/go/cpt', '87880', 1500, '{7}', '11' from encounters where id = (select max(id) from encounters)`);
    expect((await cli(['claims', 'build'])).json()).toMatchObject({ claims: 1 });
    const check = await cli(['claims', 'check']);
    expect(check.code).toBe(3);
    expect(check.json().failures.map((f: { code: string }) => f.code)).toEqual(['POINTER_TARGET']);
  });
});
