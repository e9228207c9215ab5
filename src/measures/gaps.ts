// Care gaps: patients counted in a measure's denominator who do not meet it yet, as a work list
// (and as input for recall reminders).
import { inArray } from 'drizzle-orm';
import { patients } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import type { MeasureDefinition } from './definition.js';
import { measureDefinitions } from './definitions/index.js';
import { measureTimeZone, qualityDetail, type DetailRow, type QualityQuery } from './run.js';
import { measuresMissingValueSets } from './valuesets.js';

export interface CareGap {
  measure: string;
  group: string;
  mrn: string;
  lastName: string;
  firstName: string;
  dob: string;
  phone: string | null;
  providerNpi: string | null;
  /** What the patient still needs, in the measure's words. */
  missing: string;
  /** The end of the reporting period: done by then, it counts. */
  dueBy: string;
}

/** What this patient still needs: the unmet parts when the numerator has parts, else the whole requirement. */
function gapText(measure: MeasureDefinition, row: DetailRow): string {
  const parts = measure.groups.find((g) => g.id === row.group)?.numeratorParts;
  return parts && row.unmetParts.length > 0 ? `${parts.lead}: ${row.unmetParts.join(', ')}` : measure.gap;
}

export async function careGaps(db: DbOrTx, query: QualityQuery): Promise<CareGap[]> {
  const rows = await qualityDetail(db, query, { gapsOnly: true });
  const mrns = [...new Set(rows.map((r) => r.mrn))];
  const people = new Map(
    (
      await db
        .select({ mrn: patients.mrn, lastName: patients.lastName, firstName: patients.firstName, dob: patients.dob, phoneMobile: patients.phoneMobile, phoneHome: patients.phoneHome })
        .from(patients)
        .where(inArray(patients.mrn, mrns.length ? mrns : ['']))
    ).map((p) => [p.mrn, p]),
  );
  const byId = new Map(query.measures.map((m) => [m.id, m]));
  return rows.map((r) => {
    const p = people.get(r.mrn)!;
    const measure = byId.get(r.measure)!;
    const group = measure.groups.length > 1 ? measure.groups.find((g) => g.id === r.group)!.title : '';
    return {
      measure: r.measure,
      group,
      mrn: r.mrn,
      lastName: p.lastName,
      firstName: p.firstName,
      dob: p.dob,
      phone: p.phoneMobile ?? p.phoneHome ?? null,
      providerNpi: r.providerNpi,
      missing: gapText(measure, r),
      dueBy: query.period.end,
    };
  });
}

/** A care gap as the chart view lists it. */
export interface PatientCareGap {
  measure: string;
  title: string;
  action: string;
}

/**
 * One patient's open care gaps in this year's MIPS measures, for the chart view. Only measures whose
 * value sets are all loaded for this year take part: with a code list missing, every patient would look overdue.
 * Null when no measure can be computed (value sets not loaded yet), so the chart says so instead of
 * listing false gaps.
 */
export async function careGapsForPatient(db: DbOrTx, patientId: number, today: string): Promise<PatientCareGap[] | null> {
  const year = Number(today.slice(0, 4));
  const defined = measureDefinitions.filter((m) => m.program === 'mips' && m.performanceYear === year);
  const incomplete = new Set((await measuresMissingValueSets(db, defined)).map((x) => x.measure));
  const measures = defined.filter((m) => !incomplete.has(m.id));
  if (measures.length === 0) return null;
  const period = { start: `${year}-01-01`, end: `${year}-12-31`, timeZone: await measureTimeZone(db) };
  const rows = await qualityDetail(db, { period, program: 'mips', measures }, { gapsOnly: true, patientId });
  const byId = new Map(measures.map((m) => [m.id, m]));
  return rows.map((r) => {
    const measure = byId.get(r.measure)!;
    const group = measure.groups.length > 1 ? measure.groups.find((g) => g.id === r.group)!.title : undefined;
    return { measure: r.measure, title: group ? `${measure.title}: ${group}` : measure.title, action: `${gapText(measure, r)}, by ${period.end}` };
  });
}
