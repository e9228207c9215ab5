// Supplemental data for aggregate reports (QRDA Category III): every population of every group counted
// by sex, race, ethnicity and payer, in one set-based pass per measure (grouping sets over the same
// per-patient flags the summary counts, so each breakdown sums to the population count).
import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db/types.js';
import { flagColumn, POPULATIONS, type Population } from './compile.js';
import type { MeasureDefinition } from './definition.js';
import { compiledMeasure, measureRows, providerFilter, type QualityQuery } from './run.js';

export type SupplementalKind = 'sex' | 'race' | 'ethnicity' | 'payer';

export interface SupplementalRow {
  kind: SupplementalKind;
  /** The patient's value as stored (sex, CDC race/ethnicity code, primary payer's X12 filing indicator); null when unknown. */
  value: string | null;
  /** Per group (in definition order): the population counts of patients with this value. */
  groups: Record<Population, number>[];
}

const KINDS: SupplementalKind[] = ['sex', 'race', 'ethnicity', 'payer'];

export async function supplementalData(db: DbOrTx, measure: MeasureDefinition, query: QualityQuery): Promise<SupplementalRow[]> {
  const sums: SQL[] = [];
  measure.groups.forEach((_, g) => {
    for (const p of POPULATIONS) {
      const col = sql.identifier(flagColumn(g, p));
      sums.push(sql`count(*) filter (where x.${col})::int as ${col}`);
    }
  });
  // The payer is the primary active coverage's (the one a claim would go to first).
  const rows = await measureRows<Record<string, unknown>>(
    db,
    sql`with x as (
        select f.*, pa.sex, pa.race, pa.ethnicity,
          (select py.claim_filing_indicator from coverages cv join payers py on py.id = cv.payer_id
            where cv.patient_id = f.patient_id and cv.active order by cv.priority limit 1) as payer
        from (${await compiledMeasure(db, measure, query.period)}) f join patients pa on pa.id = f.patient_id
        where ${providerFilter(query)}
      )
      select grouping(x.sex) as g_sex, grouping(x.race) as g_race, grouping(x.ethnicity) as g_ethnicity, grouping(x.payer) as g_payer,
        x.sex, x.race, x.ethnicity, x.payer, ${sql.join(sums, sql`, `)}
      from x group by grouping sets ((x.sex), (x.race), (x.ethnicity), (x.payer))`,
  );
  return rows.map((row) => {
    const kind = KINDS.find((k) => Number(row[`g_${k}`]) === 0)!;
    return {
      kind,
      value: (row[kind] as string | null) ?? null,
      groups: measure.groups.map((_, g) => Object.fromEntries(POPULATIONS.map((p) => [p, Number(row[flagColumn(g, p)] ?? 0)])) as Record<Population, number>),
    };
  });
}
