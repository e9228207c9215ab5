// Clinical details quality measures read that the core tables have no column for: an encounter's
// discharge disposition (hospice exclusion), a condition's body site (mastectomy laterality), extra
// codings of a record. Importers add them; the measure engine joins them by table and record id.
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { coded, id } from './columns.js';
import { observations } from './observations.js';

export const recordQualifiers = pgTable(
  'record_qualifiers',
  {
    id: id(),
    // The table the record lives in: encounters, problems, procedures, observations, orders.
    tableName: text().notNull(),
    recordId: integer().notNull(),
    // discharge-disposition, body-site, or type (an extra coding of the record's own code).
    qualifier: text().notNull(),
    ...coded(),
  },
  (t) => [
    uniqueIndex('record_qualifiers_uq').on(t.tableName, t.recordId, t.qualifier, t.codeSystem, t.code),
    index('record_qualifiers_code_idx').on(t.qualifier, t.codeSystem, t.code),
    check('record_qualifiers_qualifier_ck', sql`${t.qualifier} in ('discharge-disposition','body-site','type')`),
  ],
);

/**
 * An observation that covers a period (FHIR effectivePeriod): observations.effective_at holds its end,
 * which measures date results by, and this row its start, for "overlaps the period" tests.
 */
export const observationPeriods = pgTable('observation_periods', {
  observationId: integer()
    .primaryKey()
    .references(() => observations.id, { onDelete: 'cascade' }),
  startsAt: timestamp({ withTimezone: true }).notNull(),
});
