// Groups unbilled charges into claims: one per encounter (or per visit day when a charge has no
// encounter), patient, rendering provider and the primary coverage's payer in force on the service
// date; at most 50 lines per claim, longer groups are split. One set-based statement does it all.
// Then the next payer: a claim the payer has adjudicated (835 posted) that leaves patient
// responsibility, for a patient with a further coverage in force on the date of service, is copied
// into a claim to that coverage (secondary, then tertiary), linked to the adjudicated claim so the
// 837P carries its payments and adjustments (loops 2320/2330/2430). Each claim is passed on once.
import { sql, type SQL } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { waitForPracticeLock } from '../db/advisory.js';
import type { Db, DbOrTx } from '../db/types.js';
import { planThenApply } from '../db/transaction.js';

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
  /** Claims to the next payer (secondary or tertiary) built from adjudicated claims. */
  secondaryClaims: number;
  firstClaimId: number | null;
  lastClaimId: number | null;
}

const sinceFilter = (since: string | undefined, column = sql`ch.service_date`) => (since ? sql`and ${column} >= ${since}::date` : sql``);

/** The NDC details travel with the line from charge to claim, and from claim to the next payer's claim. */
const NDC_COLUMNS = sql`ndc_code, ndc_quantity, ndc_unit, ndc_reference_qualifier, ndc_reference`;

/**
 * Two CTEs (copied_lines, copied_diagnoses) that copy the lines and diagnoses of claims into new
 * claims; pairs is a relation of (source_id, target_id). Corrected, void and next-payer claims bill
 * exactly the lines of the claim they come from.
 */
export function copyLinesAndDiagnoses(pairs: SQL): SQL {
  const columns = sql`charge_id, line_number, code_system, code, modifiers, units, charge_cents, diagnosis_pointers, service_date, place_of_service, ${NDC_COLUMNS}`;
  return sql`
    copied_lines as (
      insert into claim_lines (claim_id, ${columns})
      select p.target_id, ${columns} from ${pairs} join claim_lines l on l.claim_id = p.source_id
      order by p.target_id, l.line_number
      returning 1
    ),
    copied_diagnoses as (
      insert into claim_diagnoses (claim_id, position, code_system, code)
      select p.target_id, d.position, d.code_system, d.code from ${pairs} join claim_diagnoses d on d.claim_id = p.source_id
      order by p.target_id, d.position
      returning 1
    )`;
}

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
             -- The line's own pointers; none given: the visit's first four diagnoses.
             case when cardinality(ch.diagnosis_pointers) > 0 then ch.diagnosis_pointers
                  else coalesce((select array_agg(d.position order by d.position) from (
                         select position from encounter_diagnoses where encounter_id = ch.encounter_id order by position limit 4) d), '{}') end as pointers,
             coalesce(ch.place_of_service, l.place_of_service) as place_of_service,
             ch.ndc_code, ch.ndc_quantity, ch.ndc_unit, ch.ndc_reference_qualifier, ch.ndc_reference,
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
    -- Claim numbers in group order: taken straight after a grouping, they would follow whatever order the
    -- plan aggregates in (a hash on one server, a sort on another), and the same charges would get other numbers.
    grouped as (
      select g.*, nextval((select pg_get_serial_sequence('claims', 'id'))::regclass)::int as claim_id
      from (
        select grp, min(patient_id) as patient_id, min(encounter_id) as encounter_id, min(provider_id) as provider_id,
               min(payer_id) as payer_id, min(coverage_id) as coverage_id, min(location_id) as location_id,
               min(service_date) as date_from, max(service_date) as date_to, sum(amount_cents)::int as total_cents
        from parted group by grp order by grp
      ) g
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
                               diagnosis_pointers, service_date, place_of_service, ${NDC_COLUMNS})
      select g.claim_id, p.charge_id, p.line_number, p.code_system, p.code, p.modifiers, p.units, p.amount_cents,
             p.pointers, p.service_date, p.place_of_service, p.ndc_code, p.ndc_quantity, p.ndc_unit, p.ndc_reference_qualifier, p.ndc_reference
      from parted p join grouped g using (grp)
      -- Line and diagnosis ids in claim order too, for the same reason.
      order by g.claim_id, p.line_number
      returning 1
    ),
    new_diagnoses as (
      insert into claim_diagnoses (claim_id, position, code_system, code)
      select g.claim_id, d.position, d.code_system, d.code
      from grouped g join encounter_diagnoses d on d.encounter_id = g.encounter_id
      order by g.claim_id, d.position
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
    secondaryClaims: await buildNextPayerClaims(tx, options),
    firstClaimId: row!.first_id,
    lastClaimId: row!.last_id,
  };
}

