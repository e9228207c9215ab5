// Care gaps: patients counted in a measure's denominator who do not meet it yet, as a work list
// (and as input for recall reminders).
import { inArray } from 'drizzle-orm';
import { patients } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { qualityDetail, type QualityQuery } from './run.js';

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
      missing: measure.gap,
      dueBy: query.period.end,
    };
  });
}
