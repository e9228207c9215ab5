import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, isNotNull } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { allergyConflicts, DRUG_CLASS_TABLE, type AllergyForCheck } from '../../src/chart/drug-classes.js';
import { CodeSystem } from '../../src/codes/systems.js';
import { parseSoap } from '../../src/chart/soap.js';
import { auditLog, medications, observations, patients, progressNotes } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { auditCount, NOW, NPI_A, seedPractice } from './setup.js';

describe('decision-support and note parsing', () => {
  const allergy = (substance: string, more: Partial<AllergyForCheck> = {}): AllergyForCheck => ({ id: 1, substance, codeSystem: null, code: null, severity: null, criticality: null, ...more });
  const match = (drug: string, a: AllergyForCheck) => allergyConflicts({ name: drug }, [a]).map((c) => [c.match, c.drugClass ?? null, c.level]);

  it('matches an allergy by ingredient, by class and by cross-sensitivity, not unrelated drugs', () => {
    expect(match('Amoxicillin 500 MG Oral Capsule', allergy('Penicillin'))).toEqual([['same class', 'penicillins', 'stop']]);
    expect(match('Bactrim DS', allergy('Sulfa drugs'))).toEqual([['same class', 'sulfonamide antibiotics', 'stop']]);
    expect(match('Naproxen 250 mg', allergy('ibuprofen'))).toEqual([['same class', 'NSAIDs', 'stop']]);
    expect(match('Lisinopril 10 mg', allergy('lisinopril'))).toEqual([['same ingredient', 'ACE inhibitors', 'stop']]);
    expect(match('Oxycodone 5 mg', allergy('Opiates', { severity: 'mild' }))).toEqual([['same class', 'opioids', 'warn']]);
    expect(match('cephalexin 500 MG Oral Capsule', allergy('Penicillin', { severity: 'severe' }))).toEqual([['cross-sensitivity', 'cephalosporins', 'warn']]);
    // Coded: RxNorm 70618 is the penicillin ingredient, whatever the substance text says.
    expect(match('ampicillin 250 mg', allergy('PCN-type drugs', { codeSystem: CodeSystem.rxnorm, code: '70618' }))).toEqual([['same class', 'penicillins', 'stop']]);
    expect(match('Metformin 500 mg', allergy('Penicillin'))).toEqual([]);
    expect(match('Metformin 500 mg', allergy('Peanuts'))).toEqual([]);
    expect(match('Metformin 500 mg', allergy('metformin'))).toEqual([['same ingredient', null, 'stop']]);
  });

  it('ships the class table as data with its source', () => {
    expect(DRUG_CLASS_TABLE.source).toMatch(/RxNorm/);
    expect(DRUG_CLASS_TABLE.classes.map((c) => c.name)).toEqual(expect.arrayContaining(['penicillins', 'cephalosporins', 'sulfonamide antibiotics', 'NSAIDs', 'opioids']));
  });

  it('reads S:/O:/A:/P: sections and refuses text outside them', () => {
    expect(parseSoap('S: cough 3 days\nworse at night\nO: lungs clear\nA: viral URI\nP: fluids')).toEqual({
      subjective: 'cough 3 days\nworse at night',
      objective: 'lungs clear',
      assessment: 'viral URI',
      plan: 'fluids',
    });
    expect(() => parseSoap('just some text')).toThrow(/sections/);
  });
});

