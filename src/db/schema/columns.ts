// Column groups shared by every domain table, so keys, timestamps and provenance look the same everywhere.
import { integer, text, timestamp } from 'drizzle-orm/pg-core';

export const id = () => integer().primaryKey().generatedByDefaultAsIdentity();

export const timestamps = () => ({
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * Where a row came from (old system, Synthea, a FHIR server, ...) and its id there.
 * A unique index on the pair makes re-imports update instead of duplicating.
 */
export const provenance = () => ({
  sourceSystem: text(),
  sourceId: text(),
});

/** A clinical code with its code system, stored as the FHIR system URI (see src/codes/systems.ts). */
export const coded = () => ({
  codeSystem: text().notNull(),
  code: text().notNull(),
  display: text(),
});
