// Giving a dose: the scan is checked against the five rights (patient, drug, dose, route, time) and
// every attempt is written down, refused or not. Administration rows are never edited: a correction is a
// new row pointing at the one it corrects, and "the" record of a dose is the latest uncorrected one.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { administrationOrders, administrations, ndcProducts, scheduledDoses } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { NotFoundError, ValidationError, type Issue } from '../errors.js';
import { failpoint } from '../faults/failpoint.js';
import { BarcodeError, parseProductBarcode, type ScannedProduct } from './barcode.js';
import { practiceTimeZone } from '../practice/clock.js';
import { materialiseDoses, patientByMrn } from './orders.js';
import { allergyConflicts, ingredientsOf, ingredientWord, recordedAllergies } from '../chart/drug-classes.js';

/**
 * Where a test can kill a give (PRACTICE_FAILPOINT=emar:<step>, src/faults/failpoint.ts): the scan
 * checked, nothing written; the administration row written and the audit entry written, both inside one
 * transaction (a kill there leaves neither); and committed, before the nurse is told.
 */
export const EMAR_FAILPOINTS = ['after-checks', 'after-record', 'after-audit', 'after-commit'] as const;
const step = (name: (typeof EMAR_FAILPOINTS)[number]) => failpoint(`emar:${name}`);

export const RECORDED_STATUSES = ['given', 'refused', 'held', 'not-available'] as const;
export type RecordedStatus = (typeof RECORDED_STATUSES)[number];

/** Administrations that stand: an outcome (not a refused scan) that no later row corrects. */
const standing = sql`(select a.* from ${administrations} a
  where a.status in ('given','refused','held','not-available')
    and not exists (select 1 from ${administrations} c where c.corrects_id = a.id))`;

/** A wristband carries the chart number, sometimes behind a prefix such as "MRN:" or "PT-". */
export function mrnFromWristband(scan: string): string {
  return scan.trim().replace(/^(MRN|PT|PAT)[:\-]/i, '');
}

export interface GiveInput {
  patientScan: string;
  medScan: string;
  /** The chart open on the nurse's screen, when there is one: the wristband must match it. */
  expectedMrn?: string;
  dose?: number;
  unit?: string;
  /** How many of the scanned units (tablets, vials) are given; the dose is units x the product's strength. */
  units?: number;
  route?: string;
  /** The order the nurse chose when the scan fits more than one (from the list the stop shows). */
  orderId?: number;
  by: string;
  override?: string;
  at: Date;
}

export interface GiveResult {
  outcome: 'given' | 'rejected';
  administrationId: number;
  problems: Issue[];
  warnings: string[];
  order?: { id: number; display: string; dose: string; doseUnit: string; route: string };
  scheduledAt?: string;
  withinWindow?: boolean;
  /** When the scan fitted more than one order: the orders to choose from with --order. */
  candidates?: { orderId: number; medication: string; dose: string; route: string; schedule: string }[];
}

type DoseCandidate = {
  id: number;
  scheduled_at: string;
  recorded: string | null;
};

type Order = typeof administrationOrders.$inferSelect;
type Product = typeof ndcProducts.$inferSelect;

/** Units that count things rather than measure them: the dose is then the number of units given. */
const COUNT_UNITS = new Set(['tab', 'tabs', 'tablet', 'tablets', 'cap', 'caps', 'capsule', 'capsules', 'each', 'ea', 'unit-dose', 'patch', 'puff', 'puffs', 'supp', 'suppository']);

/** The drug's ingredients as the class table knows them, or the first word of its name. */
function ingredientKey(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  const known = ingredientsOf({ name }).sort();
  return known.length ? known.join('+') : ingredientWord(name) || undefined;
}

/**
 * The dose the scan and the options describe, in a unit an order can be compared with:
 * --dose as given, else the scanned units times the product's strength, else the count of units.
 */
