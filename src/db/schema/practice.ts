// The practice itself and the parties it bills as: locations, providers, payers, clearinghouses.
import { sql } from 'drizzle-orm';
import { boolean, check, char, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, provenance, timestamps } from './columns.js';

const address = () => ({
  address1: text(),
  address2: text(),
  city: text(),
  state: char({ length: 2 }),
  zip: text(),
});

export const practice = pgTable(
  'practice',
  {
    id: id(),
    // Only one practice per database: the constant column carries the unique index.
    singleton: boolean().notNull().default(true),
    legalName: text().notNull(),
    tin: char({ length: 9 }).notNull(),
    billingNpi: char({ length: 10 }).notNull(),
    taxonomyCode: text(),
    ...address(),
    phone: text(),
    timeZone: text().notNull().default('America/New_York'),
    // The units a vital sign typed without one is read in: 'us' (lb, in, °F) or 'metric' (kg, cm, °C).
    units: text().notNull().default('us'),
    isTestData: boolean().notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('practice_singleton_uq').on(t.singleton),
    check('practice_singleton_ck', sql`${t.singleton}`),
    check('practice_tin_ck', sql`${t.tin} ~ '^[0-9]{9}$'`),
    check('practice_npi_ck', sql`${t.billingNpi} ~ '^[0-9]{10}$'`),
    check('practice_units_ck', sql`${t.units} in ('us', 'metric')`),
  ],
);

export const locations = pgTable(
  'locations',
  {
    id: id(),
    code: text().notNull(),
    name: text().notNull(),
    // CMS place-of-service code, e.g. 11 office, 02 telehealth.
    placeOfService: char({ length: 2 }).notNull().default('11'),
    npi: char({ length: 10 }),
    ...address(),
    phone: text(),
    active: boolean().notNull().default(true),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('locations_code_uq').on(t.code),
    check('locations_pos_ck', sql`${t.placeOfService} ~ '^[0-9]{2}$'`),
  ],
);

export const providers = pgTable(
  'providers',
  {
    id: id(),
    npi: char({ length: 10 }).notNull(),
    firstName: text().notNull(),
    lastName: text().notNull(),
    credentials: text(),
    taxonomyCode: text(),
    tin: char({ length: 9 }),
    defaultLocationId: integer().references(() => locations.id),
    isTestData: boolean().notNull().default(false),
    active: boolean().notNull().default(true),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('providers_npi_uq').on(t.npi),
    uniqueIndex('providers_source_uq').on(t.sourceSystem, t.sourceId),
    check('providers_npi_ck', sql`${t.npi} ~ '^[0-9]{10}$'`),
  ],
);

export const payers = pgTable(
  'payers',
  {
    id: id(),
    name: text().notNull(),
    // The payer id the clearinghouse routes on (NM1*PR ... PI).
    payerId: text().notNull(),
    // X12 claim filing indicator (SBR09): CI commercial, MB Medicare B, MC Medicaid, BL, HM, ...
    claimFilingIndicator: char({ length: 2 }).notNull().default('CI'),
    ...address(),
    phone: text(),
    timelyFilingDays: integer().notNull().default(365),
    active: boolean().notNull().default(true),
    ...provenance(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('payers_payer_id_uq').on(t.payerId),
    uniqueIndex('payers_source_uq').on(t.sourceSystem, t.sourceId),
  ],
);

export const clearinghouses = pgTable(
  'clearinghouses',
  {
    id: id(),
    name: text().notNull(),
    senderQualifier: char({ length: 2 }).notNull().default('ZZ'),
    senderId: text().notNull(),
    receiverQualifier: char({ length: 2 }).notNull().default('ZZ'),
    receiverId: text().notNull(),
    // GS02/GS03 application codes, often different from the ISA ids.
    applicationSenderCode: text(),
    applicationReceiverCode: text(),
    submitterName: text(),
    submitterContactName: text(),
    submitterContactPhone: text(),
    receiverName: text(),
    usageIndicator: char({ length: 1 }).notNull().default('P'),
    elementSeparator: char({ length: 1 }).notNull().default('*'),
    componentSeparator: char({ length: 1 }).notNull().default(':'),
    repetitionSeparator: char({ length: 1 }).notNull().default('^'),
    segmentTerminator: char({ length: 1 }).notNull().default('~'),
    isDefault: boolean().notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('clearinghouses_name_uq').on(t.name),
    check('clearinghouses_usage_ck', sql`${t.usageIndicator} in ('P','T')`),
    index('clearinghouses_default_idx').on(t.isDefault),
  ],
);