describeEachBackend('clinical entries', (t) => {
  const cli = (args: string[], extra: Parameters<typeof runCli>[1] = {}) => runCli(args, { database: t.handle, now: NOW, ...extra });
  let patientId = 0;

  beforeAll(async () => {
    await seedPractice(t.db);
    const [p] = await t.db.insert(patients).values({ mrn: 'E1', firstName: 'Iris', lastName: 'Vale', dob: '1970-01-15', searchName: 'vale iris' }).returning();
    patientId = p!.id;
  });

  it('adds and lists problems, refusing a malformed ICD-10-CM code', async () => {
    const ok = await cli(['problems', 'add', 'E1', '--icd10', 'e119', '--name', 'Type 2 diabetes', '--onset', '2019-05-01', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const list = (await cli(['problems', 'list', 'E1', '--json'])).json();
    expect(list.problems).toEqual([expect.objectContaining({ code: 'E11.9', display: 'Type 2 diabetes', status: 'active', onsetDate: '2019-05-01' })]);
    const before = await auditCount(t.db);
    const bad = await cli(['problems', 'add', 'E1', '--icd10', '1E1.9']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not an ICD-10-CM code');
    const header = await cli(['problems', 'add', 'E1', '--icd10', 'E11.6']);
    expect(header.code).toBe(1);
    expect(header.stderr).toContain('E11.6 is an ICD-10-CM category, not a billable code; choose a billable code: E11.610, E11.618');
    expect(await auditCount(t.db)).toBe(before);
    const covid = await cli(['problems', 'add', 'E1', '--icd10', 'U07.1', '--name', 'COVID-19']);
    expect(covid.code, covid.stderr).toBe(0);
    const again = await cli(['problems', 'add', 'E1', '--icd10', 'E11.9']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already on the active problem list');
  });

  it('says plainly when the chart number is unknown', async () => {
    const run = await cli(['problems', 'add', 'NOPE', '--icd10', 'I10']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('That chart number (MRN) was not found.');
    expect((await cli(['vitals', 'list', 'NOPE'])).code).toBe(1);
  });

  it('records allergies and blocks a matching medication unless overridden with a reason', async () => {
    expect((await cli(['allergies', 'add', 'E1', '--substance', 'Penicillin', '--reaction', 'hives', '--severity', 'moderate'])).code).toBe(0);
    expect((await cli(['allergies', 'add', 'E1', '--substance', 'Latex', '--severity', 'awful'])).stderr).toContain('--severity: the severity must be one of: mild, moderate, severe.');
    // Several problems: each line after the option typed, once, and a date it cannot read worded as every command words it.
    const several = await cli(['allergies', 'add', 'E1', '--substance', 'Oak', '--severity', 'awful', '--category', 'plant', '--onset', '2026-02-30']);
    expect(several.code).toBe(1);
    expect(several.stderr).toBe(
      'error: 3 problems:\n' +
        '  - --category: the category must be one of: medication, food, environment, biologic.\n' +
        '  - --severity: the severity must be one of: mild, moderate, severe.\n' +
        '  - --onset must be a date like 2026-03-01 (or 3/1/2026).\n',
    );

    const blocked = await cli(['medications', 'add', 'E1', '--name', 'Amoxicillin 500 MG Oral Capsule', '--rxnorm', '308182']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('matches the recorded moderate allergy to Penicillin (both are penicillins)');
    expect(blocked.stderr).toContain('--override');
    expect(await t.db.select().from(medications).where(eq(medications.patientId, patientId))).toHaveLength(0);

    const overridden = await cli(['medications', 'add', 'E1', '--name', 'Amoxicillin 500 MG Oral Capsule', '--rxnorm', '308182', '--override', 'tolerated amoxicillin in 2024', '--json']);
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(overridden.stderr).toContain('despite a matching allergy');
    const [med] = await t.db.select().from(medications).where(eq(medications.patientId, patientId));
    expect(med!.overrideReason).toBe('tolerated amoxicillin in 2024');
    const [audit] = await t.db.select().from(auditLog).where(and(eq(auditLog.entity, 'medications'), eq(auditLog.entityId, String(med!.id))));
    expect(audit!.details).toMatchObject({ allergyOverride: true });
  });

  it('warns about a duplicate active medication and validates codes', async () => {
    const first = await cli(['medications', 'add', 'E1', '--name', 'Metformin 500 MG Oral Tablet', '--rxnorm', '860975', '--dose', '500', '--unit', 'mg', '--frequency', 'twice daily']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    const second = await cli(['medications', 'add', 'E1', '--name', 'metformin 1000 mg', '--ndc', '0093-1048-01']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('same ingredient');
    const bad = await cli(['medications', 'add', 'E1', '--name', 'Something', '--ndc', '12-34', '--dose', 'lots']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not an NDC');
    expect(bad.stderr).toContain('--dose: the dose must be a number');
    // A dose without its leading zero is a known misreading (".5" taken for 5): refused, saying how to write it.
    const naked = await cli(['medications', 'add', 'E1', '--name', 'Warfarin', '--rxnorm', '855332', '--dose', '.5', '--unit', 'mg']);
    expect(naked.code).toBe(1);
    expect(naked.stderr).toContain('--dose: the dose needs a zero before the decimal point (0.5, not .5).');
    const none = await cli(['medications', 'add', 'E1', '--name', 'Something']);
    expect(none.stderr).toContain('--rxnorm: the medication has no RxNorm or NDC code.');
    const list = (await cli(['medications', 'list', 'E1', '--json'])).json();
    expect(list.medications.map((m: { ndc: string | null }) => m.ndc)).toContain('00093-1048-01');
    expect((await cli(['medications', 'list', 'E1'])).stdout).toContain('Metformin 500 MG Oral Tablet');
  });

  it('stores a blood pressure as a panel with two components, computes BMI, and refuses implausible values', async () => {
    const run = await cli(['vitals', 'add', 'E1', '--bp', '128/82', '--pulse', '72', '--weight', '180lb', '--height', '70in', '--at', '2026-03-10 09:30', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const [panel] = await t.db.select().from(observations).where(and(eq(observations.patientId, patientId), eq(observations.code, '85354-9')));
    expect(panel!.valueNumeric).toBeNull();
    expect(panel!.effectiveAt.toISOString()).toBe('2026-03-10T13:30:00.000Z');
    const parts = await t.db.select().from(observations).where(and(eq(observations.panelId, panel!.id), isNotNull(observations.panelId)));
    expect(parts.map((p) => [p.code, Number(p.valueNumeric)]).sort()).toEqual([['8462-4', 82], ['8480-6', 128]]);
    const list = (await cli(['vitals', 'list', 'E1', '--json'])).json();
    const bmi = list.vitals.find((v: { code: string }) => v.code === '39156-5');
    expect(bmi.value).toBeCloseTo(25.8, 1);
    const before = await auditCount(t.db, 'observations');
    const bad = await cli(['vitals', 'add', 'E1', '--pulse', '7', '--bp', '80/120']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--pulse: Heart rate 7 /min is outside the plausible range 20-250 /min');
    expect(bad.stderr).toContain('--bp: Blood pressure 80/120: the systolic must be above the diastolic');
    expect(await auditCount(t.db, 'observations')).toBe(before);
    // Without units, the practice's setting (US by default): 180 lb and 70 in, BMI 25.8, not 180 kg and 70 cm.
    const bare = await cli(['vitals', 'add', 'E1', '--weight', '180', '--height', '70', '--at', '2026-03-10 07:00', '--json']);
    expect(bare.code, bare.stderr).toBe(0);
    // Times in --json are the practice's (America/New_York, daylight time on March 10), with the offset.
    const latest = (await cli(['vitals', 'list', 'E1', '--json'])).json().vitals.filter((v: { effectiveAt: string }) => v.effectiveAt === '2026-03-10T07:00:00-04:00');
    expect(latest.find((v: { code: string }) => v.code === '29463-7')).toMatchObject({ value: 81.65, unit: 'kg' });
    expect(latest.find((v: { code: string }) => v.code === '39156-5').value).toBeCloseTo(25.8, 1);
    expect((await cli(['vitals', 'add', 'E1'])).stderr).toContain('at least one vital sign');
    const show = (await cli(['patients', 'show', 'E1', '--json'])).json();
    expect(show.vitals[0]).toMatchObject({ name: 'Blood pressure', unit: '128/82 mm[Hg]' });
  });

  it('checks the LOINC check digit and flags results outside the range', async () => {
    const bad = await cli(['labs', 'add', 'E1', '--loinc', '4548-5', '--value', '7.2']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('fails its check digit');
    const run = await cli(['labs', 'add', 'E1', '--loinc', '4548-4', '--value', '7.2', '--unit', '%', '--high', '5.6', '--name', 'Hemoglobin A1c', '--date', '2026-03-01']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('flagged abnormal (H)');
    const list = (await cli(['labs', 'list', 'E1', '--json'])).json();
    expect(list.labs[0]).toMatchObject({ code: '4548-4', value: 7.2, interpretation: 'H', result: '7.2 %' });
    expect((await cli(['labs', 'add', 'E1', '--loinc', '4548-4', '--value', '7', '--date', '2027-01-01'])).stderr).toContain('in the future');
    const negative = await cli(['labs', 'add', 'E1', '--loinc', '4548-4', '--value', '-3', '--unit', '%']);
    expect(negative.code).toBe(1);
    expect(negative.stderr).toContain('Hemoglobin A1c -3 % is outside the plausible range 2-25 %');
    const spelled = await cli(['labs', 'add', 'E1', '--loinc', '2345-7', '--value', '95', '--unit', 'mg/dl', '--json']);
    expect(spelled.code, spelled.stderr).toBe(0);
    expect((await cli(['labs', 'add', 'E1', '--loinc', '2345-7', '--value', '95', '--unit', 'mgs/dL'])).stderr).toContain('"mgs/dL" is not a UCUM unit');
  });

  it('records immunizations with a CVX code', async () => {
    const run = await cli(['immunizations', 'add', 'E1', '--cvx', '140', '--date', '2025-10-02', '--lot', 'AB123', '--given-by', NPI_A]);
    expect(run.code, run.stderr).toBe(0);
    expect((await cli(['immunizations', 'list', 'E1', '--json'])).json().immunizations[0]).toMatchObject({ cvxCode: '140', date: '2025-10-02' });
    const bad = await cli(['immunizations', 'add', 'E1', '--cvx', 'flu']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not a CVX vaccine code');
    const unknown = await cli(['immunizations', 'add', 'E1', '--cvx', '555']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("CVX 555 is not in the CDC's CVX vaccine code table");
    const early = await cli(['immunizations', 'add', 'E1', '--cvx', '140', '--date', '1960-01-01']);
    expect(early.stderr).toContain('before the date of birth');
  });

  it('adds a SOAP note from a file and refuses one without sections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-note-'));
    writeFileSync(join(dir, 'visit.txt'), 'S: follow-up\nO: BP 128/82\nA: hypertension, controlled\nP: continue lisinopril\n');
    writeFileSync(join(dir, 'bad.txt'), 'no sections here');
    const run = await cli(['notes', 'add', 'E1', '--file', 'visit.txt', '--provider', NPI_A], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const [note] = await t.db.select().from(progressNotes).where(eq(progressNotes.patientId, patientId));
    expect(note).toMatchObject({ subjective: 'follow-up', plan: 'continue lisinopril', noteDate: '2026-03-10' });
    expect((await cli(['notes', 'add', 'E1', '--file', 'bad.txt'], { cwd: dir })).code).toBe(1);
    expect((await cli(['notes', 'add', 'E1', '--file', 'missing.txt'], { cwd: dir })).code).toBe(2);
    expect((await cli(['notes', 'add', 'E1'])).stderr).toContain('--file is required');
    expect((await cli(['notes', 'list', 'E1'])).stdout).toContain('hypertension, controlled');

    // On a terminal the note is typed in $EDITOR; an editor left untouched saves nothing.
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nprintf 'S: typed in the editor\\nP: rest\\n' > "$1"\n`, { mode: 0o700 });
    const typed = await cli(['notes', 'add', 'E1', '--json'], { tty: true, env: { EDITOR: editor } });
    expect(typed.code, typed.stderr).toBe(0);
    const [fromEditor] = await t.db.select().from(progressNotes).where(eq(progressNotes.id, typed.json().ids[0]));
    expect(fromEditor).toMatchObject({ subjective: 'typed in the editor', plan: 'rest' });
    const untouched = await cli(['notes', 'add', 'E1'], { tty: true, env: { EDITOR: 'true' } });
    expect(untouched.code).toBe(2);
    expect(untouched.stderr).toContain('left empty');
  });
});
