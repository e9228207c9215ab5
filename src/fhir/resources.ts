// The smaller-volume types mapped in JS: a row (plus the few child rows it needs) becomes a FHIR R4
// resource following its US Core profile. The high-volume types are built in SQL (resources-sql.ts).
import type {
  AllergyIntolerance,
  CarePlan,
  Condition,
  DiagnosticReport,
  DocumentReference,
  FamilyMemberHistory,
  Extension,
  Goal,
  Observation,
  Organization,
  Practitioner,
  Procedure,
  Quantity,
  ServiceRequest,
} from '@medplum/fhirtypes';
import {
  ADVANCE_DIRECTIVE_KINDS,
  ADVANCE_DIRECTIVES_CATEGORY_LOINC,
  FAMILY_RELATIONS,
  PAST_ILLNESS_LOINC,
  ROLE_CODE_SYSTEM,
  SOCIAL_HISTORY_NARRATIVE_LOINC,
  SURGICAL_PROCEDURE_SNOMED,
} from '../codes/chart-vocabulary.js';
import { CodeSystem } from '../codes/systems.js';
import type * as s from '../db/schema/index.js';
import { idPrefix, ref, resourceId } from './ids.js';
import { soapToText } from './notes.js';
import {
  concept,
  Profile,
  System,
  ucumCode,
} from './terminology.js';

type Row<T extends { $inferSelect: unknown }> = T['$inferSelect'];

const meta = (...profile: string[]) => ({ profile });
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);
const patientRef = (patientId: number) => ref('Patient', idPrefix.patient, patientId)!;
const encounterRef = (id: number | null) => ref('Encounter', idPrefix.encounter, id);
const practitionerRef = (id: number | null) => ref('Practitioner', idPrefix.provider, id);
/**
 * Drops undefined keys so exports compare equal and stay small. A copy, not `delete`: deleting a key
 * turns the object into a slow dictionary, which made building and serialising resources several times slower.
 */
function clean<T extends object>(value: T): T {
  const kept = {} as T;
  for (const key in value) if (value[key] !== undefined) kept[key] = value[key];
  return kept;
}

export function practitionerResource(row: Row<typeof s.providers>): Practitioner {
  return clean<Practitioner>({
    resourceType: 'Practitioner',
    id: resourceId(idPrefix.provider, row.id),
    meta: meta(Profile.practitioner),
    identifier: [{ system: CodeSystem.npi, value: row.npi }],
    active: row.active,
    name: [clean({ family: row.lastName, given: [row.firstName], suffix: row.credentials ? [row.credentials] : undefined })],
  });
}

function organizationAddress(row: { address1: string | null; address2: string | null; city: string | null; state: string | null; zip: string | null }) {
  if (!row.address1 && !row.city && !row.zip) return undefined;
  return [clean({ line: [row.address1, row.address2].filter((l): l is string => !!l), city: row.city ?? undefined, state: row.state ?? undefined, postalCode: row.zip ?? undefined, country: 'US' })];
}

export function practiceOrganization(row: Row<typeof s.practice>): Organization {
  return clean<Organization>({
    resourceType: 'Organization',
    id: resourceId(idPrefix.practice, row.id),
    meta: meta(Profile.organization),
    identifier: [
      { system: CodeSystem.npi, value: row.billingNpi },
      { type: { coding: [{ system: System.identifierType, code: 'TAX' }] }, system: 'urn:oid:2.16.840.1.113883.4.4', value: row.tin },
    ],
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov', display: 'Healthcare Provider' }] }],
    name: row.legalName,
    telecom: row.phone ? [{ system: 'phone', value: row.phone }] : undefined,
    address: organizationAddress(row),
  });
}

export function payerOrganization(row: Row<typeof s.payers>): Organization {
  return clean<Organization>({
    resourceType: 'Organization',
    id: resourceId(idPrefix.payer, row.id),
    meta: meta(Profile.organization),
    identifier: [{ system: 'urn:practicekit:payer-id', value: row.payerId }],
    active: row.active,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'pay', display: 'Payer' }] }],
    name: row.name,
    telecom: row.phone ? [{ system: 'phone', value: row.phone }] : undefined,
    address: organizationAddress(row),
  });
}

function quantity(value: string | null, unit: string | null): Quantity | undefined {
  if (value === null) return undefined;
  const code = ucumCode(unit);
  // The UCUM code doubles as the unit text, so a receiver that keeps either one gives back the same unit.
  return clean({ value: Number(value), unit: code ?? unit ?? undefined, system: code ? System.ucum : undefined, code });
}

