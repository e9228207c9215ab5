// The scrubber: pre-submission edits as data. Each edit has a stable code, a plain message and the
// SQL condition under which a claim (or one of its lines) fails it. All edits are compiled into one
// set-based query over the claims in scope, so every failure of every claim is found in one pass.
// Code forms (NPI check digit, ICD-10-CM, CPT/HCPCS, modifiers) are checked with src/codes on the
// distinct values in scope, and the SQL compares against the short list of bad ones.
import { sql, type SQL } from 'drizzle-orm';
import { isBillableIcd10 } from '../codes/code-lists.js';
import { isIcd10Form } from '../codes/icd10.js';
import { normalizeNdc } from '../codes/ndc.js';
import { PAYER_ID_PATTERN } from '../codes/payer-id.js';
import { isValidNpi } from '../codes/npi.js';
import { isModifier, procedureCodeSystem } from '../codes/procedure-codes.js';
import { CodeSystem } from '../codes/systems.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { idArray, queryRows } from '../db/query.js';
import type { Db, DbOrTx } from '../db/types.js';
import { CLAIM_FILING_INDICATORS, PLACES_OF_SERVICE } from '../practice/code-lists.js';
import { adjudicationDate } from './cob.js';
import { currentFingerprints } from './render-837p.js';

/** ICD-10-CM replaced ICD-9-CM for services on and after this date. */
export const ICD10_EFFECTIVE = '2015-10-01';

// IRS campus prefixes never assigned to an EIN.
const INVALID_EIN_PREFIXES = ['00', '07', '08', '09', '17', '18', '19', '28', '29', '49', '69', '70', '78', '79', '89', '96', '97'];

/** Lists of values the code validators rejected, and today's date, for the edits to compare against. */
export interface EditInputs {
  today: string;
  badNpis: SQL;
  badDiagnoses: SQL;
  /** Well-formed codes that are category headers in the ICD-10-CM list. */
  headerDiagnoses: SQL;
  badProcedures: SQL;
  badModifiers: SQL;
  badNdcs: SQL;
  /** Claims with an open rejection that are still exactly as they were sent (int[]). */
  unchangedRejections: SQL;
}

export interface ClaimEdit {
  code: string;
  /** claim: evaluated on `cv` (one row per claim); line: on `lv` (one row per claim line). */
  level: 'claim' | 'line';
  message: string;
  fails: (x: EditInputs) => SQL;
}

const textArray = (values: readonly string[]): SQL =>
  values.length === 0 ? sql`'{}'::text[]` : sql`array[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]`;

const POS_CODES = textArray(Object.keys(PLACES_OF_SERVICE));

/** Another coverage of the claim's patient in force on its first date of service (what loop 2320 reports). */
const otherCoverageInForce = sql`o.patient_id = cv.patient_id and o.id <> cv.coverage_id and o.active
  and (o.effective_from is null or o.effective_from <= cv.service_date_from) and (o.effective_to is null or o.effective_to >= cv.service_date_from)`;

/**
 * What the previous payer's 835 says about the same line of the claim it adjudicated: paid plus every
 * CAS amount. Null when that payer gave no line-level detail for it.
 */
const previousLineOutcome = sql`(select pl.paid_cents + coalesce((select sum(a.amount_cents) from adjustments a where a.claim_line_id = pl.id), 0)
  from claim_lines pl where pl.claim_id = lv.previous_payer_claim_id and pl.line_number = lv.line_number and pl.status <> 'open')`;
const FILING_CODES = textArray(Object.keys(CLAIM_FILING_INDICATORS));

