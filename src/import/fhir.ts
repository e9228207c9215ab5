// FHIR R4 → import items: Bundles (transaction/collection), single-resource files and folders of them
// (one folder per patient, as MADiE test cases are laid out). One item per resource; resource types we do
// not store are skipped, references to resources that are not in the input are tolerated.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CodeSystem, normalizeCodeSystem } from '../codes/systems.js';
import { normalizeCvx } from '../codes/drug-codes.js';
import { normalizeNdc } from '../codes/ndc.js';
import { normalizePhone } from '../codes/contact.js';
import { PracticeError } from '../errors.js';
import { normalizeEthnicity, normalizeRace, normalizeState } from './demographics.js';
import type { ImportItem } from './engine.js';
import type { ClinicalRecord, ClinicalTarget, PatientRef } from './writer.js';

type Json = Record<string, any>;

export interface FhirUnit {
  /** The file or folder the resources came from. */
  name: string;
  resources: { resource: Json; where: string; fullUrl?: string }[];
}

/** Resources grouped by folder (or one file), read one group at a time so a big tree is never all in memory. */
export async function* readFhirInput(path: string, ignored: string[] = [], top = true): AsyncGenerator<FhirUnit> {
  const info = await stat(path);
  if (info.isFile()) {
    yield { name: basename(path), resources: (await resourcesOfFile(path, top ? undefined : ignored))! };
    return;
  }
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const files = entries.filter((e) => e.isFile() && /\.(json|ndjson)$/i.test(e.name));
  if (files.length) {
    const resources = [];
    for (const file of files) resources.push(...((await resourcesOfFile(join(path, file.name), ignored)) ?? []));
    yield { name: basename(path), resources };
  }
  for (const dir of entries.filter((e) => e.isDirectory())) yield* readFhirInput(join(path, dir.name), ignored, false);
}

/**
 * The resources of one file. Inside a folder, JSON that is not FHIR (an index, test expectations) is
 * listed in `ignored` instead of refusing the whole import.
 */
async function resourcesOfFile(file: string, ignored?: string[]): Promise<FhirUnit['resources'] | undefined> {
  const text = await readFile(file, 'utf8');
  const name = basename(file);
  let docs: Json[];
  try {
    docs = /\.ndjson$/i.test(file) ? text.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l)) : [JSON.parse(text.replace(/^\uFEFF/, ''))];
  } catch {
    if (ignored) {
      ignored.push(file);
      return undefined;
    }
    throw new PracticeError('IMPORT_UNREADABLE', `${name} is not valid JSON, so it cannot be read as FHIR.`, { hint: 'Check the file is a FHIR R4 JSON resource or Bundle.' });
  }
  const out: FhirUnit['resources'] = [];
  for (const doc of docs) {
    if (!doc || typeof doc.resourceType !== 'string') {
      if (ignored) {
        ignored.push(file);
        return undefined;
      }
      throw new PracticeError('IMPORT_UNREADABLE', `${name} is JSON but not a FHIR resource (it has no resourceType).`, { hint: 'Give a FHIR R4 Bundle, a resource, or a folder of them.' });
    }
    if (doc.resourceType === 'Bundle') {
      (doc.entry ?? []).forEach((entry: Json, i: number) => {
        if (entry?.resource && entry.request?.method !== 'DELETE') out.push({ resource: entry.resource, where: `${name} entry ${i + 1}`, fullUrl: entry.fullUrl });
      });
    } else out.push({ resource: doc, where: name });
  }
  return out;
}

interface Coded {
  codeSystem: string;
  code: string;
  display?: string;
}

function coded(concept: Json | undefined, prefer?: string): Coded | undefined {
  const codings: Json[] = concept?.coding ?? [];
  const pick = (prefer && codings.find((c) => normalizeCodeSystem(c.system ?? '') === prefer)) || codings.find((c) => c.system && c.code);
  if (!pick?.system || !pick.code) return undefined;
  return { codeSystem: normalizeCodeSystem(pick.system), code: String(pick.code), display: pick.display ?? concept?.text ?? undefined };
}

function firstCode(concept: Json | undefined): string | undefined {
  return concept?.coding?.[0]?.code;
}

function conceptText(concept: Json | undefined): string | undefined {
  return concept?.text ?? concept?.coding?.find((c: Json) => c.display)?.display ?? concept?.coding?.[0]?.code;
}

function dateOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(value);
  return m ? `${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}` : undefined;
}

function instantOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return value.length <= 10 ? `${dateOf(value)}T00:00:00Z` : value;
}

/** A dateTime or the period a choice element gives (x = "effective", "performed", "onset"...). */
function when(resource: Json, prefix: string): { start?: string; end?: string } {
  const dt = resource[`${prefix}DateTime`] ?? resource[`${prefix}Instant`];
  if (dt) return { start: dt, end: dt };
  const period = resource[`${prefix}Period`];
  if (period) return { start: period.start ?? period.end, end: period.end ?? period.start };
  return {};
}

const observationCategories = new Set(['vital-signs', 'laboratory', 'survey', 'social-history', 'exam', 'imaging', 'procedure', 'therapy', 'activity']);
const vitalLoinc = new Set(['85354-9', '8480-6', '8462-4', '29463-7', '8302-2', '39156-5', '8310-5', '8867-4', '9279-1', '59408-5', '2708-6', '8287-5', '9843-4']);
const observationStatuses = new Set(['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown']);
const encounterStatuses = new Set(['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown']);
const medicationStatuses = new Set(['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown']);
const orderStatuses = new Set(['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown']);
const relationshipCodes: Record<string, string> = { self: '18', spouse: '01', child: '19', parent: 'G8', common: 'G8', other: 'G8', injured: 'G8' };
// SNOMED CT categories MADiE and US Core use on ServiceRequest.
const orderKinds: Record<string, 'lab' | 'imaging' | 'referral' | 'procedure'> = {
  '108252007': 'lab',
  '363679005': 'imaging',
  '3457005': 'referral',
  '387713003': 'procedure',
  '409063005': 'procedure',
};

interface Context {
  source: string;
  /** urn:uuid fullUrls and contained ids → Type/id, so bundle-internal references resolve. */
  aliases: Map<string, string>;
  /** Medication resources by reference, for MedicationRequest.medicationReference. */
  medications: Map<string, Json>;
  /** Conditions by reference, for Encounter.diagnosis. */
  conditions: Map<string, Json>;
}

function refTo(context: Context, reference: Json | undefined, type: string): string | undefined {
  const raw: string | undefined = reference?.reference;
  if (!raw) return undefined;
  const resolved = context.aliases.get(raw) ?? raw;
  const m = new RegExp(`(?:^|/)${type}/([^/]+?)(?:/_history/.*)?$`).exec(resolved);
  return m ? m[1] : undefined;
}

/** Turns one unit's resources into import items (one per resource). */
export function fhirItems(unit: FhirUnit, source: string): ImportItem[] {
  const context: Context = { source, aliases: new Map(), medications: new Map(), conditions: new Map() };
  for (const { resource, fullUrl } of unit.resources) {
    // Transaction bundles often give only a urn:uuid fullUrl: it becomes the id, so re-imports match.
    if (!resource.id && fullUrl?.startsWith('urn:uuid:')) resource.id = fullUrl.slice(9);
    if (fullUrl && resource.id) context.aliases.set(fullUrl, `${resource.resourceType}/${resource.id}`);
    if (resource.resourceType === 'Medication' && resource.id) context.medications.set(resource.id, resource);
    if (resource.resourceType === 'Condition' && resource.id) context.conditions.set(resource.id, resource);
  }
  return unit.resources.map(({ resource, where }) => itemFor(resource, `${where} (${resource.resourceType}${resource.id ? `/${resource.id}` : ''})`, context));
}

const mappers: Record<string, (r: Json, item: Builder) => void> = {
  Patient: mapPatient,
  Encounter: mapEncounter,
  Condition: mapCondition,
  Observation: mapObservation,
  MedicationRequest: mapMedication,
  MedicationStatement: mapMedication,
  AllergyIntolerance: mapAllergy,
  Immunization: mapImmunization,
  Procedure: mapProcedure,
  ServiceRequest: mapOrder,
  DeviceRequest: mapOrder,
  Coverage: mapCoverage,
};

/** Resource types the import stores; everything else is counted as skipped. */
export const storedFhirTypes = Object.keys(mappers);

class Builder {
  readonly item: ImportItem;
  constructor(
    readonly context: Context,
    readonly resource: Json,
    where: string,
  ) {
    this.item = { where, patients: [], records: [], problems: [] };
  }

