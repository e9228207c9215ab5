// Code systems as stored: the FHIR system URIs, so value sets, measures and FHIR exchange match exactly.
export const CodeSystem = {
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd9cm: 'http://hl7.org/fhir/sid/icd-9-cm',
  icd10pcs: 'http://www.cms.gov/Medicare/Coding/ICD10',
  snomed: 'http://snomed.info/sct',
  cpt: 'http://www.ama-assn.org/go/cpt',
  hcpcs: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  loinc: 'http://loinc.org',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ndc: 'http://hl7.org/fhir/sid/ndc',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  npi: 'http://hl7.org/fhir/sid/us-npi',
  cdt: 'http://ada.org/cdt',
  unii: 'http://fdasis.nlm.nih.gov',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
} as const;
export type CodeSystemUri = (typeof CodeSystem)[keyof typeof CodeSystem];

const aliases: Record<string, CodeSystemUri> = {
  'icd-10-cm': CodeSystem.icd10cm,
  icd10cm: CodeSystem.icd10cm,
  icd10: CodeSystem.icd10cm,
  'icd-10': CodeSystem.icd10cm,
  'icd-9-cm': CodeSystem.icd9cm,
  icd9cm: CodeSystem.icd9cm,
  icd9: CodeSystem.icd9cm,
  'icd-10-pcs': CodeSystem.icd10pcs,
  icd10pcs: CodeSystem.icd10pcs,
  snomed: CodeSystem.snomed,
  'snomed-ct': CodeSystem.snomed,
  snomedct: CodeSystem.snomed,
  sct: CodeSystem.snomed,
  cpt: CodeSystem.cpt,
  hcpcs: CodeSystem.hcpcs,
  loinc: CodeSystem.loinc,
  rxnorm: CodeSystem.rxnorm,
  ndc: CodeSystem.ndc,
  cvx: CodeSystem.cvx,
  cdt: CodeSystem.cdt,
  // VSAC and QDM name systems this way in value set expansions.
  'urn:oid:2.16.840.1.113883.6.90': CodeSystem.icd10cm,
  'urn:oid:2.16.840.1.113883.6.96': CodeSystem.snomed,
  'urn:oid:2.16.840.1.113883.6.12': CodeSystem.cpt,
  'urn:oid:2.16.840.1.113883.6.285': CodeSystem.hcpcs,
  'urn:oid:2.16.840.1.113883.6.1': CodeSystem.loinc,
  'urn:oid:2.16.840.1.113883.6.88': CodeSystem.rxnorm,
  'urn:oid:2.16.840.1.113883.12.292': CodeSystem.cvx,
  'http://www.cms.gov/medicare/coding/medhcpcsgeninfo': CodeSystem.hcpcs,
  'urn:oid:2.16.840.1.113883.6.14': CodeSystem.hcpcs,
};

/** The stored URI for a system given by name, OID or URI; unknown URIs are kept as given. */
export function normalizeCodeSystem(system: string): string {
  const key = system.trim();
  const alias = aliases[key.toLowerCase()];
  if (alias) return alias;
  return key;
}
