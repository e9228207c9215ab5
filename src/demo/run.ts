// `practice demo`: sets up the fictional practice, then generates patients in batches and bulk-loads each
// batch with COPY, all patient data in one transaction (a failed run leaves no half-made patients).
import { inArray, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor, type AuditEntry } from '../db/audit.js';
import { withBulkSession } from '../db/bulk.js';
import type { PracticeDatabase } from '../db/client.js';
import { queryRows } from '../db/query.js';
import { locations, payers, practice, providers } from '../db/schema/practice.js';
import type { Db } from '../db/types.js';
import { runSetup } from '../practice/setup.js';
import { Calendar } from './calendar.js';
import { generatePatient, type DemoStaff } from './patient.js';
import { DEMO_LOCATIONS, DEMO_PAYERS, DEMO_PROVIDERS, demoSetup } from './practice.js';
import { DEMO_TABLES, RowSink, demoTableName, type DemoTable } from './rows.js';

export interface DemoOptions {
  patients: number;
  seed: number;
  now: Date;
  /** Patients generated and loaded at a time: bounds memory at any size. */
  batchSize?: number;
  onProgress?: (patientsDone: number) => void;
}

export interface DemoSummary {
  seed: number;
  patients: number;
  /** The day the two years of history end (the practice's today). */
  today: string;
  /** Rows created per table, by table name. */
  rows: Record<string, number>;
}

export async function countPatients(db: Db): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from patients`);
  return row!.n;
}

async function loadStaff(db: Db): Promise<DemoStaff> {
  const providerRows = await db.select({ id: providers.id, npi: providers.npi }).from(providers).where(inArray(providers.npi, DEMO_PROVIDERS.map((p) => p.npi)));
  const locationRows = await db.select({ id: locations.id, code: locations.code, pos: locations.placeOfService }).from(locations).where(inArray(locations.code, DEMO_LOCATIONS));
  const payerRows = await db.select({ id: payers.id, payerId: payers.payerId }).from(payers);
  const payer = (payerId: string) => payerRows.find((p) => p.payerId === payerId)!.id;
  return {
    providers: DEMO_PROVIDERS.map((p) => ({ id: providerRows.find((r) => r.npi === p.npi)!.id, seesChildren: p.seesChildren, share: p.share })),
    locations: DEMO_LOCATIONS.map((code) => locationRows.find((l) => l.code === code)!).map((l) => ({ id: l.id, placeOfService: l.pos })),
    payers: {
      medicare: payer(DEMO_PAYERS.medicare),
      medicareAdvantage: payer(DEMO_PAYERS.medicareAdvantage),
      medicaid: payer(DEMO_PAYERS.medicaid),
      commercial: DEMO_PAYERS.commercial.map(payer),
    },
  };
}

export async function runDemo(handle: PracticeDatabase, actor: AuditActor, options: DemoOptions): Promise<DemoSummary> {
  const db = handle.db;
  // An existing practice keeps its own details; the demo only adds its clinicians, offices and payers.
  const [existing] = await db.select({ timeZone: practice.timeZone }).from(practice);
  const setup = await runSetup(db, actor, demoSetup(!existing));
  const calendar = new Calendar(options.now, existing?.timeZone ?? 'America/New_York');
  const rows: Record<string, number> = {
    practice: setup.practice === 'created' ? 1 : 0,
    locations: setup.locations.created,
    providers: setup.providers.created,
    payers: setup.payers.created,
    clearinghouses: setup.clearinghouses.created,
  };

  await withBulkSession(handle, (session) =>
    session.transaction(async () => {
      const tx = session.db;
      // The demo's clinicians (and practice, when the demo made it) are marked as test data.
      await tx.update(providers).set({ isTestData: true }).where(inArray(providers.npi, DEMO_PROVIDERS.map((p) => p.npi)));
      const audit: AuditEntry[] = [{ action: 'update', entity: 'providers', details: { fields: ['isTestData'], rows: DEMO_PROVIDERS.length } }];
      if (!existing) {
        await tx.update(practice).set({ isTestData: true });
        audit.push({ action: 'update', entity: 'practice', details: { fields: ['isTestData'], rows: 1 } });
      }
      const staff = await loadStaff(tx);
      const tables = Object.keys(DEMO_TABLES) as DemoTable[];
      const names = tables.map(demoTableName);
      // The demo hands out ids itself; other writers wait until it commits.
      await tx.execute(sql`lock table ${sql.join(names.map((n) => sql.identifier(n)), sql`, `)} in exclusive mode`);
      const maxIds = await queryRows<{ name: string; max: number }>(
        tx,
        sql.join(names.map((n) => sql`select ${n} as name, coalesce(max(id), 0)::int as max from ${sql.identifier(n)}`), sql` union all `),
      );
      const firstIds = Object.fromEntries(tables.map((t, i) => [t, maxIds.find((m) => m.name === names[i])!.max + 1])) as Record<DemoTable, number>;
      const sink = new RowSink({ ...firstIds });
      const settings = { seed: options.seed, calendar, staff };
      const batchSize = options.batchSize ?? 500;
      for (let start = 0; start < options.patients; start += batchSize) {
        const end = Math.min(options.patients, start + batchSize);
        for (let i = start; i < end; i++) generatePatient(settings, sink, i);
        for (const table of tables) {
          const batch = sink.take(table);
          if (batch) await session.copyRows(demoTableName(table), batch.columns, batch.values);
        }
        options.onProgress?.(end);
      }
      for (const [i, table] of tables.entries()) {
        const created = sink.peek(table) - firstIds[table];
        rows[names[i]!] = created;
        if (created === 0) continue;
        // Later inserts by other commands continue after the demo's ids.
        await tx.execute(sql`select setval(pg_get_serial_sequence(${names[i]!}, 'id'), ${sink.peek(table) - 1})`);
        audit.push({ action: 'demo', entity: names[i]!, details: { rows: created, seed: options.seed } });
      }
      await recordAudit(tx, actor, audit);
    }),
  );
  return { seed: options.seed, patients: options.patients, today: calendar.date(calendar.today), rows };
}