function doseGiven(input: GiveInput, product: Product | undefined, order: Order): { amount: number; unit: string } | undefined {
  if (input.dose !== undefined) return { amount: input.dose, unit: input.unit ?? order.doseUnit };
  const units = input.units ?? 1;
  if (COUNT_UNITS.has(order.doseUnit.toLowerCase())) return { amount: units, unit: order.doseUnit };
  if (product?.strength && product.strengthUnit) return { amount: units * Number(product.strength), unit: product.strengthUnit };
  return input.units === undefined ? undefined : { amount: units, unit: 'unit' };
}

function sameDose(given: { amount: number; unit: string }, order: Order): boolean {
  return Math.abs(given.amount - Number(order.dose)) < 1e-9 && given.unit.toLowerCase() === order.doseUnit.toLowerCase();
}

function describeOrder(o: Order) {
  return { orderId: o.id, medication: o.display, dose: `${Number(o.dose)} ${o.doseUnit}`, route: o.route, schedule: o.scheduleText };
}

/** The dose of an order a scan at `at` is for, and whether it is on time (PRN orders: the 24-hour limits). */
async function doseSlot(db: DbOrTx, order: Order, at: Date, override: string | undefined, zone: string): Promise<{ dose?: DoseCandidate; withinWindow?: boolean; problems: Issue[]; openInWindow: boolean }> {
  const problems: Issue[] = [];
  const windowMs = order.windowMinutes * 60_000;
  if (order.scheduleKind === 'prn') {
    const given = await queryRows<{ n: number; last: string | null }>(
      db,
      sql`select count(*)::int as n, max(occurred_at)::text as last from ${standing} s
          where s.order_id = ${order.id} and s.status = 'given' and s.occurred_at > ${at.toISOString()}::timestamptz - interval '24 hours'`,
    );
    const { n, last } = given[0]!;
    if (order.prnMaxPerDay !== null && n >= order.prnMaxPerDay) {
      problems.push({ code: 'PRN_LIMIT', path: 'time', message: `Limit reached: ${n} of at most ${order.prnMaxPerDay} as-needed doses already given in the last 24 hours. Do not give; call the prescriber.` });
      return { problems, openInWindow: false };
    }
    if (order.intervalHours && last && at.getTime() - new Date(last).getTime() < order.intervalHours * 3_600_000) {
      if (!override) problems.push({ code: 'TOO_SOON', path: 'time', message: `Too soon: the order allows a dose every ${order.intervalHours} hours and the last was at ${DateTime.fromJSDate(new Date(last), { zone }).toFormat('HH:mm')}.`, severity: 'error' });
      return { withinWindow: false, problems, openInWindow: false };
    }
    return { withinWindow: true, problems, openInWindow: true };
  }
  const candidates = await queryRows<DoseCandidate>(
    db,
    sql`select d.id, d.scheduled_at::text as scheduled_at, s.status as recorded
        from ${scheduledDoses} d left join ${standing} s on s.dose_id = d.id
        where d.order_id = ${order.id}
          and d.scheduled_at between ${at.toISOString()}::timestamptz - interval '24 hours' and ${at.toISOString()}::timestamptz + interval '24 hours'
        order by abs(extract(epoch from d.scheduled_at - ${at.toISOString()}::timestamptz))`,
  );
  const near = candidates.filter((c) => Math.abs(new Date(c.scheduled_at).getTime() - at.getTime()) <= windowMs);
  const open = near.find((c) => !c.recorded);
  if (open) return { dose: open, withinWindow: true, problems, openInWindow: true };
  if (near.some((c) => c.recorded === 'given')) {
    problems.push({ code: 'ALREADY_GIVEN', path: 'time', message: 'This dose was already given. Do not give it again.' });
    return { problems, openInWindow: false };
  }
  const dose = candidates.find((c) => !c.recorded);
  if (!dose) problems.push({ code: 'NO_DOSE_DUE', path: 'time', message: 'No dose of this order is due within a day of now.' });
  else if (!override) {
    const when = DateTime.fromJSDate(new Date(dose.scheduled_at), { zone }).toFormat('HH:mm');
    problems.push({ code: 'WRONG_TIME', path: 'time', message: `Wrong time: the nearest dose is scheduled at ${when}, outside the ${order.windowMinutes}-minute window. Give it only with --override "reason".` });
  }
  return { dose, withinWindow: false, problems, openInWindow: false };
}

