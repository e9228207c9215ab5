// The demo's billing office, run through the same domain functions as the CLI: charges are entered as
// the visits happen, and every billing day the biller builds and checks the claims, fixes what the
// scrubber held last time, sends the file; the clearinghouse answers with a 999 and a 277CA, and each
// payer's 835 is posted when it arrives. What has not arrived by today stays in accounts receivable,
// and the charges since the last billing day are built and checked, ready to send.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { DateTime } from 'luxon';
import { eq, inArray, sql } from 'drizzle-orm';
import { importAcknowledgement, resubmitClaim } from '../claims/acks.js';
import { buildClaims } from '../claims/build.js';
import { scrubClaims, type EditFailure } from '../claims/edits.js';
import { exportClaims } from '../claims/export-837p.js';
import { writePrivateFile } from '../files/private-file.js';
import { CLAIMS_PER_TRANSACTION } from '../claims/render-837p.js';
import { postRemittance } from '../claims/post-835.js';
import { reissueClaim } from '../claims/reissue.js';
import { moveClaimBalance, type BalanceMoveKind } from '../claims/write-off.js';
import { claimBalances } from '../claims/ar.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { withBulkSession, type CopyValue } from '../db/bulk.js';
import type { PracticeDatabase } from '../db/client.js';
import { queryRows } from '../db/query.js';
import { claims, coverages, patients } from '../db/schema/index.js';
import type { Db } from '../db/types.js';
import type { Calendar } from './calendar.js';
import { PAYER_POLICIES, ack277ca, ack999, adjudicate, remittance835, type BilledClaim, type ClaimAnswer, type Envelope } from './payer.js';
import { Random } from './random.js';

/** Charges waiting to be entered, by service day (COPY rows of the charges table). */
export class ChargeQueue {
  private columns: string[] | undefined;
  private readonly byDay = new Map<number, CopyValue[][]>();

  add(batch: { columns: string[]; values: CopyValue[][] }, dayOf: (isoDate: string) => number): void {
    this.columns ??= batch.columns;
    const order = batch.columns.map((c) => this.columns!.indexOf(c));
    const dateAt = batch.columns.indexOf('service_date');
    for (const row of batch.values) {
      const day = dayOf(row[dateAt] as string);
      const aligned = new Array<CopyValue>(order.length);
      order.forEach((to, from) => (aligned[to] = row[from]));
      let list = this.byDay.get(day);
      if (!list) this.byDay.set(day, (list = []));
      list.push(aligned);
    }
  }

  /** Removes and returns the charges of every day up to and including `day`. */
  takeThrough(day: number): { columns: string[]; values: CopyValue[][] } | undefined {
    const values: CopyValue[][] = [];
    for (const [d, rows] of [...this.byDay].sort((a, b) => a[0] - b[0])) {
      if (d > day) break;
      values.push(...rows);
      this.byDay.delete(d);
    }
    return values.length && this.columns ? { columns: this.columns, values } : undefined;
  }
}

export interface BillingSummary {
  billingDays: number;
  claimFiles: number;
  claimsBuilt: number;
  claimsSent: number;
  /** Claims the scrubber held on a billing day (the biller fixed them for the next one). */
  claimsHeld: number;
  rejectedByClearinghouse: number;
  remittancesPosted: number;
  claimsDenied: number;
  /** What the biller did with the denials: corrected claims sent again, balances written off or billed to patients. */
  denialsWorked: { corrected: number; writtenOff: number; toPatient: number };
  paidCents: number;
  /** The charges since the last billing day: built and checked, ready to send. */
  readyToSend: { checked: number; passing: number; held: { code: string; claims: number }[] };
  folder: string;
}

export interface BillingSettings {
  seed: number;
  calendar: Calendar;
  /** Where the claim files and the clearinghouse's answers go. */
  folder: string;
  actor: AuditActor;
}

