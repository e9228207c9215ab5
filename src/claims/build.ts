// Groups unbilled charges into claims: one per encounter (or per visit day when a charge has no
// encounter), patient, rendering provider and the primary coverage's payer in force on the service
// date; at most 50 lines per claim, longer groups are split. One set-based statement does it all.
import { sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import type { Db, DbOrTx } from '../db/types.js';
import { inTransaction } from './transaction.js';

export const MAX_LINES_PER_CLAIM = 50;

export interface BuildOptions {
  /** Only charges on or after this service date (YYYY-MM-DD). */
  since?: string;
  dryRun?: boolean;
}

export interface BuildResult {
  claims: number;
  lines: number;
  diagnoses: number;
  /** Unbilled charges left alone because the patient has no active coverage on the service date. */
  withoutCoverage: number;
  firstClaimId: number | null;
  lastClaimId: number | null;
}

const sinceFilter = (since: string | undefined) => (since ? sql`and ch.service_date >= ${since}::date` : sql``);

/** The primary coverage in force on the charge's date: lowest priority number first. */
const primaryCoverage = sql`
  select c.id, c.payer_id from coverages c
  where c.patient_id = ch.patient_id and c.active
    and (c.effective_from is null or c.effective_from <= ch.service_date)
    and (c.effective_to is null or c.effective_to >= ch.service_date)
  order by c.priority, c.id limit 1`;

async function buildIn(tx: DbOrTx, options: BuildOptions): Promise<BuildResult> {
  const [row] = await queryRows<{ claims: number; lines: number; diagnoses: number; first_id: number | null; last_id: number | null }>(
    tx,
    sql`
    with candidate as (
      select ch.id as charge_id, ch.patient_id, ch.encounter_id,
             coalesce(ch.provider_id, e.provider_id) as provider_id,
             coalesce(ch.location_id, e.location_id) as location_id,
             ch.service_date, ch.code_system, ch.code, ch.modifiers, ch.units, ch.amount_cents,
             ch.diagnosis_pointers[1:4] as pointers,
             coalesce(ch.place_of_service, l.place_of_service) as place_of_service, ch.ndc_code,
             cov.id as coverage_id, cov.payer_id,
             case when ch.encounter_id is null then ch.service_date end as loose_date
      from charges ch
      left join encounters e on e.id = ch.encounter_id
      left join locations l on l.id = coalesce(ch.location_id, e.location_id)
      join lateral (${primaryCoverage}) cov on true
      where ch.status = 'unbilled' ${sinceFilter(options.since)}
    ),
    numbered as (
      select *, row_number() over (
        partition by patient_id, encounter_id, loose_date, provider_id, payer_id, coverage_id
        order by service_date, charge_id) as seq
      from candidate
    ),
    parted as (
      select *, (seq - 1) / ${MAX_LINES_PER_CLAIM} as part, (seq - 1) % ${MAX_LINES_PER_CLAIM} + 1 as line_number,
             dense_rank() over (order by patient_id, encounter_id, loose_date, provider_id, payer_id, coverage_id, (seq - 1) / ${MAX_LINES_PER_CLAIM}) as grp
      from numbered
    ),
    grouped as (
      select grp, min(patient_id) as patient_id, min(encounter_id) as encounter_id, min(provider_id) as provider_id,
             min(payer_id) as payer_id, min(coverage_id) as coverage_id, min(location_id) as location_id,
             min(service_date) as date_from, max(service_date) as date_to, sum(amount_cents)::int as total_cents,
             nextval((select pg_get_serial_sequence('claims', 'id'))::regclass)::int as claim_id
      from parted group by grp
    ),
    new_claims as (
      insert into claims (id, patient_control_number, patient_id, encounter_id, coverage_id, payer_id,
                          rendering_provider_id, location_id, service_date_from, service_date_to, total_cents, status)
      select claim_id, 'PK' || lpad(claim_id::text, 9, '0'), patient_id, encounter_id, coverage_id, payer_id,
             provider_id, location_id, date_from, date_to, total_cents, 'ready'
      from grouped
      returning id
    ),
    new_lines as (
      insert into claim_lines (claim_id, charge_id, line_number, code_system, code, modifiers, units, charge_cents,
                               diagnosis_pointers, service_date, place_of_service, ndc_code)
      select g.claim_id, p.charge_id, p.line_number, p.code_system, p.code, p.modifiers, p.units, p.amount_cents,
             p.pointers, p.service_date, p.place_of_service, p.ndc_code
      from parted p join grouped g using (grp)
      returning 1
    ),
    new_diagnoses as (
      insert into claim_diagnoses (claim_id, position, code_system, code)
      select g.claim_id, d.position, d.code_system, d.code
      from grouped g join encounter_diagnoses d on d.encounter_id = g.encounter_id
      returning 1
    ),
    billed as (
      update charges set status = 'billed', updated_at = now()
      where id in (select charge_id from parted)
      returning 1
    )
    select (select count(*)::int from new_claims) as claims,
           (select count(*)::int from new_lines) as lines,
           (select count(*)::int from new_diagnoses) as diagnoses,
           (select min(id) from new_claims) as first_id,
           (select max(id) from new_claims) as last_id,
           (select count(*)::int from billed) as billed`,
  );
  const [uncovered] = await queryRows<{ n: number }>(
    tx,
    sql`select count(*)::int as n from charges ch
        where ch.status = 'unbilled' ${sinceFilter(options.since)} and not exists (${primaryCoverage})`,
  );
  return {
    claims: row!.claims,
    lines: row!.lines,
    diagnoses: row!.diagnoses,
    withoutCoverage: uncovered!.n,
    firstClaimId: row!.first_id,
    lastClaimId: row!.last_id,
  };
}

export async function buildClaims(db: Db, actor: AuditActor, options: BuildOptions = {}): Promise<BuildResult> {
  return inTransaction(db, options.dryRun ?? false, async (tx) => {
    const result = await buildIn(tx, options);
    if (result.claims > 0) {
      await recordAudit(tx, actor, {
        action: 'build',
        entity: 'claims',
        details: { claims: result.claims, lines: result.lines, firstClaimId: result.firstClaimId, lastClaimId: result.lastClaimId },
      });
    }
    return result;
  });
}
