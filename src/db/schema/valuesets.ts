// Value set expansions (VSAC / FHIR ValueSet): the code lists quality measures and recall rules read.
// Expansions are versioned: next year's measures bring new expansions of the same OIDs, and this
// year's must stay as they were, so each (OID, version) is its own row and a performance year names
// the expansion of each OID its measures were specified with.
import { index, integer, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id } from './columns.js';
import { reference } from './reference.js';

export const valueSets = reference.table(
  'value_sets',
  {
    id: id(),
    oid: text().notNull(),
    name: text(),
    // The expansion's version (VSAC's, e.g. 20240110); a file that names none is stored under the
    // performance year it was loaded for.
    version: text().notNull(),
    loadedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('value_sets_oid_version_uq').on(t.oid, t.version)],
);

export const valueSetCodes = reference.table(
  'value_set_codes',
  {
    valueSetId: integer()
      .notNull()
      .references(() => valueSets.id, { onDelete: 'cascade' }),
    codeSystem: text().notNull(),
    code: text().notNull(),
    display: text(),
  },
  (t) => [
    uniqueIndex('value_set_codes_set_code_uq').on(t.valueSetId, t.codeSystem, t.code),
    index('value_set_codes_code_idx').on(t.codeSystem, t.code),
  ],
);

/**
 * Which expansion of each OID a performance year's measures use (what VSAC publishes as the year's
 * manifest). The OID is repeated here so the key can say "one expansion per OID and year".
 */
export const valueSetYears = reference.table(
  'value_set_years',
  {
    performanceYear: integer().notNull(),
    oid: text().notNull(),
    valueSetId: integer()
      .notNull()
      .references(() => valueSets.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.performanceYear, t.oid] }), index('value_set_years_value_set_idx').on(t.valueSetId)],
);
