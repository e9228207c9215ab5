// The coded words of the rest of the chart: family relations (HL7 v3 RoleCode), smoking status
// (SNOMED CT, as US Core Smoking Status binds it) and advance directive kinds (LOINC document types, as the
// HL7 PACIO Advance Directive Interoperability IG lists them). Commands, the chart and FHIR read them here.

export const ROLE_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

/** A relative as typed at the front desk -> the v3 RoleCode FHIR FamilyMemberHistory.relationship uses. */
export const FAMILY_RELATIONS: Record<string, { code: string; display: string }> = {
  mother: { code: 'MTH', display: 'mother' },
  father: { code: 'FTH', display: 'father' },
  parent: { code: 'PRN', display: 'parent' },
  sister: { code: 'SIS', display: 'sister' },
  brother: { code: 'BRO', display: 'brother' },
  sibling: { code: 'SIB', display: 'sibling' },
  'half-sister': { code: 'HSIS', display: 'half-sister' },
  'half-brother': { code: 'HBRO', display: 'half-brother' },
  daughter: { code: 'DAU', display: 'natural daughter' },
  son: { code: 'SON', display: 'natural son' },
  child: { code: 'CHILD', display: 'child' },
  grandmother: { code: 'GRMTH', display: 'grandmother' },
  grandfather: { code: 'GRFTH', display: 'grandfather' },
  'maternal-grandmother': { code: 'MGRMTH', display: 'maternal grandmother' },
  'maternal-grandfather': { code: 'MGRFTH', display: 'maternal grandfather' },
  'paternal-grandmother': { code: 'PGRMTH', display: 'paternal grandmother' },
  'paternal-grandfather': { code: 'PGRFTH', display: 'paternal grandfather' },
  aunt: { code: 'AUNT', display: 'aunt' },
  uncle: { code: 'UNCLE', display: 'uncle' },
  cousin: { code: 'COUSN', display: 'cousin' },
  niece: { code: 'NIECE', display: 'niece' },
  nephew: { code: 'NEPHEW', display: 'nephew' },
};

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
export const SMOKING_STATUSES: Record<string, { code: string; display: string }> = {
  'every-day': { code: '449868002', display: 'Smokes tobacco daily' },
  'some-days': { code: '428041000124106', display: 'Occasional tobacco smoker' },
  heavy: { code: '428071000124103', display: 'Heavy tobacco smoker' },
  light: { code: '428061000124105', display: 'Light tobacco smoker' },
  current: { code: '77176002', display: 'Smoker' },
  former: { code: '8517006', display: 'Ex-smoker' },
  never: { code: '266919005', display: 'Never smoked tobacco' },
  unknown: { code: '266927001', display: 'Tobacco smoking consumption unknown' },
};

/** LOINC 29762-2: a social history entry told in words (alcohol, work, living situation). */
export const SOCIAL_HISTORY_NARRATIVE_LOINC = '29762-2';

/** Advance directive kinds -> LOINC document type (DocumentReference.type). */
export const ADVANCE_DIRECTIVE_KINDS: Record<string, { code: string; display: string; label: string }> = {
  'advance-directive': { code: '75320-2', display: 'Advance directive', label: 'Advance directive' },
  'living-will': { code: '86533-7', display: 'Patient Living will', label: 'Living will' },
  'healthcare-poa': { code: '64298-3', display: 'Power of attorney', label: 'Health care power of attorney' },
  'poa-living-will': { code: '92664-2', display: 'Power of attorney and Living will', label: 'Health care power of attorney and living will' },
  polst: { code: '93037-0', display: 'Portable medical order form', label: 'POLST (portable medical order)' },
  molst: { code: '93037-0', display: 'Portable medical order form', label: 'MOLST (portable medical order)' },
  dnr: { code: '81351-9', display: 'Do Not Resuscitate, Do Not Attempt Resuscitation, or Allow Natural Death order is in place [Reported]', label: 'Do not resuscitate (DNR) order' },
};

/** LOINC 42348-3: the DocumentReference category US Core gives advance directive documents. */
export const ADVANCE_DIRECTIVES_CATEGORY_LOINC = '42348-3';

/** SNOMED CT 387713003 Surgical procedure: the Procedure.category a past surgery is exported with. */
export const SURGICAL_PROCEDURE_SNOMED = { code: '387713003', display: 'Surgical procedure' };
