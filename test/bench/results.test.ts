// npm run bench's plan and JSON shape, from stub bench results: no bench runs here.
import { describe, expect, it } from 'vitest';
import { benchPlan, childEnv, composeResults, renderTable, type Figures, type Machine } from '../../bench/results.js';

const machine: Machine = { cores: 2, cpu: 'test cpu', memoryGb: 8, loadBefore: [1, 1, 1], loadAfter: [2, 2, 2], node: 'v20', size: 'quick' };

const stub: Figures = {
  import: { patientsVsFloor: 0.72, labsVsFloor: 0.81 },
  claims: { claimsVsBareRead: 2.5, postingVsBareRead: 4.1 },
  fhir: { exportVsCopy: 13.5 },
  quality: { qualitySeconds: 1.2, demoSeconds: 9.5, perPatientVsSetBased: 900 },
  productivity: { reportVsBareQuery: 1.4 },
  recall: { ruleVsBareQuery: 1.1, listVsBareQuery: 1.3 },
  startup: { helpVsNode: 6.2 },
  crossCheck: { engineVsSql: 40, disagreements: 0 },
};

describe('npm run bench', () => {
  it('runs every bench in bench/ at each size, smaller at --quick than by default', () => {
    const names = benchPlan('small').map((b) => b.script);
    expect(names.sort()).toEqual(
      ['claims', 'cross-check', 'fhir', 'import', 'productivity', 'quality', 'recall', 'startup'].map((n) => `bench/${n}.ts`),
    );
    const first = (size: 'quick' | 'small' | 'full') => Number(benchPlan(size)[0]!.args[1]);
    expect(first('quick')).toBeLessThan(first('small'));
    expect(first('small')).toBeLessThan(first('full'));
  });

  it('gives each child only the database variable it reads, never one inherited from the shell', () => {
    const plan = benchPlan('quick');
    const shell = { PATH: '/bin', DATABASE_URL: 'postgres://prod/practice', BENCH_DATABASE_URL: 'postgres://admin/postgres', PRACTICE_DATA_DIR: '/home/x' };
    const importEnv = childEnv(plan.find((b) => b.name === 'import')!, 'postgres://admin/bench_import', shell);
    expect(importEnv).toMatchObject({ PATH: '/bin', BENCH_JSON: '1', DATABASE_URL: 'postgres://admin/bench_import' });
    expect(importEnv.BENCH_DATABASE_URL).toBeUndefined();
    const claimsEnv = childEnv(plan.find((b) => b.name === 'claims')!, 'postgres://admin/bench_claims', shell);
    expect(claimsEnv.BENCH_DATABASE_URL).toBe('postgres://admin/bench_claims');
    expect(claimsEnv.DATABASE_URL).toBeUndefined();
    const startupEnv = childEnv(plan.find((b) => b.name === 'startup')!, null, shell);
    expect([startupEnv.DATABASE_URL, startupEnv.BENCH_DATABASE_URL, startupEnv.PRACTICE_DATA_DIR]).toEqual([undefined, undefined, undefined]);
  });

  it('composes one JSON document with the ratios, the figures and the machine', () => {
    const line = JSON.stringify(composeResults(stub, machine));
    const doc = JSON.parse(line) as Record<string, Record<string, unknown>>;
    expect(Object.keys(doc)).toEqual(['ratios', 'figures', 'machine']);
    expect(doc.ratios).toEqual({
      importPatientsVsFloor: 0.72,
      importLabsVsFloor: 0.81,
      claimsVsBareRead: 2.5,
      claimsPostingVsBareRead: 4.1,
      fhirExportVsCopy: 13.5,
      qualityPerPatientVsSetBased: 900,
      productivityVsBareQuery: 1.4,
      recallRuleVsBareQuery: 1.1,
      recallListVsBareQuery: 1.3,
      startupHelpVsNode: 6.2,
      crossCheckEngineVsSql: 40,
    });
    expect(doc.figures).toEqual(stub);
    expect(doc.machine).toEqual(machine);
  });

  it('says n/a for a bench that failed or printed nothing, and keeps the others', () => {
    const { import: _missing, ...rest } = stub;
    const results = composeResults({ ...rest, fhir: { exportVsCopy: 'oops' } }, machine);
    expect(results.ratios.importPatientsVsFloor).toBeNull();
    expect(results.ratios.fhirExportVsCopy).toBeNull();
    expect(results.ratios.claimsVsBareRead).toBe(2.5);
    const table = renderTable(results);
    expect(table).toMatch(/import patients vs the COPY \+ upsert floor\s+n\/a/);
    expect(table).toMatch(/claims build \+ check \+ export vs a bare read\s+2\.5x/);
    expect(table).toContain('load 1 1 1 before and 2 2 2 after; quick sizes');
  });
});
