// Medication lists that arrive from elsewhere (imports) are checked against the same allergy rules as a
// prescription written here: nothing is refused (the list is history), but every conflict is reported.
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/query.js';
import type { DbOrTx } from '../db/types.js';
import { allergyConflicts, type AllergyForCheck } from './drug-classes.js';

export interface MedicationAllergyConflict {
  mrn: string;
  medicationId: number;
  medication: string;
  allergyId: number;
  allergy: string;
  match: string;
  level: 'stop' | 'warn';
  message: string;
}

/**
 * Conflicts between the active medications and the recorded allergies of the patients who have entries
 * from one source system (what an import just brought in), serious ones first.
 */
export async function medicationAllergyConflicts(db: DbOrTx, sourceSystem: string): Promise<MedicationAllergyConflict[]> {
  const rows = await queryRows<{ mrn: string; patient_id: number; med_id: number; display: string; rxnorm_code: string | null } & { allergies: AllergyForCheck[] }>(
    db,
    sql`with touched as (
          select patient_id from medications where source_system = ${sourceSystem}
          union select patient_id from allergies where source_system = ${sourceSystem})
        select p.mrn, m.patient_id, m.id as med_id, m.display, m.rxnorm_code,
               (select json_agg(json_build_object('id', a.id, 'substance', a.substance, 'codeSystem', a.code_system, 'code', a.code, 'severity', a.severity, 'criticality', a.criticality))
                  from allergies a where a.patient_id = m.patient_id and a.clinical_status = 'active'
                   and a.verification_status not in ('refuted', 'entered-in-error')) as allergies
        from medications m join touched t on t.patient_id = m.patient_id join patients p on p.id = m.patient_id
        where m.status = 'active'
          and exists (select 1 from allergies a where a.patient_id = m.patient_id and a.clinical_status = 'active'
                        and a.verification_status not in ('refuted', 'entered-in-error'))
        order by p.mrn, m.id`,
  );
  const found: MedicationAllergyConflict[] = [];
  for (const row of rows) {
    const list = typeof row.allergies === 'string' ? (JSON.parse(row.allergies) as AllergyForCheck[]) : row.allergies;
    for (const c of allergyConflicts({ name: row.display, rxnorm: row.rxnorm_code }, list)) {
      found.push({ mrn: row.mrn, medicationId: row.med_id, medication: row.display, allergyId: c.allergyId, allergy: c.substance, match: c.match, level: c.level, message: c.message });
    }
  }
  return found.sort((a, b) => (a.level === b.level ? 0 : a.level === 'stop' ? -1 : 1));
}
