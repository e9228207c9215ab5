// QRDA Category III (HL7 CDA R2, QRDA III R1 STU 5.x, with the CMS QRDA III Implementation Guide's
// templates for the 2026 performance period): the aggregate quality report a MIPS eligible clinician
// or group submits. One Measure Reference and Results organizer per measure; a measure with several
// rates (CMS138) carries one population set and performance rate per group. The XML is written by
// xmlbuilder2, which escapes and declares namespaces; nothing here concatenates markup.
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { Population } from '../../measures/compile.js';
import type { MeasureDefinition, MeasureGroup } from '../../measures/definition.js';
import type { Counts, MeasureResult } from '../../measures/run.js';
import type { SupplementalKind, SupplementalRow } from '../../measures/supplemental.js';
import { ombEthnicity, ombRace } from '../../fhir/terminology.js';

const HL7 = 'urn:hl7-org:v3';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const OID = {
  loinc: '2.16.840.1.113883.6.1',
  snomed: '2.16.840.1.113883.6.96',
  actCode: '2.16.840.1.113883.5.4',
  observationMethod: '2.16.840.1.113883.5.84',
  gender: '2.16.840.1.113883.5.1',
  raceEthnicity: '2.16.840.1.113883.6.238',
  cmsPayer: '2.16.840.1.113883.3.249.12',
  confidentiality: '2.16.840.1.113883.5.25',
  npi: '2.16.840.1.113883.4.6',
  tin: '2.16.840.1.113883.4.2',
  cmsProgram: '2.16.840.1.113883.3.249.7',
  measureVersion: '2.16.840.1.113883.4.738',
} as const;

// Template ids and the extension dates the CMS 2026 QRDA III IG gives them.
const T = {
  qrda3: ['2.16.840.1.113883.10.20.27.1.1', '2017-06-01'],
  cmsQrda3: ['2.16.840.1.113883.10.20.27.1.2', '2025-05-01'],
  reportingParametersSection: ['2.16.840.1.113883.10.20.17.2.1'],
  qrda3ReportingParametersSection: ['2.16.840.1.113883.10.20.27.2.2'],
  reportingParametersAct: ['2.16.840.1.113883.10.20.17.3.8'],
  cmsReportingParametersAct: ['2.16.840.1.113883.10.20.27.3.23', '2016-11-01'],
  measureSection: ['2.16.840.1.113883.10.20.24.2.2'],
  qrdaReportSection: ['2.16.840.1.113883.10.20.27.2.1', '2020-12-01'],
  cmsMeasureSection: ['2.16.840.1.113883.10.20.27.2.3', '2025-05-01'],
  measureReference: ['2.16.840.1.113883.10.20.24.3.98'],
  measureReferenceResults: ['2.16.840.1.113883.10.20.27.3.1', '2016-09-01'],
  cmsMeasureReferenceResults: ['2.16.840.1.113883.10.20.27.3.17', '2025-05-01'],
  performanceRate: ['2.16.840.1.113883.10.20.27.3.30', '2016-09-01'],
  performanceRateProportion: ['2.16.840.1.113883.10.20.27.3.14', '2016-09-01'],
  cmsPerformanceRate: ['2.16.840.1.113883.10.20.27.3.25', '2022-05-01'],
  measureData: ['2.16.840.1.113883.10.20.27.3.5', '2016-09-01'],
  cmsMeasureData: ['2.16.840.1.113883.10.20.27.3.16', '2025-05-01'],
  aggregateCount: ['2.16.840.1.113883.10.20.27.3.3'],
  reportingStratum: ['2.16.840.1.113883.10.20.27.3.4', '2016-09-01'],
  cmsAggregateCount: ['2.16.840.1.113883.10.20.27.3.24'],
  sex: [
    ['2.16.840.1.113883.10.20.27.3.6', '2016-09-01'],
    ['2.16.840.1.113883.10.20.27.3.21', '2025-05-01'],
  ],
  ethnicity: [
    ['2.16.840.1.113883.10.20.27.3.7', '2016-09-01'],
    ['2.16.840.1.113883.10.20.27.3.22', '2016-11-01'],
  ],
  race: [
    ['2.16.840.1.113883.10.20.27.3.8', '2016-09-01'],
    ['2.16.840.1.113883.10.20.27.3.19', '2016-11-01'],
  ],
  payer: [['2.16.840.1.113883.10.20.27.3.9', '2016-02-01'], ['2.16.840.1.113883.10.20.24.3.55'], ['2.16.840.1.113883.10.20.27.3.18', '2018-05-01']],
} satisfies Record<string, string[] | string[][]>;

