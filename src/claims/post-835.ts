// Posts an 835, one payment (ST/SE transaction) at a time, all of the file or nothing.
// - A payment's identity is its payer plus TRN02: the same payment in another envelope posts nothing.
// - A claim (CLP) posts only to a claim billed to the payer who sent the payment, sent and not voided
//   or replaced (a reversal, CLP02 = 22, still posts to a voided claim: it is the expected takeback).
// - Lines match on REF*6R, else on procedure + every modifier + date + units; a line that matches none
//   or two of ours leaves its whole claim unposted. What is not posted is stored with its reason.
// - Every amount posted is a ledger row tied to the remittance: payments, CAS adjustments (a denial's
//   flagged: they keep the balance open), denials, PLB provider adjustments linked to the claim they name.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { idArray, queryRows, textArray } from '../db/query.js';
import { remittances } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { throwIfStopped } from '../errors.js';
import { failpoint } from '../faults/failpoint.js';
import { practiceTimeZone } from '../practice/clock.js';
import { refreshClaims, SENT_STATUSES } from './ar.js';
import { parseRemittance, type EraClaim, type EraLine, type EraPayment } from './era.js';
import { lineControlNumber } from './export-837p.js';

export interface PostOptions {
  fileName?: string;
  /** The practice's today (YYYY-MM-DD): the posting date of a payment without a BPR16 date. */
  today: string;
  /** Aborted to stop between payments: the file is posted whole or not at all, so nothing is kept. */
  signal?: AbortSignal;
}

/** A claim of the remittance that was not posted, and why. */
export interface UnmatchedClaim {
  remittanceId: number;
  traceNumber: string;
  patientControlNumber: string;
  claimId: number | null;
  claimStatusCode: string;
  billedCents: number;
  paidCents: number;
  reason: string;
}

export interface PostedPayment {
  remittanceId: number;
  traceNumber: string;
  /** Our payer's name when the payment's payer is set up, else the name the 835 gives (N1*PR). */
  payer: string | null;
  payerId: number | null;
  totalPaidCents: number;
  /** Posted before (in this or another envelope): nothing of it was posted again. */
  alreadyPosted: boolean;
  /** The day (practice time zone) it was posted, this time or the first time. */
  postedOn: string;
  claimsPosted: number;
  claimsUnmatched: number;
}

export interface PostResult {
  remittances: PostedPayment[];
  /** Every payment of the file had been posted before. */
  alreadyPosted: boolean;
  totalPaidCents: number;
  claimsMatched: number;
  linesMatched: number;
  /** Ledger rows written. */
  payments: number;
  adjustments: number;
  denials: number;
  reversals: number;
  providerAdjustments: number;
  unmatched: UnmatchedClaim[];
}

/**
 * Where a test can kill a posting (PRACTICE_FAILPOINT=post-835:<step>[@n], src/faults/failpoint.ts):
 * a payment's remittance row stored, a payment's ledger rows and audit written (both inside the file's
 * one transaction, so a kill there leaves nothing), every claim refreshed just before the commit, and
 * after the commit before the result is printed (a rerun then finds every payment already posted).
 */
export const POST_835_FAILPOINTS = ['after-remittance', 'after-payment', 'before-commit', 'after-commit'] as const;
const step = (name: (typeof POST_835_FAILPOINTS)[number]) => failpoint(`post-835:${name}`);

type OurClaim = {
  id: number;
  pcn: string;
  payer_id: number;
  payer: string;
  payer_code: string;
  status: string;
  sent: boolean;
  frequency_code: string;
  original_claim_id: number | null;
  withdrawn_by: string | null;
  withdrawn_by_void: boolean;
};

type OurLine = {
  id: number;
  claim_id: number;
  line_number: number;
  code: string;
  modifiers: string[];
  units: number;
  service_date: string;
};

type Row = Record<string, unknown>;

