// What chart tests need around a patient: a practice, a location and two providers (valid NPIs).
import { sql } from 'drizzle-orm';
import { npiCheckDigit } from '../../src/codes/npi.js';
import { locations, practice, providers } from '../../src/db/schema/index.js';
import { queryRows } from '../../src/db/query.js';
import type { Db } from '../../src/db/types.js';

export const NPI_A = `123456789${npiCheckDigit('123456789')}`;
export const NPI_B = `198765432${npiCheckDigit('198765432')}`;
/** 2026-03-10 15:00 UTC: 11:00 in New York (EDT). */
export const NOW = new Date('2026-03-10T15:00:00Z');

export async function seedPractice(db: Db): Promise<void> {
  await db.insert(practice).values({ legalName: 'Maple Street Family Medicine', tin: '123456789', billingNpi: NPI_A, timeZone: 'America/New_York' });
  const [office] = await db.insert(locations).values({ code: 'MAIN', name: 'Main office', placeOfService: '11' }).returning();
  await db.insert(providers).values([
    { npi: NPI_A, firstName: 'Ada', lastName: 'Quill', credentials: 'MD', defaultLocationId: office!.id },
    { npi: NPI_B, firstName: 'Ben', lastName: 'Fable', credentials: 'NP', defaultLocationId: office!.id },
  ]);
}

export async function auditCount(db: Db, entity?: string): Promise<number> {
  const rows = await queryRows<{ n: number }>(db, entity ? sql`select count(*)::int as n from audit_log where entity = ${entity}` : sql`select count(*)::int as n from audit_log`);
  return rows[0]!.n;
}
