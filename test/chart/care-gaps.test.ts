// The chart view's care gaps: this year's measures run for one patient, from the bundled value sets or the practice's own.
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { CodeSystem } from '../../src/codes/systems.js';
import { encounters, observations, patients } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { NOW, seedPractice } from './setup.js';

const VALUESETS = join(import.meta.dirname, '../../fixtures/ecqm/valuesets');
const SUPPLEMENT = join(import.meta.dirname, '../../fixtures/ecqm/valuesets-supplement');

describeEachBackend('care gaps in the chart summary', (t) => {
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW });
  let due: number;
  let screened: number;

  beforeAll(async () => {
    await seedPractice(t.db);
    const add = async (mrn: string, dob: string, sex: 'female' | 'male') =>
      (await t.db.insert(patients).values({ mrn, firstName: 'Test', lastName: mrn, searchName: mrn.toLowerCase(), dob, sex }).returning())[0]!.id;
    due = await add('G1', '1966-05-01', 'female');
    screened = await add('G2', '1966-05-01', 'female');
    await add('G3', '2020-01-01', 'male');
    for (const patientId of [due, screened]) {
      await t.db.insert(encounters).values({
        patientId,
        startsAt: new Date('2026-02-10T15:00:00Z'),
        typeSystem: CodeSystem.cpt,
        typeCode: '99213',
      });
    }
    // A mammogram last year counts: CMS125 looks back 27 months.
    await t.db.insert(observations).values({ patientId: screened, category: 'imaging', codeSystem: CodeSystem.loinc, code: '24606-6', effectiveAt: new Date('2025-06-01T12:00:00Z') });
  });

  it('lists the gaps from the value sets bundled for this year, with no import first', async () => {
    const shown = await cli(['patients', 'show', 'G1', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect((shown.json().careGaps as { measure: string }[]).map((g) => g.measure)).toContain('CMS125');
  });

  it('lists what the patient is due for, and nothing the patient has already done', async () => {
    expect((await cli(['valueset', 'import', VALUESETS, SUPPLEMENT])).code).toBe(0);
    const gaps = (await cli(['patients', 'show', 'G1', '--json'])).json().careGaps as { measure: string; title: string; action: string }[];
    expect(gaps.map((g) => g.measure)).toContain('CMS125');
    const breast = gaps.find((g) => g.measure === 'CMS125')!;
    expect(breast.title).toBe('Breast Cancer Screening');
    expect(breast.action).toBe('mammogram (due every 27 months), by 2026-12-31');
    const text = (await cli(['patients', 'show', 'G1'])).stdout;
    expect(text).toContain('CMS125 Breast Cancer Screening: mammogram (due every 27 months), by 2026-12-31');

    const done = (await cli(['patients', 'show', 'G2', '--json'])).json().careGaps as { measure: string }[];
    expect(done.map((g) => g.measure)).not.toContain('CMS125');
    // Same age and visits: the two charts differ only by the mammogram.
    expect(done.map((g) => g.measure).sort()).toEqual(gaps.map((g) => g.measure).filter((m) => m !== 'CMS125').sort());

    // A child with no visit this year is in no denominator.
    expect((await cli(['patients', 'show', 'G3', '--json'])).json().careGaps).toEqual([]);
    expect((await cli(['patients', 'show', 'G3'])).stdout).toContain('No open care gaps.');
  });
});
