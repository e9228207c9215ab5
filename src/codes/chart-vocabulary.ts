// The coded words of the rest of the chart: family relations (HL7 v3 RoleCode), smoking status
// (SNOMED CT, as US Core Smoking Status binds it) and advance directive kinds (LOINC document types, as the
// HL7 PACIO Advance Directive Interoperability IG lists them). The tables are data
// (reference/chart-vocabulary.json); commands, the chart and FHIR read them here.
import { readFileSync } from 'node:fs';
import { referenceFile } from '../reference-data.js';

type Coded = { code: string; display: string };
const VOCABULARY = JSON.parse(readFileSync(referenceFile('chart-vocabulary.json'), 'utf8')) as {
  familyRelations: Record<string, Coded>;
  smokingStatuses: Record<string, Coded>;
  advanceDirectiveKinds: Record<string, Coded & { label: string }>;
};

export const ROLE_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

/** A relative as typed at the front desk -> the v3 RoleCode FHIR FamilyMemberHistory.relationship uses. */
export const FAMILY_RELATIONS: Record<string, Coded> = VOCABULARY.familyRelations;

/** "Maternal grandmother", "maternal_grandmother" -> "maternal-grandmother". */
export function relationKey(text: string): string {
  return text.trim().toLowerCase().replace(/[\s_]+/g, '-');
}

/** The relation word of a RoleCode (for FHIR import), undefined when it is not one of ours. */
export function relationOfRoleCode(code: string): string | undefined {
  return Object.entries(FAMILY_RELATIONS).find(([, r]) => r.code === code)?.[0];
}

export const SMOKING_STATUS_LOINC = '72166-2';

/** US Core Smoking Status values (SNOMED CT), by the word a nurse types. */
export const SMOKING_STATUSES: Record<string, Coded> = VOCABULARY.smokingStatuses;

/** LOINC 29762-2: a social history entry told in words (alcohol, work, living situation). */
export const SOCIAL_HISTORY_NARRATIVE_LOINC = '29762-2';

/** Advance directive kinds -> LOINC document type (DocumentReference.type). */
export const ADVANCE_DIRECTIVE_KINDS: Record<string, Coded & { label: string }> = VOCABULARY.advanceDirectiveKinds;

/** LOINC 42348-3: the DocumentReference category US Core gives advance directive documents. */
export const ADVANCE_DIRECTIVES_CATEGORY_LOINC = '42348-3';

/**
 * LOINC 11348-0 History of Past illness Narrative (the past medical history section): the second category
 * of a past illness's Condition, telling it from a problem the practice resolved.
 */
export const PAST_ILLNESS_LOINC = { code: '11348-0', display: 'History of Past illness Narrative' };

/** SNOMED CT 387713003 Surgical procedure: the Procedure.category a past surgery is exported with. */
export const SURGICAL_PROCEDURE_SNOMED = { code: '387713003', display: 'Surgical procedure' };
