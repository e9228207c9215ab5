// Learning from denials: the same CARC for a payer and procedure on several claims is a pattern a
// claim edit can catch before the next claim is sent. A missing or wrong modifier (CARC 4) proposes the
// modifier the payer paid that procedure with (25 on an E/M visit when none was paid yet); a diagnosis
// that does not support the procedure (CARC 11, 50, 167) proposes the diagnoses the payer paid it with.
// A biller accepts a proposal; it is stored as data (learned_claim_edits) that the scrubber's
// DENIAL_RULE edit reads, so the next such claim is held with the reason.
import { sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows, textArray } from '../db/query.js';
import { learnedClaimEdits } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { NotFoundError } from '../errors.js';

const MODIFIER_CARCS = new Set(['4']);
const DIAGNOSIS_CARCS = new Set(['11', '50', '167']);

export interface DenialEditSuggestion {
  /** What `claims denials --accept` takes: payer id, procedure and kind. */
  key: string;
  payerId: number;
  payerCode: string;
  payer: string;
  procedureCode: string;
  carcCode: string;
  rarcCodes: string[];
  deniedClaims: number;
  kind: 'modifier' | 'diagnosis';
  modifier: string | null;
  diagnosisCodes: string[];
  /** The edit as the scrubber runs it: the DENIAL_RULE line edit of src/claims/edits.ts, with this rule. */
  edit: { code: 'DENIAL_RULE'; level: 'line'; rule: string };
  accepted: boolean;
}

const isEvaluationAndManagement = (code: string) => /^99[2-4][0-9]{2}$/.test(code) && Number(code) >= 99202 && Number(code) <= 99499;

/** Patterns of at least `minClaims` denied claims (same payer, procedure and CARC), each with the edit proposed. */
export async function suggestDenialEdits(db: DbOrTx, options: { minClaims?: number; since?: string } = {}): Promise<DenialEditSuggestion[]> {
  const minClaims = options.minClaims ?? 3;
  const rows = await queryRows<{ payer_id: number; payer_code: string; payer: string; code: string; carc: string; claim_id: number; rarcs: string[] }>(
    db,
    sql`select c.payer_id, py.payer_id as payer_code, py.name as payer, l.code, d.carc_code as carc, d.claim_id, d.rarc_codes as rarcs
        from denials d join claims c on c.id = d.claim_id join payers py on py.id = c.payer_id
        join claim_lines l on l.claim_id = d.claim_id and (d.claim_line_id is null or l.id = d.claim_line_id)
        where d.carc_code = any(${textArray([...MODIFIER_CARCS, ...DIAGNOSIS_CARCS])})
          ${options.since ? sql`and d.denied_on >= ${options.since}::date` : sql``}`,
  );
  const groups = new Map<string, { payerId: number; payerCode: string; payer: string; code: string; carc: string; claims: Set<number>; rarcs: Set<string> }>();
  for (const r of rows) {
    const k = `${r.payer_id}|${r.code}|${r.carc}`;
    const g = groups.get(k) ?? { payerId: r.payer_id, payerCode: r.payer_code, payer: r.payer, code: r.code, carc: r.carc, claims: new Set(), rarcs: new Set() };
    g.claims.add(r.claim_id);
    for (const x of r.rarcs) g.rarcs.add(x);
    groups.set(k, g);
  }
  const accepted = await queryRows<{ payer_id: number; procedure_code: string; kind: string }>(db, sql`select payer_id, procedure_code, kind from learned_claim_edits where active`);
  const suggestions: DenialEditSuggestion[] = [];
  for (const g of groups.values()) {
    if (g.claims.size < minClaims) continue;
    const kind = MODIFIER_CARCS.has(g.carc) ? 'modifier' : 'diagnosis';
    // What the payer paid this procedure with.
    const paid = await queryRows<{ value: string; n: number }>(
      db,
      kind === 'modifier'
        ? sql`select m as value, count(*)::int as n from claim_lines l join claims c on c.id = l.claim_id cross join lateral unnest(l.modifiers) m
              where c.payer_id = ${g.payerId} and l.code = ${g.code} and l.paid_cents > 0 group by m order by count(*) desc, m`
        : sql`select d.code as value, count(*)::int as n from claim_lines l join claims c on c.id = l.claim_id
              join claim_diagnoses d on d.claim_id = l.claim_id and d.position = any(l.diagnosis_pointers)
              where c.payer_id = ${g.payerId} and l.code = ${g.code} and l.paid_cents > 0 group by d.code order by count(*) desc, d.code`,
    );
    const modifier = kind === 'modifier' ? (paid[0]?.value ?? (isEvaluationAndManagement(g.code) ? '25' : null)) : null;
    const diagnosisCodes = kind === 'diagnosis' ? paid.map((p) => p.value) : [];
    if (kind === 'modifier' ? !modifier : diagnosisCodes.length === 0) continue;
    const rule = kind === 'modifier'
      ? `${g.code} billed to ${g.payer} must carry modifier ${modifier}`
      : `${g.code} billed to ${g.payer} must point at one of ${diagnosisCodes.join(', ')}`;
    suggestions.push({
      key: `${g.payerCode}:${g.code}:${kind}`, payerId: g.payerId, payerCode: g.payerCode, payer: g.payer, procedureCode: g.code, carcCode: g.carc,
      rarcCodes: [...g.rarcs].sort(), deniedClaims: g.claims.size, kind, modifier, diagnosisCodes,
      edit: { code: 'DENIAL_RULE', level: 'line', rule },
      accepted: accepted.some((a) => a.payer_id === g.payerId && a.procedure_code === g.code && a.kind === kind),
    });
  }
  return suggestions.sort((a, b) => b.deniedClaims - a.deniedClaims || a.key.localeCompare(b.key));
}

/** Accepts a suggestion: from now on the scrubber holds claims that break it. */
export async function acceptDenialEdit(db: Db, actor: AuditActor, key: string, options: { minClaims?: number; since?: string } = {}): Promise<DenialEditSuggestion> {
  return db.transaction(async (tx) => {
    const suggestion = (await suggestDenialEdits(tx, options)).find((s) => s.key === key);
    if (!suggestion) throw new NotFoundError(`The suggestion "${key}"`, 'See the suggestions with "practice claims denials --suggest".');
    const values = {
      payerId: suggestion.payerId, procedureCode: suggestion.procedureCode, kind: suggestion.kind, modifier: suggestion.modifier, diagnosisCodes: suggestion.diagnosisCodes,
      carcCode: suggestion.carcCode, rarcCodes: suggestion.rarcCodes, deniedClaims: suggestion.deniedClaims, active: true, acceptedBy: actor.actor,
    };
    const [row] = await tx
      .insert(learnedClaimEdits)
      .values(values)
      .onConflictDoUpdate({ target: [learnedClaimEdits.payerId, learnedClaimEdits.procedureCode, learnedClaimEdits.kind], set: { ...values, updatedAt: new Date() } })
      .returning({ id: learnedClaimEdits.id });
    await recordAudit(tx, actor, { action: 'accept', entity: 'learned_claim_edits', entityId: row!.id, details: { key, deniedClaims: suggestion.deniedClaims } });
    return { ...suggestion, accepted: true };
  });
}