export function allergyResource(row: Row<typeof s.allergies>): AllergyIntolerance {
  return clean<AllergyIntolerance>({
    resourceType: 'AllergyIntolerance',
    id: resourceId(idPrefix.allergy, row.id),
    meta: meta(Profile.allergy),
    // FHIR ait-2: no clinical status on an entry marked entered in error.
    clinicalStatus: row.verificationStatus === 'entered-in-error' ? undefined : { coding: [{ system: System.allergyClinical, code: row.clinicalStatus }] },
    verificationStatus: { coding: [{ system: System.allergyVerification, code: row.verificationStatus }] },
    category: [row.category as 'medication'],
    criticality: (row.criticality as AllergyIntolerance['criticality']) ?? undefined,
    code: concept(row.codeSystem, row.code, undefined, row.substance),
    patient: patientRef(row.patientId),
    onsetDateTime: row.onsetDate ?? undefined,
    recordedDate: row.recordedDate ?? undefined,
    reaction:
      row.reaction || row.severity
        ? [clean({ manifestation: [{ text: row.reaction ?? 'unspecified reaction' }], severity: (row.severity as 'mild') ?? undefined })]
        : undefined,
  });
}

/** A lab order and its results: the report that groups them. */
export function labReportResource(order: Row<typeof s.orders>, results: Pick<Row<typeof s.observations>, 'id' | 'effectiveAt' | 'issuedAt' | 'status'>[]): DiagnosticReport {
  const effective = results.reduce<Date | null>((latest, r) => (!latest || r.effectiveAt > latest ? r.effectiveAt : latest), null);
  const issued = results.reduce<Date | null>((latest, r) => (r.issuedAt && (!latest || r.issuedAt > latest) ? r.issuedAt : latest), null);
  const status = order.status === 'completed' ? 'final' : order.status === 'revoked' ? 'cancelled' : order.status === 'entered-in-error' ? 'entered-in-error' : 'partial';
  return clean<DiagnosticReport>({
    resourceType: 'DiagnosticReport',
    id: resourceId(idPrefix.labReport, order.id),
    meta: meta(Profile.diagnosticReportLab),
    basedOn: [ref('ServiceRequest', idPrefix.order, order.id)!],
    status,
    category: [{ coding: [{ system: System.diagnosticService, code: 'LAB' }] }],
    code: concept(order.codeSystem, order.code, order.display)!,
    subject: patientRef(order.patientId),
    encounter: encounterRef(order.encounterId),
    effectiveDateTime: iso(effective ?? order.orderedAt),
    issued: iso(issued ?? effective ?? order.orderedAt),
    performer: order.providerId ? [practitionerRef(order.providerId)!] : undefined,
    result: results.map((r) => ref('Observation', idPrefix.observation, r.id)!),
  });
}

export function imagingReportResource(row: Row<typeof s.imagingReports>): DiagnosticReport {
  return clean<DiagnosticReport>({
    resourceType: 'DiagnosticReport',
    id: resourceId(idPrefix.imagingReport, row.id),
    meta: meta(Profile.diagnosticReportNote),
    basedOn: row.orderId ? [ref('ServiceRequest', idPrefix.order, row.orderId)!] : undefined,
    status: row.status as DiagnosticReport['status'],
    category: [{ coding: [{ system: 'http://loinc.org', code: 'LP29684-5', display: 'Radiology' }] }],
    code: concept(row.codeSystem, row.code, row.display, row.code ? undefined : `${row.modality} study`)!,
    subject: patientRef(row.patientId),
    encounter: encounterRef(row.encounterId),
    effectiveDateTime: row.studyDate,
    issued: `${row.studyDate}T00:00:00.000Z`,
    conclusion: row.impression ?? undefined,
    extension: [
      { url: 'urn:practicekit:imaging-modality', valueCode: row.modality },
      ...(row.bodySite ? [{ url: 'urn:practicekit:imaging-body-site', valueString: row.bodySite }] : []),
    ],
    // The findings as written; the impression is the conclusion.
    presentedForm: row.findings ? [{ contentType: 'text/plain; charset=utf-8', title: 'Findings', data: Buffer.from(row.findings, 'utf8').toString('base64') }] : undefined,
  });
}

