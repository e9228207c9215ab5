// RVUs and payment estimates per charge, computed in SQL so a month of a large practice is one query.
// The RVU year is the calendar year of the date of service. Modifiers that change RVUs:
//   26 / TC  use the professional or technical component row instead of the global one;
//   50       bilateral: 150% when the code's bilateral indicator is 1 (or not published);
//   51       a further procedure on the same day: 50% when the multiple-procedure indicator is 2 or 3
//            (or not published). The line carrying -51 is the one that is reduced.
// Units multiply everything. The place of service decides facility vs non-facility practice expense.
// The RVU year is the service year when that year is loaded, else the latest loaded year before it
// (never a later one): the reports name the year and file used (rvuSources).
// Payment estimate = (wRVU x work GPCI + PE RVU x PE GPCI + MP RVU x MP GPCI) x conversion factor.
import { sql, type SQL } from 'drizzle-orm';
import { NOT_VALUED_STATUS, notValuedCondition } from './not-valued.js';

/**
 * CMS places of service paid at the facility rate (hospital, ASC, SNF, ...); 02 is telehealth
 * outside the patient's home, which CMS pays at the facility rate. Everything else is non-facility.
 */
export const FACILITY_PLACES_OF_SERVICE = ['02', '19', '21', '22', '23', '24', '26', '31', '34', '41', '42', '51', '52', '53', '56', '61'] as const;

export interface ChargeWindow {
  /** First date of service included, YYYY-MM-DD. */
  from: string;
  /** First date of service no longer included, YYYY-MM-DD. */
  to: string;
}

const facilityList = sql.join(
  FACILITY_PLACES_OF_SERVICE.map((pos) => sql`${pos}`),
  sql`, `,
);

/**
 * A select of every non-void charge in the window with its RVUs: usable as a subquery or CTE.
 * Columns: charge_id, provider_id, location_id, patient_id, encounter_id, service_date, code, rvu_modifier,
 * units, amount_cents, rvu_year (of service), rvu_source_year (of the RVUs used), status (null when the code
 * has no RVU that year, "not-valued" when the fee schedule never values it), facility,
 * work_rvu, total_rvu, payment_cents (null without a conversion factor or GPCI for the year).
 */
export function chargeRvus(window: ChargeWindow): SQL {
  return sql`
    select c.id as charge_id, c.provider_id, c.location_id, c.patient_id, c.encounter_id, c.service_date,
      c.code, k.rvu_modifier, c.units, c.amount_cents,
      extract(year from c.service_date)::int as rvu_year,
      ry.year as rvu_source_year,
      coalesce(v.status, case when ${notValuedCondition(sql`c.code`)} then ${NOT_VALUED_STATUS} end) as status,
      k.facility,
      v.work_rvu * f.factor as work_rvu,
      (v.work_rvu + case when k.facility then v.pe_facility_rvu else v.pe_non_facility_rvu end + v.mp_rvu) * f.factor as total_rvu,
      round((v.work_rvu * g.work_gpci
        + case when k.facility then v.pe_facility_rvu else v.pe_non_facility_rvu end * g.pe_gpci
        + v.mp_rvu * g.mp_gpci) * y.conversion_factor * f.factor * 100) as payment_cents
    from charges c
    left join locations l on l.id = c.location_id
    cross join lateral (
      select case when 'TC' = any(c.modifiers) then 'TC' when '26' = any(c.modifiers) then '26' else '' end as rvu_modifier,
        coalesce(c.place_of_service, l.place_of_service) in (${facilityList}) as facility
    ) k
    left join lateral (select max(y.year) as year from rvu_years y where y.year <= extract(year from c.service_date)::int) ry on true
    left join rvu_values v on v.year = ry.year and v.hcpcs = c.code and v.modifier = k.rvu_modifier
    left join rvu_years y on y.year = v.year
    cross join lateral (
      select c.units
        * case when '50' = any(c.modifiers) and coalesce(v.bilateral_indicator, '1') = '1' then 1.5 else 1 end
        * case when '51' = any(c.modifiers) and coalesce(v.multiple_procedure_indicator, '2') in ('2', '3') then 0.5 else 1 end
        as factor
    ) f
    left join fee_schedule_locality fl on true
    -- No locality chosen: national amounts (all indices 1). Chosen but no GPCI for the year: no estimate.
    left join lateral (
      select case when fl.id is null then 1.0 else gl.work_gpci end as work_gpci,
        case when fl.id is null then 1.0 else gl.pe_gpci end as pe_gpci,
        case when fl.id is null then 1.0 else gl.mp_gpci end as mp_gpci
      from (select 1) one
      left join gpci_localities gl on gl.year = v.year and gl.mac = fl.mac and gl.locality = fl.locality
    ) g on true
    where c.status <> 'void'
      and c.service_date >= ${window.from}::date and c.service_date < ${window.to}::date`;
}
