// The published 2026 test patients of CMS122, CMS165 and CMS125: every case's populations (and CMS125
// strata) must equal the expected ones, and the deck totals must match the README.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { npiCheckDigit } from '../../src/codes/npi.js';
import { isNull } from 'drizzle-orm';
import { encounters, providers } from '../../src/db/schema/index.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/ecqm');

const deckNpi = (i: number) => `12345678${i}`.padEnd(9, '0') + npiCheckDigit(`12345678${i}`.padEnd(9, '0'));

const DECKS = {
  CMS122: 'CMS122FHIRDiabetesAssessGT9Pct',
  CMS165: 'CMS165FHIRControllingHighBP',
  CMS125: 'CMS125FHIRBreastCancerScreen',
} as const;
const TOTALS = {
  CMS122: { ip: 51, den: 51, denex: 25, numer: 25, denexcep: 0, rate: 25 / 26 },
  CMS165: { ip: 67, den: 67, denex: 38, numer: 2, denexcep: 0, rate: 2 / 29 },
  CMS125: { ip: 60, den: 60, denex: 35, numer: 2, denexcep: 0, rate: 2 / 25 },
};
const CODES = { ip: 'initial-population', den: 'denominator', denex: 'denominator-exclusion', numer: 'numerator' } as const;

interface ExpectedCase {
  caseId: string;
  series: string;
  title: string;
  expected: { groups: Record<string, { populations: Record<string, number>; stratifiers?: Record<string, Record<string, number>> }> };
}
const expectedOf = (measure: keyof typeof DECKS): ExpectedCase[] =>
  JSON.parse(readFileSync(join(FIXTURES, DECKS[measure], 'expected.json'), 'utf8')).cases;

describeEachBackend('eCQM test decks (2026)', (t) => {
  beforeAll(async () => {
    const load = await runCli(['valueset', 'import', join(FIXTURES, 'valuesets'), join(FIXTURES, 'valuesets-supplement'), '--json'], { database: t.handle });
    expect(load.code, load.stderr).toBe(0);
    // Through the real FHIR import; one provider per deck, so each deck's totals can be read through
    // the per-provider filter.
    const rejects = mkdtempSync(join(tmpdir(), 'pk-ecqm-'));
    for (const [i, measure] of (Object.keys(DECKS) as (keyof typeof DECKS)[]).entries()) {
      // The decks test the period's edges with dates up to 2027-01-01: loaded, as a practice would, once it is over.
      const run = await runCli(['import', join(FIXTURES, DECKS[measure], 'cases'), '--format', 'fhir', '--reject-file', join(rejects, `${measure}.csv`), '--json'], { database: t.handle, now: new Date('2027-01-15T15:00:00Z') });
      expect(run.code, run.stderr).toBe(0);
      const [provider] = await t.db
        .insert(providers)
        .values({ npi: deckNpi(i), firstName: measure, lastName: 'Deck', isTestData: true })
        .returning({ id: providers.id });
      await t.db.update(encounters).set({ providerId: provider!.id }).where(isNull(encounters.providerId));
    }
  });

  for (const measure of Object.keys(DECKS) as (keyof typeof DECKS)[]) {
    it(`${measure}: every test case lands in the expected populations`, async () => {
      const run = await runCli(['report', 'quality', '--period', '2026', '--measures', measure, '--detail', '--json'], { database: t.handle });
      expect(run.code, run.stderr).toBe(0);
      const rows = new Map<string, any>(run.json().rows.map((r: any) => [r.sourceIds, r]));
      const mismatches: string[] = [];
      for (const c of expectedOf(measure)) {
        const group = c.expected.groups.Group_1!;
        const row = rows.get(c.caseId);
        const actual = (p: keyof typeof CODES) => (row?.[p] ? 1 : 0);
        for (const [p, codeName] of Object.entries(CODES) as [keyof typeof CODES, string][]) {
          if ((group.populations[codeName] ?? 0) !== actual(p)) mismatches.push(`${c.series} ${c.title}: ${codeName} expected ${group.populations[codeName]} got ${actual(p)}`);
        }
        for (const [stratum, pops] of Object.entries(group.stratifiers ?? {})) {
          const inStratum = row?.strata.includes(stratum) ? 1 : 0;
          if ((pops['initial-population'] ?? 0) !== inStratum * actual('ip')) mismatches.push(`${c.series} ${c.title}: ${stratum} expected ${pops['initial-population']}`);
        }
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('gives the deck totals and rates of the README', async () => {
    for (const [i, measure] of (Object.keys(DECKS) as (keyof typeof DECKS)[]).entries()) {
      const run = await runCli(['report', 'quality', '--period', '2026', '--measures', measure, '--provider', deckNpi(i), '--format', 'json'], { database: t.handle });
      expect(run.code, run.stderr).toBe(0);
      const [m] = run.json().measures;
      const want = TOTALS[measure];
      expect({ ...m.groups[0].overall, rate: Number(m.groups[0].overall.rate.toFixed(6)) }).toEqual({ ...want, rate: Number(want.rate.toFixed(6)) });
      expect(m.groups[0].providers).toEqual([expect.objectContaining({ npi: deckNpi(i), ...m.groups[0].overall })]);
      expect(m.inverse).toBe(measure === 'CMS122');
    }
  });
});