export const claimEdits: ClaimEdit[] = [
  { code: 'BILLING_NPI', level: 'claim', message: 'The practice billing NPI is missing or fails its check digit (Luhn with prefix 80840).', fails: (x) => sql`cv.billing_npi is null or cv.billing_npi = any(${x.badNpis})` },
  { code: 'RENDERING_NPI', level: 'claim', message: 'The rendering provider NPI fails its check digit (Luhn with prefix 80840).', fails: (x) => sql`cv.rendering_npi = any(${x.badNpis})` },
  { code: 'BILLING_TIN', level: 'claim', message: 'The practice tax id (EIN) is not 9 digits or has a prefix the IRS never assigns.', fails: () => sql`cv.billing_tin is null or cv.billing_tin !~ '^[0-9]{9}$' or left(cv.billing_tin, 2) = any(${textArray(INVALID_EIN_PREFIXES)})` },
  { code: 'BILLING_ADDRESS', level: 'claim', message: 'The practice billing address needs a street (not a PO box), city and state.', fails: () => sql`coalesce(trim(cv.billing_address1), '') = '' or coalesce(trim(cv.billing_city), '') = '' or cv.billing_state is null or cv.billing_address1 ~* '^\\s*(p\\.?\\s*o\\.?\\s*box|post\\s+office\\s+box)'` },
  { code: 'BILLING_ZIP4', level: 'claim', message: 'The practice billing ZIP code needs all 9 digits (ZIP+4).', fails: () => sql`regexp_replace(coalesce(cv.billing_zip, ''), '[^0-9]', '', 'g') !~ '^[0-9]{9}$'` },
  { code: 'PAYER_ID', level: 'claim', message: 'The payer has no valid payer id (letters and digits, as on the clearinghouse payer list).', fails: () => sql`coalesce(cv.payer_identifier, '') !~ ${PAYER_ID_PATTERN}` },
  { code: 'FILING_INDICATOR', level: 'claim', message: 'The payer claim filing indicator is not an X12 code (CI, MB, MC, BL, HM, 12-17...).', fails: () => sql`not (cv.filing_indicator = any(${FILING_CODES}))` },
  { code: 'SUBSCRIBER_ID', level: 'claim', message: 'The coverage has no subscriber (member) id.', fails: () => sql`coalesce(trim(cv.member_id), '') = ''` },
  { code: 'RELATIONSHIP', level: 'claim', message: 'The patient is not the subscriber, but the subscriber name is missing on the coverage.', fails: () => sql`cv.relationship <> '18' and (coalesce(trim(cv.subscriber_last_name), '') = '' or coalesce(trim(cv.subscriber_first_name), '') = '')` },
  { code: 'PATIENT_DOB', level: 'claim', message: 'The patient date of birth is missing or after the date of service.', fails: () => sql`cv.dob is null or cv.dob > cv.service_date_from` },
  { code: 'PATIENT_SEX', level: 'claim', message: 'The patient sex must be recorded as male or female for the claim.', fails: () => sql`cv.sex not in ('male', 'female')` },
  { code: 'PATIENT_ADDRESS', level: 'claim', message: 'The patient address needs a street, city, state and ZIP code.', fails: () => sql`coalesce(trim(cv.patient_address1), '') = '' or coalesce(trim(cv.patient_city), '') = '' or cv.patient_state is null or coalesce(cv.patient_zip, '') !~ '^[0-9]{5}(-?[0-9]{4})?$'` },
  { code: 'DOS_FUTURE', level: 'claim', message: 'A date of service is in the future.', fails: (x) => sql`cv.service_date_to > ${x.today}::date` },
  {
    code: 'TIMELY_FILING',
    level: 'claim',
    message: "The claim is past the payer's timely filing limit (counted from the date of service, or for a secondary claim from the previous payer's adjudication).",
    // A secondary (or later) claim: the previous payer's adjudication plus this payer's secondary limit; not yet adjudicated: from the service.
    fails: (x) => sql`case when cv.previous_payer_claim_id is null then cv.service_date_from + cv.timely_filing_days
                           else coalesce(cv.previous_adjudicated_on, cv.service_date_from) + coalesce(cv.secondary_timely_filing_days, cv.timely_filing_days) end < ${x.today}::date`,
  },
  { code: 'DX_MISSING', level: 'claim', message: 'The claim has no diagnosis code.', fails: () => sql`cv.dx_count = 0` },
  { code: 'DX_FORM', level: 'claim', message: 'A diagnosis is not a valid ICD-10-CM code form.', fails: (x) => sql`exists (select 1 from claim_diagnoses d where d.claim_id = cv.claim_id and (d.code_system <> ${CodeSystem.icd10cm} or d.code = any(${x.badDiagnoses})))` },
  { code: 'DX_NOT_BILLABLE', level: 'claim', message: 'A diagnosis is an ICD-10-CM category, not a billable code: code it to the full depth (see "practice encounters list").', fails: (x) => sql`exists (select 1 from claim_diagnoses d where d.claim_id = cv.claim_id and d.code = any(${x.headerDiagnoses}))` },
  { code: 'DX_BEFORE_ICD10', level: 'claim', message: `ICD-10-CM codes cannot be billed for services before ${ICD10_EFFECTIVE}.`, fails: () => sql`cv.service_date_from < ${ICD10_EFFECTIVE}::date` },
  { code: 'DX_DUPLICATE', level: 'claim', message: 'The same diagnosis code is listed twice on the claim.', fails: () => sql`exists (select 1 from claim_diagnoses d where d.claim_id = cv.claim_id group by replace(d.code, '.', '') having count(*) > 1)` },
  { code: 'FREQUENCY_REF', level: 'claim', message: "A corrected or void claim needs the payer's claim control number of the original.", fails: () => sql`cv.frequency_code in ('7', '8') and coalesce(trim(cv.payer_claim_control_number), '') = ''` },
  { code: 'CONTROL_NUMBER', level: 'claim', message: 'The claim control number must be 1-20 letters, digits or hyphens.', fails: () => sql`cv.patient_control_number !~ '^[A-Z0-9-]{1,20}$'` },
  { code: 'NO_LINES', level: 'claim', message: 'The claim has no service lines.', fails: () => sql`cv.line_count = 0` },
  { code: 'FACILITY_NPI', level: 'claim', message: 'The service location NPI fails its check digit (Luhn with prefix 80840).', fails: (x) => sql`cv.facility_npi = any(${x.badNpis})` },
  { code: 'COVERAGE_ORDER', level: 'claim', message: 'Another coverage of the patient in force on the date of service has the same priority, so the payer order (primary, secondary) is unclear.', fails: () => sql`exists (select 1 from coverages o where ${otherCoverageInForce} and o.priority = cv.coverage_priority)` },
  { code: 'OTHER_SUBSCRIBER', level: 'claim', message: "Another coverage of the patient (reported to this payer for coordination of benefits) lacks the member id or the subscriber's name.", fails: () => sql`exists (select 1 from coverages o where ${otherCoverageInForce} and (coalesce(trim(o.member_id), '') = '' or (o.relationship <> '18' and (coalesce(trim(o.subscriber_last_name), '') = '' or coalesce(trim(o.subscriber_first_name), '') = ''))))` },
  { code: 'MEDICARE_SECONDARY', level: 'claim', message: 'Medicare is billed after another payer here; the claim needs the Medicare secondary payer type (SBR05), which is not recorded. Bill it through the clearinghouse portal.', fails: () => sql`cv.filing_indicator in ('MA', 'MB') and exists (select 1 from coverages o where ${otherCoverageInForce} and o.priority < cv.coverage_priority)` },
  { code: 'COB_CLAIM_BALANCE', level: 'claim', message: "The claim total does not equal what the previous payer paid plus all its adjustments (CLM02 = AMT*D + CAS).", fails: () => sql`cv.previous_payer_claim_id is not null and cv.total_cents is distinct from (select p.paid_cents + coalesce((select sum(a.amount_cents) from adjustments a where a.claim_id = p.id), 0) from claims p where p.id = cv.previous_payer_claim_id)` },
  { code: 'REJECTED_UNCHANGED', level: 'claim', message: 'The clearinghouse or payer rejected this claim and it has not been changed since: correct what the rejection says ("practice claims show <id>"), or send it again as it is with "practice claims resubmit <id>".', fails: (x) => sql`cv.claim_id = any(${x.unchangedRejections})` },
  { code: 'PROCEDURE_FORM', level: 'line', message: 'The procedure is not a valid CPT or HCPCS code form.', fails: (x) => sql`lv.code_system not in (${CodeSystem.cpt}, ${CodeSystem.hcpcs}) or lv.code = any(${x.badProcedures})` },
  { code: 'MODIFIER', level: 'line', message: 'A modifier is not 2 letters or digits.', fails: (x) => sql`lv.modifiers && ${x.badModifiers}` },
  { code: 'CHARGE', level: 'line', message: 'A service line has no charge (the amount must be above zero).', fails: () => sql`lv.charge_cents <= 0` },
  { code: 'LINE_DOS_FUTURE', level: 'line', message: 'A service line date is in the future.', fails: (x) => sql`lv.service_date > ${x.today}::date` },
  { code: 'POINTER_MISSING', level: 'line', message: 'A service line points at no diagnosis (1 to 4 pointers are needed).', fails: () => sql`cardinality(lv.diagnosis_pointers) = 0 or cardinality(lv.diagnosis_pointers) > 4` },
  { code: 'POINTER_TARGET', level: 'line', message: 'A service line points at a diagnosis position the claim does not have.', fails: () => sql`exists (select 1 from unnest(lv.diagnosis_pointers) p where not exists (select 1 from claim_diagnoses d where d.claim_id = lv.claim_id and d.position = p))` },
  { code: 'COB_LINE_BALANCE', level: 'line', message: "A service line charge does not equal what the previous payer paid on it plus its adjustments (SV102 = SVD02 + CAS).", fails: () => sql`lv.previous_payer_claim_id is not null and exists (select 1 from claim_lines pl where pl.claim_id = lv.previous_payer_claim_id and pl.status <> 'open') and lv.charge_cents is distinct from coalesce(${previousLineOutcome}, 0)` },
  { code: 'NDC_REQUIRED', level: 'line', message: 'This payer wants the drug (NDC, quantity and unit) on every J-code line, and this line has none.', fails: () => sql`lv.ndc_required and lv.code ~ '^J[0-9]{4}$' and lv.ndc_code is null` },
  { code: 'NDC_FORM', level: 'line', message: 'The drug on this line needs an NDC of 11 digits (5-4-2) with the quantity given and its unit.', fails: (x) => sql`lv.ndc_code is not null and (lv.ndc_code = any(${x.badNdcs}) or lv.ndc_quantity is null or lv.ndc_unit is null)` },
  { code: 'PLACE_OF_SERVICE', level: 'line', message: 'The place of service is missing or not a CMS place-of-service code.', fails: () => sql`lv.place_of_service is null or not (lv.place_of_service::text = any(${POS_CODES}))` },
  // Rules a biller accepted from this payer's repeated denials (claims denials --suggest): data, not code.
  { code: 'DENIAL_RULE', level: 'line', message: "This payer denied this procedure before when billed this way (a rule accepted from \"claims denials --suggest\"): it needs the modifier or a diagnosis the rule names.", fails: () => sql`exists (select 1 from learned_claim_edits r join claims rc on rc.id = lv.claim_id
      where r.active and r.payer_id = rc.payer_id and r.procedure_code = lv.code
        and ((r.kind = 'modifier' and not (r.modifier = any(lv.modifiers)))
          or (r.kind = 'diagnosis' and not exists (select 1 from claim_diagnoses d where d.claim_id = lv.claim_id and d.position = any(lv.diagnosis_pointers) and d.code = any(r.diagnosis_codes)))))` },
];

