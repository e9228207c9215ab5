// Administration orders and the scheduled doses they produce. Doses are materialised ahead of time
// (idempotently, by the unique order+time key) so due lists, scans and missed-dose checks read one table.
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { administrationOrders, ndcProducts, patients, scheduledDoses } from '../db/schema/index.js';
import { practiceTimeZone } from '../practice/clock.js';
import type { Db, DbOrTx } from '../db/types.js';
import { normalizeNdc } from '../codes/ndc.js';
import { normalizeRxnorm } from '../codes/drug-codes.js';
import { UsageError, ValidationError, type Issue } from '../errors.js';
import { doseTimes, parseSchedule, type Schedule } from './schedule.js';
import { allergyConflicts, allergyDecision, recordedAllergies } from '../chart/drug-classes.js';

// One lookup, one message for an unknown chart number, everywhere.
import { locationByCode, patientByMrn, providerByNpi } from '../chart/lookup.js';
export { patientByMrn };

export interface OrderInput {
  mrn: string;
  /** RxNorm concept id, or an NDC (hyphenated 10-digit or 11-digit). */
  medication: string;
  name?: string;
  dose: number;
  unit: string;
  route: string;
  schedule: string;
  prnMaxPerDay?: number;
  startsAt: Date;
  stopsAt?: Date;
  locationCode?: string;
  orderedByNpi?: string;
  windowMinutes?: number;
  /** Why the prescriber orders it despite a serious allergy match (kept on the order and audited). */
  override?: string;
}

export interface WrittenOrder {
  order: typeof administrationOrders.$inferSelect;
  warnings: string[];
}

export async function createAdministrationOrder(db: Db, who: AuditActor, input: OrderInput): Promise<WrittenOrder> {
  const issues: Issue[] = [];
  let schedule: Schedule | undefined;
  try {
    schedule = parseSchedule(input.schedule);
  } catch (error) {
    issues.push({ code: 'SCHEDULE', path: '--schedule', message: (error as Error).message });
  }
  const ndc = /[-]/.test(input.medication) || input.medication.length === 11 ? normalizeNdc(input.medication) : undefined;
  const rxnorm = ndc ? undefined : normalizeRxnorm(input.medication);
  if (!ndc && !rxnorm) issues.push({ code: 'MEDICATION', path: '--med', message: `"${input.medication}" is neither an RxNorm code (digits) nor an NDC (e.g. 0002-7510-01).` });
  if (!(input.dose > 0)) issues.push({ code: 'DOSE', path: '--dose', message: 'The dose must be a number above zero.' });
  if (schedule?.kind === 'prn' && !(input.prnMaxPerDay && input.prnMaxPerDay > 0)) {
    issues.push({ code: 'PRN_LIMIT', path: '--max-per-day', message: 'An as-needed (PRN) order needs --max-per-day, the most doses allowed in 24 hours.' });
  }
  if (input.stopsAt && input.stopsAt <= input.startsAt) issues.push({ code: 'STOP', path: '--stop', message: 'The stop time must be after the start time.' });
  if (issues.length) throw new ValidationError(issues);

  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, input.mrn);
    if (!patient.active || patient.deceasedDate) throw new ValidationError([{ code: 'PATIENT_INACTIVE', message: `Chart ${patient.mrn} is inactive or deceased: no new orders.` }]);
    let locationId: number | undefined;
    if (input.locationCode) {
      locationId = (await locationByCode(tx, input.locationCode)).id;
    }
    let orderedById: number | undefined;
    if (input.orderedByNpi) {
      orderedById = (await providerByNpi(tx, input.orderedByNpi)).id;
    }
    const [product] = ndc
      ? await tx.select().from(ndcProducts).where(eq(ndcProducts.ndc11, ndc))
      : await tx.select().from(ndcProducts).where(eq(ndcProducts.rxnormCode, rxnorm!)).orderBy(ndcProducts.id).limit(1);
    const display = input.name?.trim() || product?.display;
    // The MAR shows drugs by name, and the allergy check needs one: a bare code is not enough.
    if (!display) throw new ValidationError([{ code: 'NAME', path: '--name', message: `The product list does not know ${ndc ? `NDC ${ndc}` : `RxNorm ${rxnorm}`}: give --name "drug strength form" (e.g. "metformin 500 mg tablet") so the MAR shows it by name and it can be checked against the patient's allergies.` }]);
    const decision = allergyDecision(allergyConflicts({ name: display, rxnorm: rxnorm ?? product?.rxnormCode }, await recordedAllergies(tx, patient.id)), input.override, 'write the order');
    const warnings = [...decision.warnings];
    if (input.override && !decision.overridden) warnings.push('--override was not needed: no serious allergy match, so no reason was stored.');
    const [order] = await tx
      .insert(administrationOrders)
      .values({
        patientId: patient.id,
        orderedById,
        locationId,
        rxnormCode: rxnorm ?? product?.rxnormCode ?? null,
        ndcCode: ndc ?? null,
        display,
        dose: String(input.dose),
        doseUnit: input.unit,
        route: input.route.toUpperCase(),
        scheduleKind: schedule!.kind,
        scheduleText: input.schedule,
        scheduleTimes: schedule!.times,
        intervalHours: schedule!.intervalHours ?? null,
        prnMaxPerDay: input.prnMaxPerDay ?? null,
        timeZone: await practiceTimeZone(tx),
        windowMinutes: input.windowMinutes ?? 60,
        startsAt: input.startsAt,
        stopsAt: input.stopsAt ?? null,
        allergyOverrideReason: decision.overridden ? input.override!.trim() : null,
      })
      .returning();
    await recordAudit(tx, who, { action: 'insert', entity: 'administration_orders', entityId: order!.id, details: { patientId: patient.id, allergyOverride: decision.overridden } });
    return { order: order!, warnings };
  });
}

/** How far ahead doses are materialised when a command looks at the schedule. */
const HORIZON_MS = 36 * 3_600_000;

/** Creates the scheduled doses of every active timed order up to `until` (idempotent). */
export async function materialiseDoses(db: DbOrTx, until: Date): Promise<void> {
  const orders = await db
    .select()
    .from(administrationOrders)
    .where(and(eq(administrationOrders.status, 'active'), inArray(administrationOrders.scheduleKind, ['fixed', 'interval']), or(isNull(administrationOrders.stopsAt), sql`${administrationOrders.stopsAt} > now() - interval '31 days'`)));
  if (orders.length === 0) return;
  const latest = await queryRows<{ order_id: number; last: string }>(
    db,
    sql`select order_id, max(scheduled_at)::text as last from ${scheduledDoses} group by order_id`,
  );
  const lastByOrder = new Map(latest.map((r) => [r.order_id, new Date(r.last)]));
  const horizon = new Date(until.getTime() + HORIZON_MS);
  const rows: { orderId: number; patientId: number; scheduledAt: Date }[] = [];
  for (const order of orders) {
    const from = lastByOrder.get(order.id) ? new Date(lastByOrder.get(order.id)!.getTime() + 1) : order.startsAt;
    const schedule: Schedule = { kind: order.scheduleKind as Schedule['kind'], times: order.scheduleTimes, intervalHours: order.intervalHours ?? undefined };
    for (const at of doseTimes(schedule, order, from, horizon)) rows.push({ orderId: order.id, patientId: order.patientId, scheduledAt: at });
  }
  for (let i = 0; i < rows.length; i += 1000) {
    await db.insert(scheduledDoses).values(rows.slice(i, i + 1000)).onConflictDoNothing();
  }
}
