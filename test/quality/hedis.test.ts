// HEDIS-style CBP and CIS-E (--program hedis) on patients written for each rule: hypertension found
// on two visit days (not one, not after June), age on the boundary, a reading on the last day, the
// most recent reading wins, CPT II result codes, exclusions (death) beating the numerator, and the
// CIS-E combination rates as separate groups.
import { beforeAll, describe, expect, it } from 'vitest';
import { CodeSystem } from '../../src/codes/systems.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { Chart, VALUESETS, vaccinatedChild } from './charts.js';

const I10: [string, string] = [CodeSystem.icd10cm, 'I10'];
/** Hypertension recorded at office visits on the given days. */
const hypertensive = (label: string, dob = '1960-01-01', days = ['2025-11-01', '2026-03-01']) => {
  const chart = new Chart(label, dob, 'male');
  for (const day of days) chart.visit(day, '99213', I10);
  return chart;
};

const cbp = {
  controlledLastDay: hypertensive('high, then controlled on 31 Dec').bloodPressure('2026-02-01', 150, 95).bloodPressure('2026-12-31', 130, 80),
  latestHigh: hypertensive('controlled, then high').bloodPressure('2026-03-01', 120, 70).bloodPressure('2026-10-01', 150, 85),
  noReading: hypertensive('no reading this year').bloodPressure('2025-12-01', 120, 70),
  oneVisitDay: hypertensive('two visits, one day', '1960-01-01', ['2026-03-01', '2026-03-01']).bloodPressure('2026-04-01', 120, 70),
  afterJune: hypertensive('diagnosed from July', '1960-01-01', ['2026-07-01', '2026-08-01']).bloodPressure('2026-09-01', 120, 70),
  lastYearOnly: hypertensive('diagnosed last year', '1960-01-01', ['2025-01-01', '2025-06-01']).bloodPressure('2026-09-01', 120, 70),
  age85: hypertensive('85 on 31 Dec', '1941-12-31').bloodPressure('2026-09-01', 120, 70),
  age86: hypertensive('86 on 31 Dec', '1940-12-31').bloodPressure('2026-09-01', 120, 70),
  died: hypertensive('controlled, died in November').bloodPressure('2026-09-01', 120, 70).died('2026-11-01'),
  palliative: hypertensive('controlled, palliative care').bloodPressure('2026-09-01', 120, 70).problem(CodeSystem.icd10cm, 'Z51.5', '2026-04-01'),
  cptIIControlled: hypertensive('high, then CPT II 3074F/3078F')
    .bloodPressure('2026-05-01', 160, 95)
    .procedure('2026-10-01', CodeSystem.cpt, '3074F')
    .procedure('2026-10-01', CodeSystem.cpt, '3078F'),
  cptIIHigh: hypertensive('controlled, then CPT II 3077F/3078F')
    .bloodPressure('2026-05-01', 120, 70)
    .procedure('2026-10-01', CodeSystem.cpt, '3077F')
    .procedure('2026-10-01', CodeSystem.cpt, '3078F'),
};

const cis = {
  complete: vaccinatedChild('all vaccines', '2025-03-20'),
  noFlu: vaccinatedChild('no influenza', '2025-03-20', ['140']),
  noHepA: vaccinatedChild('no hepatitis A', '2025-03-20', ['83']),
  noPcv: vaccinatedChild('no pneumococcal', '2025-03-20', ['133']),
  died: vaccinatedChild('all vaccines, died', '2025-03-20').died('2026-06-01'),
  twoOn31Dec: new Chart('turns 2 on 31 Dec', '2024-12-31').visit('2026-03-20', '99392'),
  oneOn31Dec: new Chart('turns 2 on 1 Jan next year', '2025-01-01').visit('2026-03-20', '99392'),
  threeOn31Dec: new Chart('turns 3 on 31 Dec', '2023-12-31').visit('2026-03-20', '99392'),
};

type Row = { measure: string; group: string; sourceIds: string; ip: boolean; den: boolean; denex: boolean; numer: boolean };