  get sourceId(): string {
    return `${this.resource.resourceType}/${this.resource.id}`;
  }

  reject(reason: string): void {
    this.item.problems.push(reason);
  }

  patientRef(reference: Json | undefined): PatientRef | undefined {
    const id = refTo(this.context, reference, 'Patient');
    if (!id) {
      this.reject('it names no patient (subject/patient/beneficiary)');
      return undefined;
    }
    return { system: this.context.source, value: id };
  }

  add(target: ClinicalTarget, patient: PatientRef, values: Record<string, unknown>, extra: Partial<ClinicalRecord> = {}): void {
    const encounter = refTo(this.context, this.resource.encounter ?? this.resource.context, 'Encounter');
    this.item.records.push({
      target,
      sourceSystem: this.context.source,
      sourceId: this.sourceId,
      patient,
      encounter: encounter ? `Encounter/${encounter}` : undefined,
      values,
      ...extra,
    });
  }

  /** The FHIR "not done" shape the eCQM exceptions read. */
  notDone(patient: PatientRef, kind: string, what: Coded | undefined, at: string | undefined, reason: Json | undefined): void {
    if (!what) return this.reject('it has no code saying what was not done');
    if (!at) return this.reject('it has no date');
    const why = coded(reason);
    this.add('notDoneEvents', patient, {
      kind,
      codeSystem: what.codeSystem,
      code: what.code,
      display: what.display ?? null,
      reasonSystem: why?.codeSystem ?? null,
      reasonCode: why?.code ?? null,
      reasonText: conceptText(reason) ?? null,
      status: 'not-done',
      recordedAt: instantOf(at),
    });
  }
}

function itemFor(resource: Json, where: string, context: Context): ImportItem {
  const mapper = mappers[resource.resourceType];
  const builder = new Builder(context, resource, where);
  if (!mapper) {
    builder.item.skip = true;
    return builder.item;
  }
  if (!resource.id) {
    builder.reject('the resource has no id, so a re-import could not recognise it');
    return builder.item;
  }
  mapper(resource, builder);
  return builder.item;
}

function extensionCode(resource: Json, url: string): string | undefined {
  const ext = (resource.extension ?? []).find((e: Json) => e.url === url);
  return ext?.extension?.find((e: Json) => e.url === 'ombCategory')?.valueCoding?.code;
}