export async function giveDose(db: Db, who: AuditActor, input: GiveInput): Promise<GiveResult> {
  const patient = await patientByMrn(db, mrnFromWristband(input.patientScan));
  await materialiseDoses(db, input.at);
  const zone = await practiceTimeZone(db);
  const problems: Issue[] = [];
  const warnings: string[] = [];
  let scanned: ScannedProduct | undefined;
  try {
    scanned = parseProductBarcode(input.medScan);
  } catch (error) {
    if (!(error instanceof BarcodeError)) throw error;
    problems.push({ code: 'BARCODE', path: 'med-scan', message: error.message });
  }
  if (input.expectedMrn && input.expectedMrn.trim().toUpperCase() !== patient.mrn.toUpperCase()) {
    problems.push({ code: 'WRONG_PATIENT', path: 'patient-scan', message: `Wrong patient: the wristband is chart ${patient.mrn}, not the chart open (${input.expectedMrn.trim()}). Do not give.` });
  }

  // Right drug: the orders the product can fill (its NDC, its RxNorm concept, or the same ingredient);
  // then right dose and right time narrow them. More than one left is a doubt: stop and list them.
  let order: Order | undefined;
  let product: Product | undefined;
  let candidates: GiveResult['candidates'];
  let slot: Awaited<ReturnType<typeof doseSlot>> | undefined;
  if (scanned && problems.length === 0) {
    const products = await db.select().from(ndcProducts).where(inArray(ndcProducts.ndc11, scanned.ndc11Candidates));
    product = products[0];
    const orders = await db
      .select()
      .from(administrationOrders)
      .where(and(eq(administrationOrders.patientId, patient.id), eq(administrationOrders.status, 'active')));
    const activeNow = orders.filter((o) => o.startsAt <= input.at && (!o.stopsAt || o.stopsAt > input.at));
    const productIngredient = ingredientKey(product?.display);
    const sameProduct = activeNow.filter(
      (o) =>
        (o.ndcCode && scanned!.ndc11Candidates.includes(o.ndcCode)) ||
        products.some((p) => p.rxnormCode === o.rxnormCode) ||
        (productIngredient !== undefined && ingredientKey(o.display) === productIngredient),
    );
    const chosen = input.orderId === undefined ? sameProduct : sameProduct.filter((o) => o.id === input.orderId);
    if (sameProduct.length === 0) {
      const unknownProduct = products.length === 0 && activeNow.some((o) => !o.ndcCode);
      problems.push({
        code: 'WRONG_DRUG',
        path: 'med-scan',
        message: unknownProduct
          ? 'Cannot verify the drug: the scanned NDC is not in the product list, so it cannot be matched to an order written in RxNorm. Do not give; ask pharmacy to add it ("practice mar products load").'
          : `Wrong drug: the scanned product is not on chart ${patient.mrn}'s active medication orders. Do not give.`,
      });
    } else if (chosen.length === 0) {
      problems.push({ code: 'WRONG_ORDER', path: '--order', message: `Order ${input.orderId} is not an active order this product can fill on chart ${patient.mrn}. Do not give.` });
    } else {
      const doseFits = chosen.filter((o) => {
        const given = doseGiven(input, product, o);
        return given === undefined || sameDose(given, o);
      });
      if (doseFits.length === 0) {
        const given = doseGiven(input, product, chosen[0]!)!;
        const ordered = [...new Set(chosen.map((o) => `${Number(o.dose)} ${o.doseUnit}`))].join(' or ');
        problems.push({ code: 'WRONG_DOSE', path: 'dose', message: `Wrong dose: the order is ${ordered}, not ${given.amount} ${given.unit}${input.dose === undefined ? ` (${input.units ?? 1} x the scanned ${product?.strength ? `${Number(product.strength)} ${product.strengthUnit}` : 'unit'}; give --units or --dose)` : ''}.` });
      } else {
        const slots = await Promise.all(doseFits.map(async (o) => ({ order: o, slot: await doseSlot(db, o, input.at, input.override, zone) })));
        const due = slots.filter((s) => s.slot.openInWindow);
        const pick = due.length === 1 ? due : due.length === 0 && slots.length === 1 ? slots : undefined;
        if (!pick) {
          candidates = (due.length ? due : slots).map((s) => describeOrder(s.order));
          problems.push({
            code: 'AMBIGUOUS_ORDER',
            path: '--order',
            message: `This scan fits ${candidates.length} orders: ${candidates.map((c) => `order ${c.orderId} ${c.medication} ${c.dose} ${c.route} ${c.schedule}`).join('; ')}. Do not guess: give again with --order <number> (or --dose / --units).`,
          });
        } else {
          order = pick[0]!.order;
          slot = pick[0]!.slot;
          problems.push(...slot.problems);
        }
      }
    }
  }

  let dose: DoseCandidate | undefined;
  let withinWindow: boolean | undefined;
  let allergyOverride = false;
  if (order && scanned) {
    const today = DateTime.fromJSDate(input.at, { zone }).toISODate()!;
    if (scanned.expiry && scanned.expiry < today) {
      problems.push({ code: 'EXPIRED', path: 'med-scan', message: `This lot expired on ${scanned.expiry}. Do not give; use an in-date package.` });
    }
    const route = input.route?.toUpperCase() ?? product?.route?.toUpperCase();
    if (route && route !== order.route.toUpperCase()) {
      problems.push({ code: 'WRONG_ROUTE', path: 'route', message: `Wrong route: the order is ${order.route}, this is ${route}.` });
    }
    // Right patient for this drug: allergies recorded since the order was written are checked at the bedside too.
    const conflicts = allergyConflicts({ name: product?.display ? `${order.display} ${product.display}` : order.display, rxnorm: order.rxnormCode }, await recordedAllergies(db, patient.id));
    const stops = conflicts.filter((c) => c.level === 'stop');
    if (stops.length && !order.allergyOverrideReason && !input.override) {
      problems.push({ code: 'ALLERGY', path: 'med-scan', message: `Stop: ${stops.map((c) => c.message).join(' ')} Do not give unless the prescriber has decided to go ahead: then give with --override "the clinical reason".` });
    }
    allergyOverride = stops.length > 0 && !order.allergyOverrideReason && Boolean(input.override);
    warnings.push(...conflicts.filter((c) => c.level === 'warn').map((c) => `Allergy warning: ${c.message}`));
    if (stops.length && order.allergyOverrideReason) warnings.push('Ordered despite a matching allergy; the prescriber\'s reason is on the order.');
    dose = slot?.dose;
    withinWindow = slot?.withinWindow;
  }

  step('after-checks');
  const [row] = await db.transaction(async (tx) => {
    // Two scans of the same dose at once (two nurses, or a retried command): the order's row is locked
    // and its time check run again under the lock, so only the first records it given; the second
    // finds the dose given (or the as-needed limit reached) and is recorded as a refused scan.
    if (order && slot && problems.length === 0) {
      await tx.execute(sql`select id from ${administrationOrders} where id = ${order.id} for update`);
      const again = await doseSlot(tx, order, input.at, input.override, zone);
      if (again.problems.length) problems.push(...again.problems);
      else if (again.dose?.id !== slot.dose?.id) problems.push({ code: 'ALREADY_GIVEN', path: 'time', message: 'This dose was already given. Do not give it again.' });
    }
    const rejected = problems.length > 0;
    const inserted = await tx
      .insert(administrations)
      .values({
        orderId: order?.id ?? null,
        doseId: rejected ? null : (dose?.id ?? null),
        patientId: patient.id,
        status: rejected ? 'rejected' : 'given',
        occurredAt: input.at,
        performedBy: input.by,
        scannedCode: scanned?.gtin ?? scanned?.ndc11Candidates[0] ?? null,
        ndcCode: product?.ndc11 ?? (order?.ndcCode && scanned?.ndc11Candidates.includes(order.ndcCode) ? order.ndcCode : null),
        lotNumber: scanned?.lot ?? null,
        expirationDate: scanned?.expiry ?? null,
        doseGiven: rejected ? null : (order?.dose ?? null),
        doseUnit: rejected ? null : (order?.doseUnit ?? null),
        route: rejected ? null : (order?.route ?? null),
        reason: rejected ? problems.map((p) => p.code).join(',') : null,
        overrideReason: !rejected && (withinWindow === false || allergyOverride) ? (input.override ?? null) : null,
        withinWindow: withinWindow ?? null,
      })
      .returning();
    step('after-record');
    await recordAudit(tx, who, {
      action: rejected ? 'scan-rejected' : 'administer',
      entity: 'administrations',
      entityId: inserted[0]!.id,
      details: { patientId: patient.id, orderId: order?.id ?? null, problems: problems.map((p) => p.code), override: Boolean(input.override && withinWindow === false), allergyOverride, candidates: candidates?.map((c) => c.orderId) },
    });
    step('after-audit');
    return inserted;
  });
  step('after-commit');
  const rejected = problems.length > 0;
  return {
    outcome: rejected ? 'rejected' : 'given',
    administrationId: row!.id,
    problems,
    warnings,
    candidates,
    order: order && { id: order.id, display: order.display, dose: order.dose, doseUnit: order.doseUnit, route: order.route },
    scheduledAt: dose ? DateTime.fromJSDate(new Date(dose.scheduled_at), { zone }).toISO({ suppressMilliseconds: true })! : undefined,
    withinWindow,
  };
}