/**
 * Claims to the next coverage in order, from adjudicated claims with patient responsibility left.
 * A claim that was replaced or voided hands over to its replacement; a claim already passed on (or
 * whose original was) is skipped, and claims_previous_payer_uq makes a second copy impossible.
 */
async function buildNextPayerClaims(tx: DbOrTx, options: BuildOptions): Promise<number> {
  const [row] = await queryRows<{ claims: number }>(
    tx,
    sql`
    with eligible as (
      -- Numbered in the adjudicated claims' order, whatever order the plan finds them in.
      select e.*, nextval((select pg_get_serial_sequence('claims', 'id'))::regclass)::int as claim_id from (
      select c.id as previous_id, nxt.id as coverage_id, nxt.payer_id
      from claims c
      join coverages cur on cur.id = c.coverage_id
      join lateral (
        select n.id, n.payer_id from coverages n
        where n.patient_id = c.patient_id and n.active and n.id <> c.coverage_id and n.priority > cur.priority
          and (n.effective_from is null or n.effective_from <= c.service_date_from)
          and (n.effective_to is null or n.effective_to >= c.service_date_from)
        order by n.priority, n.id limit 1) nxt on true
      where c.status in ('paid', 'partial', 'denied') and c.frequency_code in ('1', '7')
        and c.patient_responsibility_cents > 0
        and not exists (select 1 from claims r where r.original_claim_id = c.id)
        -- Two probes of claims_previous_payer_idx: one "a or b" test scanned every claim for every claim.
        and not exists (select 1 from claims s where s.previous_payer_claim_id = c.id)
        and not exists (select 1 from claims s where s.previous_payer_claim_id = c.original_claim_id)
        ${sinceFilter(options.since, sql`c.service_date_from`)}
      order by c.id) e
    ),
    new_claims as (
      insert into claims (id, patient_control_number, patient_id, encounter_id, coverage_id, payer_id, rendering_provider_id,
                          location_id, previous_payer_claim_id, service_date_from, service_date_to, total_cents,
                          provider_signature_on_file, assignment_code, benefits_assigned, release_of_information, status)
      select e.claim_id, 'PK' || lpad(e.claim_id::text, 9, '0'), c.patient_id, c.encounter_id, e.coverage_id, e.payer_id,
             c.rendering_provider_id, c.location_id, c.id, c.service_date_from, c.service_date_to, c.total_cents,
             c.provider_signature_on_file, c.assignment_code, c.benefits_assigned, c.release_of_information, 'ready'
      from eligible e join claims c on c.id = e.previous_id
      returning id
    ),
    ${copyLinesAndDiagnoses(sql`(select previous_id as source_id, claim_id as target_id from eligible) p`)}
    select (select count(*)::int from new_claims) as claims,
           (select count(*)::int from copied_lines) + (select count(*)::int from copied_diagnoses) as copied`,
  );
  return row!.claims;
}

export async function buildClaims(db: Db, actor: AuditActor, options: BuildOptions = {}): Promise<BuildResult> {
  return planThenApply(db, Boolean(options.dryRun), async (tx) => {
    // Two builds at once (cron and a biller) must not both take the same unbilled charges: the second
    // waits, then sees them billed.
    await waitForPracticeLock(tx, 'claims-build');
    const result = await buildIn(tx, options);
    if (result.claims > 0 || result.secondaryClaims > 0) {
      // Fresh statistics for the rows just written: planned on stale ones (a few claims), the check and
      // the export that follow loop over thousands of claims row by row instead of hashing them.
      if (!options.dryRun) await tx.execute(sql`analyze claims, claim_lines, claim_diagnoses, charges`);
      await recordAudit(tx, actor, {
        action: 'build',
        entity: 'claims',
        details: { claims: result.claims, lines: result.lines, secondaryClaims: result.secondaryClaims, firstClaimId: result.firstClaimId, lastClaimId: result.lastClaimId },
      });
    }
    return result;
  });
}