describeEachBackend('HEDIS-style CBP and CIS-E', (t) => {
  let rows: Row[] = [];
  const flags = (measure: string, chart: Chart, group: string) =>
    rows.find((r) => r.measure === measure && r.group === group && r.sourceIds === chart.label) ?? { ip: false, den: false, denex: false, numer: false };

  beforeAll(async () => {
    expect((await runCli(['valueset', 'import', VALUESETS], { database: t.handle })).code).toBe(0);
    for (const chart of [...Object.values(cbp), ...Object.values(cis)]) await chart.save(t.db);
    const run = await runCli(['report', 'quality', '--period', '2026', '--program', 'hedis', '--measures', 'CBP,CIS-E', '--detail', '--json'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    rows = run.json().rows;
  });

  describe('CBP', () => {
    const numer = (chart: Chart) => flags('CBP', chart, 'CBP');
    it('takes the most recent day of the year, including 31 December', () => {
      expect(numer(cbp.controlledLastDay)).toMatchObject({ den: true, numer: true });
      expect(numer(cbp.latestHigh)).toMatchObject({ den: true, numer: false });
      expect(numer(cbp.noReading)).toMatchObject({ den: true, numer: false });
    });
    it('finds hypertension on two visit days from the year before through June', () => {
      expect(numer(cbp.oneVisitDay).ip).toBe(false);
      expect(numer(cbp.afterJune).ip).toBe(false);
      expect(numer(cbp.lastYearOnly)).toMatchObject({ ip: true, numer: true });
    });
    it('takes 85 on the last day and not 86', () => {
      expect(numer(cbp.age85).ip).toBe(true);
      expect(numer(cbp.age86).ip).toBe(false);
    });
    it('an exclusion (death, palliative care) beats a controlled reading', () => {
      expect(numer(cbp.died)).toMatchObject({ den: true, denex: true, numer: false });
      expect(numer(cbp.palliative)).toMatchObject({ den: true, denex: true, numer: false });
    });
    it('reads CPT II result codes as readings of their day', () => {
      expect(numer(cbp.cptIIControlled).numer).toBe(true);
      expect(numer(cbp.cptIIHigh)).toMatchObject({ den: true, numer: false });
    });
  });

  describe('CIS-E', () => {
    const combos = (chart: Chart) => ['CIS-E_COMBO3', 'CIS-E_COMBO7', 'CIS-E_COMBO10'].map((g) => flags('CIS-E', chart, g).numer);
    it('reports Combination 3, 7 and 10 as separate rates', () => {
      expect(combos(cis.complete)).toEqual([true, true, true]);
      expect(combos(cis.noFlu)).toEqual([true, true, false]);
      expect(combos(cis.noHepA)).toEqual([true, false, false]);
      expect(combos(cis.noPcv)).toEqual([false, false, false]);
    });
    it('counts children turning 2 in the year, on the boundary', () => {
      expect(flags('CIS-E', cis.twoOn31Dec, 'CIS-E_COMBO3')).toMatchObject({ ip: true, den: true, numer: false });
      expect(flags('CIS-E', cis.oneOn31Dec, 'CIS-E_COMBO3').ip).toBe(false);
      expect(flags('CIS-E', cis.threeOn31Dec, 'CIS-E_COMBO3').ip).toBe(false);
    });
    it('a child who died is excluded from every combination', () => {
      for (const g of ['CIS-E_COMBO3', 'CIS-E_COMBO7', 'CIS-E_COMBO10']) expect(flags('CIS-E', cis.died, g)).toMatchObject({ denex: true, numer: false });
    });
    it('gives each combination its own rate in the summary', async () => {
      const run = await runCli(['report', 'quality', '--period', '2026', '--program', 'hedis', '--measures', 'CIS-E', '--json'], { database: t.handle });
      expect(run.code, run.stderr).toBe(0);
      const groups = run.json().measures[0].groups.map((g: any) => [g.id, g.overall.den, g.overall.denex, g.overall.numer]);
      // Six children turn 2 (one died); of the five left, 3 meet Combination 3, 2 Combination 7, 1 Combination 10.
      expect(groups).toEqual([
        ['CIS-E_COMBO3', 6, 1, 3],
        ['CIS-E_COMBO7', 6, 1, 2],
        ['CIS-E_COMBO10', 6, 1, 1],
      ]);
    });
  });
});