/**
 * Billing days: every fourth Friday for the older history, every Friday in the last twelve weeks. The
 * last is a week or more ago: the charges since then are this week's claims, checked but not sent.
 */
export function billingDays(cal: Calendar, firstDay: number): number[] {
  const days: number[] = [];
  const lastFriday = cal.today - 7 - ((new Date((cal.today - 7) * 86_400_000).getUTCDay() + 2) % 7);
  for (let day = lastFriday; day > firstDay; day -= day > cal.today - 84 ? 7 : 28) days.unshift(day);
  return days;
}

async function billedClaims(db: Db, batchId: number): Promise<(BilledClaim & { id: number; payerDbId: number })[]> {
  const claims = await queryRows<{ id: number; pcn: string; payer_db_id: number; payer_identifier: string; payer_name: string; filing: string; member_id: string; first_name: string; last_name: string; total_cents: number }>(
    db,
    sql`select c.id, c.patient_control_number as pcn, py.id as payer_db_id, py.payer_id as payer_identifier, py.name as payer_name,
          py.claim_filing_indicator as filing, cov.member_id, p.first_name, p.last_name, c.total_cents
        from claims c join payers py on py.id = c.payer_id join coverages cov on cov.id = c.coverage_id join patients p on p.id = c.patient_id
        where c.batch_id = ${batchId} order by c.id`,
  );
  const lines = await queryRows<{ claim_id: number; line_number: number; code: string; charge_cents: number; units: number; service_date: string }>(
    db,
    sql`select l.claim_id, l.line_number, l.code, l.charge_cents, l.units::int as units, l.service_date::text as service_date
        from claim_lines l join claims c on c.id = l.claim_id where c.batch_id = ${batchId} order by l.claim_id, l.line_number`,
  );
  const byClaim = new Map<number, BilledClaim['lines']>();
  for (const l of lines) {
    let list = byClaim.get(l.claim_id);
    if (!list) byClaim.set(l.claim_id, (list = []));
    list.push({ lineNumber: l.line_number, code: l.code, chargeCents: l.charge_cents, units: l.units, serviceDate: l.service_date });
  }
  return claims.map((c) => ({
    id: c.id,
    payerDbId: c.payer_db_id,
    patientControlNumber: c.pcn,
    payerIdentifier: c.payer_identifier,
    payerName: c.payer_name,
    filingIndicator: c.filing,
    memberId: c.member_id,
    patientFirstName: c.first_name,
    patientLastName: c.last_name,
    totalCents: c.total_cents,
    lines: byClaim.get(c.id) ?? [],
  }));
}

/**
 * What the biller does with a held claim before the next file: the card is scanned again (member id),
 * the address completed, the subscriber's name asked for. Each fix is audited like any edit.
 */
async function fixHeldClaims(db: Db, actor: AuditActor, failures: EditFailure[], r: Random): Promise<void> {
  if (failures.length === 0) return;
  const ids = [...new Set(failures.map((f) => f.claimId))];
  const rows = await db.select({ id: claims.id, patientId: claims.patientId, coverageId: claims.coverageId }).from(claims).where(inArray(claims.id, ids));
  const byId = new Map(rows.map((c) => [c.id, { patient_id: c.patientId, coverage_id: c.coverageId }]));
  await db.transaction(async (tx) => {
    const fixed = { coverages: new Set<number>(), patients: new Set<number>() };
    // In claim order: the scrubber's failures come in whatever order the database returns them, and the
    // random member ids drawn here must not depend on it (the same seed makes the same practice).
    const inClaimOrder = [...failures].sort((a, b) => a.claimId - b.claimId || a.code.localeCompare(b.code));
    for (const f of inClaimOrder) {
      const claim = byId.get(f.claimId);
      if (!claim) continue;
      if (f.code === 'SUBSCRIBER_ID' && !fixed.coverages.has(claim.coverage_id)) {
        await tx.update(coverages).set({ memberId: `XDM${String(r.int(0, 999_999_999)).padStart(9, '0')}` }).where(eq(coverages.id, claim.coverage_id));
        fixed.coverages.add(claim.coverage_id);
      } else if (f.code === 'RELATIONSHIP' && !fixed.coverages.has(claim.coverage_id)) {
        await tx.update(coverages).set({ subscriberFirstName: 'Jordan' }).where(eq(coverages.id, claim.coverage_id));
        fixed.coverages.add(claim.coverage_id);
      } else if (f.code === 'PATIENT_ADDRESS' && !fixed.patients.has(claim.patient_id)) {
        await tx.update(patients).set({ zip: '12305' }).where(eq(patients.id, claim.patient_id));
        fixed.patients.add(claim.patient_id);
      }
    }
    if (fixed.coverages.size) await recordAudit(tx, actor, { action: 'update', entity: 'coverages', details: { rows: fixed.coverages.size, fields: ['memberId', 'subscriberFirstName'], reason: 'claim held by the scrubber' } });
    if (fixed.patients.size) await recordAudit(tx, actor, { action: 'update', entity: 'patients', details: { rows: fixed.patients.size, fields: ['zip'], reason: 'claim held by the scrubber' } });
  });
}

