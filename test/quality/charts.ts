// Test patients for the quality measures, written record by record through the schema, and the value
// sets they are measured against. Shared by the eCQM and HEDIS-style edge-rule tests.
import { join } from 'node:path';
import { CodeSystem } from '../../src/codes/systems.js';
import { encounterDiagnoses, encounters, immunizations, notDoneEvents, observations, patientIdentifiers, patients, procedures, problems } from '../../src/db/schema/index.js';
import type { Db } from '../../src/db/types.js';

export const VALUESETS = join(import.meta.dirname, '../../fixtures/ecqm/valuesets');

/** A day (at the given UTC time of day) or a full timestamp, as written. */
const at = (when: string, time: string) => new Date(when.length === 10 ? `${when}T${time}:00Z` : when);

export class Chart {
  private static next = 0;
  readonly mrn: string;
  private id?: number;
  private deceasedDate: string | null = null;
  private demographics: { race?: string; ethnicity?: string } = {};
  private readonly steps: ((db: Db, id: number) => Promise<unknown>)[] = [];
  constructor(
    readonly label: string,
    private readonly dob: string,
    private readonly sex: 'female' | 'male' | 'unknown' = 'female',
  ) {
    this.mrn = `Q${++Chart.next}`;
  }
  visit(day: string, cpt = '99213', dx?: [string, string]): this {
    this.steps.push(async (db, patientId) => {
      const [e] = await db
        .insert(encounters)
        .values({ patientId, startsAt: at(day, '15:00'), endsAt: new Date(at(day, '15:00').getTime() + 30 * 60_000), typeSystem: CodeSystem.cpt, typeCode: cpt })
        .returning({ id: encounters.id });
      if (dx) await db.insert(encounterDiagnoses).values({ encounterId: e!.id, position: 1, codeSystem: dx[0], code: dx[1] });
    });
    return this;
  }
  result(when: string, loinc: string, value?: number | [string, string], extra: { category?: 'laboratory' | 'imaging' | 'survey' | 'social-history'; status?: string } = {}): this {
    this.steps.push((db, patientId) =>
      db.insert(observations).values({
        patientId,
        category: extra.category ?? 'laboratory',
        codeSystem: CodeSystem.loinc,
        code: loinc,
        valueNumeric: typeof value === 'number' ? String(value) : null,
        valueCodeSystem: Array.isArray(value) ? value[0] : null,
        valueCode: Array.isArray(value) ? value[1] : null,
        effectiveAt: at(when, '12:00'),
        status: extra.status ?? 'final',
      }),
    );
    return this;
  }
  bloodPressure(when: string, systolic: number, diastolic: number): this {
    this.steps.push(async (db, patientId) => {
      const effectiveAt = at(when, '12:00');
      const base = { patientId, category: 'vital-signs', codeSystem: CodeSystem.loinc, effectiveAt };
      const [panel] = await db.insert(observations).values({ ...base, code: '85354-9' }).returning({ id: observations.id });
      await db.insert(observations).values([
        { ...base, panelId: panel!.id, code: '8480-6', valueNumeric: String(systolic) },
        { ...base, panelId: panel!.id, code: '8462-4', valueNumeric: String(diastolic) },
      ]);
    });
    return this;
  }
  procedure(day: string, system: string, code: string): this {
    this.steps.push((db, patientId) => db.insert(procedures).values({ patientId, codeSystem: system, code, performedStart: new Date(`${day}T12:00:00Z`) }));
    return this;
  }
  problem(system: string, code: string, onset: string): this {
    this.steps.push((db, patientId) => db.insert(problems).values({ patientId, codeSystem: system, code, onsetDate: onset }));
    return this;
  }
  vaccine(cvx: string, ...days: string[]): this {
    this.steps.push((db, patientId) => db.insert(immunizations).values(days.map((occurrenceDate) => ({ patientId, cvxCode: cvx, occurrenceDate }))));
    return this;
  }
  declined(day: string, loinc: string, reason: [string, string]): this {
    this.steps.push((db, patientId) =>
      db.insert(notDoneEvents).values({ patientId, kind: 'screening', codeSystem: CodeSystem.loinc, code: loinc, reasonSystem: reason[0], reasonCode: reason[1], recordedAt: new Date(`${day}T15:00:00Z`) }),
    );
    return this;
  }
  died(day: string): this {
    this.deceasedDate = day;
    return this;
  }
  /** CDC race and ethnicity codes (2106-3 White, 2135-2 Hispanic or Latino, ...). */
  demographic(race?: string, ethnicity?: string): this {
    this.demographics = { race, ethnicity };
    return this;
  }
  async save(db: Db): Promise<void> {
    const [p] = await db
      .insert(patients)
      .values({ mrn: this.mrn, firstName: 'Test', lastName: this.label, dob: this.dob, sex: this.sex, deceasedDate: this.deceasedDate, ...this.demographics })
      .returning({ id: patients.id });
    this.id = p!.id;
    await db.insert(patientIdentifiers).values({ patientId: p!.id, system: 'urn:test', value: this.label });
    for (const step of this.steps) await step(db, p!.id);
  }
}


// Born 2024-03-15: every antigen on schedule (CVX code, then the days given).
const SCHEDULE: [cvx: string, ...days: string[]][] = [
  ['20', '2024-05-15', '2024-07-15', '2024-09-15', '2025-06-15'],
  ['10', '2024-05-15', '2024-07-15', '2024-12-15'],
  ['49', '2024-05-15', '2024-07-15', '2025-03-20'],
  ['08', '2024-03-15', '2024-04-15', '2024-09-15'],
  ['21', '2025-03-20'],
  ['133', '2024-05-15', '2024-07-15', '2024-09-15', '2025-03-20'],
  ['83', '2025-03-20'],
  ['119', '2024-05-15', '2024-07-15'],
  ['140', '2024-10-01', '2024-11-01'],
];

/** A child born 2024-03-15 seen this year, vaccinated on schedule but for the CVX codes skipped; MMR (03) on mmrDay. */
export function vaccinatedChild(label: string, mmrDay: string, skip: string[] = []): Chart {
  const chart = new Chart(label, '2024-03-15').visit('2026-03-20', '99392').vaccine('03', mmrDay);
  for (const [cvx, ...days] of SCHEDULE) if (!skip.includes(cvx)) chart.vaccine(cvx, ...days);
  return chart;
}