/** Our population flags as QRDA population codes (HL7 ActCode). */
export const POPULATION_CODES: Record<Population, 'IPOP' | 'DENOM' | 'DENEX' | 'NUMER' | 'DENEXCEP'> = {
  ip: 'IPOP',
  den: 'DENOM',
  denex: 'DENEX',
  numer: 'NUMER',
  denexcep: 'DENEXCEP',
};

// The supplemental data elements: what each stored value is reported as, and the LOINC code of the kind.
const SDE: Record<SupplementalKind, { loinc: string; name: string; templates: string[][] }> = {
  sex: { loinc: '76689-9', name: 'Sex assigned at birth', templates: T.sex },
  ethnicity: { loinc: '69490-1', name: 'Ethnicity', templates: T.ethnicity },
  race: { loinc: '72826-1', name: 'Race', templates: T.race },
  payer: { loinc: '48768-6', name: 'Payment Source', templates: T.payer },
};
const SEX: Record<string, [string, string]> = { male: ['M', 'Male'], female: ['F', 'Female'] };
const RACE_NAMES: Record<string, string> = { ...ombRace, '2131-1': 'Other Race' };
// CMS payer groups by the primary coverage's X12 claim filing indicator; any other coverage is private
// insurance, and no coverage at all is "Other".
const PAYER_GROUPS: { code: string; name: string; indicators: string[] }[] = [
  { code: 'A', name: 'Medicare', indicators: ['MA', 'MB', '16'] },
  { code: 'B', name: 'Medicaid', indicators: ['MC'] },
  { code: 'D', name: 'Other', indicators: ['CH', 'VA', 'WC', 'OF', 'AM', 'TV', '11', 'ZZ'] },
];
const PRIVATE_PAYER = { code: 'C', name: 'Private Health Insurance' };

export interface QrdaSubmitter {
  /** MIPS_INDIV: the clinician's NPI under the TIN; MIPS_GROUP: the TIN alone. */
  program: 'MIPS_INDIV' | 'MIPS_GROUP';
  tin: string;
  npi?: string;
  organization: string;
}

export interface QrdaMeasure {
  definition: MeasureDefinition;
  result: MeasureResult;
  supplemental: SupplementalRow[];
}

export interface QrdaOptions {
  now: Date;
  /** The document's id (a UUID); a fresh one per document. */
  documentId: string;
  softwareName: string;
}

/** A stable UUID-shaped id from names (SHA-1, RFC 4122 version 5 layout), for ids we make ourselves. */
export function derivedUuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('|')).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The eCQM's version-specific id, or a stand-in derived from the version when the definition has none. */
export function measureVersionId(m: MeasureDefinition): string {
  return m.ecqm?.versionSpecificId ?? derivedUuid('practicekit-measure', m.version);
}

export function populationId(m: MeasureDefinition, group: MeasureGroup, population: Population): string {
  return m.ecqm?.populationIds?.[group.id]?.[POPULATION_CODES[population]] ?? derivedUuid('practicekit-population', m.version, group.id, POPULATION_CODES[population]);
}

/** The populations a group defines: exclusions and exceptions only where the measure has them. */
export function stratumId(m: MeasureDefinition, group: MeasureGroup, stratumId: string): string {
  return derivedUuid('practicekit-stratum', m.version, group.id, stratumId);
}

export function reportedPopulations(group: MeasureGroup): Population[] {
  return ['ip', 'den', ...(group.exclusion ? (['denex'] as const) : []), 'numer', ...(group.exception ? (['denexcep'] as const) : [])];
}

const day = (iso: string) => iso.replaceAll('-', '');

function templates(node: XMLBuilder, ...ids: string[][]): XMLBuilder {
  for (const [root, extension] of ids) node.ele('templateId', extension ? { root, extension } : { root });
  return node;
}

function interval(node: XMLBuilder, name: string, from: string, to: string): void {
  node.ele(name).ele('low', { value: day(from) }).up().ele('high', { value: day(to) });
}

function aggregateCount(parent: XMLBuilder, count: number): void {
  const obs = templates(parent.ele('entryRelationship', { typeCode: 'SUBJ', inversionInd: 'true' }).ele('observation', { classCode: 'OBS', moodCode: 'EVN' }), T.aggregateCount, T.cmsAggregateCount);
  obs.ele('code', { code: 'MSRAGG', codeSystem: OID.actCode, codeSystemName: 'ActCode', displayName: 'rate aggregation' });
  obs.ele('statusCode', { code: 'completed' });
  obs.ele('value').att(XSI, 'xsi:type', 'INT').att('value', String(count));
  obs.ele('methodCode', { code: 'COUNT', codeSystem: OID.observationMethod, codeSystemName: 'ObservationMethod', displayName: 'Count' });
}

