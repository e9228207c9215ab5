// The practice's own fee schedule: what it charges per procedure code, used when a visit is recorded
// without an explicit amount. Money is integer cents.
import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.js';

export const feeSchedule = pgTable(
  'fee_schedule',
  {
    id: id(),
    // CPT or HCPCS system URI, and the code.
    codeSystem: text().notNull(),
    code: text().notNull(),
    amountCents: integer().notNull(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('fee_schedule_code_uq').on(t.codeSystem, t.code),
    check('fee_schedule_amount_ck', sql`${t.amountCents} >= 0`),
  ],
);