/** Which claims to scrub: given ids, or every claim not yet sent. */
export interface EditScope {
  claimIds?: number[];
  /** Only claims of this payer (payers.id). */
  payerId?: number;
}

export function scopeCondition(scope: EditScope, alias = sql`c`): SQL {
  const parts: SQL[] = [];
  if (scope.claimIds) parts.push(sql`${alias}.id = any(${idArray(scope.claimIds)})`);
  else parts.push(sql`${alias}.status in ('ready', 'held', 'rejected') and ${alias}.batch_id is null`);
  if (scope.payerId !== undefined) parts.push(sql`${alias}.payer_id = ${scope.payerId}`);
  return sql.join(parts, sql` and `);
}

/** The claim view every claim edit reads. */
function claimView(scope: EditScope): SQL {
  return sql`
    select c.id as claim_id, c.patient_control_number, c.frequency_code, c.payer_claim_control_number,
           c.service_date_from, c.service_date_to, c.total_cents, c.previous_payer_claim_id, c.patient_id, c.coverage_id,
           cov.priority as coverage_priority, loc.npi as facility_npi, coalesce(rules.ndc_required, false) as ndc_required,
           pr.billing_npi, pr.tin as billing_tin, pr.address1 as billing_address1, pr.city as billing_city,
           pr.state as billing_state, pr.zip as billing_zip,
           rp.npi as rendering_npi,
           py.payer_id as payer_identifier, py.claim_filing_indicator as filing_indicator, py.timely_filing_days,
           rules.secondary_timely_filing_days,
           case when c.previous_payer_claim_id is not null then ${adjudicationDate(sql`c.previous_payer_claim_id`)} end as previous_adjudicated_on,
           cov.member_id, cov.relationship, cov.subscriber_last_name, cov.subscriber_first_name,
           p.dob, p.sex, p.address1 as patient_address1, p.city as patient_city, p.state as patient_state, p.zip as patient_zip,
           (select count(*) from claim_diagnoses d where d.claim_id = c.id) as dx_count,
           (select count(*) from claim_lines l where l.claim_id = c.id) as line_count
    from claims c
    join patients p on p.id = c.patient_id
    join coverages cov on cov.id = c.coverage_id
    join payers py on py.id = c.payer_id
    left join providers rp on rp.id = c.rendering_provider_id
    left join locations loc on loc.id = c.location_id
    left join payer_claim_rules rules on rules.payer_id = c.payer_id
    left join practice pr on true
    where ${scopeCondition(scope)}`;
}