/** One reported stratum of a supplemental data element: how it is coded, and the patients in it per group. */
interface Stratum {
  kind: SupplementalKind;
  code: string | null;
  name: string;
  groups: Record<Population, number>[];
}

function stratumOf(row: SupplementalRow): Pick<Stratum, 'code' | 'name'> {
  const v = row.value;
  switch (row.kind) {
    case 'sex':
      return v && SEX[v] ? { code: SEX[v]![0], name: SEX[v]![1] } : { code: null, name: 'Unknown' };
    case 'race':
      return v ? { code: v, name: RACE_NAMES[v] ?? v } : { code: null, name: 'Unknown' };
    case 'ethnicity':
      return v ? { code: v, name: ombEthnicity[v] ?? v } : { code: null, name: 'Unknown' };
    case 'payer': {
      if (!v) return { code: 'D', name: 'Other' };
      const group = PAYER_GROUPS.find((g) => g.indicators.includes(v.trim())) ?? PRIVATE_PAYER;
      return { code: group.code, name: group.name };
    }
  }
}

/** Stored values mapped to their reported codes, merged where several map to one (payer groups). */
export function supplementalStrata(rows: SupplementalRow[]): Stratum[] {
  const out = new Map<string, Stratum>();
  for (const row of rows) {
    const { code, name } = stratumOf(row);
    const key = `${row.kind}|${code ?? ''}`;
    const existing = out.get(key);
    if (!existing) {
      out.set(key, { kind: row.kind, code, name, groups: row.groups.map((g) => ({ ...g })) });
      continue;
    }
    existing.groups.forEach((g, i) => {
      for (const p of Object.keys(g) as Population[]) g[p] += row.groups[i]![p];
    });
  }
  return [...out.values()];
}

function supplementalElement(parent: XMLBuilder, stratum: Stratum, count: number, period: { start: string; end: string }): void {
  const sde = SDE[stratum.kind];
  const obs = templates(parent.ele('entryRelationship', { typeCode: 'COMP' }).ele('observation', { classCode: 'OBS', moodCode: 'EVN' }), ...sde.templates);
  obs.ele('code', { code: sde.loinc, codeSystem: OID.loinc, codeSystemName: 'LOINC', displayName: sde.name });
  obs.ele('statusCode', { code: 'completed' });
  interval(obs, 'effectiveTime', period.start, period.end);
  const value = obs.ele('value').att(XSI, 'xsi:type', 'CD');
  if (stratum.kind === 'payer') {
    // CMS payer codes travel as a translation of a CD whose own code is "other".
    value.att('nullFlavor', 'OTH').ele('translation', { code: stratum.code!, codeSystem: OID.cmsPayer, codeSystemName: 'CMS Clinical Codes', displayName: stratum.name });
  } else if (stratum.code === null) {
    value.att('nullFlavor', 'UNK');
  } else if (stratum.kind === 'sex') {
    value.att({ code: stratum.code, codeSystem: OID.gender, codeSystemName: 'AdministrativeGender', displayName: stratum.name });
  } else {
    value.att({ code: stratum.code, codeSystem: OID.raceEthnicity, codeSystemName: 'Race & Ethnicity - CDC', displayName: stratum.name });
  }
  aggregateCount(obs, count);
}

function reportingStratum(parent: XMLBuilder, title: string, count: number, id: string): void {
  const obs = templates(parent.ele('entryRelationship', { typeCode: 'COMP' }).ele('observation', { classCode: 'OBS', moodCode: 'EVN' }), T.reportingStratum);
  obs.ele('code', { code: 'ASSERTION', codeSystem: OID.actCode, codeSystemName: 'ActCode', displayName: 'Assertion' });
  obs.ele('statusCode', { code: 'completed' });
  obs.ele('value', { nullFlavor: 'OTH' }).att(XSI, 'xsi:type', 'CD').ele('originalText').txt(title);
  aggregateCount(obs, count);
  obs.ele('reference', { typeCode: 'REFR' }).ele('externalObservation', { classCode: 'OBS', moodCode: 'EVN' }).ele('id', { root: id });
}