function mapPatient(r: Json, b: Builder): void {
  const name = (r.name ?? []).find((n: Json) => n.use === 'official') ?? r.name?.[0];
  const family = name?.family;
  const given: string[] = name?.given ?? [];
  const dob = dateOf(r.birthDate);
  if (!family || !given.length) b.reject('the patient has no family and given name');
  if (!dob) b.reject('the patient has no birth date');
  if (b.item.problems.length) return;
  const address = r.address?.[0];
  const phone = (use: string) => {
    const t = (r.telecom ?? []).find((c: Json) => c.system === 'phone' && (c.use ?? 'home') === use);
    return t?.value ? (normalizePhone(t.value) ?? null) : null;
  };
  const email = (r.telecom ?? []).find((c: Json) => c.system === 'email')?.value ?? null;
  const race = extensionCode(r, 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race');
  const ethnicity = extensionCode(r, 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity');
  b.item.patients.push({
    key: { system: b.context.source, value: r.id },
    mrn: r.id,
    values: {
      firstName: given[0]!,
      middleName: given.slice(1).join(' ') || null,
      lastName: family,
      dob: dob!,
      sex: ['male', 'female', 'other', 'unknown'].includes(r.gender) ? r.gender : 'unknown',
      race: race ? (normalizeRace(race) ?? null) : null,
      ethnicity: ethnicity ? (normalizeEthnicity(ethnicity) ?? null) : null,
      address1: address?.line?.[0] ?? null,
      address2: address?.line?.[1] ?? null,
      city: address?.city ?? null,
      state: address?.state ? (normalizeState(address.state) ?? null) : null,
      zip: address?.postalCode ?? null,
      phoneHome: phone('home'),
      phoneMobile: phone('mobile'),
      phoneWork: phone('work'),
      email,
      deceasedDate: dateOf(r.deceasedDateTime) ?? null,
    },
  });
}

function mapEncounter(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  const period = r.period ?? {};
  if (!period.start) b.reject('the visit has no start (period.start)');
  if (!patient || b.item.problems.length) return;
  const type = coded(r.type?.[0]);
  const reason = coded(r.reasonCode?.[0]);
  b.add('encounters', patient, {
    startsAt: instantOf(period.start),
    endsAt: instantOf(period.end) ?? null,
    status: encounterStatuses.has(r.status) ? r.status : 'unknown',
    encounterClass: r.class?.code ?? 'AMB',
    typeSystem: type?.codeSystem ?? null,
    typeCode: type?.code ?? null,
    typeDisplay: type?.display ?? null,
    reason: conceptText(r.reasonCode?.[0]) ?? null,
    reasonSystem: reason?.codeSystem ?? null,
    reasonCode: reason?.code ?? null,
  });
  const disposition = coded(r.hospitalization?.dischargeDisposition);
  if (disposition) b.item.records.at(-1)!.qualifiers = [{ qualifier: 'discharge-disposition', ...disposition }];
  let position = 0;
  for (const d of r.diagnosis ?? []) {
    const id = refTo(b.context, d.condition, 'Condition');
    const condition = id ? coded(b.context.conditions.get(id)?.code) : undefined;
    if (condition && position < 12) b.item.diagnoses = [...(b.item.diagnoses ?? []), { encounter: b.sourceId, position: ++position, ...condition }];
  }
}

function mapCondition(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  const code = coded(r.code);
  if (!code) b.reject('the condition has no coded diagnosis');
  if (!patient || !code) return;
  const onset = dateOf(when(r, 'onset').start);
  const abatement = dateOf(when(r, 'abatement').start);
  if (onset && abatement && abatement < onset) return b.reject('it resolved (abatement) before its onset');
  const category = firstCode(r.category?.[0]);
  b.add('problems', patient, {
    ...code,
    display: code.display ?? null,
    category: category && ['problem-list-item', 'encounter-diagnosis', 'health-concern'].includes(category) ? category : 'problem-list-item',
    clinicalStatus: firstCode(r.clinicalStatus) ?? 'active',
    verificationStatus: firstCode(r.verificationStatus) ?? 'confirmed',
    onsetDate: onset ?? null,
    abatementDate: abatement ?? null,
    recordedDate: dateOf(r.recordedDate) ?? null,
  });
  const sites = (r.bodySite ?? []).map((site: Json) => coded(site)).filter(Boolean) as Coded[];
  if (sites.length) b.item.records.at(-1)!.qualifiers = sites.map((site) => ({ qualifier: 'body-site' as const, ...site }));
}

function observationValue(r: Json): Record<string, unknown> {
  if (r.valueQuantity) return { valueNumeric: r.valueQuantity.value ?? null, valueUnit: r.valueQuantity.code ?? r.valueQuantity.unit ?? null };
  if (r.valueCodeableConcept) {
    const value = coded(r.valueCodeableConcept);
    return { valueCodeSystem: value?.codeSystem ?? null, valueCode: value?.code ?? null, valueText: conceptText(r.valueCodeableConcept) ?? null };
  }
  if (r.valueString !== undefined || r.valueBoolean !== undefined || r.valueInteger !== undefined) {
    const v = r.valueString ?? r.valueBoolean ?? r.valueInteger;
    return typeof v === 'number' ? { valueNumeric: v } : { valueText: String(v) };
  }
  return {};
}

function mapObservation(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  const code = coded(r.code, CodeSystem.loinc);
  // Measures ask for the latest reading: a period counts at its end.
  const at = when(r, 'effective').end ?? r.issued;
  if (!code) b.reject('the observation has no code');
  if (!at) b.reject('the observation has no date (effective or issued)');
  if (!patient || b.item.problems.length) return;
  const given = (r.category ?? []).map(firstCode).find((c: string) => observationCategories.has(c));
  const category = given ?? (code!.codeSystem === CodeSystem.loinc && vitalLoinc.has(code!.code) ? 'vital-signs' : 'laboratory');
  const common = { category, status: observationStatuses.has(r.status) ? r.status : 'unknown', effectiveAt: instantOf(at), issuedAt: r.issued ?? null };
  const periodStart = r.effectivePeriod?.start && r.effectivePeriod.end ? instantOf(r.effectivePeriod.start) : undefined;
  b.add('observations', patient, { ...common, ...code!, display: code!.display ?? null, ...observationValue(r) }, { periodStart });
  for (const component of r.component ?? []) {
    const part = coded(component.code, CodeSystem.loinc);
    if (!part) continue;
    b.add('observations', patient, { ...common, ...part, display: part.display ?? null, ...observationValue(component) }, { sourceId: `${b.sourceId}#${part.code}`, panel: b.sourceId, periodStart });
  }
}

function mapMedication(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  if (!patient) return;
  const ref = refTo(b.context, r.medicationReference, 'Medication');
  const concept = r.medicationCodeableConcept ?? (ref ? b.context.medications.get(ref)?.code : undefined);
  const rxnorm = coded(concept, CodeSystem.rxnorm);
  const ndc = coded(concept, CodeSystem.ndc);
  const statement = r.resourceType === 'MedicationStatement';
  const period = statement ? when(r, 'effective') : { start: r.authoredOn, end: r.dispenseRequest?.validityPeriod?.end };
  const doNotPerform = r.doNotPerform === true || r.status === 'not-taken';
  if (doNotPerform) return b.notDone(patient, 'medication', rxnorm ?? ndc, r.authoredOn ?? r.dateAsserted ?? period.start, r.reasonCode?.[0] ?? r.statusReason?.[0]);
  const rxnormCode = rxnorm?.codeSystem === CodeSystem.rxnorm ? rxnorm.code : undefined;
  const ndcCode = ndc?.codeSystem === CodeSystem.ndc ? normalizeNdc(ndc.code) : undefined;
  if (!rxnormCode && !ndcCode) return b.reject(ref && !concept ? 'its Medication is not in the input, so the drug is unknown' : 'the medication has no RxNorm or NDC code');
  const start = dateOf(period.start);
  const stop = dateOf(period.end);
  b.add('medications', patient, {
    rxnormCode: rxnormCode ?? null,
    ndcCode: ndcCode ?? null,
    display: conceptText(concept) ?? rxnormCode ?? ndcCode,
    startDate: start ?? null,
    stopDate: stop && (!start || stop >= start) ? stop : null,
    status: medicationStatuses.has(r.status) ? r.status : r.status === 'intended' ? 'active' : 'unknown',
    kind: statement ? 'statement' : 'request',
  });
}

function mapAllergy(r: Json, b: Builder): void {
  const patient = b.patientRef(r.patient);
  const code = coded(r.code);
  const substance = conceptText(r.code);
  if (!substance) b.reject('the allergy names no substance');
  if (!patient || !substance) return;
  const category = r.category?.[0];
  const reaction = r.reaction?.[0];
  b.add('allergies', patient, {
    substance,
    codeSystem: code?.codeSystem ?? null,
    code: code?.code ?? null,
    category: ['medication', 'food', 'environment', 'biologic'].includes(category) ? category : 'medication',
    criticality: ['low', 'high', 'unable-to-assess'].includes(r.criticality) ? r.criticality : null,
    reaction: conceptText(reaction?.manifestation?.[0]) ?? null,
    severity: ['mild', 'moderate', 'severe'].includes(reaction?.severity) ? reaction.severity : null,
    clinicalStatus: firstCode(r.clinicalStatus) ?? 'active',
    verificationStatus: firstCode(r.verificationStatus) ?? 'confirmed',
    onsetDate: dateOf(when(r, 'onset').start) ?? null,
    recordedDate: dateOf(r.recordedDate) ?? null,
  });
}

function mapImmunization(r: Json, b: Builder): void {
  const patient = b.patientRef(r.patient);
  if (!patient) return;
  const vaccine = coded(r.vaccineCode, CodeSystem.cvx);
  const at = r.occurrenceDateTime ?? r.recorded;
  if (r.status === 'not-done') return b.notDone(patient, 'vaccine', vaccine, at, r.statusReason);
  const cvx = vaccine?.codeSystem === CodeSystem.cvx ? normalizeCvx(vaccine.code) : undefined;
  if (!cvx) b.reject('the immunization has no CVX vaccine code');
  if (!dateOf(at)) b.reject('the immunization has no date');
  if (b.item.problems.length) return;
  b.add('immunizations', patient, {
    cvxCode: cvx,
    display: vaccine?.display ?? null,
    occurrenceDate: dateOf(at),
    status: r.status === 'entered-in-error' ? 'entered-in-error' : 'completed',
    lotNumber: r.lotNumber ?? null,
    expirationDate: dateOf(r.expirationDate) ?? null,
    manufacturer: r.manufacturer?.display ?? null,
    site: conceptText(r.site) ?? null,
    route: conceptText(r.route) ?? null,
    doseQuantity: r.doseQuantity?.value ?? null,
    doseUnit: r.doseQuantity?.code ?? r.doseQuantity?.unit ?? null,
    primarySource: r.primarySource ?? true,
  });
}

function recordedExtension(r: Json): string | undefined {
  return (r.extension ?? []).find((e: Json) => /recorded$/.test(e.url ?? ''))?.valueDateTime;
}

function mapProcedure(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  const code = coded(r.code);
  const performed = when(r, 'performed');
  if (r.status === 'not-done') return patient && b.notDone(patient, 'procedure', code, recordedExtension(r) ?? performed.start, r.statusReason);
  if (!code) b.reject('the procedure has no code');
  if (!patient || !code) return;
  const reason = coded(r.reasonCode?.[0]);
  b.add('procedures', patient, {
    ...code,
    display: code.display ?? null,
    status: r.status ?? 'completed',
    performedStart: instantOf(performed.start) ?? null,
    performedEnd: instantOf(performed.end) ?? null,
    bodySite: conceptText(r.bodySite?.[0]) ?? null,
    reasonSystem: reason?.codeSystem ?? null,
    reasonCode: reason?.code ?? null,
  });
}

function doNotPerform(r: Json): boolean {
  return r.doNotPerform === true || (r.modifierExtension ?? []).some((e: Json) => /doNotPerform$/.test(e.url ?? '') && e.valueBoolean === true);
}

function mapOrder(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  const device = r.resourceType === 'DeviceRequest';
  const code = coded(device ? r.codeCodeableConcept : r.code);
  const kind = device ? 'device' : (orderKinds[firstCode(r.category?.[0]) ?? ''] ?? 'procedure');
  const at = r.authoredOn ?? when(r, 'occurrence').start;
  if (!patient) return;
  if (doNotPerform(r) || (r.statusReason && r.status !== 'completed')) {
    const notDoneKind = kind === 'lab' ? 'test' : kind === 'referral' ? 'follow-up' : 'procedure';
    return b.notDone(patient, notDoneKind, code, at, r.reasonCode?.[0] ?? r.statusReason);
  }
  if (!code) b.reject('the order has no code');
  if (!at) b.reject('the order has no date (authoredOn)');
  if (b.item.problems.length) return;
  b.add('orders', patient, {
    kind,
    ...code,
    display: code!.display ?? null,
    status: orderStatuses.has(r.status) ? r.status : 'unknown',
    intent: r.intent ?? 'order',
    orderedAt: instantOf(at),
    reason: conceptText(r.reasonCode?.[0]) ?? null,
  });
}

function mapCoverage(r: Json, b: Builder): void {
  const patient = b.patientRef(r.beneficiary);
  if (!patient) return;
  const type = coded(r.type);
  const organization = refTo(b.context, r.payor?.[0], 'Organization');
  // Without a payer organization, the payer type (e.g. Source of Payment Typology 59) names the payer.
  const payerKey = organization ? `Organization/${organization}` : type ? `${type.codeSystem}|${type.code}` : 'unknown';
  const from = dateOf(r.period?.start);
  const to = dateOf(r.period?.end);
  if (from && to && to < from) return b.reject('its coverage period ends before it starts');
  b.item.payers = [{ sourceId: payerKey, name: r.payor?.[0]?.display ?? type?.display ?? 'Unknown payer' }];
  b.add('coverages', patient, {
    payer: payerKey,
    priority: Math.min(3, Math.max(1, Number(r.order) || 1)),
    memberId: r.subscriberId ?? r.identifier?.[0]?.value ?? 'unknown',
    planName: type?.display ?? null,
    relationship: relationshipCodes[firstCode(r.relationship) ?? 'self'] ?? 'G8',
    effectiveFrom: from ?? null,
    effectiveTo: to ?? null,
    active: r.status === 'active',
  });
}