export interface RecordInput {
  mrn: string;
  doseId: number;
  status: RecordedStatus;
  reason?: string;
  by: string;
  at: Date;
}

/** Outcomes that are not a scan: refused, held, not available (or given on paper during downtime). */
export async function recordDoseOutcome(db: Db, who: AuditActor, input: RecordInput) {
  if (input.status !== 'given' && !input.reason?.trim()) {
    throw new ValidationError([{ code: 'REASON', path: '--reason', message: `A dose recorded as ${input.status} needs --reason.` }]);
  }
  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, input.mrn);
    const [dose] = await tx.select().from(scheduledDoses).where(and(eq(scheduledDoses.id, input.doseId), eq(scheduledDoses.patientId, patient.id)));
    if (!dose) throw new NotFoundError(`Dose ${input.doseId} on chart ${patient.mrn}`, 'See the dose ids with "practice mar due".');
    const existing = await queryRows<{ id: number; status: string }>(tx, sql`select s.id, s.status from ${standing} s where s.dose_id = ${dose.id}`);
    if (existing.length > 0) {
      throw new ValidationError([{ code: 'ALREADY_RECORDED', message: `Dose ${dose.id} is already recorded as ${existing[0]!.status}; to change it use "practice mar correct ${existing[0]!.id}".` }]);
    }
    const [order] = await tx.select().from(administrationOrders).where(eq(administrationOrders.id, dose.orderId));
    const [row] = await tx
      .insert(administrations)
      .values({
        orderId: dose.orderId,
        doseId: dose.id,
        patientId: patient.id,
        status: input.status,
        occurredAt: input.at,
        performedBy: input.by,
        reason: input.reason ?? null,
        doseGiven: input.status === 'given' ? order!.dose : null,
        doseUnit: input.status === 'given' ? order!.doseUnit : null,
        route: input.status === 'given' ? order!.route : null,
      })
      .returning();
    await recordAudit(tx, who, { action: 'record', entity: 'administrations', entityId: row!.id, details: { doseId: dose.id, status: input.status } });
    return row!;
  });
}

