// Posts an ERA: payments per line (or per claim when the payer sent no lines), CAS adjustments,
// denials with their CARC and RARCs, PLB provider adjustments. Claims are matched on CLP01 (our
// CLM01), lines on REF*6R, else on code + date + charge. What matches nothing is stored and
// reported, never dropped. The file's hash makes a second import of the same file post nothing.
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { remittances } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { parseRemittance, type EraAdjustment, type EraClaim, type EraLine } from './era.js';
import { lineControlNumber } from './export-837p.js';

export interface PostResult {
  remittanceId: number | null;
  alreadyPosted: boolean;
  traceNumber: string | null;
  totalPaidCents: number;
  claimsMatched: number;
  linesMatched: number;
  payments: number;
  adjustments: number;
  denials: number;
  providerAdjustments: number;
  unmatched: { level: 'claim' | 'line'; patientControlNumber: string; lineControlNumber: string | null; paidCents: number }[];
  /** Lines matched without REF*6R: what was assumed. */
  assumed: string[];
}

type OurLine = {
  id: number;
  claim_id: number;
  line_number: number;
  code: string;
  service_date: string;
  charge_cents: number;
};

const DENIAL_GROUPS = new Set(['CO', 'PI', 'OA']);
const CLAIM_DENIED = '4';

/** Inserts rows in one statement: the rows travel as one JSON parameter, whatever their number. */
async function insertJson(db: DbOrTx, table: string, columns: [string, string][], rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const names = sql.join(columns.map(([name]) => sql.identifier(name)), sql`, `);
  // Column types are constants of this module, never input.
  const types = sql.join(columns.map(([name, type]) => sql`${sql.identifier(name)} ${sql.raw(type)}`), sql`, `);
  await db.execute(sql`insert into ${sql.identifier(table)} (${names}) select ${names} from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(${types})`);
}

function findLine(claim: EraClaim, pcn: string, era: EraLine, ours: OurLine[], taken: Set<number>, assumed: string[]): OurLine | undefined {
  if (era.lineControlNumber) {
    const exact = ours.find((l) => lineControlNumber(pcn, l.line_number) === era.lineControlNumber);
    if (exact) return exact;
  }
  const candidates = ours.filter((l) => !taken.has(l.id) && l.code === era.code);
  const best =
    candidates.find((l) => (!era.serviceDate || l.service_date === era.serviceDate) && l.charge_cents === era.billedCents) ??
    (candidates.length === 1 ? candidates[0] : undefined);
  if (best) assumed.push(`Claim ${claim.patientControlNumber}: a ${era.code} payment was matched to line ${best.line_number} by code${best.charge_cents === era.billedCents ? ', date and charge' : ' only'}.`);
  return best;
}

const sum = (list: EraAdjustment[], pick: (a: EraAdjustment) => boolean = () => true) => list.filter(pick).reduce((s, a) => s + a.amountCents, 0);