export interface EditFailure {
  claimId: number;
  patientControlNumber: string;
  lineNumber: number | null;
  code: string;
  message: string;
}

async function editInputs(db: DbOrTx, scope: EditScope, today: string): Promise<EditInputs> {
  const inScope = sql`select c.id from claims c where ${scopeCondition(scope)}`;
  // The distinct values of every kind in one round trip; they are few (codes, not claims).
  const rows = await queryRows<{ kind: string; v: string | null }>(
    db,
    sql`select 'npi' as kind, billing_npi::text as v from practice
        union select 'npi', npi::text from providers
        union select 'npi', npi::text from locations where npi is not null
        union select 'ndc', ndc_code from claim_lines where claim_id in (${inScope}) and ndc_code is not null
        union select 'dx', code from claim_diagnoses where claim_id in (${inScope})
        union select 'proc', code from claim_lines where claim_id in (${inScope})
        union select 'mod', unnest(modifiers) from claim_lines where claim_id in (${inScope})`,
  );
  // A rejected claim is held until it differs from what was sent (its 837P fingerprint).
  const rejected = await queryRows<{ claim_id: number; fingerprint: string; clearinghouse_id: number | null }>(
    db,
    sql`select r.claim_id, r.fingerprint, b.clearinghouse_id from claim_rejections r left join claim_batches b on b.id = r.batch_id
        where r.resolved_at is null and r.claim_id in (${inScope})`,
  );
  const now = await currentFingerprints(db, [...new Map(rejected.map((r) => [r.claim_id, { claimId: r.claim_id, clearinghouseId: r.clearinghouse_id }])).values()]);
  const unchanged = [...new Set(rejected.filter((r) => now.get(r.claim_id) === r.fingerprint).map((r) => String(r.claim_id)))];
  const bad = (kind: string, valid: (value: string) => boolean) =>
    textArray(rows.filter((r) => r.kind === kind && r.v !== null && !valid(r.v)).map((r) => r.v!));
  return {
    today,
    badNpis: bad('npi', isValidNpi),
    badDiagnoses: bad('dx', isIcd10Form),
    headerDiagnoses: bad('dx', (code) => !isIcd10Form(code) || isBillableIcd10(code)),
    badProcedures: bad('proc', (p) => procedureCodeSystem(p) !== undefined),
    badModifiers: bad('mod', isModifier),
    badNdcs: bad('ndc', (n) => normalizeNdc(n) !== undefined),
    unchangedRejections: sql`${textArray(unchanged)}::int[]`,
  };
}

