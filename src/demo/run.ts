// `practice demo`: sets up the fictional practice, then generates patients in batches and bulk-loads each
// batch with COPY, all patient data in one transaction (a failed run leaves no half-made patients).
// Then the practice's offices go to work through the same domain functions as the CLI: the charges
// are entered and billed as the visits happened (billing.ts), the payers answer, the recall cron job
// runs (recall.ts) and a few patients get their doses on the eMAR (mar.ts).
import { inArray, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor, type AuditEntry } from '../db/audit.js';
import { withBulkSession } from '../db/bulk.js';
import type { PracticeDatabase } from '../db/client.js';
import { queryRows } from '../db/query.js';
import { locations, payers, practice, providers } from '../db/schema/practice.js';
import type { Db } from '../db/types.js';
import { practiceTimeZone } from '../practice/clock.js';
import { runSetup } from '../practice/setup.js';
import { join } from 'node:path';
import { runBilling, ChargeQueue, type BillingSummary } from './billing.js';
import { Calendar } from './calendar.js';
import { runMarPatients, type MarDemoSummary } from './mar.js';
import { generatePatient, HISTORY_DAYS, type DemoStaff } from './patient.js';
import { runRecallOffice, type RecallDemoSummary } from './recall.js';
import type { RunOptions } from '../recall/run.js';
import { DEMO_LOCATIONS, DEMO_PAYERS, DEMO_PROVIDERS, demoSetup } from './practice.js';
import { DEMO_TABLES, RowSink, demoTableName, type DemoTable } from './rows.js';
import { throwIfStopped } from '../errors.js';

export interface DemoOptions {
  patients: number;
  seed: number;
  now: Date;
  /** Patients generated and loaded at a time: bounds memory at any size. */
  batchSize?: number;
  onProgress?: (patientsDone: number) => void;
  /** The practice at work (billing, recall, eMAR); absent: records only, charges left unbilled. */
  offices?: DemoOffices;
  /** Says what the demo is doing now (stderr progress). */
  onStage?: (stage: string) => void;
  /** Aborted to stop: between patient batches (the patients' one transaction rolls back) or between stages. */
  signal?: AbortSignal;
}

export interface DemoOffices {
  /** Where the claim files, the clearinghouse's answers and the recall outbox go. */
  folder: string;
  /** Recall email and SMS, when the practice has them configured; otherwise letters and call lists. */
  email?: RunOptions['email'];
  sms?: RunOptions['sms'];
}

export interface DemoSummary {
  seed: number;
  patients: number;
  /** The day the two years of history end (the practice's today). */
  today: string;
  /** Rows created per table, by table name. */
  rows: Record<string, number>;
  billing?: BillingSummary;
  recall?: RecallDemoSummary;
  mar?: MarDemoSummary;
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
  const calendar = new Calendar(options.now, await practiceTimeZone(db));
  const before = new Map(
    (
      await queryRows<{ name: string; n: number }>(
        db,
        sql`select 'claims' as name, count(*)::int as n from claims union all select 'payments', count(*)::int from payments
            union all select 'denials', count(*)::int from denials union all select 'reminder_log', count(*)::int from reminder_log
            union all select 'administrations', count(*)::int from administrations`,
      )
    ).map((c) => [c.name, c.n]),
  );
  const rows: Record<string, number> = {
    practice: setup.practice === 'created' ? 1 : 0,
    locations: setup.locations.created,
    providers: setup.providers.created,
    payers: setup.payers.created,
    clearinghouses: setup.clearinghouses.created,
  };

  const charges = new ChargeQueue();
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
      // Charges wait for their billing day (billing.ts), so they are entered as the visits happen.
      const dayOf = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
      const settings = { seed: options.seed, calendar, staff };
      const batchSize = options.batchSize ?? 500;
      for (let start = 0; start < options.patients; start += batchSize) {
        await throwIfStopped(options.signal);
        const end = Math.min(options.patients, start + batchSize);
        for (let i = start; i < end; i++) generatePatient(settings, sink, i);
        for (const table of tables) {
          const batch = sink.take(table);
          if (!batch) continue;
          if (table === 'charges' && options.offices) charges.add(batch, dayOf);
          else await session.copyRows(demoTableName(table), batch.columns, batch.values);
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
  const summary: DemoSummary = { seed: options.seed, patients: options.patients, today: calendar.date(calendar.today), rows };
  if (!options.offices) return summary;
  const { folder } = options.offices;
  await throwIfStopped(options.signal);
  options.onStage?.('Billing the visits as they happened: claims, acknowledgements, remittances');
  const billing = await runBilling(handle, charges, { seed: options.seed, calendar, folder, actor }, calendar.today - HISTORY_DAYS);
  await throwIfStopped(options.signal);
  options.onStage?.('Running the recall reminders of the last weeks');
  const recall = await runRecallOffice(handle, actor, calendar, { outbox: join(folder, 'outbox'), email: options.offices.email, sms: options.offices.sms });
  await throwIfStopped(options.signal);
  options.onStage?.('Giving the eMAR patients their doses');
  const mar = await runMarPatients(db, actor, calendar, { seed: options.seed, locationCode: DEMO_LOCATIONS[0]!, providerNpi: DEMO_PROVIDERS[0]!.npi });
  const counts = await queryRows<{ name: string; n: number }>(
    db,
    sql`select 'claims' as name, count(*)::int as n from claims union all select 'payments', count(*)::int from payments
        union all select 'denials', count(*)::int from denials union all select 'reminder_log', count(*)::int from reminder_log
        union all select 'administrations', count(*)::int from administrations`,
  );
  for (const c of counts) rows[c.name] = c.n - (before.get(c.name) ?? 0);
  return { ...summary, billing, recall, mar };
}