/** What the demo's biller does with a denial (CARC), three weeks after it came: the usual answer of an office. */
const DENIAL_WORK: Record<string, { action: 'correct' } | { action: BalanceMoveKind; reason: string }> = {
  '16': { action: 'correct' },
  '18': { action: 'write-off', reason: 'duplicate of a claim the payer already processed' },
  '197': { action: 'write-off', reason: 'no prior authorization: not billable to the patient' },
  '27': { action: 'to-patient', reason: 'coverage had ended: billed to the patient' },
  '22': { action: 'to-patient', reason: 'another insurer is primary: patient asked for its card, balance billed meanwhile' },
  '204': { action: 'to-patient', reason: 'service not covered by the plan: patient responsibility' },
  '97': { action: 'write-off', reason: 'bundled into another service (contractual)' },
  '50': { action: 'write-off', reason: 'not medically necessary for the payer, no advance notice signed' },
};
const DENIAL_WORK_AFTER_DAYS = 21;

/**
 * Works the open denials that came at least three weeks before `day`, oldest claim first: a claim that
 * lacked information goes out again corrected (frequency 7); the others are written off or moved to the
 * patient with the office's reason, as `practice claims write-off` does. Each step is audited.
 */
async function workDenials(db: Db, actor: AuditActor, cal: Calendar, day: number, worked: BillingSummary['denialsWorked']): Promise<void> {
  const denied = await queryRows<{ claim_id: number; carc_code: string; amount_cents: number; line_level: boolean }>(
    db,
    sql`select d.claim_id, min(d.carc_code) as carc_code, sum(d.amount_cents)::int as amount_cents, bool_and(d.claim_line_id is not null) as line_level
        from denials d join claims c on c.id = d.claim_id
        where d.status = 'open' and d.denied_on <= ${cal.date(day - DENIAL_WORK_AFTER_DAYS)}::date
          and c.frequency_code <> '8' and not exists (select 1 from claims r where r.original_claim_id = c.id)
          and not exists (select 1 from claim_balance_moves m where m.claim_id = c.id)
        group by d.claim_id order by d.claim_id`,
  );
  const today = cal.date(day);
  for (const d of denied) {
    const work = DENIAL_WORK[d.carc_code];
    if (!work) continue;
    if (work.action === 'correct') {
      await reissueClaim(db, actor, d.claim_id, 'replace');
      worked.corrected++;
      continue;
    }
    const [claim] = await claimBalances(db, { claimIds: [d.claim_id] });
    if (!claim || claim.balanceCents <= 0 || !claim.sentOn) continue;
    const amountCents = d.line_level ? Math.min(d.amount_cents, claim.balanceCents) : claim.balanceCents;
    if (amountCents <= 0) continue;
    await moveClaimBalance(db, actor, d.claim_id, { kind: work.action, reason: work.reason, amountCents, today });
    if (work.action === 'write-off') worked.writtenOff++;
    else worked.toPatient++;
  }
}