function performanceRate(organizer: XMLBuilder, counts: Counts, numeratorId: string): void {
  const obs = templates(organizer.ele('component').ele('observation', { classCode: 'OBS', moodCode: 'EVN' }), T.performanceRate, T.performanceRateProportion, T.cmsPerformanceRate);
  obs.ele('code', { code: '72510-1', codeSystem: OID.loinc, codeSystemName: 'LOINC', displayName: 'Performance Rate' });
  obs.ele('statusCode', { code: 'completed' });
  const value = obs.ele('value').att(XSI, 'xsi:type', 'REAL');
  // No one left in the divisor: the rate is undefined, not 0.
  if (counts.rate === null) value.att('nullFlavor', 'NA');
  else value.att('value', counts.rate.toFixed(6));
  obs
    .ele('reference', { typeCode: 'REFR' })
    .ele('externalObservation', { classCode: 'OBS', moodCode: 'EVN' })
    .ele('id', { root: numeratorId })
    .up()
    .ele('code', { code: 'NUMER', codeSystem: OID.actCode, codeSystemName: 'ActCode', displayName: 'Numerator' });
}

function measureEntry(section: XMLBuilder, m: QrdaMeasure, period: { start: string; end: string }): void {
  const { definition, result } = m;
  const organizer = templates(
    section.ele('entry').ele('organizer', { classCode: 'CLUSTER', moodCode: 'EVN' }),
    T.measureReference,
    T.measureReferenceResults,
    T.cmsMeasureReferenceResults,
  );
  organizer.ele('id', { root: derivedUuid('practicekit-organizer', definition.version, period.start, period.end) });
  organizer.ele('statusCode', { code: 'completed' });
  const doc = organizer.ele('reference', { typeCode: 'REFR' }).ele('externalDocument', { classCode: 'DOC', moodCode: 'EVN' });
  doc.ele('id', { root: OID.measureVersion, extension: measureVersionId(definition) });
  doc.ele('code', { code: '57024-2', codeSystem: OID.loinc, codeSystemName: 'LOINC', displayName: 'Health Quality Measure Document' });
  doc.ele('text').txt(`${definition.version} ${definition.title}`);
  const strata = supplementalStrata(m.supplemental);
  definition.groups.forEach((group, g) => {
    const counts = result.groups[g]!.overall;
    performanceRate(organizer, counts, populationId(definition, group, 'numer'));
    for (const population of reportedPopulations(group)) {
      const obs = templates(organizer.ele('component').ele('observation', { classCode: 'OBS', moodCode: 'EVN' }), T.measureData, T.cmsMeasureData);
      obs.ele('code', { code: 'ASSERTION', codeSystem: OID.actCode, codeSystemName: 'ActCode', displayName: 'Assertion' });
      obs.ele('statusCode', { code: 'completed' });
      obs.ele('value', { code: POPULATION_CODES[population], codeSystem: OID.actCode, codeSystemName: 'ActCode' }).att(XSI, 'xsi:type', 'CD');
      aggregateCount(obs, counts[population]);
      // The measure's own stratifications (CMS125 and CMS130 age bands), then the supplemental data.
      for (const s of result.groups[g]!.strata) reportingStratum(obs, s.title, s[population], stratumId(definition, group, s.id));
      for (const stratum of strata) supplementalElement(obs, stratum, stratum.groups[g]![population], period);
      obs
        .ele('reference', { typeCode: 'REFR' })
        .ele('externalObservation', { classCode: 'OBS', moodCode: 'EVN' })
        .ele('id', { root: populationId(definition, group, population) });
    }
  });
}

function narrative(section: XMLBuilder, measures: QrdaMeasure[]): void {
  const table = section.ele('text').ele('table', { border: '1', width: '100%' });
  const head = table.ele('thead').ele('tr');
  for (const h of ['eCQM', 'Rate', 'IPOP', 'DENOM', 'DENEX', 'NUMER', 'DENEXCEP', 'Performance rate']) head.ele('th').txt(h);
  const body = table.ele('tbody');
  for (const { definition, result } of measures) {
    definition.groups.forEach((group, g) => {
      const c = result.groups[g]!.overall;
      const row = body.ele('tr');
      row.ele('td').txt(definition.version);
      row.ele('td').txt(definition.groups.length > 1 ? group.title : '');
      for (const n of [c.ip, c.den, c.denex, c.numer, c.denexcep]) row.ele('td').txt(String(n));
      row.ele('td').txt(c.rate === null ? 'n/a' : c.rate.toFixed(6));
    });
  }
}