/** A correction is a new entry that references the old one; the old one is never changed. */
export async function correctAdministration(db: Db, who: AuditActor, input: { administrationId: number; status: RecordedStatus | 'entered-in-error'; reason: string; by: string; at: Date }) {
  if (!input.reason.trim()) throw new ValidationError([{ code: 'REASON', path: '--reason', message: 'A correction needs --reason.' }]);
  return db.transaction(async (tx) => {
    const [original] = await tx.select().from(administrations).where(eq(administrations.id, input.administrationId));
    if (!original || original.status === 'rejected') throw new NotFoundError(`Administration record ${input.administrationId}`, 'See the record ids with "practice mar audit <mrn>".');
    const [superseded] = await tx.select({ id: administrations.id }).from(administrations).where(eq(administrations.correctsId, original.id));
    if (superseded) throw new ValidationError([{ code: 'ALREADY_CORRECTED', message: `Record ${original.id} was already corrected by record ${superseded.id}; correct that one instead.` }]);
    const [row] = await tx
      .insert(administrations)
      .values({ ...original, id: undefined, createdAt: undefined, status: input.status, reason: input.reason, performedBy: input.by, occurredAt: input.at, correctsId: original.id })
      .returning();
    await recordAudit(tx, who, { action: 'correct', entity: 'administrations', entityId: row!.id, details: { corrects: original.id, status: input.status } });
    return row!;
  });
}