export async function postRemittance(db: Db, actor: AuditActor, text: string, options: { fileName?: string; today: string }): Promise<PostResult> {
  const era = parseRemittance(text);
  const sha = createHash('sha256').update(text).digest('hex');
  const result: PostResult = {
    remittanceId: null, alreadyPosted: false, traceNumber: era.traceNumber, totalPaidCents: era.totalPaidCents,
    claimsMatched: 0, linesMatched: 0, payments: 0, adjustments: 0, denials: 0, providerAdjustments: era.providerAdjustments.length, unmatched: [], assumed: [],
  };
  return db.transaction(async (tx) => {
    const [payer] = await queryRows<{ id: number }>(tx, sql`select id from payers where payer_id = ${era.payerIdentifier ?? ''} or (name = ${era.payerName ?? ''}) order by (payer_id = ${era.payerIdentifier ?? ''}) desc limit 1`);
    const inserted = await tx
      .insert(remittances)
      .values({
        fileSha256: sha, fileName: options.fileName, payerName: era.payerName, payerIdentifier: era.payerIdentifier, payerId: payer?.id ?? null,
        traceNumber: era.traceNumber, paymentMethod: era.paymentMethod, paymentDate: era.paymentDate, totalPaidCents: era.totalPaidCents,
      })
      .onConflictDoNothing({ target: remittances.fileSha256 })
      .returning({ id: remittances.id });
    if (inserted.length === 0) return { ...result, alreadyPosted: true, providerAdjustments: 0 };
    const remittanceId = inserted[0]!.id;
    result.remittanceId = remittanceId;
    const paidOn = era.paymentDate ?? options.today;

    const pcns = [...new Set(era.claims.map((c) => c.patientControlNumber))];
    const claimRows = await queryRows<{ id: number; patient_control_number: string; payer_id: number }>(
      tx,
      sql`select id, patient_control_number, payer_id from claims where patient_control_number in (select jsonb_array_elements_text(${JSON.stringify(pcns)}::jsonb))`,
    );
    const claimByPcn = new Map(claimRows.map((c) => [c.patient_control_number, c]));
    const lineRows = await queryRows<OurLine>(
      tx,
      sql`select id, claim_id, line_number, code, service_date::text as service_date, charge_cents from claim_lines
          where claim_id in (select (jsonb_array_elements_text(${JSON.stringify(claimRows.map((c) => c.id))}::jsonb))::int) order by claim_id, line_number`,
    );
    const linesByClaim = new Map<number, OurLine[]>();
    for (const l of lineRows) linesByClaim.set(l.claim_id, [...(linesByClaim.get(l.claim_id) ?? []), l]);

    const payments: Record<string, unknown>[] = [];
    const adjustments: Record<string, unknown>[] = [];
    const denials: Record<string, unknown>[] = [];
    const unmatched: Record<string, unknown>[] = [];
    const claimUpdates = new Map<number, { paid: number; patient: number; adjusted: number; denied: boolean; partial: boolean; pccn: string | null }>();
    const lineUpdates = new Map<number, { paid: number; status: string }>();
    const base = { remittance_id: remittanceId };

    for (const c of era.claims) {
      const ours = claimByPcn.get(c.patientControlNumber);
      if (!ours) {
        unmatched.push({ ...base, level: 'claim', patient_control_number: c.patientControlNumber, claim_status_code: c.statusCode, payer_claim_control_number: c.payerClaimControlNumber, billed_cents: c.billedCents, paid_cents: c.paidCents });
        result.unmatched.push({ level: 'claim', patientControlNumber: c.patientControlNumber, lineControlNumber: null, paidCents: c.paidCents });
        continue;
      }
      result.claimsMatched++;
      const claimBase = { ...base, claim_id: ours.id };
      const allCas = [...c.adjustments, ...c.lines.flatMap((l) => l.adjustments)];
      const update = claimUpdates.get(ours.id) ?? { paid: 0, patient: 0, adjusted: 0, denied: false, partial: false, pccn: null };
      update.paid += c.paidCents;
      update.patient += c.patientResponsibilityCents;
      update.adjusted += sum(allCas, (a) => a.group !== 'PR');
      update.pccn = c.payerClaimControlNumber ?? update.pccn;
      for (const a of c.adjustments) adjustments.push({ ...claimBase, claim_line_id: null, group_code: a.group, reason_code: a.reason, amount_cents: a.amountCents, quantity: a.quantity, adjusted_on: paidOn });
      if (c.statusCode === CLAIM_DENIED) {
        update.denied = true;
        const carc = allCas.find((a) => DENIAL_GROUPS.has(a.group)) ?? allCas[0];
        denials.push({ ...claimBase, claim_line_id: null, group_code: carc?.group ?? null, carc_code: carc?.reason ?? 'NONE', rarc_codes: [...new Set([...c.remarks, ...c.lines.flatMap((l) => l.remarks)])], amount_cents: c.billedCents, denied_on: paidOn });
      }
      if (c.lines.length === 0 && c.paidCents !== 0) payments.push({ ...claimBase, claim_line_id: null, amount_cents: c.paidCents });
      const taken = new Set<number>();
      for (const l of c.lines) {
        const line = findLine(c, c.patientControlNumber, l, linesByClaim.get(ours.id) ?? [], taken, result.assumed);
        if (!line) {
          unmatched.push({ ...claimBase, level: 'line', patient_control_number: c.patientControlNumber, line_control_number: l.lineControlNumber, procedure_code: l.code, claim_status_code: c.statusCode, billed_cents: l.billedCents, paid_cents: l.paidCents });
          result.unmatched.push({ level: 'line', patientControlNumber: c.patientControlNumber, lineControlNumber: l.lineControlNumber, paidCents: l.paidCents });
        } else {
          taken.add(line.id);
          result.linesMatched++;
        }
        const lineId = line?.id ?? null;
        if (l.paidCents !== 0) payments.push({ ...claimBase, claim_line_id: lineId, amount_cents: l.paidCents });
        for (const a of l.adjustments) adjustments.push({ ...claimBase, claim_line_id: lineId, group_code: a.group, reason_code: a.reason, amount_cents: a.amountCents, quantity: a.quantity, adjusted_on: paidOn });
        const lineDenied = l.paidCents === 0 && l.adjustments.some((a) => a.group === 'CO' || a.group === 'PI');
        if (lineDenied && c.statusCode !== CLAIM_DENIED) {
          update.partial = true;
          const carc = l.adjustments.find((a) => a.group === 'CO' || a.group === 'PI')!;
          denials.push({ ...claimBase, claim_line_id: lineId, group_code: carc.group, carc_code: carc.reason, rarc_codes: l.remarks, amount_cents: l.billedCents, denied_on: paidOn });
        }
        if (line) {
          const prev = lineUpdates.get(line.id) ?? { paid: 0, status: 'paid' };
          prev.paid += l.paidCents;
          prev.status = lineDenied || c.statusCode === CLAIM_DENIED ? 'denied' : l.adjustments.length ? 'adjusted' : 'paid';
          lineUpdates.set(line.id, prev);
        }
      }
      claimUpdates.set(ours.id, update);
    }

    const common = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, paid_on: paidOn, method: era.paymentMethod, reference: era.traceNumber, payer_id: payer?.id ?? null, source: 'payer' }));
    await insertJson(tx, 'payments', [['claim_id', 'int'], ['claim_line_id', 'int'], ['remittance_id', 'int'], ['payer_id', 'int'], ['source', 'text'], ['amount_cents', 'int'], ['paid_on', 'date'], ['method', 'text'], ['reference', 'text']], common(payments));
    await insertJson(tx, 'adjustments', [['claim_id', 'int'], ['claim_line_id', 'int'], ['remittance_id', 'int'], ['group_code', 'text'], ['reason_code', 'text'], ['amount_cents', 'int'], ['quantity', 'int'], ['adjusted_on', 'date']], adjustments);
    await insertJson(tx, 'denials', [['claim_id', 'int'], ['claim_line_id', 'int'], ['remittance_id', 'int'], ['group_code', 'text'], ['carc_code', 'text'], ['rarc_codes', 'text[]'], ['amount_cents', 'int'], ['denied_on', 'date']], denials);
    await insertJson(tx, 'remittance_unmatched', [['remittance_id', 'int'], ['level', 'text'], ['patient_control_number', 'text'], ['line_control_number', 'text'], ['procedure_code', 'text'], ['claim_status_code', 'text'], ['payer_claim_control_number', 'text'], ['billed_cents', 'int'], ['paid_cents', 'int']], unmatched);
    await insertJson(
      tx,
      'provider_adjustments',
      [['remittance_id', 'int'], ['provider_identifier', 'text'], ['fiscal_period_date', 'date'], ['reason_code', 'text'], ['reference', 'text'], ['amount_cents', 'int']],
      era.providerAdjustments.map((p) => ({ remittance_id: remittanceId, provider_identifier: p.providerIdentifier, fiscal_period_date: p.fiscalPeriodDate, reason_code: p.reasonCode, reference: p.reference, amount_cents: p.amountCents })),
    );
    if (lineUpdates.size) {
      const rows = [...lineUpdates].map(([id, u]) => ({ id, paid: u.paid, status: u.status }));
      await tx.execute(sql`update claim_lines l set paid_cents = l.paid_cents + x.paid, status = x.status
                           from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id int, paid int, status text) where l.id = x.id`);
    }
    if (claimUpdates.size) {
      const rows = [...claimUpdates].map(([id, u]) => ({ id, paid: u.paid, patient: u.patient, adjusted: u.adjusted, denied: u.denied, partial: u.partial, pccn: u.pccn }));
      await tx.execute(sql`
        update claims c set paid_cents = c.paid_cents + x.paid,
               patient_responsibility_cents = c.patient_responsibility_cents + x.patient,
               adjusted_cents = c.adjusted_cents + x.adjusted,
               payer_claim_control_number = coalesce(x.pccn, c.payer_claim_control_number),
               status = case when x.denied then 'denied' when x.partial then 'partial' else 'paid' end,
               adjudicated_at = now(), updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id int, paid int, patient int, adjusted int, denied boolean, partial boolean, pccn text)
        where c.id = x.id`);
    }
    result.payments = payments.length;
    result.adjustments = adjustments.length;
    result.denials = denials.length;
    await recordAudit(tx, actor, {
      action: 'post-835', entity: 'remittances', entityId: remittanceId,
      details: { claimsMatched: result.claimsMatched, linesMatched: result.linesMatched, payments: result.payments, adjustments: result.adjustments, denials: result.denials, unmatched: result.unmatched.length, providerAdjustments: result.providerAdjustments },
    });
    return result;
  });
}