export function progressNoteDocument(row: Row<typeof s.progressNotes>): DocumentReference {
  const text = soapToText(row);
  const statusByNote: Record<string, DocumentReference['docStatus']> = { preliminary: 'preliminary', final: 'final', amended: 'amended', 'entered-in-error': 'entered-in-error' };
  return clean<DocumentReference>({
    resourceType: 'DocumentReference',
    id: resourceId(idPrefix.note, row.id),
    meta: meta(Profile.documentReference),
    status: row.status === 'entered-in-error' ? 'entered-in-error' : 'current',
    docStatus: statusByNote[row.status],
    type: { coding: [{ system: CodeSystem.loinc, code: '11506-3', display: 'Progress note' }] },
    category: [{ coding: [{ system: System.usCoreDocumentCategory, code: 'clinical-note', display: 'Clinical Note' }] }],
    subject: patientRef(row.patientId),
    date: iso(row.signedAt) ?? `${row.noteDate}T00:00:00.000Z`,
    author: row.authorId ? [practitionerRef(row.authorId)!] : undefined,
    relatesTo: row.amendsNoteId ? [{ code: 'replaces', target: ref('DocumentReference', idPrefix.note, row.amendsNoteId)! }] : undefined,
    content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text, 'utf8').toString('base64'), title: 'Progress note' } }],
    context: clean({ encounter: row.encounterId ? [encounterRef(row.encounterId)!] : undefined, period: { start: row.noteDate } }),
  });
}

export function carePlanResource(row: Row<typeof s.carePlans>, goalIds: number[]): CarePlan {
  return clean<CarePlan>({
    resourceType: 'CarePlan',
    id: resourceId(idPrefix.carePlan, row.id),
    meta: meta(Profile.carePlan),
    // US Core requires a narrative; ours is the plan as written, escaped for XHTML.
    text: { status: 'additional', div: `<div xmlns="http://www.w3.org/1999/xhtml">${escapeXml(row.description ?? row.title)}</div>` },
    status: row.status as CarePlan['status'],
    intent: row.intent as CarePlan['intent'],
    category: [
      { coding: [{ system: System.carePlanCategory, code: 'assess-plan' }] },
      ...(row.categoryCode ? [concept(row.categorySystem, row.categoryCode)!] : []),
    ],
    title: row.title,
    description: row.description ?? undefined,
    subject: patientRef(row.patientId),
    encounter: encounterRef(row.encounterId),
    period: row.periodStart || row.periodEnd ? clean({ start: row.periodStart ?? undefined, end: row.periodEnd ?? undefined }) : undefined,
    author: practitionerRef(row.authorId),
    goal: goalIds.length ? goalIds.map((id) => ref('Goal', idPrefix.goal, id)!) : undefined,
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function goalResource(row: Row<typeof s.goals>): Goal {
  // A target value needs the measure it is a value of (FHIR invariant gol-1).
  const measure = concept(row.codeSystem, row.code);
  const detail = measure && row.targetValue !== null ? quantity(row.targetValue, row.targetUnit) : undefined;
  return clean<Goal>({
    resourceType: 'Goal',
    id: resourceId(idPrefix.goal, row.id),
    meta: meta(Profile.goal),
    lifecycleStatus: row.lifecycleStatus as Goal['lifecycleStatus'],
    achievementStatus: row.achievementStatus ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: row.achievementStatus }] } : undefined,
    description: concept(row.codeSystem, row.code, undefined, row.description)!,
    subject: patientRef(row.patientId),
    target: detail || row.dueDate ? [clean({ measure: detail ? measure : undefined, detailQuantity: detail, dueDate: row.dueDate ?? undefined })] : undefined,
  });
}

const orderCategory: Record<string, { system: string; code: string; display: string }> = {
  lab: { system: 'http://snomed.info/sct', code: '108252007', display: 'Laboratory procedure' },
  imaging: { system: 'http://snomed.info/sct', code: '363679005', display: 'Imaging' },
  referral: { system: 'http://snomed.info/sct', code: '3457005', display: 'Patient referral' },
  device: { system: 'http://snomed.info/sct', code: '49062001', display: 'Device' },
  procedure: { system: CodeSystem.snomed, ...SURGICAL_PROCEDURE_SNOMED },
};

export function orderServiceRequest(row: Row<typeof s.orders>): ServiceRequest {
  return clean<ServiceRequest>({
    resourceType: 'ServiceRequest',
    id: resourceId(idPrefix.order, row.id),
    meta: meta(Profile.serviceRequest),
    status: row.status as ServiceRequest['status'],
    intent: row.intent as ServiceRequest['intent'],
    category: [{ coding: [orderCategory[row.kind]!] }],
    code: concept(row.codeSystem, row.code, row.display),
    subject: patientRef(row.patientId),
    encounter: encounterRef(row.encounterId),
    authoredOn: iso(row.orderedAt),
    requester: practitionerRef(row.providerId),
    reasonCode: row.reason || row.reasonCode ? [concept(row.reasonSystem, row.reasonCode, undefined, row.reason)!] : undefined,
  });
}

