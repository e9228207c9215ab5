// Medicare Physician Fee Schedule reference data: relative value units per year and code, the
// geographic practice cost indices per locality, and the locality this practice is paid in.
// Codes and numbers only: CPT descriptors are AMA copyright and are never stored.
import { sql } from 'drizzle-orm';
import { boolean, char, check, index, integer, numeric, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.js';
import { reference } from './reference.js';

const rvu = () => numeric({ precision: 9, scale: 2, mode: 'number' }).notNull();
const gpci = () => numeric({ precision: 6, scale: 3, mode: 'number' }).notNull();

/** One loaded RVU file per calendar year; reloading a year replaces its rows. */
export const rvuYears = reference.table(
  'rvu_years',
  {
    year: integer().primaryKey(),
    // CMS release letter (A to D) when the file says so.
    release: char({ length: 1 }),
    // Dollars per RVU; null until given, and then payment estimates are not shown.
    conversionFactor: numeric({ precision: 8, scale: 4, mode: 'number' }),
    sourceFile: text(),
    sourceSha256: text(),
    rowCount: integer().notNull(),
    loadedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('rvu_years_year_ck', sql`${t.year} between 1992 and 2100`)],
);

export const rvuValues = reference.table(
  'rvu_values',
  {
    id: id(),
    year: integer()
      .notNull()
      .references(() => rvuYears.year, { onDelete: 'cascade' }),
    hcpcs: text().notNull(),
    // '' for the global service; 26 professional component, TC technical component, 53 and so on.
    modifier: text().notNull().default(''),
    // CMS status indicator: A, R, T paid under the fee schedule; N, X, E, B, I, ... are not.
    status: char({ length: 1 }).notNull(),
    workRvu: rvu(),
    peNonFacilityRvu: rvu(),
    peFacilityRvu: rvu(),
    mpRvu: rvu(),
    // 000, 010, 090, XXX, YYY, ZZZ, MMM.
    globalDays: text(),
    pctcIndicator: text(),
    // 2 = the standard 50% reduction for a second procedure (-51); 1 = 150% when bilateral (-50).
    multipleProcedureIndicator: text(),
    bilateralIndicator: text(),
  },
  (t) => [
    uniqueIndex('rvu_values_code_uq').on(t.year, t.hcpcs, t.modifier),
    check('rvu_values_hcpcs_ck', sql`${t.hcpcs} ~ '^[0-9A-Z]{5}$'`),
  ],
);

export const gpciLocalities = reference.table(
  'gpci_localities',
  {
    id: id(),
    year: integer().notNull(),
    // Medicare administrative contractor number, e.g. 13202.
    mac: text().notNull(),
    state: char({ length: 2 }).notNull(),
    // Two-digit locality number inside the contractor, e.g. 01 for Manhattan.
    locality: text().notNull(),
    localityName: text().notNull(),
    workGpci: gpci(),
    peGpci: gpci(),
    mpGpci: gpci(),
  },
  (t) => [
    uniqueIndex('gpci_localities_uq').on(t.year, t.mac, t.locality),
    index('gpci_localities_state_idx').on(t.state, t.locality),
  ],
);

/** The payment locality the practice bills in; estimates use its GPCIs for each year. */
export const feeScheduleLocality = pgTable(
  'fee_schedule_locality',
  {
    id: id(),
    singleton: boolean().notNull().default(true),
    mac: text().notNull(),
    state: char({ length: 2 }).notNull(),
    locality: text().notNull(),
    ...timestamps(),
  },
  (t) => [uniqueIndex('fee_schedule_locality_singleton_uq').on(t.singleton), check('fee_schedule_locality_singleton_ck', sql`${t.singleton}`)],
);