const PROCESSED = new Set(['1', '2', '3', '19', '20', '21']);
const DENIED = new Set(['4', '23']);
const REVERSAL = '22';

/** Inserts rows in one statement: the rows travel as one JSON parameter, whatever their number. */
async function insertJson(db: DbOrTx, table: string, columns: [string, string][], rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const names = sql.join(columns.map(([name]) => sql.identifier(name)), sql`, `);
  // Column types are constants of this module, never input.
  const types = sql.join(columns.map(([name, type]) => sql`${sql.identifier(name)} ${sql.raw(type)}`), sql`, `);
  await db.execute(sql`insert into ${sql.identifier(table)} (${names}) select ${names} from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(${types})`);
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join(':') === [...b].sort().join(':');
const describeLine = (l: EraLine, date: string | null) =>
  `${l.billedCode}${l.billedModifiers.length ? `-${l.billedModifiers.join('-')}` : ''}${date ? ` on ${date}` : ''}, ${l.units} unit(s)`;

/** Which payer of ours sent the payment: REF*2U, then TRN03 against the payer id, then the N1*PR name. */
async function resolvePayer(tx: DbOrTx, payment: EraPayment): Promise<{ payer?: { id: number; name: string }; problem?: string }> {
  const ids = [payment.payerReference, payment.payerIdentifier].filter((v): v is string => Boolean(v));
  const name = (payment.payerName ?? '').trim().replace(/\s+/g, ' ').toUpperCase();
  const rows = await queryRows<{ id: number; name: string; payer_id: string }>(
    tx,
    sql`select id, name, payer_id from payers where payer_id = any(${textArray(ids)}) or upper(trim(name)) = ${name} order by id`,
  );
  const byId = (id: string | null) => (id ? rows.find((r) => r.payer_id === id) : undefined);
  const byName = rows.filter((r) => r.name.trim().replace(/\s+/g, ' ').toUpperCase() === name && name !== '');
  const payer = byId(payment.payerReference) ?? byId(payment.payerIdentifier) ?? (byName.length === 1 ? byName[0] : undefined);
  if (payer) return { payer: { id: payer.id, name: payer.name } };
  const named = `the payer "${payment.payerName ?? ''}" (TRN03 ${payment.payerIdentifier ?? 'none'}${payment.payerReference ? `, REF*2U ${payment.payerReference}` : ''})`;
  return {
    problem: byName.length > 1
      ? `The payment is from ${named}, whose name matches ${byName.length} payers; add its payer id so it can be told apart. Nothing was posted for it.`
      : `The payment is from ${named}, which is not one of the practice's payers ("practice payers add"). Nothing was posted for it.`,
  };
}

export async function postRemittance(db: Db, actor: AuditActor, text: string, options: PostOptions): Promise<PostResult> {
  const era = parseRemittance(text);
  const sha = createHash('sha256').update(text).digest('hex');
  const result: PostResult = {
    remittances: [], alreadyPosted: false, totalPaidCents: era.totalPaidCents,
    claimsMatched: 0, linesMatched: 0, payments: 0, adjustments: 0, denials: 0, reversals: 0, providerAdjustments: 0, unmatched: [],
  };
  const posted = await db.transaction(async (tx) => {
    const timeZone = await practiceTimeZone(tx);
    const touched = new Set<number>();
    // The payer's claim numbers (CLP07) of the file's claims, stored with their figures at the end.
    const claimNumbers = new Map<number, string>();
    for (const payment of era.payments) {
      await throwIfStopped(options.signal);
      result.remittances.push(await postPayment(tx, actor, payment, { ...options, sha, text, timeZone }, result, touched, claimNumbers));
      step('after-payment');
    }
    await refreshClaims(tx, [...touched], claimNumbers);
    result.alreadyPosted = result.remittances.length > 0 && result.remittances.every((r) => r.alreadyPosted);
    step('before-commit');
    return result;
  });
  step('after-commit');
  return posted;
}

async function postPayment(
  tx: DbOrTx,
  actor: AuditActor,
  payment: EraPayment,
  options: PostOptions & { sha: string; text: string; timeZone: string },
  result: PostResult,
  touched: Set<number>,
  claimNumbers: Map<number, string>,
): Promise<PostedPayment> {
  const { payer, problem: payerProblem } = await resolvePayer(tx, payment);
  const paymentKey = payer
    ? `payer ${payer.id} trace ${payment.traceNumber}`
    : `unknown ${payment.payerReference ?? payment.payerIdentifier ?? payment.payerName ?? ''} trace ${payment.traceNumber}`;
  const inserted = await tx
    .insert(remittances)
    .values({
      fileSha256: options.sha, fileName: options.fileName, paymentKey, payerName: payment.payerName, payerIdentifier: payment.payerIdentifier, payerId: payer?.id ?? null,
      traceNumber: payment.traceNumber, paymentMethod: payment.paymentMethod, paymentDate: payment.paymentDate, totalPaidCents: payment.totalPaidCents, content: options.text,
    })
    .onConflictDoNothing({ target: remittances.paymentKey })
    .returning({ id: remittances.id });
  const summary = { traceNumber: payment.traceNumber, payer: payer?.name ?? payment.payerName, payerId: payer?.id ?? null, totalPaidCents: payment.totalPaidCents };
  if (inserted.length === 0) {
    const [earlier] = await queryRows<{ id: number; posted_on: string }>(
      tx,
      sql`select id, (imported_at at time zone ${options.timeZone})::date::text as posted_on from remittances where payment_key = ${paymentKey}`,
    );
    return { ...summary, remittanceId: earlier!.id, alreadyPosted: true, postedOn: earlier!.posted_on, claimsPosted: 0, claimsUnmatched: 0 };
  }
  const remittanceId = inserted[0]!.id;
  const earlierNumbers = new Map(claimNumbers);
  step('after-remittance');
  const paidOn = payment.paymentDate ?? options.today;

  // Our claims named by the payment, the originals of voids among them, their lines and earlier denial amounts.
  const pcns = [...new Set(payment.claims.map((c) => c.patientControlNumber))];
  const sent = sql.join(SENT_STATUSES.map((s) => sql`${s}`), sql`, `);
  const claimRows = await queryRows<OurClaim>(
    tx,
    sql`with named as (select id from claims where patient_control_number = any(${textArray(pcns)})),
             wanted as (select id from named union select original_claim_id from claims where id in (select id from named) and frequency_code = '8')
        select c.id, c.patient_control_number as pcn, c.payer_id, py.name as payer, py.payer_id as payer_code, c.status,
               (c.exported_at is not null and c.status in (${sent}, 'void')) as sent, c.frequency_code, c.original_claim_id,
               w.patient_control_number as withdrawn_by, coalesce(w.frequency_code = '8', false) as withdrawn_by_void
        from claims c join payers py on py.id = c.payer_id
        left join lateral (select r.patient_control_number, r.frequency_code from claims r
                           where r.original_claim_id = c.id and r.exported_at is not null and r.status in (${sent}) order by r.id desc limit 1) w on true
        where c.id in (select id from wanted)`,
  );
  const byPcn = new Map(claimRows.map((c) => [c.pcn, c]));
  const byId = new Map(claimRows.map((c) => [c.id, c]));
  const claimIds = claimRows.map((c) => c.id);
  const lineRows = await queryRows<OurLine>(
    tx,
    sql`select id, claim_id, line_number, code, modifiers, units, service_date::text as service_date from claim_lines
        where claim_id = any(${idArray(claimIds)}) order by claim_id, line_number`,
  );
  const linesByClaim = new Map<number, OurLine[]>();
  for (const l of lineRows) {
    const lines = linesByClaim.get(l.claim_id) ?? [];
    lines.push(l);
    linesByClaim.set(l.claim_id, lines);
  }
  const deniedBefore = new Set(
    (await queryRows<{ k: string }>(
      tx,
      sql`select distinct claim_id || '|' || coalesce(claim_line_id::text, '') || '|' || group_code || '|' || reason_code as k
          from adjustments where denial and claim_id = any(${idArray(claimIds)})`,
    )).map((r) => r.k),
  );

  const payments: Row[] = [];
  const adjustments: Row[] = [];
  const denials: Row[] = [];
  const unmatched: Row[] = [];
  const resolvedDenials = new Set<number>();
  let claimsPosted = 0;
  const base = { remittance_id: remittanceId };

  const leaveUnposted = (c: EraClaim, claimId: number | null, reason: string) => {
    unmatched.push({ ...base, level: 'claim', patient_control_number: c.patientControlNumber, claim_id: claimId, reason, claim_status_code: c.statusCode, payer_claim_control_number: c.payerClaimControlNumber, billed_cents: c.billedCents, paid_cents: c.paidCents });
    result.unmatched.push({ remittanceId, traceNumber: payment.traceNumber, patientControlNumber: c.patientControlNumber, claimId, claimStatusCode: c.statusCode, billedCents: c.billedCents, paidCents: c.paidCents, reason });
  };

  for (const c of payment.claims) {
    const ours = byPcn.get(c.patientControlNumber);
    const reversal = c.statusCode === REVERSAL;
    if (!payer) { leaveUnposted(c, ours?.id ?? null, payerProblem!); continue; }
    if (!ours) { leaveUnposted(c, null, `No claim has the number ${c.patientControlNumber}.`); continue; }
    if (ours.payer_id !== payer.id) {
      leaveUnposted(c, ours.id, `Claim ${ours.pcn} was billed to ${ours.payer} (payer id ${ours.payer_code}), not to ${payer.name}, who sent this payment.`);
      continue;
    }
    if (!ours.sent) { leaveUnposted(c, ours.id, `Claim ${ours.pcn} has not been sent to the payer (it is ${ours.status}).`); continue; }
    const target = ours.frequency_code === '8' ? byId.get(ours.original_claim_id ?? -1) : ours;
    if (!target) { leaveUnposted(c, ours.id, `Claim ${ours.pcn} is a void whose original claim is missing.`); continue; }
    if (!reversal && ours.frequency_code === '8') {
      leaveUnposted(c, ours.id, `Claim ${ours.pcn} is the void of claim ${target.pcn}: only the payer's reversal (CLP02 = 22) posts on it.`);
      continue;
    }
    if (!reversal && (ours.withdrawn_by || ours.status === 'void')) {
      const how = ours.withdrawn_by_void || ours.status === 'void' ? 'voided' : 'replaced';
      leaveUnposted(c, ours.id, `Claim ${ours.pcn} was ${how}${ours.withdrawn_by ? ` by claim ${ours.withdrawn_by}` : ''}; only a reversal (CLP02 = 22) of its payment posts on it.`);
      continue;
    }

    // Every line first: one that matches none or two of ours leaves the whole claim unposted.
    const ourLines = linesByClaim.get(target.id) ?? [];
    const taken = new Set<number>();
    const matched: OurLine[] = [];
    const problems: string[] = [];
    c.lines.forEach((l, i) => {
      let line: OurLine | undefined;
      if (l.lineControlNumber) {
        for (const pcn of new Set([ours.pcn, target.pcn])) {
          line ??= ourLines.find((o) => lineControlNumber(pcn, o.line_number) === l.lineControlNumber && !taken.has(o.id));
        }
      }
      const date = l.serviceDate ?? c.serviceDate;
      if (!line) {
        const candidates = ourLines.filter((o) => !taken.has(o.id) && o.code === l.billedCode && sameSet(o.modifiers, l.billedModifiers) && o.units === l.units && (!date || o.service_date === date));
        if (candidates.length === 1) line = candidates[0];
        else {
          problems.push(`service line ${i + 1} (${describeLine(l, date)}) matches ${candidates.length === 0 ? 'none' : `${candidates.length} (lines ${candidates.map((o) => o.line_number).join(' and ')})`} of the claim's lines`);
          return;
        }
      }
      taken.add(line.id);
      matched.push(line);
    });
    if (problems.length) {
      leaveUnposted(c, ours.id, `Claim ${ours.pcn}: ${problems.join('; ')}. Nothing was guessed; post it by hand or ask the payer.`);
      continue;
    }

    claimsPosted++;
    result.claimsMatched++;
    result.linesMatched += matched.length;
    if (reversal) result.reversals++;
    touched.add(target.id);
    if (c.payerClaimControlNumber) claimNumbers.set(target.id, c.payerClaimControlNumber);
    const claimBase = { ...base, claim_id: target.id };
    const denied = DENIED.has(c.statusCode);
    const denialFlag = (lineId: number | null, group: string, reason: string, amount: number) =>
      reversal && amount < 0
        ? deniedBefore.has(`${target.id}|${lineId ?? ''}|${group}|${reason}`)
        : denied && group !== 'PR' && !(group === 'OA' && reason === '23');
    const addCas = (lineId: number | null, list: EraClaim['adjustments']) => {
      for (const a of list) {
        adjustments.push({ ...claimBase, claim_line_id: lineId, group_code: a.group, reason_code: a.reason, amount_cents: a.amountCents, quantity: a.quantity, denial: denialFlag(lineId, a.group, a.reason, a.amountCents), adjusted_on: paidOn });
      }
    };
    addCas(null, c.adjustments);
    // Paid per line; what the claim-level CAS takes off the lines' total is posted at claim level, so paid = CLP04.
    let linesPaid = 0;
    c.lines.forEach((l, i) => {
      const lineId = matched[i]!.id;
      if (l.paidCents !== 0) payments.push({ ...claimBase, claim_line_id: lineId, amount_cents: l.paidCents });
      linesPaid += l.paidCents;
      addCas(lineId, l.adjustments);
      const lineDenied = !denied && l.paidCents === 0 && l.billedCents > 0 && !l.adjustments.some((a) => a.group === 'PR') && l.adjustments.some((a) => a.group === 'CO' || a.group === 'PI');
      if (lineDenied) {
        const carc = l.adjustments.find((a) => a.group === 'CO' || a.group === 'PI')!;
        denials.push({ ...claimBase, claim_line_id: lineId, group_code: carc.group, carc_code: carc.reason, rarc_codes: l.remarks, amount_cents: l.billedCents, denied_on: paidOn });
      }
    });
    if (c.paidCents - linesPaid !== 0) payments.push({ ...claimBase, claim_line_id: null, amount_cents: c.paidCents - linesPaid });
    if (denied) {
      const allCas = [...c.adjustments, ...c.lines.flatMap((l) => l.adjustments)];
      const carc = allCas.find((a) => a.group !== 'PR' && !(a.group === 'OA' && a.reason === '23')) ?? allCas[0];
      denials.push({ ...claimBase, claim_line_id: null, group_code: carc?.group ?? null, carc_code: carc?.reason ?? (c.statusCode === '23' ? 'NOT_OUR_CLAIM' : 'NONE'), rarc_codes: [...new Set([...c.remarks, ...c.lines.flatMap((l) => l.remarks)])], amount_cents: c.billedCents, denied_on: paidOn });
    }
    if (PROCESSED.has(c.statusCode)) resolvedDenials.add(target.id);
  }

  if (resolvedDenials.size) {
    await tx.execute(sql`update denials set status = 'resolved', updated_at = now()
                         where status = 'open' and claim_line_id is null and claim_id = any(${idArray([...resolvedDenials])})`);
  }
  const common = (rows: Row[]) => rows.map((r) => ({ ...r, paid_on: paidOn, method: payment.paymentMethod, reference: payment.traceNumber, payer_id: payer?.id ?? null, source: 'payer' }));
  await insertJson(tx, 'payments', [['claim_id', 'int'], ['claim_line_id', 'int'], ['remittance_id', 'int'], ['payer_id', 'int'], ['source', 'text'], ['amount_cents', 'int'], ['paid_on', 'date'], ['method', 'text'], ['reference', 'text']], common(payments));
  await insertJson(tx, 'adjustments', [['claim_id', 'int'], ['claim_line_id', 'int'], ['remittance_id', 'int'], ['group_code', 'text'], ['reason_code', 'text'], ['amount_cents', 'int'], ['quantity', 'int'], ['denial', 'boolean'], ['adjusted_on', 'date']], adjustments);
  await insertJson(tx, 'denials', [['claim_id', 'int'], ['claim_line_id', 'int'], ['remittance_id', 'int'], ['group_code', 'text'], ['carc_code', 'text'], ['rarc_codes', 'text[]'], ['amount_cents', 'int'], ['denied_on', 'date']], denials);
  await insertJson(tx, 'remittance_unmatched', [['remittance_id', 'int'], ['level', 'text'], ['patient_control_number', 'text'], ['claim_id', 'int'], ['reason', 'text'], ['claim_status_code', 'text'], ['payer_claim_control_number', 'text'], ['billed_cents', 'int'], ['paid_cents', 'int']], unmatched);
  // PLB: linked to the payer's claim its reference names (our claim number or the payer's), when one does.
  const references = payment.providerAdjustments.map((p) => p.reference).filter((r): r is string => Boolean(r));
  // The payer's claim numbers are stored at the end of the file: those of its earlier payments count as stored.
  const pendingNamed = [...earlierNumbers].filter(([, pccn]) => references.includes(pccn)).map(([id]) => id);
  const referenced = payer && references.length
    ? (await queryRows<{ id: number; pcn: string; pccn: string | null }>(
        tx,
        sql`select id, patient_control_number as pcn, payer_claim_control_number as pccn from claims
            where payer_id = ${payer.id} and (patient_control_number = any(${textArray(references)}) or payer_claim_control_number = any(${textArray(references)})
                                           or id = any(${idArray(pendingNamed)}))`,
      )).map((r) => ({ ...r, pccn: earlierNumbers.get(r.id) ?? r.pccn }))
    : [];
  await insertJson(
    tx,
    'provider_adjustments',
    [['remittance_id', 'int'], ['claim_id', 'int'], ['provider_identifier', 'text'], ['fiscal_period_date', 'date'], ['reason_code', 'text'], ['reference', 'text'], ['amount_cents', 'int']],
    payment.providerAdjustments.map((p) => {
      const named = p.reference ? referenced.filter((r) => r.pcn === p.reference || r.pccn === p.reference) : [];
      return { remittance_id: remittanceId, claim_id: named.length === 1 ? named[0]!.id : null, provider_identifier: p.providerIdentifier, fiscal_period_date: p.fiscalPeriodDate, reason_code: p.reasonCode, reference: p.reference, amount_cents: p.amountCents };
    }),
  );
  result.payments += payments.length;
  result.adjustments += adjustments.length;
  result.denials += denials.length;
  result.providerAdjustments += payment.providerAdjustments.length;
  await recordAudit(tx, actor, {
    action: 'post-835', entity: 'remittances', entityId: remittanceId,
    details: { claimsPosted, claimsUnmatched: unmatched.length, payments: payments.length, adjustments: adjustments.length, denials: denials.length, providerAdjustments: payment.providerAdjustments.length },
  });
  const [posted] = await queryRows<{ posted_on: string }>(tx, sql`select (imported_at at time zone ${options.timeZone})::date::text as posted_on from remittances where id = ${remittanceId}`);
  return { ...summary, remittanceId, alreadyPosted: false, postedOn: posted!.posted_on, claimsPosted, claimsUnmatched: unmatched.length };
}
