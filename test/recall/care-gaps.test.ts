// Care gaps from the Quality area's measures as a recall source: a gap opens a recall, meeting it closes one.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { CodeSystem } from '../../src/codes/systems.js';
import { queryRows } from '../../src/db/query.js';
import { observations } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { addPatient, addPractice, addVisit } from './fixtures.js';

const VALUESETS = join(import.meta.dirname, '../../fixtures/ecqm/valuesets');
// Only what CMS125 needs here: office visits (denominator) and mammography (numerator).
const OFFICE_VISIT = join(VALUESETS, 'ValueSet-2.16.840.1.113883.3.464.1003.101.12.1001-20180310.json');
const NOW = new Date('2026-11-10T16:00:00Z');
const mammography = () => readdirSync(VALUESETS).filter((f) => f.includes('108.12.1018')).map((f) => join(VALUESETS, f));

describeEachBackend('recall from care gaps', (t) => {
  let gap: number;
  let met: number;

  beforeAll(async () => {
    await addPractice(t.db);
    expect((await runCli(['valueset', 'import', OFFICE_VISIT, ...mammography()], { database: t.handle })).code).toBe(0);
    gap = await addPatient(t.db, { dob: '1970-01-01', sex: 'female' });
    await addVisit(t.db, gap, '2026-04-01', { cpt: '99213' });
    met = await addPatient(t.db, { dob: '1970-01-01', sex: 'female' });
    await addVisit(t.db, met, '2026-04-01', { cpt: '99213' });
    await t.db.insert(observations).values({ patientId: met, category: 'imaging', codeSystem: CodeSystem.loinc, code: '24606-6', effectiveAt: new Date('2026-03-01T12:00:00Z') });
  });

  it('opens a recall for each open gap of the measure and closes it when the gap is met', async () => {
    const rule = { code: 'breast-screening-gap', name: 'Breast cancer screening gap', definition: { visitLabel: 'screening appointment', basis: { kind: 'care-gap', measure: 'cms125' } } };
    const dir = mkdtempSync(join(tmpdir(), 'recall-gap-'));
    writeFileSync(join(dir, 'gap.json'), JSON.stringify(rule));
    expect((await runCli(['recall', 'rules', 'add', '--file', 'gap.json'], { database: t.handle, cwd: dir })).code).toBe(0);
    expect((await runCli(['recall', 'refresh'], { database: t.handle, now: NOW })).code).toBe(0);
    const open = async () =>
      (await queryRows<{ patient_id: number }>(t.db, sql`select r.patient_id from recalls r join recall_rules rr on rr.id = r.rule_id where rr.code = 'breast-screening-gap' and r.status = 'open'`)).map((r) => r.patient_id);
    expect(await open()).toEqual([gap]);
    await t.db.insert(observations).values({ patientId: gap, category: 'imaging', codeSystem: CodeSystem.loinc, code: '24606-6', effectiveAt: new Date('2026-11-09T12:00:00Z') });
    expect((await runCli(['recall', 'refresh'], { database: t.handle, now: NOW })).code).toBe(0);
    expect(await open()).toEqual([]);
    writeFileSync(join(dir, 'unknown.json'), JSON.stringify({ ...rule, code: 'other-gap', definition: { ...rule.definition, basis: { kind: 'care-gap', measure: 'CMS999' } } }));
    const unknown = await runCli(['recall', 'rules', 'add', '--file', 'unknown.json'], { database: t.handle, cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('"CMS999" is not a measure');
  });
});
