// Codes the Physician Fee Schedule does not value at all: Medicare pays them on other schedules
// (vaccine and immune globulin products on the ASP/vaccine pricing files, clinical laboratory tests on
// the Clinical Laboratory Fee Schedule, preventive vaccine administration G0008-G0010 at its own Part B
// rate). A charge for one of them with no RVU row is "not valued by the fee schedule", not a missing RVU.
// Declarations only; compiled into the RVU query. A row in the loaded RVU file always wins.
import { sql, type SQL } from 'drizzle-orm';

export interface NotValuedCodes {
  what: string;
  /** Inclusive range of five-digit CPT codes. */
  range?: [string, string];
  codes?: string[];
}

export const NOT_VALUED_BY_FEE_SCHEDULE: NotValuedCodes[] = [
  { what: 'immune globulin products', range: ['90281', '90399'] },
  { what: 'vaccine and toxoid products', range: ['90476', '90759'] },
  { what: 'clinical laboratory tests', range: ['80047', '87999'] },
  { what: 'Medicare preventive vaccine administration', codes: ['G0008', 'G0009', 'G0010'] },
];

/** The status the RVU query gives such a charge. */
export const NOT_VALUED_STATUS = 'not-valued';

/** True for a code column the fee schedule does not value (SQL). */
export function notValuedCondition(code: SQL): SQL {
  const parts = NOT_VALUED_BY_FEE_SCHEDULE.map((n) =>
    n.range
      ? sql`(${code} ~ '^[0-9]{5}$' and ${code} between ${n.range[0]} and ${n.range[1]})`
      : sql`${code} in (${sql.join(n.codes!.map((c) => sql`${c}`), sql`, `)})`,
  );
  return sql`(${sql.join(parts, sql` or `)})`;
}