const referralStatus: Record<string, ServiceRequest['status']> = {
  draft: 'draft',
  sent: 'active',
  scheduled: 'active',
  completed: 'completed',
  cancelled: 'revoked',
};

/** A referral to another clinician: who it goes to travels as NPI and name, since they are not our providers. */
export function referralServiceRequest(row: Row<typeof s.referrals>, authNumber?: string | null): ServiceRequest {
  return clean<ServiceRequest>({
    resourceType: 'ServiceRequest',
    id: resourceId(idPrefix.referral, row.id),
    meta: meta(Profile.serviceRequest),
    identifier: authNumber ? [{ type: { text: 'Prior authorization number' }, system: System.priorAuth, value: authNumber }] : undefined,
    status: referralStatus[row.status],
    intent: 'order',
    category: [{ coding: [orderCategory.referral!] }],
    code: { coding: [orderCategory.referral!], text: row.specialty ? `Referral to ${row.specialty}` : 'Referral' },
    subject: patientRef(row.patientId),
    encounter: encounterRef(row.encounterId),
    authoredOn: iso(row.sentAt ?? row.createdAt),
    requester: practitionerRef(row.fromProviderId),
    performerType: row.specialty ? { text: row.specialty } : undefined,
    performer: [
      clean({ type: 'Practitioner' as const, identifier: row.toNpi ? { system: CodeSystem.npi, value: row.toNpi } : undefined, display: row.toName }),
      ...(row.toOrganization ? [{ type: 'Organization' as const, display: row.toOrganization }] : []),
    ],
    reasonCode: [concept(row.reasonSystem, row.reasonCode, undefined, row.reason)!],
    occurrenceDateTime: row.followUpDate ?? undefined,
  });
}

// Past medical, family, social and surgical history as the patient tells it (medical_history): entered-in-error
// entries keep FHIR's entered-in-error status, so a receiver hides them as we do.
type HistoryRow = Row<typeof s.medicalHistory>;
const inError = (row: { status: string }) => row.status === 'entered-in-error';
const notes = (text: string | null) => (text ? [{ text }] : undefined);
const correctionOf = (type: string, row: HistoryRow): Extension[] | undefined =>
  row.replacesId ? [{ url: System.replaces, valueReference: ref(type, idPrefix.history, row.replacesId)! }] : undefined;

/**
 * A past illness as the patient tells it (kind past-illness). US Core has no category of its own for past
 * medical history: it is a problem-list-item Condition that is over, clinicalStatus resolved, with a second
 * category (LOINC 11348-0, the past illness section) so a receiver, and our import, tell it from a problem
 * resolved here. When it ended is not told: it had by the time it was recorded, the abatement given, so
 * a reader that takes an abatement-less condition as lasting (QI-Core's prevalence period) does not.
 */
export function pastIllnessCondition(row: HistoryRow): Condition {
  const recorded = row.createdAt.toISOString();
  return clean<Condition>({
    resourceType: 'Condition',
    id: resourceId(idPrefix.history, row.id),
    meta: meta(Profile.conditionProblem),
    extension: correctionOf('Condition', row),
    // FHIR con-5: no clinical status on an entry marked entered in error.
    clinicalStatus: inError(row) ? undefined : { coding: [{ system: System.conditionClinical, code: 'resolved' }] },
    verificationStatus: inError(row) ? { coding: [{ system: System.conditionVerification, code: 'entered-in-error' }] } : undefined,
    category: [
      { coding: [{ system: System.conditionCategory, code: 'problem-list-item', display: 'Problem List Item' }] },
      { coding: [{ system: CodeSystem.loinc, ...PAST_ILLNESS_LOINC }] },
    ],
    code: concept(row.codeSystem, row.code, undefined, row.description),
    subject: patientRef(row.patientId),
    asserter: patientRef(row.patientId),
    onsetDateTime: row.onsetDate ?? undefined,
    abatementDateTime: inError(row) || (row.onsetDate && row.onsetDate > recorded.slice(0, 10)) ? undefined : recorded,
    recordedDate: recorded,
    note: notes(row.note),
  });
}