export function qrdaCategoryIII(period: { start: string; end: string }, measures: QrdaMeasure[], submitter: QrdaSubmitter, options: QrdaOptions): string {
  const now = `${DateTime.fromJSDate(options.now).toUTC().toFormat('yyyyMMddHHmmss')}+0000`;
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele(HL7, 'ClinicalDocument').att('http://www.w3.org/2000/xmlns/', 'xmlns:xsi', XSI);
  root.ele('realmCode', { code: 'US' });
  root.ele('typeId', { root: '2.16.840.1.113883.1.3', extension: 'POCD_HD000040' });
  templates(root, T.qrda3, T.cmsQrda3);
  root.ele('id', { root: options.documentId });
  root.ele('code', { code: '55184-6', codeSystem: OID.loinc, codeSystemName: 'LOINC', displayName: 'Quality Reporting Document Architecture Calculated Summary Report' });
  root.ele('title').txt(`QRDA Category III report, ${period.start} to ${period.end}`);
  root.ele('effectiveTime', { value: now });
  root.ele('confidentialityCode', { code: 'N', codeSystem: OID.confidentiality });
  root.ele('languageCode', { code: 'en' });
  // An aggregate report is about no one patient.
  root.ele('recordTarget').ele('patientRole').ele('id', { nullFlavor: 'NA' });
  const tinId = { root: OID.tin, extension: submitter.tin };
  const organization = (node: XMLBuilder, name: string) => node.ele(name).ele('id', tinId).up().ele('name').txt(submitter.organization);

  const author = root.ele('author');
  author.ele('time', { value: now });
  const assignedAuthor = author.ele('assignedAuthor');
  assignedAuthor.ele('id', { root: derivedUuid('practicekit-author', options.softwareName) });
  assignedAuthor.ele('assignedAuthoringDevice').ele('softwareName').txt(options.softwareName);
  organization(assignedAuthor, 'representedOrganization');

  organization(root.ele('custodian').ele('assignedCustodian'), 'representedCustodianOrganization');
  root.ele('informationRecipient').ele('intendedRecipient').ele('id', { root: OID.cmsProgram, extension: submitter.program });

  const legal = root.ele('legalAuthenticator');
  legal.ele('time', { value: now });
  legal.ele('signatureCode', { code: 'S' });
  const legalEntity = legal.ele('assignedEntity');
  legalEntity.ele('id', { root: derivedUuid('practicekit-legal-authenticator', submitter.tin) });
  organization(legalEntity, 'representedOrganization');

  // The performer: the clinician's NPI under the TIN (individual), or the TIN alone (group).
  const serviceEvent = root.ele('documentationOf', { typeCode: 'DOC' }).ele('serviceEvent', { classCode: 'PCPR' });
  interval(serviceEvent, 'effectiveTime', period.start, period.end);
  const performer = serviceEvent.ele('performer', { typeCode: 'PRF' });
  interval(performer, 'time', period.start, period.end);
  const entity = performer.ele('assignedEntity');
  entity.ele('id', submitter.npi ? { root: OID.npi, extension: submitter.npi } : { root: OID.npi, nullFlavor: 'NA' });
  organization(entity, 'representedOrganization');

  const body = root.ele('component').ele('structuredBody');
  const measureSection = templates(body.ele('component').ele('section'), T.measureSection, T.qrdaReportSection, T.cmsMeasureSection);
  measureSection.ele('code', { code: '55186-1', codeSystem: OID.loinc, codeSystemName: 'LOINC', displayName: 'Measure Section' });
  measureSection.ele('title').txt('Measure Section');
  narrative(measureSection, measures);
  for (const m of measures) measureEntry(measureSection, m, period);

  const parameters = templates(body.ele('component').ele('section'), T.reportingParametersSection, T.qrda3ReportingParametersSection);
  parameters.ele('code', { code: '55187-9', codeSystem: OID.loinc, codeSystemName: 'LOINC', displayName: 'Reporting Parameters' });
  parameters.ele('title').txt('Reporting Parameters');
  parameters.ele('text').ele('list').ele('item').txt(`Reporting period: ${period.start} - ${period.end}`);
  const act = templates(parameters.ele('entry', { typeCode: 'DRIV' }).ele('act', { classCode: 'ACT', moodCode: 'EVN' }), T.reportingParametersAct, T.cmsReportingParametersAct);
  act.ele('id', { root: derivedUuid('practicekit-reporting-parameters', options.documentId) });
  act.ele('code', { code: '252116004', codeSystem: OID.snomed, codeSystemName: 'SNOMED CT', displayName: 'Observation Parameters' });
  interval(act, 'effectiveTime', period.start, period.end);

  return root.end({ prettyPrint: true });
}