export type DueDose = {
  doseId: number;
  mrn: string;
  patientName: string;
  medication: string;
  dose: string;
  route: string;
  scheduledAt: string;
  location: string | null;
};

const dueColumns = sql`d.id as "doseId", p.mrn, p.last_name || ', ' || p.first_name as "patientName", o.display as medication,
  trim(trailing '.' from trim(trailing '0' from o.dose::text)) || ' ' || o.dose_unit as dose, o.route, d.scheduled_at::text as "scheduledAt", l.code as location`;

/** Doses of active orders for active patients with nothing recorded yet; callers add the time condition. */
const openDosesOfActivePatients = sql`from ${scheduledDoses} d join ${administrationOrders} o on o.id = d.order_id join patients p on p.id = d.patient_id
  left join locations l on l.id = o.location_id
  where o.status = 'active' and p.active and not exists (select 1 from ${standing} s where s.dose_id = d.id)`;

/** Dose times as the practice reads them: ISO 8601 in its zone, with the offset ("2026-10-05T08:00:00-04:00"). */
async function inPracticeZone(db: DbOrTx, rows: DueDose[]): Promise<DueDose[]> {
  const zone = await practiceTimeZone(db);
  return rows.map((r) => ({ ...r, scheduledAt: DateTime.fromJSDate(new Date(r.scheduledAt), { zone }).toISO({ suppressMilliseconds: true })! }));
}

export async function dueDoses(db: DbOrTx, at: Date, windowMinutes: number, locationCode?: string): Promise<DueDose[]> {
  await materialiseDoses(db, at);
  return inPracticeZone(db, await queryRows<DueDose>(
    db,
    sql`select ${dueColumns}
        ${openDosesOfActivePatients}
          and d.scheduled_at between ${at.toISOString()}::timestamptz - make_interval(mins => ${windowMinutes}) and ${at.toISOString()}::timestamptz + make_interval(mins => ${windowMinutes})
          ${locationCode ? sql`and l.code = ${locationCode}` : sql``}
        order by p.last_name, p.first_name, d.scheduled_at`,
  ));
}

/** Doses whose window has closed with nothing recorded. */
export async function missedDoses(db: DbOrTx, now: Date, sinceHours: number): Promise<DueDose[]> {
  await materialiseDoses(db, now);
  return inPracticeZone(db, await queryRows<DueDose>(
    db,
    sql`select ${dueColumns}
        ${openDosesOfActivePatients}
          and d.scheduled_at >= ${now.toISOString()}::timestamptz - make_interval(hours => ${sinceHours})
          and d.scheduled_at + make_interval(mins => o.window_minutes) < ${now.toISOString()}::timestamptz
        order by d.scheduled_at, p.last_name`,
  ));
}