async function enterCharges(handle: PracticeDatabase, queue: ChargeQueue, through: number): Promise<void> {
  const batch = queue.takeThrough(through);
  if (batch) await withBulkSession(handle, (session) => session.copyRows('charges', batch.columns, batch.values));
}

/** Every billing day of the history, then the week's claims built and checked. */
export async function runBilling(handle: PracticeDatabase, queue: ChargeQueue, settings: BillingSettings, firstDay: number): Promise<BillingSummary> {
  const db = handle.db;
  const { calendar: cal, actor } = settings;
  const r = new Random(settings.seed, 0xb111);
  const claimsDir = join(settings.folder, 'claims');
  const answersDir = join(settings.folder, 'clearinghouse');
  await mkdir(claimsDir, { recursive: true, mode: 0o700 });
  await mkdir(answersDir, { recursive: true, mode: 0o700 });
  const [practiceRow] = await queryRows<{ legal_name: string; billing_npi: string }>(db, sql`select legal_name, billing_npi from practice limit 1`);
  const [clearinghouse] = await queryRows<{ sender_id: string; receiver_id: string }>(db, sql`select sender_id, receiver_id from clearinghouses where is_default limit 1`);
  let control = 900_000_000 + r.int(0, 9_999);
  const envelope = (at: DateTime): Envelope => ({ senderId: clearinghouse!.receiver_id, receiverId: clearinghouse!.sender_id, controlNumber: control++, at });
  const summary: BillingSummary = {
    billingDays: 0, claimFiles: 0, claimsBuilt: 0, claimsSent: 0, claimsHeld: 0, rejectedByClearinghouse: 0,
    remittancesPosted: 0, claimsDenied: 0, denialsWorked: { corrected: 0, writtenOff: 0, toPatient: 0 }, paidCents: 0, readyToSend: { checked: 0, passing: 0, held: [] }, folder: settings.folder,
  };
  let held: EditFailure[] = [];

  const days = billingDays(cal, firstDay);
  // What a billing day builds: its new charges, and next-payer claims of what the last one sent (the
  // payers answered it in between). Older claims are settled: "since" keeps the build to the recent ones.
  const since = (i: number) => cal.date((i >= 2 ? days[i - 2]! : firstDay) + 1);
  for (const [i, day] of days.entries()) {
    summary.billingDays++;
    // PGlite never analyzes on its own: fresh statistics keep the claim queries on their indexes as the tables grow.
    if (i % 8 === 0) await db.execute(sql`analyze charges, claims, claim_lines, claim_diagnoses, payments, adjustments, denials, coverages, patients, encounters`);
    await enterCharges(handle, queue, day);
    summary.claimsBuilt += (await buildClaims(db, actor, { since: since(i) })).claims;
    await fixHeldClaims(db, actor, held, r);
    await workDenials(db, actor, cal, day, summary.denialsWorked);
    // A 277CA rejection holds its claim until a biller acts: the demo's biller checks it and sends it again.
    for (const claimId of new Set(held.filter((f) => f.code === 'REJECTED_UNCHANGED').map((f) => f.claimId))) {
      await resubmitClaim(db, actor, claimId, cal.date(day));
    }
    const sentAt = cal.at(day, 17 * 60);
    const exported = await exportClaims(db, actor, { outDir: claimsDir, now: sentAt });
    held = exported.held;
    summary.claimsHeld += new Set(held.map((f) => f.claimId)).size;
    if (exported.batchId === null) continue;
    summary.claimFiles++;
    summary.claimsSent += exported.claims;

    // The next morning: the clearinghouse's 999 for the file and 277CA for its claims.
    const morning = DateTime.fromJSDate(cal.at(day + 3, 8 * 60), { zone: cal.timeZone });
    const billed = await billedClaims(db, exported.batchId);
    const [batch] = await queryRows<{ group_control_number: number }>(db, sql`select group_control_number from claim_batches where id = ${exported.batchId}`);
    const answers = [
      ack999(envelope(morning), batch!.group_control_number, Math.ceil(billed.length / CLAIMS_PER_TRANSACTION)),
      ack277ca(envelope(morning), billed.map((c) => ({ patientControlNumber: c.patientControlNumber, totalCents: c.totalCents, rejected: r.chance(0.015) }))),
    ];
    for (const [i, text] of answers.entries()) {
      const result = await importAcknowledgement(db, actor, text);
      if (i === 1) summary.rejectedByClearinghouse += result.rejected;
      await writePrivateFile(join(answersDir, `${i === 0 ? '999' : '277CA'}-batch${exported.batchId}.x12`), text);
    }
    const accepted = new Set(
      (await queryRows<{ id: number }>(db, sql`select id from claims where batch_id = ${exported.batchId} and status = 'accepted'`)).map((c) => c.id),
    );

    // Each payer pays its accepted claims in one 835, some weeks later; a few claims are never answered.
    const byPayer = new Map<number, { claim: BilledClaim; answer: ClaimAnswer }[]>();
    for (const claim of billed) {
      if (!accepted.has(claim.id) || r.chance(0.02)) continue;
      const month = Number(claim.lines[0]?.serviceDate.slice(5, 7) ?? 6);
      let list = byPayer.get(claim.payerDbId);
      if (!list) byPayer.set(claim.payerDbId, (list = []));
      list.push({ claim, answer: adjudicate(claim, r, month) });
    }
    for (const list of byPayer.values()) {
      const first = list[0]!.claim;
      const lag = (PAYER_POLICIES[first.filingIndicator]?.paymentLagDays ?? 21) + r.int(-3, 4);
      const paidDay = cal.weekday(day + lag);
      if (paidDay >= cal.today) continue;
      const paymentDate = cal.date(paidDay);
      const text = remittance835(envelope(DateTime.fromJSDate(cal.at(paidDay, 7 * 60), { zone: cal.timeZone })), { identifier: first.payerIdentifier, name: first.payerName }, { name: practiceRow!.legal_name, npi: practiceRow!.billing_npi }, paymentDate, list);
      const fileName = `835-${first.payerIdentifier}-batch${exported.batchId}.x12`;
      await writePrivateFile(join(answersDir, fileName), text);
      const posted = await postRemittance(db, actor, text, { fileName, today: paymentDate });
      summary.remittancesPosted++;
      summary.claimsDenied += list.filter((a) => a.answer.status === '4').length;
      summary.paidCents += posted.totalPaidCents;
    }
  }

  // This week: the charges so far are entered, built and checked, ready for the next file.
  await enterCharges(handle, queue, cal.today);
  summary.claimsBuilt += (await buildClaims(db, actor, { since: since(days.length) })).claims;
  await fixHeldClaims(db, actor, held, r);
  const today = cal.date(cal.today);
  const check = await db.transaction(async (tx) => {
    const scrub = await scrubClaims(tx, {}, today);
    await recordAudit(tx, actor, { action: 'check', entity: 'claims', details: { checked: scrub.checked, failing: new Set(scrub.failures.map((f) => f.claimId)).size } });
    return scrub;
  });
  const heldBy = new Map<string, Set<number>>();
  for (const f of check.failures) heldBy.set(f.code, (heldBy.get(f.code) ?? new Set()).add(f.claimId));
  summary.readyToSend = {
    checked: check.checked,
    passing: check.checked - new Set(check.failures.map((f) => f.claimId)).size,
    held: [...heldBy].map(([code, ids]) => ({ code, claims: ids.size })).sort((a, b) => b.claims - a.claims),
  };
  return summary;
}