/** A relative's condition (kind family): the relation as an HL7 v3 RoleCode, the age at onset in years. */
export function familyHistoryResource(row: HistoryRow): FamilyMemberHistory {
  const relation = row.relation ? FAMILY_RELATIONS[row.relation] : undefined;
  return clean<FamilyMemberHistory>({
    resourceType: 'FamilyMemberHistory',
    id: resourceId(idPrefix.history, row.id),
    extension: correctionOf('FamilyMemberHistory', row),
    status: inError(row) ? 'entered-in-error' : 'completed',
    patient: patientRef(row.patientId),
    relationship: relation ? { coding: [{ system: ROLE_CODE_SYSTEM, code: relation.code, display: relation.display }], text: row.relation! } : { text: row.relation ?? 'family member' },
    condition: [
      clean({
        code: concept(row.codeSystem, row.code, undefined, row.description)!,
        onsetAge: row.onsetAge !== null ? { value: row.onsetAge, unit: 'a', system: System.ucum, code: 'a' } : undefined,
      }),
    ],
    note: notes(row.note),
  });
}

/** Social history told in words (kind social): a US Core social-history Observation, LOINC 29762-2, since when as the period's start. */
export function socialHistoryObservation(row: HistoryRow): Observation {
  return clean<Observation>({
    resourceType: 'Observation',
    id: resourceId(idPrefix.history, row.id),
    meta: meta(Profile.socialHistory),
    extension: correctionOf('Observation', row),
    status: inError(row) ? 'entered-in-error' : 'final',
    category: [{ coding: [{ system: System.observationCategory, code: 'social-history', display: 'Social History' }] }],
    code: { coding: [{ system: CodeSystem.loinc, code: SOCIAL_HISTORY_NARRATIVE_LOINC, display: 'Social history Narrative' }] },
    subject: patientRef(row.patientId),
    effectivePeriod: row.onsetDate ? { start: row.onsetDate } : undefined,
    valueString: row.description,
    note: notes(row.note),
  });
}

/**
 * A past surgery as the patient tells it (kind surgery): a US Core Procedure the patient asserts (which
 * tells it from procedures done and recorded here), dated when known.
 */
export function surgicalHistoryProcedure(row: HistoryRow): Procedure {
  return clean<Procedure>({
    resourceType: 'Procedure',
    id: resourceId(idPrefix.history, row.id),
    meta: meta(Profile.procedure),
    extension: correctionOf('Procedure', row),
    status: inError(row) ? 'entered-in-error' : 'completed',
    category: { coding: [{ system: CodeSystem.snomed, ...SURGICAL_PROCEDURE_SNOMED }] },
    code: concept(row.codeSystem, row.code, undefined, row.description),
    subject: patientRef(row.patientId),
    asserter: patientRef(row.patientId),
    // US Core wants a performed time: "date unknown" says so when the patient could not tell.
    ...(row.onsetDate ? { performedDateTime: row.onsetDate } : { performedString: 'date unknown' }),
    note: notes(row.note),
  });
}

const directiveStatus: Record<string, DocumentReference['status']> = { current: 'current', superseded: 'superseded', 'entered-in-error': 'entered-in-error' };

/**
 * An advance directive on file (US Core ADI DocumentReference): category 42348-3, the LOINC document
 * type of its kind, signed date as the context period, who holds the original as custodian, where it is
 * kept as an extension. The practice keeps no copy: the attachment is the record of it, in words.
 */
export function advanceDirectiveDocument(row: Row<typeof s.advanceDirectives>): DocumentReference {
  const kind = ADVANCE_DIRECTIVE_KINDS[row.kind];
  const label = kind?.label ?? row.kind;
  const text = [
    `${label}${row.signedDate ? `, signed ${row.signedDate}` : ''}.`,
    row.custodian ? `Original held by: ${row.custodian}.` : undefined,
    row.location ? `Kept: ${row.location}.` : undefined,
    row.note ? `Note: ${row.note}` : undefined,
  ].filter(Boolean).join('\n');
  return clean<DocumentReference>({
    resourceType: 'DocumentReference',
    id: resourceId(idPrefix.advanceDirective, row.id),
    meta: meta(Profile.documentReference, Profile.adiDocumentReference),
    extension: row.location ? [{ url: System.documentLocation, valueString: row.location }] : undefined,
    status: directiveStatus[row.status] ?? 'current',
    type: { coding: [{ system: CodeSystem.loinc, code: row.code, display: kind?.display }], text: label },
    category: [{ coding: [{ system: CodeSystem.loinc, code: ADVANCE_DIRECTIVES_CATEGORY_LOINC, display: 'Advance directives' }] }],
    subject: patientRef(row.patientId),
    custodian: row.custodian ? { display: row.custodian } : undefined,
    description: row.note ?? undefined,
    relatesTo: row.replacesId ? [{ code: 'replaces', target: ref('DocumentReference', idPrefix.advanceDirective, row.replacesId)! }] : undefined,
    content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text, 'utf8').toString('base64'), title: label } }],
    context: row.signedDate ? { period: { start: row.signedDate } } : undefined,
  });
}
