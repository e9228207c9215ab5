// The rest of the chart: insurance, history and smoking status, advance directives, lab and imaging
// orders that results answer, and lab panels shown with their components; all in the chart summary.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { CodeSystem } from '../../src/codes/systems.js';
import { queryRows } from '../../src/db/query.js';
import { observations, patients, payers } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { pdfPages } from '../helpers/pdf-text.js';
import { describeEachBackend } from '../helpers/db.js';
import { NOW, NPI_A, seedPractice } from './setup.js';

describeEachBackend('the rest of the chart', (t) => {
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW });
  let patientId: number;

  beforeAll(async () => {
    await seedPractice(t.db);
    const [p] = await t.db.insert(patients).values({ mrn: 'R1', firstName: 'Rita', lastName: 'Rest', dob: '1960-04-04', searchName: 'rest rita' }).returning();
    patientId = p!.id;
    await t.db.insert(payers).values([{ name: 'Acme Health', payerId: 'ACME1' }, { name: 'Blue Plan', payerId: 'BLUE2' }]);
  });

  it('adds, checks, edits, ends and lists insurance, audited', async () => {
    const unknown = await cli(['insurance', 'add', 'R1', '--payer', 'NOPE', '--member-id', 'A 1!']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('  - --payer: the payer with payer id or name "NOPE" was not found.');
    expect(unknown.stderr).toContain('--member-id: the member id must be as printed on the card');
    const added = await cli(['insurance', 'add', 'R1', '--payer', 'acme1', '--member-id', 'XJH123', '--group', 'G-42', '--start', '2026-01-01', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const id = added.json().id as number;
    const clash = await cli(['insurance', 'add', 'R1', '--payer', 'BLUE2', '--member-id', 'B1']);
    expect([clash.code, clash.stderr]).toEqual([1, expect.stringContaining('already has primary insurance')]);
    const spouse = await cli(['insurance', 'add', 'R1', '--payer', 'Blue Plan', '--member-id', 'B1', '--order', 'secondary', '--relationship', 'spouse']);
    expect(spouse.stderr).toContain('--subscriber-first');
    const ok = await cli(['insurance', 'add', 'R1', '--payer', 'Blue Plan', '--member-id', 'B1', '--order', 'secondary', '--relationship', 'spouse', '--subscriber-first', 'Rob', '--subscriber-last', 'Rest', '--subscriber-dob', '1958-01-01']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await cli(['insurance', 'edit', 'R1', String(id), '--group', 'G-43'])).code).toBe(0);
    const badEnd = await cli(['insurance', 'end', 'R1', String(id), '--date', '2025-12-01']);
    expect(badEnd.stderr).toContain('before the coverage started');
    expect((await cli(['insurance', 'end', 'R1', String(id), '--date', '2026-03-01'])).code).toBe(0);
    const listed = (await cli(['insurance', 'list', 'R1', '--json'])).json();
    expect(listed.coverages.map((c: any) => [c.order, c.payer, c.relationship])).toEqual([['secondary', 'Blue Plan', 'spouse']]);
    const all = (await cli(['insurance', 'list', 'R1', '--all', '--json'])).json();
    expect(all.coverages.find((c: any) => c.id === id)).toMatchObject({ groupNumber: 'G-43', effectiveTo: '2026-03-01', state: 'ended' });
    const audit = await queryRows<{ action: string }>(t.db, sql`select action from audit_log where entity = 'coverages' order by id`);
    expect(audit.map((a) => a.action)).toEqual(['insert', 'insert', 'update', 'end']);
  });

  it('stops on a payer name two payers share, listing both, and never picks one', async () => {
    await t.db.insert(payers).values([{ name: 'Summit Care', payerId: 'SUM2' }, { name: 'summit care', payerId: 'SUM1', active: false }]);
    await t.db.insert(patients).values({ mrn: 'R2', firstName: 'Sam', lastName: 'Summit', dob: '1971-05-05', searchName: 'summit sam' });
    const before = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from coverages`);
    const doubt = await cli(['insurance', 'add', 'R2', '--payer', 'Summit Care', '--member-id', 'S1', '--json']);
    expect(doubt.code, doubt.stderr).toBe(2);
    expect(doubt.json().error.message).toBe('2 payers match "Summit Care": SUM1 (summit care, deactivated), SUM2 (Summit Care). Give the payer id of the one you mean, e.g. --payer SUM1.');
    expect(await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from coverages`)).toEqual(before);
    const chosen = await cli(['insurance', 'add', 'R2', '--payer', 'SUM2', '--member-id', 'S1', '--json']);
    expect(chosen.code, chosen.stderr).toBe(0);
    const listed = (await cli(['insurance', 'list', 'R2', '--json'])).json();
    expect(listed.coverages.find((c: any) => c.id === chosen.json().id)).toMatchObject({ payer: 'Summit Care', payerId: 'SUM2' });
  });

  it('records family, social and surgical history and smoking status, with entered-in-error', async () => {
    expect((await cli(['history', 'family', 'add', 'R1', '--relation', 'Mother', '--condition', 'Breast cancer', '--icd10', 'C50.919', '--onset-age', '52'])).code).toBe(0);
    expect((await cli(['history', 'family', 'add', 'R1', '--relation', 'neighbour', '--condition', 'x'])).stderr).toContain('--relation: the relative must be one of: mother, father,');
    expect((await cli(['history', 'social', 'add', 'R1', '--text', 'Alcohol: 2 glasses of wine a week'])).code).toBe(0);
    const surgery = await cli(['history', 'surgical', 'add', 'R1', '--procedure', 'Appendectomy', '--snomed', '80146002', '--date', '2015-06-01', '--json']);
    expect(surgery.code, surgery.stderr).toBe(0);
    expect((await cli(['history', 'smoking', 'add', 'R1', '--status', 'former'])).code).toBe(0);
    expect((await cli(['history', 'smoking', 'add', 'R1', '--status', 'sometimes'])).stderr).toContain('--status must be one of');
    const surgeryId = surgery.json().ids[0];
    // A surgical entry is not a family history entry: the id is not found there.
    expect((await cli(['history', 'family', 'entered-in-error', 'R1', String(surgeryId), '--reason', 'wrong chart'])).code).toBe(1);
    expect((await cli(['history', 'surgical', 'entered-in-error', 'R1', String(surgeryId), '--reason', 'wrong chart'])).code).toBe(0);
    expect((await cli(['history', 'surgical', 'list', 'R1', '--json'])).json().count).toBe(0);
    const family = (await cli(['history', 'family', 'list', 'R1', '--json'])).json().family;
    expect(family[0]).toMatchObject({ relation: 'mother', condition: 'Breast cancer', code: 'C50.919', onsetAge: 52 });
    const smoking = (await cli(['history', 'smoking', 'list', 'R1', '--json'])).json().smoking;
    expect(smoking[0]).toMatchObject({ code: '8517006', smoking: 'former' });
  });

  it('records past illnesses (past medical history): checked, listed and audited', async () => {
    const added = await cli(['history', 'medical', 'add', 'R1', '--condition', 'Pneumonia', '--icd10', 'j189', '--date', '2019-01-01', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const wrong = await cli(['history', 'medical', 'add', 'R1', '--condition', 'Measles', '--icd10', 'B05.9', '--snomed', '14189004', '--date', '1950-01-01']);
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringContaining('--snomed: the ICD-10-CM code and the SNOMED CT code were both given: an entry takes one code.')]);
    expect(wrong.stderr).toContain('--date: the date is before the date of birth.');
    expect((await cli(['history', 'medical', 'add', 'R1', '--icd10', 'J18.9'])).stderr).toContain('--condition');
    const listed = (await cli(['history', 'medical', 'list', 'R1', '--json'])).json().medical;
    expect(listed).toEqual([expect.objectContaining({ id: added.json().ids[0], condition: 'Pneumonia', codeSystem: CodeSystem.icd10cm, code: 'J18.9', date: '2019-01-01', status: 'active' })]);
    const audit = await queryRows<{ action: string }>(t.db, sql`select action from audit_log where entity = 'medical_history' and entity_id = ${String(added.json().ids[0])}`);
    expect(audit.map((a) => a.action)).toEqual(['insert']);
  });

  it('records advance directives; a newer one supersedes the old', async () => {
    const first = (await cli(['advance-directives', 'add', 'R1', '--kind', 'living-will', '--date', '2020-05-01', '--custodian', 'Rob Rest (husband)', '--json'])).json().ids[0];
    const second = await cli(['advance-directives', 'add', 'R1', '--kind', 'living-will', '--date', '2025-05-01', '--location', 'scanned; original at home', '--supersedes', String(first), '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect((await cli(['advance-directives', 'add', 'R1', '--kind', 'polst'])).code).toBe(0);
    const listed = (await cli(['advance-directives', 'list', 'R1', '--json'])).json()['advance-directives'];
    expect(listed.map((d: any) => [d.kind, d.signedDate])).toEqual([['living-will', '2025-05-01'], ['polst', null]]);
    const all = (await cli(['advance-directives', 'list', 'R1', '--all', '--json'])).json()['advance-directives'];
    expect(all.find((d: any) => d.id === first).status).toBe('superseded');
  });

  it('orders a lab; a result with --order links to it and completes it; imaging stays open', async () => {
    const order = await cli(['orders', 'add', 'R1', '--lab', '4548-4', '--name', 'Hemoglobin A1c', '--reason', 'E11.9', '--provider', NPI_A, '--json']);
    expect(order.code, order.stderr).toBe(0);
    const orderId = order.json().ids[0];
    expect((await cli(['orders', 'add', 'R1', '--imaging', '71046', '--provider', NPI_A])).code).toBe(0);
    expect((await cli(['orders', 'add', 'R1', '--lab', '4548-5', '--provider', NPI_A])).code).toBe(1);
    expect((await cli(['orders', 'list', 'R1', '--json'])).json().count).toBe(2);
    const result = await cli(['labs', 'add', 'R1', '--loinc', '4548-4', '--value', '7.2', '--unit', '%', '--high', '5.6', '--order', String(orderId)]);
    expect(result.code, result.stderr).toBe(0);
    const open = (await cli(['orders', 'list', 'R1', '--json'])).json().orders;
    expect(open.map((o: any) => o.kind)).toEqual(['imaging']);
    const [linked] = await queryRows<{ order_id: number }>(t.db, sql`select order_id from observations where code = '4548-4'`);
    expect(linked!.order_id).toBe(orderId);
    expect((await cli(['orders', 'revoke', 'R1', String(open[0].id), '--reason', 'done at the hospital'])).code).toBe(0);
    expect((await cli(['orders', 'list', 'R1', '--json'])).json().count).toBe(0);
  });

  it('shows a lipid panel with its components in labs list and the chart summary', async () => {
    const at = new Date('2026-03-09T14:00:00Z');
    const [panel] = await t.db.insert(observations).values({ patientId, category: 'laboratory', codeSystem: CodeSystem.loinc, code: '57698-3', display: 'Lipid panel', effectiveAt: at }).returning();
    await t.db.insert(observations).values([
      { patientId, panelId: panel!.id, category: 'laboratory', codeSystem: CodeSystem.loinc, code: '2093-3', display: 'Cholesterol', valueNumeric: '212', valueUnit: 'mg/dL', referenceHigh: '200', interpretation: 'H', effectiveAt: at },
      { patientId, panelId: panel!.id, category: 'laboratory', codeSystem: CodeSystem.loinc, code: '2085-9', display: 'HDL', valueNumeric: '48', valueUnit: 'mg/dL', referenceLow: '40', interpretation: 'N', effectiveAt: at },
    ]);
    const listed = (await cli(['labs', 'list', 'R1', '--json'])).json().labs;
    const lipid = listed.find((l: any) => l.code === '57698-3');
    expect(lipid.components.map((c: any) => [c.display, c.value, c.unit, c.range, c.interpretation])).toEqual([
      ['Cholesterol', 212, 'mg/dL', '-200', 'H'],
      ['HDL', 48, 'mg/dL', '40-', 'N'],
    ]);
    const text = (await cli(['labs', 'list', 'R1'])).stdout;
    expect(text).toContain('Cholesterol');
    expect(text).toContain('212 mg/dL');
  });

  it('shows every new section in the chart summary, text and JSON', async () => {
    const json = (await cli(['patients', 'show', 'R1', '--json'])).json();
    expect(json.advanceDirectives).toHaveLength(2);
    expect(json.familyHistory[0].condition).toBe('Breast cancer');
    expect(json.socialHistory.smoking.smoking).toBe('former');
    expect(json.insurance.map((c: any) => c.payer)).toEqual(['Blue Plan']);
    const text = (await cli(['patients', 'show', 'R1'])).stdout;
    expect(json.pastMedicalHistory.map((x: any) => x.condition)).toEqual(['Pneumonia']);
    for (const part of ['Past medical history', '2019-01-01  Pneumonia', 'Advance directives', 'Living will, signed 2025-05-01', 'Family history', 'mother: Breast cancer (from age 52)', 'Social history', 'Smoking: Ex-smoker', 'Alcohol: 2 glasses', 'Surgical history', 'Open orders', 'Lipid panel', '    Cholesterol: 212 mg/dL', 'secondary: Blue Plan']) {
      expect(text).toContain(part);
    }
    // The PDF chart summary has the same sections.
    const dir = await mkdtemp(join(tmpdir(), 'pk-rest-pdf-'));
    const pdf = await runCli(['patients', 'show', 'R1', '--pdf', 'chart.pdf'], { database: t.handle, now: NOW, cwd: dir });
    expect(pdf.code, pdf.stderr).toBe(0);
    const pages = (await pdfPages(await readFile(join(dir, 'chart.pdf')))).join('\n').replace(/\s+/g, ' ');
    for (const part of ['Past medical history', 'Pneumonia', 'Advance directives', 'Family history', 'Breast cancer', 'Social history', 'Surgical history', 'Open orders', 'Cholesterol: 212 mg/dL']) {
      expect(pages).toContain(part);
    }
  });
});