/** The failures query: (claim_id, patient_control_number, line_number, code) for every edit that fails. */
function failuresQuery(scope: EditScope, inputs: EditInputs, edits: ClaimEdit[]): SQL {
  const branches = edits.map((edit) =>
    edit.level === 'claim'
      ? sql`select cv.claim_id, cv.patient_control_number, null::int as line_number, ${edit.code}::text as code from cv where ${edit.fails(inputs)}`
      : sql`select lv.claim_id, lv.patient_control_number, lv.line_number, ${edit.code}::text as code from lv where ${edit.fails(inputs)}`,
  );
  return sql`
    with cv as (${claimView(scope)}),
    lv as (select l.*, cv.patient_control_number, cv.previous_payer_claim_id, cv.ndc_required from claim_lines l join cv on cv.claim_id = l.claim_id),
    failures as (${sql.join(branches, sql` union all `)})`;
}

/**
 * Runs every edit over the claims in scope, then holds the failing claims and releases the passing
 * held ones. Returns every failure (several per claim when several edits fail).
 */
export async function scrubClaims(db: DbOrTx, scope: EditScope, today: string, edits: ClaimEdit[] = claimEdits): Promise<{ checked: number; failures: EditFailure[] }> {
  const inputs = await editInputs(db, scope, today);
  const messages = new Map(edits.map((e) => [e.code, e.message]));
  const rows = await queryRows<{ claim_id: number; patient_control_number: string; line_number: number | null; code: string; checked: number }>(
    db,
    sql`${failuresQuery(scope, inputs, edits)},
    held as (
      update claims c set status = case when c.id in (select claim_id from failures) then 'held' else 'ready' end, updated_at = now()
      where ${scopeCondition(scope)} and c.status in ('ready', 'held', 'rejected')
        and c.status <> case when c.id in (select claim_id from failures) then 'held' else 'ready' end
      returning c.id
    )
    select f.claim_id, f.patient_control_number, f.line_number, f.code, (select count(*)::int from cv) as checked
    from (select 0) one left join failures f on true
    left join (select count(*) from held) touched on true
    order by f.claim_id, f.line_number nulls first, f.code`,
  );
  const failures = rows
    .filter((r) => r.claim_id !== null)
    .map((r) => ({ claimId: r.claim_id, patientControlNumber: r.patient_control_number, lineNumber: r.line_number, code: r.code, message: messages.get(r.code)! }));
  return { checked: rows[0]?.checked ?? 0, failures };
}

/** `claims check`: the scrub and its audit row in one transaction. */
export async function checkClaims(db: Db, actor: AuditActor, scope: EditScope, today: string): Promise<{ checked: number; failures: EditFailure[] }> {
  return db.transaction(async (tx) => {
    const scrub = await scrubClaims(tx, scope, today);
    await recordAudit(tx, actor, { action: 'check', entity: 'claims', details: { checked: scrub.checked, failing: new Set(scrub.failures.map((f) => f.claimId)).size } });
    return scrub;
  });
}
