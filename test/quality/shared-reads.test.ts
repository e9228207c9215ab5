// Criteria on one concept share one read of the results (see MeasureCompiler.observationSource): each still
// gets its own timing and value test, also for a result with a period that meets one timing and not the other.
import { expect, it } from 'vitest';
import { observationPeriods, observations, patients } from '../../src/db/schema/index.js';
import { loinc, MP, type MeasureDefinition } from '../../src/measures/definition.js';
import { qualityDetail } from '../../src/measures/run.js';
import { describeEachBackend } from '../helpers/db.js';

const glucose = loinc('Glucose', '2345-7');
const measure: MeasureDefinition = {
  id: 'TEST-READS',
  program: 'mips',
  version: 'test',
  performanceYear: 2026,
  title: 'Shared reads',
  inverse: false,
  gap: 'a result',
  description: 'test',
  groups: [
    {
      id: 'Group_1',
      title: 'ends in the period; numerator: during it, 100 or more',
      initialPopulation: { observation: { concept: glucose, timing: 'endsIn', window: MP } },
      numerator: { observation: { concept: glucose, timing: 'during', window: MP, value: { min: 100 } } },
      exclusion: { observation: { concept: glucose, timing: 'startsIn', window: MP, value: { below: 50 } } },
    },
  ],
};
const period = { start: '2026-01-01', end: '2026-12-31', timeZone: 'UTC' };

describeEachBackend('observation criteria sharing one read', (t) => {
  it('applies each criterion its own timing and value test', async () => {
    const results: [string, string | null, string, number][] = [
      // mrn, period start, effective (the period's end), value
      ['R1', '2025-12-20T10:00:00Z', '2026-01-05T10:00:00Z', 120], // ends in 2026, started in 2025: IP, not "during"
      ['R2', '2026-03-01T10:00:00Z', '2026-03-02T10:00:00Z', 120], // during 2026
      ['R3', null, '2026-05-01T10:00:00Z', 90], // during, but under 100
      ['R4', null, '2026-05-01T10:00:00Z', 40], // starts in 2026 and under 50: excluded
      ['R5', '2026-12-30T10:00:00Z', '2027-01-02T10:00:00Z', 120], // starts in 2026, ends in 2027: not in the IP
    ];
    for (const [mrn, start, end, value] of results) {
      const [p] = await t.db.insert(patients).values({ mrn, firstName: 'Read', lastName: mrn, dob: '1970-01-01' }).returning({ id: patients.id });
      const [o] = await t.db
        .insert(observations)
        .values({ patientId: p!.id, category: 'laboratory', codeSystem: glucose.codes![0]![0], code: '2345-7', valueNumeric: String(value), effectiveAt: new Date(end), status: 'final' })
        .returning({ id: observations.id });
      if (start) await t.db.insert(observationPeriods).values({ observationId: o!.id, startsAt: new Date(start) });
    }
    const rows = await qualityDetail(t.db, { period, program: 'mips', measures: [measure] });
    const flags = Object.fromEntries(rows.map((r) => [r.mrn, { ip: r.ip, denex: r.denex, numer: r.numer }]));
    expect(flags).toEqual({
      R1: { ip: true, denex: false, numer: false },
      R2: { ip: true, denex: false, numer: true },
      R3: { ip: true, denex: false, numer: false },
      R4: { ip: true, denex: true, numer: false },
    });
  });
});
