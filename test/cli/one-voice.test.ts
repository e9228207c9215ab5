// One error per mistake (issue #20): the same mistake typed into different commands gets the same words,
// the same error code and the same exit code, and never shows a patient's name.
import { beforeAll, expect, it } from 'vitest';
import { patients } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { NOW, NPI_A, seedPractice } from '../chart/setup.js';

describeEachBackend('one voice', (t) => {
  const cli = (args: string[]) => runCli([...args, '--json'], { database: t.handle, now: NOW });

  beforeAll(async () => {
    await seedPractice(t.db);
    await t.db.insert(patients).values({ mrn: 'K1', firstName: 'Juniper', lastName: 'Oakhart', dob: '1970-01-15', searchName: 'oakhart juniper' });
  });

  async function sameMistake(runs: string[][], message: string, exitCode: number, errorCode: string): Promise<void> {
    for (const args of runs) {
      const run = await cli(args);
      expect({ args, code: run.code }, run.stderr).toEqual({ args, code: exitCode });
      expect(run.json().error.message, args.join(' ')).toBe(message);
      expect(run.json().error.code, args.join(' ')).toBe(errorCode);
      expect(run.stderr).toContain(message);
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/Juniper|Oakhart/);
    }
  }

  it('says an unknown chart number the same way everywhere (exit 1)', async () => {
    await sameMistake(
      [
        ['patients', 'show', 'ZZ404'],
        ['vitals', 'add', 'ZZ404', '--bp', '120/80'],
        ['medications', 'add', 'ZZ404', '--rxnorm', '860975', '--name', 'metformin 500 mg tablet'],
        ['mar', 'order', 'ZZ404', '--med', '860975', '--dose', '500', '--unit', 'mg', '--route', 'PO', '--schedule', 'DAILY'],
        ['insurance', 'list', 'ZZ404'],
        ['encounters', 'list', 'ZZ404'],
        ['encounters', 'add', 'ZZ404', '--provider', NPI_A, '--date', '2026-03-09', '--cpt', '99213', '--dx', 'I10', '--no-note'],
        ['appointments', 'list', '--patient', 'ZZ404'],
        ['payments', 'add', 'ZZ404', '--amount', '25.00', '--method', 'cash'],
        ['referrals', 'create', 'ZZ404', '--to', 'Dr. Lee', '--reason', 'chest pain'],
        ['referrals', 'list', '--mrn', 'ZZ404'],
        ['audit', 'disclosures', '--patient', 'ZZ404'],
      ],
      'That chart number (MRN) was not found.',
      1,
      'NOT_FOUND',
    );
  });

  it('finds the chart whatever the case of the chart number typed', async () => {
    for (const args of [['patients', 'show', 'k1'], ['insurance', 'list', 'k1'], ['encounters', 'list', 'k1'], ['audit', 'disclosures', '--patient', 'k1'], ['payments', 'add', 'k1', '--amount', '5.00', '--method', 'cash']]) {
      const run = await cli(args);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    }
  });

  it('says an unknown payer the same way where a payer id is typed', async () => {
    await sameMistake([['claims', 'settings', '--payer', 'NOPE9', '--timely-filing-days', '90'], ['payers', 'edit', 'NOPE9', '--name', 'Nope Health']], 'The payer with payer id NOPE9 was not found.', 1, 'NOT_FOUND');
  });

  it('says an unknown payer "payer id or name" where a name is taken too (insurance --payer), in the help as well', async () => {
    const coverage = await cli(['insurance', 'add', 'K1', '--payer', 'NOPE9', '--member-id', 'XJH123']);
    expect(coverage.code).toBe(1);
    expect(coverage.json().error.message).toBe('The payer with payer id or name "NOPE9" was not found. See the payers with "practice payers list" (add one with "practice payers add").');
    const help = await runCli(['insurance', 'add', '--help'], { database: t.handle, now: NOW });
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('--payer <payer> the payer id or the payer\'s name, as "practice payers list" shows them (required)');
  });

  it('says a bad date the same way everywhere (exit 2)', async () => {
    const bad = '2026-02-30';
    for (const [option, args] of [
      ['--start', ['medications', 'add', 'K1', '--rxnorm', '860975', '--name', 'metformin 500 mg tablet', '--start', bad]],
      ['--date', ['payments', 'add', 'K1', '--amount', '5.00', '--method', 'cash', '--date', bad]],
      ['--date', ['appointments', 'list', '--date', bad]],
      ['--date', ['insurance', 'end', 'K1', '1', '--date', bad]],
      ['--since', ['audit', 'log', '--since', bad]],
      ['--as-of', ['claims', 'ar', '--as-of', bad]],
      ['--from', ['claims', 'denials', '--from', bad]],
      ['--follow-up', ['referrals', 'create', 'K1', '--to', 'Dr. Lee', '--reason', 'chest pain', '--follow-up', bad]],
      ['--since', ['fhir', 'export', '--since', bad, '--out', 'unused']],
    ] as [string, string[]][]) {
      await sameMistake([args], `${option} must be a date like 2026-03-01 (or 3/1/2026).`, 2, 'INVALID');
    }
  });

  it('says a bad amount of money the same way everywhere (exit 2)', async () => {
    await sameMistake(
      [
        ['payments', 'add', 'K1', '--amount', '12.345', '--method', 'cash'],
        ['claims', 'write-off', '1', '--amount', '12.345', '--reason', 'small balance'],
        ['encounters', 'add', 'K1', '--provider', NPI_A, '--date', '2026-03-09', '--cpt', '99213', '--dx', 'I10', '--amount', '12.345', '--no-note'],
      ],
      '--amount must be an amount of money like 125.00.',
      2,
      'INVALID',
    );
    await sameMistake([['encounters', 'fees', 'set', '99214', '12.345']], 'The fee must be an amount of money like 125.00.', 2, 'INVALID');
  });
});
