// Value set expansions (VSAC / FHIR ValueSet): the code lists quality measures and recall rules read.
import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id } from './columns.js';

export const valueSets = pgTable(
  'value_sets',
  {
    id: id(),
    oid: text().notNull(),
    name: text(),
    version: text(),
    loadedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('value_sets_oid_uq').on(t.oid)],
);

export const valueSetCodes = pgTable(
  'value_set_codes',
  {
    oid: text().notNull(),
    codeSystem: text().notNull(),
    code: text().notNull(),
    display: text(),
  },
  (t) => [
    uniqueIndex('value_set_codes_uq').on(t.oid, t.codeSystem, t.code),
    index('value_set_codes_code_idx').on(t.codeSystem, t.code),
  ],
);
