// Every clinical entry has a life: stopped, resolved, inactivated, refuted, entered in error, corrected.
// Nothing is deleted; entries in error are hidden from the chart and exported with FHIR's statuses.
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { patients } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { NOW, seedPractice } from './setup.js';

describeEachBackend('clinical entry lifecycle', (t) => {
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW });

  beforeAll(async () => {
    await seedPractice(t.db);
    await t.db.insert(patients).values({ mrn: 'L1', firstName: 'Lena', lastName: 'Life', dob: '1960-04-04', searchName: 'life lena' });
  });

  it('stops a medication with its date and reason, and refuses a second stop', async () => {
    const added = await cli(['medications', 'add', 'L1', '--name', 'lisinopril 10 MG Oral Tablet', '--rxnorm', '314076', '--start', '2026-01-01', '--json']);
    const id = added.json().ids[0] as number;
    const noReason = await cli(['medications', 'stop', 'L1', String(id)]);
    expect([noReason.code, noReason.stderr]).toEqual([1, expect.stringContaining('give --reason')]);
    const stop = await cli(['medications', 'stop', 'L1', String(id), '--reason', 'cough', '--date', '2026-03-01']);
    expect(stop.code, stop.stderr).toBe(0);
    const [row] = await queryRows<{ status: string; stop_date: string; status_note: string }>(t.db, sql`select status, stop_date::text, status_note from medications where id = ${id}`);
    expect(row).toEqual({ status: 'stopped', stop_date: '2026-03-01', status_note: 'cough' });
    expect((await cli(['medications', 'list', 'L1', '--json'])).json().count).toBe(0);
    expect((await cli(['medications', 'stop', 'L1', String(id), '--reason', 'again'])).stderr).toContain('not active');
    const audit = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log where action = 'stop' and entity = 'medications'`);
    expect(audit[0]!.n).toBe(1);
  });

  it('resolves and inactivates problems', async () => {
    const a = (await cli(['problems', 'add', 'L1', '--icd10', 'J06.9', '--onset', '2026-02-01', '--json'])).json().ids[0] as number;
    const b = (await cli(['problems', 'add', 'L1', '--icd10', 'E66.9', '--json'])).json().ids[0] as number;
    expect((await cli(['problems', 'resolve', 'L1', String(a), '--date', '2026-02-20'])).code).toBe(0);
    expect((await cli(['problems', 'inactivate', 'L1', String(b)])).code).toBe(0);
    const all = (await cli(['problems', 'list', 'L1', '--all', '--json'])).json().problems as { id: number; status: string; abatementDate: string | null }[];
    expect(all.find((p) => p.id === a)).toMatchObject({ status: 'resolved', abatementDate: '2026-02-20' });
    expect(all.find((p) => p.id === b)).toMatchObject({ status: 'inactive' });
    expect((await cli(['problems', 'list', 'L1', '--json'])).json().count).toBe(0);
    expect((await cli(['problems', 'resolve', 'L1', '99999'])).stderr).toContain('was not found');
  });

  it('refutes an allergy so it no longer stops an order; inactivates another', async () => {
    const pcn = (await cli(['allergies', 'add', 'L1', '--substance', 'Penicillin', '--severity', 'severe', '--json'])).json().ids[0] as number;
    expect((await cli(['medications', 'add', 'L1', '--name', 'amoxicillin 500 MG Oral Capsule', '--rxnorm', '308191'])).code).toBe(1);
    expect((await cli(['allergies', 'refute', 'L1', String(pcn), '--reason', 'negative oral challenge 2026-03-01'])).code).toBe(0);
    const ok = await cli(['medications', 'add', 'L1', '--name', 'amoxicillin 500 MG Oral Capsule', '--rxnorm', '308191']);
    expect(ok.code, ok.stderr).toBe(0);
    const sulfa = (await cli(['allergies', 'add', 'L1', '--substance', 'Sulfa', '--json'])).json().ids[0] as number;
    expect((await cli(['allergies', 'inactivate', 'L1', String(sulfa), '--reason', 'outgrown'])).code).toBe(0);
    expect((await cli(['allergies', 'list', 'L1', '--json'])).json().count).toBe(0);
    const all = (await cli(['allergies', 'list', 'L1', '--all', '--json'])).json().allergies as { id: number; verification: string; status: string }[];
    expect(all.find((x) => x.id === pcn)!.verification).toBe('refuted');
    expect(all.find((x) => x.id === sulfa)!.status).toBe('inactive');
  });

  it('marks any entry entered in error: kept, hidden from the chart, exported with the FHIR status', async () => {
    const problem = (await cli(['problems', 'add', 'L1', '--icd10', 'I10', '--name', 'Hypertension', '--json'])).json().ids[0] as number;
    const shot = (await cli(['immunizations', 'add', 'L1', '--cvx', '140', '--date', '2025-10-02', '--json'])).json().ids[0] as number;
    const vitals = (await cli(['vitals', 'add', 'L1', '--bp', '128/82', '--json'])).json().ids as number[];
    expect((await cli(['problems', 'entered-in-error', 'L1', String(problem), '--reason', 'wrong patient'])).code).toBe(0);
    expect((await cli(['immunizations', 'entered-in-error', 'L1', String(shot), '--reason', 'wrong patient'])).code).toBe(0);
    expect((await cli(['vitals', 'entered-in-error', 'L1', String(vitals[0]), '--reason', 'wrong patient'])).code).toBe(0);
    // The panel and both readings go together.
    const statuses = await queryRows<{ status: string }>(t.db, sql`select status from observations where id in (${sql.join(vitals.map((v) => sql`${v}`), sql`, `)})`);
    expect(statuses.map((s) => s.status)).toEqual(['entered-in-error', 'entered-in-error', 'entered-in-error']);
    expect((await cli(['problems', 'list', 'L1', '--json'])).json().count).toBe(0);
    expect((await cli(['immunizations', 'list', 'L1', '--json'])).json().count).toBe(0);
    expect((await cli(['vitals', 'list', 'L1', '--json'])).json().count).toBe(0);
    const show = await cli(['patients', 'show', 'L1']);
    expect(show.stdout).not.toContain('Hypertension');
    const again = await cli(['problems', 'entered-in-error', 'L1', String(problem), '--reason', 'twice']);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('already marked entered in error')]);

    const bundle = JSON.parse((await cli(['fhir', 'export', 'L1'])).stdout) as { entry: { resource: { resourceType: string; id: string; clinicalStatus?: unknown; verificationStatus?: { coding: { code: string }[] }; status?: string } }[] };
    const condition = bundle.entry.map((e) => e.resource).find((r) => r.resourceType === 'Condition' && r.verificationStatus?.coding[0]!.code === 'entered-in-error');
    expect(condition).toBeDefined();
    expect(condition!.clinicalStatus).toBeUndefined();
    expect(bundle.entry.some((e) => e.resource.resourceType === 'Immunization' && e.resource.status === 'entered-in-error')).toBe(true);
  });

  it('corrects an entry with a new one that points at the old', async () => {
    const old = (await cli(['immunizations', 'add', 'L1', '--cvx', '141', '--date', '2025-10-03', '--json'])).json().ids[0] as number;
    const fixed = await cli(['immunizations', 'add', 'L1', '--cvx', '150', '--date', '2025-10-03', '--replaces', String(old), '--json']);
    expect(fixed.code, fixed.stderr).toBe(0);
    const rows = await queryRows<{ id: number; status: string; replaces_id: number | null; status_note: string | null }>(t.db, sql`select id, status, replaces_id, status_note from immunizations where id in (${old}, ${fixed.json().ids[0]}) order by id`);
    expect(rows).toEqual([
      { id: old, status: 'entered-in-error', replaces_id: null, status_note: `replaced by entry ${fixed.json().ids[0]}` },
      { id: fixed.json().ids[0], status: 'completed', replaces_id: old, status_note: null },
    ]);
  });
});
