// FHIR R4 → import items: Bundles (transaction/collection), single-resource files and folders of them
// (one folder per patient, as MADiE test cases are laid out; a bulk export's NDJSON files). One item per
// resource; resource types we do not store are skipped, references to resources that are not in the input
// are tolerated. Everything our own export writes (src/fhir/resources.ts) is read back, so an export
// imported into an empty practice exports again the same (test/fhir/roundtrip.test.ts).
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CodeSystem, normalizeCodeSystem } from '../codes/systems.js';
import { ADVANCE_DIRECTIVE_KINDS, ADVANCE_DIRECTIVES_CATEGORY_LOINC, PAST_ILLNESS_LOINC, relationOfRoleCode, ROLE_CODE_SYSTEM, SOCIAL_HISTORY_NARRATIVE_LOINC } from '../codes/chart-vocabulary.js';
import { ALLERGY_CODE_SYSTEMS, checkAllergy } from '../records/allergy.js';
import { checkImmunization } from '../records/immunization.js';
import { checkMedication } from '../records/medication.js';
import { checkNote } from '../records/note.js';
import { checkObservationValue } from '../records/observation.js';
import { checkEncounter, visitColumns } from '../records/encounter.js';
import { checkHistory, type HistoryInput, type HistoryValues } from '../records/history.js';
import { checkProblem, PROBLEM_CODE_SYSTEMS } from '../records/problem.js';
import { checkAppointment } from '../records/appointment.js';
import { checkCoverage, X12_RELATIONSHIPS } from '../records/coverage.js';
import { asReason, notANumber, type Checked, type RecordContext, valuesOrReasons } from '../records/record.js';
import { vitalByLoinc } from '../records/vital.js';
import { readIsoDate } from '../dates.js';
import { PracticeError } from '../errors.js';
import { defaultJsonLimits, formatBytes, ndjsonLines, parseJsonWithin, type JsonLimits } from '../text/json.js';
import { textToSoap } from '../fhir/notes.js';
import { Profile, System } from '../fhir/terminology.js';
import { checkPatient, importedPatient, normalizeState } from '../records/patient.js';
import type { ImportItem } from './engine.js';
import type { ClinicalRecord, ClinicalTarget, PatientRef, RecordLink } from './writer.js';

type Json = Record<string, any>;

export interface FhirUnit {
  /** The file or folder the resources came from. */
  name: string;
  resources: { resource: Json; where: string; fullUrl?: string }[];
  /** Parts that could not be read (an NDJSON line, a file in a folder): rejected, the rest goes on. */
  unreadable?: { where: string; problem: string }[];
}

/** Resources grouped by folder (or one file), read one group at a time so a big tree is never all in memory. */
export async function* readFhirInput(path: string, ignored: string[] = [], limits: JsonLimits = defaultJsonLimits, top = true): AsyncGenerator<FhirUnit> {
  const info = await stat(path);
  if (info.isFile()) {
    const unit: FhirUnit = { name: basename(path), resources: [], unreadable: [] };
    await readFhirFile(path, unit, limits);
    yield unit;
    return;
  }
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const files = entries.filter((e) => e.isFile() && /\.(json|ndjson)$/i.test(e.name));
  if (files.length) {
    const unit: FhirUnit = { name: basename(path), resources: [], unreadable: [] };
    for (const file of files) await readFhirFile(join(path, file.name), unit, limits, ignored);
    yield unit;
  }
  for (const dir of entries.filter((e) => e.isDirectory())) yield* readFhirInput(join(path, dir.name), ignored, limits, false);
}

/**
 * Refuses, before anything is read or written, a FHIR input with a JSON file over the size limit
 * (NDJSON is read a line at a time, so only its lines are limited).
 */
export async function checkFhirInputSize(path: string, limits: JsonLimits = defaultJsonLimits): Promise<void> {
  const info = await stat(path);
  if (info.isDirectory()) {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      if (entry.isDirectory() || (entry.isFile() && /\.json$/i.test(entry.name))) await checkFhirInputSize(join(path, entry.name), limits);
    }
  } else if (!/\.ndjson$/i.test(path) && info.size > limits.maxFileBytes) {
    throw new PracticeError('IMPORT_TOO_BIG', `${path} is ${formatBytes(info.size)}, more than the ${formatBytes(limits.maxFileBytes)} a FHIR JSON file may be; nothing was imported.`, {
      hint: 'Export it as NDJSON (read a line at a time), split the bundle, or raise PRACTICE_JSON_MAX_MB.',
    });
  }
}

/**
 * Adds one file's resources to the unit. A whole file that is not FHIR refuses the import when it was
 * given by name; inside a folder, JSON that is not FHIR (an index, test expectations) is listed in
 * `ignored`, and a file that cannot be read safely is rejected. A bad NDJSON line is rejected by number.
 */
async function readFhirFile(file: string, unit: FhirUnit, limits: JsonLimits, ignored?: string[]): Promise<void> {
  const name = basename(file);
  const refuse = (problem: string, hint = 'Check the file is a FHIR R4 JSON resource or Bundle.') => {
    if (!ignored) throw new PracticeError('IMPORT_UNREADABLE', `${name} ${problem}, so it cannot be read as FHIR; nothing was imported.`, { hint });
    (unit.unreadable ??= []).push({ where: name, problem: `the file ${problem}` });
  };
  if (/\.ndjson$/i.test(file)) {
    for await (const line of ndjsonLines(file, limits.maxLineBytes)) {
      const where = `${name} line ${line.line}`;
      if (line.text === undefined) {
        (unit.unreadable ??= []).push({ where, problem: `the line is ${formatBytes(line.bytes)}, more than the ${formatBytes(limits.maxLineBytes)} one resource may be (PRACTICE_NDJSON_LINE_MAX_MB)` });
        continue;
      }
      const parsed = parseJsonWithin(line.text, limits.maxDepth);
      if ('problem' in parsed) (unit.unreadable ??= []).push({ where, problem: `the line ${parsed.problem}` });
      else addDocument(parsed.value, where, unit, (problem) => (unit.unreadable ??= []).push({ where, problem: `the line ${problem}` }));
    }
    return;
  }
  const size = (await stat(file)).size;
  if (size > limits.maxFileBytes) return refuse(`is ${formatBytes(size)}, more than the ${formatBytes(limits.maxFileBytes)} limit`, 'Export it as NDJSON, split the bundle, or raise PRACTICE_JSON_MAX_MB.');
  const parsed = parseJsonWithin(await readFile(file, 'utf8'), limits.maxDepth);
  if ('problem' in parsed) {
    // Inside a folder, text that is not JSON at all is someone's notes; JSON too deep to read is refused.
    if (ignored && parsed.problem.startsWith('is not valid JSON')) return void ignored.push(file);
    return refuse(parsed.problem);
  }
  const doc = parsed.value as Json;
  if (ignored && (!doc || typeof doc !== 'object' || typeof doc.resourceType !== 'string')) return void ignored.push(file);
  addDocument(doc, name, unit, (problem) => refuse(problem, 'Give a FHIR R4 Bundle, a resource, or a folder of them.'));
}

/** One parsed document (a resource or a Bundle) into the unit; what does not fit the shape goes to `bad`. */
function addDocument(doc: unknown, where: string, unit: FhirUnit, bad: (problem: string) => void): void {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return bad(`is JSON but not a FHIR resource (${Array.isArray(doc) ? 'a list' : doc === null ? 'null' : `a ${typeof doc}`} instead of an object)`);
  const resource = doc as Json;
  if (typeof resource.resourceType !== 'string') return bad('is JSON but not a FHIR resource (it has no resourceType)');
  if (resource.resourceType !== 'Bundle') {
    unit.resources.push({ resource, where });
    return;
  }
  if (resource.entry !== undefined && !Array.isArray(resource.entry)) return bad('is a Bundle whose "entry" is not a list');
  (resource.entry ?? []).forEach((entry: unknown, i: number) => {
    const e = entry as Json | null;
    if (e?.request?.method === 'DELETE') return;
    if (!e || typeof e !== 'object' || !e.resource || typeof e.resource !== 'object' || Array.isArray(e.resource) || typeof e.resource.resourceType !== 'string') {
      (unit.unreadable ??= []).push({ where: `${where} entry ${i + 1}`, problem: 'the entry holds no FHIR resource' });
      return;
    }
    unit.resources.push({ resource: e.resource, where: `${where} entry ${i + 1}`, fullUrl: typeof e.fullUrl === 'string' ? e.fullUrl : undefined });
  });
}

interface Coded {
  codeSystem: string;
  code: string;
  display?: string;
}

/** The concept's coding in the first of the `prefer` systems it has, else its first coding. */
function coded(concept: Json | undefined, ...prefer: readonly string[]): Coded | undefined {
  const codings: Json[] = concept?.coding ?? [];
  const preferred = prefer.map((system) => codings.find((c) => c.code && normalizeCodeSystem(c.system ?? '') === system)).find(Boolean);
  const pick = preferred || codings.find((c) => c.system && c.code);
  if (!pick?.system || !pick.code) return undefined;
  return { codeSystem: normalizeCodeSystem(pick.system), code: String(pick.code), display: pick.display ?? concept?.text ?? undefined };
}

function firstCode(concept: Json | undefined): string | undefined {
  return concept?.coding?.[0]?.code;
}

function conceptText(concept: Json | undefined): string | undefined {
  return concept?.text ?? concept?.coding?.find((c: Json) => c.display)?.display ?? concept?.coding?.[0]?.code;
}

/** A FHIR date or dateTime as a calendar date (a partial date as its first day), read as every date is. */
const dateOf = readIsoDate;

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
const requestIntents = new Set(['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option']);
const orderStatuses = new Set(['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown']);
// SNOMED CT categories MADiE and US Core use on ServiceRequest.
const orderKinds: Record<string, 'lab' | 'imaging' | 'referral' | 'device' | 'procedure'> = {
  '108252007': 'lab',
  '363679005': 'imaging',
  '3457005': 'referral',
  '49062001': 'device',
  '387713003': 'procedure',
  '409063005': 'procedure',
};
const RADIOLOGY_CATEGORY = 'LP29684-5';
const PROGRESS_NOTE = '11506-3';
const PAYER_ID = 'urn:practicekit:payer-id';
const interpretationCodes = new Set(['N', 'H', 'L', 'HH', 'LL', 'A', 'AA']);
// Our export's referral status -> the referrals table's (the export writes sent and scheduled both as active).
const referralStatuses: Record<string, string> = { draft: 'draft', active: 'sent', 'on-hold': 'sent', completed: 'completed', revoked: 'cancelled', 'entered-in-error': 'cancelled' };

interface Context {
  source: string;
  /** The practice's today, for the record checks (src/records/). */
  record: RecordContext;
  /** urn:uuid fullUrls and contained ids → Type/id, so bundle-internal references resolve. */
  aliases: Map<string, string>;
  /** Medication resources by reference, for MedicationRequest.medicationReference. */
  medications: Map<string, Json>;
  /** Conditions by reference, for Encounter.diagnosis. */
  conditions: Map<string, Json>;
  /** Conditions that only rank a visit's diagnoses (no clinical status): stored with the visit, not as problems. */
  diagnosisOnly: Set<string>;
  /**
   * Condition id -> the Encounter that lists it as a diagnosis, for Conditions kept with their own
   * course: the condition is that visit's (measures then read its span, not the visit's, see compile.ts).
   */
  diagnosedAt: Map<string, string>;
  /** Practitioner id -> NPI, so clinicians are linked by NPI. */
  practitioners: Map<string, string>;
  /** Goal id -> source id of the CarePlan that lists it. */
  goalPlans: Map<string, string>;
}

/**
 * A Condition an Encounter lists as its diagnosis that says no more than the visit's coded diagnosis:
 * no status at all, or (as our export writes one) an active, confirmed encounter diagnosis whose onset
 * is the visit's start and which never abated. Anything else has a course of its own and is kept as a
 * condition too.
 */
function saysOnlyTheVisit(condition: Json, encounter: Json): boolean {
  if (!condition.clinicalStatus && !condition.verificationStatus) return true;
  const category = firstCode(condition.category?.[0]);
  const clinical = firstCode(condition.clinicalStatus);
  const verification = firstCode(condition.verificationStatus);
  const start = encounter.period?.start;
  return (
    category === 'encounter-diagnosis' &&
    (clinical === undefined || clinical === 'active') &&
    (verification === undefined || verification === 'confirmed') &&
    !condition.abatementDateTime && !condition.abatementPeriod && !condition.abatementString && !condition.abatementAge &&
    typeof start === 'string' && typeof condition.onsetDateTime === 'string' && Date.parse(condition.onsetDateTime) === Date.parse(start)
  );
}

function refTo(context: Context, reference: Json | undefined, type: string): string | undefined {
  const raw: string | undefined = reference?.reference;
  if (!raw) return undefined;
  const resolved = context.aliases.get(raw) ?? raw;
  const m = new RegExp(`(?:^|/)${type}/([^/]+?)(?:/_history/.*)?$`).exec(resolved);
  return m ? m[1] : undefined;
}

/** Turns one unit's resources into import items (one per resource). */
export function fhirItems(unit: FhirUnit, source: string, record: RecordContext): ImportItem[] {
  const context: Context = { source, record, aliases: new Map(), medications: new Map(), conditions: new Map(), diagnosisOnly: new Set(), diagnosedAt: new Map(), practitioners: new Map(), goalPlans: new Map() };
  for (const { resource, fullUrl } of unit.resources) {
    // Transaction bundles often give only a urn:uuid fullUrl: it becomes the id, so re-imports match.
    if (!resource.id && fullUrl?.startsWith('urn:uuid:')) resource.id = fullUrl.slice(9);
    if (fullUrl && resource.id) context.aliases.set(fullUrl, `${resource.resourceType}/${resource.id}`);
    if (resource.resourceType === 'Medication' && resource.id) context.medications.set(resource.id, resource);
    if (resource.resourceType === 'Condition' && resource.id) context.conditions.set(resource.id, resource);
    const npi = resource.resourceType === 'Practitioner' ? practitionerNpi(resource) : undefined;
    if (npi && resource.id) context.practitioners.set(resource.id, npi);
  }
  // Second pass: references need every alias first.
  for (const { resource } of unit.resources) {
    if (resource.resourceType === 'Encounter') {
      for (const d of resource.diagnosis ?? []) {
        const id = refTo(context, d.condition, 'Condition');
        const condition = id ? context.conditions.get(id) : undefined;
        if (id && condition && saysOnlyTheVisit(condition, resource)) context.diagnosisOnly.add(id);
        else if (id && condition && resource.id) context.diagnosedAt.set(id, `Encounter/${resource.id}`);
      }
    }
    if (resource.resourceType === 'CarePlan' && resource.id) {
      for (const goal of resource.goal ?? []) {
        const id = refTo(context, goal, 'Goal');
        if (id) context.goalPlans.set(id, `CarePlan/${resource.id}`);
      }
    }
  }
  const unreadable = (unit.unreadable ?? []).map(({ where, problem }): ImportItem => ({ where, patients: [], records: [], problems: [problem] }));
  return [
    ...unreadable,
    ...unit.resources.map(({ resource, where }) => {
      const at = `${where} (${resource.resourceType}${typeof resource.id === 'string' ? `/${resource.id}` : ''})`;
      try {
        return itemFor(resource, at, context);
      } catch (error) {
        // A resource whose parts have the wrong shape (a string where an object belongs): rejected alone.
        if (error instanceof TypeError) return { where: at, patients: [], records: [], problems: ['the resource has parts of the wrong shape for FHIR R4'] };
        throw error;
      }
    }),
  ];
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
  Appointment: mapAppointment,
  Practitioner: mapPractitioner,
  Organization: mapOrganization,
  DiagnosticReport: mapImagingReport,
  DocumentReference: mapDocument,
  FamilyMemberHistory: mapFamilyHistory,
  CarePlan: mapCarePlan,
  Goal: mapGoal,
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

  /** A record checked by its kind's declaration: its values, or each problem as a reason, in its words. */
  checked<T>(checked: Checked<T>): T | undefined {
    return valuesOrReasons(checked, this.item.problems);
  }

  patientRef(reference: Json | undefined): PatientRef | undefined {
    const id = refTo(this.context, reference, 'Patient');
    if (!id) {
      this.reject('it names no patient (subject/patient/beneficiary)');
      return undefined;
    }
    return { system: this.context.source, value: id };
  }

  /**
   * A link from `column` to the provider a Practitioner reference names: by its NPI when the Practitioner
   * is in the input, else the one an earlier import created from it. The column is null in `values` until
   * the link finds the provider.
   */
  provider(values: Record<string, unknown>, column: string, reference: Json | undefined): RecordLink[] {
    values[column] = null;
    const id = refTo(this.context, reference, 'Practitioner');
    if (!id) return [];
    const npi = this.context.practitioners.get(id);
    return [npi ? { column, npi } : { column, provider: `Practitioner/${id}` }];
  }

  /** A link from `column` to a record of this import (same source system) by the resource it came from. */
  record(values: Record<string, unknown>, column: string, target: ClinicalTarget, reference: Json | undefined, type: string): RecordLink[] {
    values[column] = null;
    const id = refTo(this.context, reference, type);
    return id ? [{ column, target, sourceId: `${type}/${id}` }] : [];
  }

  add(target: ClinicalTarget, patient: PatientRef, values: Record<string, unknown>, extra: Partial<ClinicalRecord> = {}): void {
    const context = this.resource.context;
    const encounter = refTo(this.context, this.resource.encounter ?? (Array.isArray(context?.encounter) ? context.encounter[0] : context), 'Encounter');
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

/** Base64 attachment data as text. */
function attachmentText(attachment: Json | undefined): string | undefined {
  return typeof attachment?.data === 'string' ? Buffer.from(attachment.data, 'base64').toString('utf8') : undefined;
}

function practitionerNpi(r: Json): string | undefined {
  const npi = (r.identifier ?? []).find((i: Json) => normalizeCodeSystem(i.system ?? '') === CodeSystem.npi)?.value;
  return typeof npi === 'string' && /^[0-9]{10}$/.test(npi) ? npi : undefined;
}

function telecomValue(r: Json, system: string): string | null {
  return (r.telecom ?? []).find((t: Json) => t.system === system && t.value)?.value ?? null;
}

/** A US Core race/ethnicity extension: its OMB category code, else its text as written (the declaration reads either). */
function ombValue(resource: Json, url: string): string | undefined {
  const ext = (resource.extension ?? []).find((e: Json) => e.url === url);
  return ext?.extension?.find((e: Json) => e.url === 'ombCategory')?.valueCoding?.code ?? ext?.extension?.find((e: Json) => e.url === 'text')?.valueString;
}

/** The patient's fields FHIR's Patient carries (src/records/patient.ts): a re-import sets each. */
const FHIR_PATIENT_FIELDS = ['middleName', 'suffix', 'preferredName', 'genderIdentity', 'race', 'ethnicity', 'language', 'address1', 'address2', 'city', 'state', 'zip', 'phoneHome', 'phoneMobile', 'phoneWork', 'email', 'deceasedDate'] as const;

const isUri = (system: unknown) => typeof system === 'string' && /^[a-z][a-z0-9+.-]*:/i.test(system);

function mapPatient(r: Json, b: Builder): void {
  const name = (r.name ?? []).find((n: Json) => n.use === 'official') ?? r.name?.[0];
  const given: string[] = name?.given ?? [];
  const address = r.address?.[0];
  const phone = (use: string) => (r.telecom ?? []).find((c: Json) => c.system === 'phone' && (c.use ?? 'home') === use)?.value;
  // Our own export's chart number: kept when free here, else the resource id is.
  const chartNumber = (r.identifier ?? []).find((i: Json) => i.system === System.mrn && i.value)?.value;
  const genderIdentity = (r.extension ?? []).find((e: Json) => e.url === Profile.genderIdentity);
  const language = r.communication?.[0]?.language;
  const patient = b.checked(
    checkPatient(
      {
        mrn: chartNumber ?? r.id,
        firstName: given[0],
        middleName: given.slice(1).join(' '),
        lastName: name?.family,
        suffix: name?.suffix?.join(' '),
        preferredName: (r.name ?? []).find((n: Json) => n.use === 'usual' && n !== name)?.given?.[0],
        dob: r.birthDate,
        // FHIR requires a gender; a resource without one says nothing about it.
        sex: r.gender,
        genderIdentity: genderIdentity ? (conceptText(genderIdentity.valueCodeableConcept) ?? genderIdentity.valueString) : undefined,
        race: ombValue(r, Profile.race),
        ethnicity: ombValue(r, Profile.ethnicity),
        language: language?.coding?.[0]?.code ?? language?.text,
        address1: address?.line?.[0],
        address2: address?.line?.[1],
        city: address?.city,
        state: address?.state,
        zip: address?.postalCode,
        phoneHome: phone('home'),
        phoneMobile: phone('mobile'),
        phoneWork: phone('work'),
        email: telecomValue(r, 'email') ?? undefined,
        deceasedDate: r.deceasedDateTime,
      },
      b.context.record,
      { creating: true },
    ),
  );
  if (!patient) return;
  const key = { system: b.context.source, value: r.id };
  b.item.patients.push({
    key,
    mrn: chartNumber ?? r.id,
    fallbackMrn: chartNumber ? r.id : undefined,
    // Other senders' identifiers are often placeholders many records share (every eCQM test patient has the
    // same one), so only our own export's, which came from patient_identifiers, are kept.
    identifiers: chartNumber
      ? (r.identifier ?? []).filter((i: Json) => isUri(i.system) && i.system !== System.mrn && typeof i.value === 'string' && i.value).map((i: Json) => ({ system: i.system, value: i.value }))
      : [],
    values: { ...importedPatient(patient, FHIR_PATIENT_FIELDS), active: r.active ?? true },
  });
  (r.contact ?? []).forEach((c: Json, i: number) => {
    const contactName = c.name?.text ?? ([...(c.name?.given ?? []), c.name?.family].filter(Boolean).join(' ') || undefined);
    if (!contactName) return;
    b.add('emergencyContacts', key, { name: contactName, relationship: conceptText(c.relationship?.[0]) ?? null, phone: telecomValue(c, 'phone'), email: telecomValue(c, 'email') }, { sourceId: `${b.sourceId}#contact-${i + 1}` });
  });
}

function mapEncounter(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  const period = r.period ?? {};
  const type = coded(r.type?.[0]);
  const reason = coded(r.reasonCode?.[0]);
  // The rank is the claim position when it is one; otherwise the first free position.
  const used = new Set<number>();
  const diagnoses: { code: string; codeSystem: string; display?: string; position: number }[] = [];
  for (const d of r.diagnosis ?? []) {
    const id = refTo(b.context, d.condition, 'Condition');
    const condition = id ? coded(b.context.conditions.get(id)?.code, CodeSystem.icd10cm) : undefined;
    if (!condition) continue;
    let position = Number.isInteger(d.rank) && d.rank >= 1 && !used.has(d.rank) ? d.rank : 1;
    while (used.has(position)) position++;
    if (position > 12) continue;
    used.add(position);
    diagnoses.push({ ...condition, position });
  }
  const visit = b.checked(
    checkEncounter(
      {
        startsAt: period.start,
        endsAt: period.end,
        durationMinutes: lengthMinutes(r.length),
        status: r.status,
        encounterClass: r.class?.code,
        type: type && { ...type },
        reason: { ...reason, text: conceptText(r.reasonCode?.[0]) },
        diagnoses,
      },
      // FHIR instants carry their zone; a date alone is read in the practice's (UTC before it is set up).
      { ...b.context.record, zone: b.context.record.zone ?? 'UTC' },
    ),
  );
  if (!patient || !visit) return;
  const values: Record<string, unknown> = {};
  const participant = (r.participant ?? []).find((p: Json) => refTo(b.context, p.individual, 'Practitioner'));
  const links = b.provider(values, 'providerId', participant?.individual);
  const columns = visitColumns(visit);
  b.add('encounters', patient, { ...values, ...columns, startsAt: columns.startsAt.toISOString(), endsAt: columns.endsAt?.toISOString() ?? null }, { links });
  const disposition = coded(r.hospitalization?.dischargeDisposition);
  if (disposition) b.item.records.at(-1)!.qualifiers = [{ qualifier: 'discharge-disposition', ...disposition }];
  if (visit.diagnoses.length) b.item.diagnoses = visit.diagnoses.map((d) => ({ encounter: b.sourceId, position: d.position, codeSystem: d.codeSystem, code: d.code, ...(d.display ? { display: d.display } : {}) }));
}

function lengthMinutes(length: Json | undefined): number | undefined {
  if (typeof length?.value !== 'number') return undefined;
  const factor: Record<string, number> = { min: 1, h: 60, d: 1440 };
  const f = factor[length.code ?? length.unit ?? 'min'];
  return f === undefined ? undefined : Math.round(length.value * f);
}

function mapCondition(r: Json, b: Builder): void {
  // A visit's coded diagnosis travels with its Encounter (encounter_diagnoses), not as a problem.
  if (b.context.diagnosisOnly.has(r.id)) return void (b.item.skip = true);
  if ((r.category ?? []).some((c: Json) => (c.coding ?? []).some((k: Json) => k.system === CodeSystem.loinc && k.code === PAST_ILLNESS_LOINC.code))) return mapPastIllness(r, b);
  const patient = b.patientRef(r.subject);
  const code = coded(r.code, ...PROBLEM_CODE_SYSTEMS);
  const problem = b.checked(
    checkProblem(
      { code: code?.code, codeSystem: code?.codeSystem, display: code?.display, status: firstCode(r.clinicalStatus), onsetDate: when(r, 'onset').start, abatementDate: when(r, 'abatement').start, note: noteText(r.note) },
      b.context.record,
    ),
  );
  if (!patient || !problem) return;
  const category = firstCode(r.category?.[0]);
  b.add('problems', patient, {
    ...problem,
    category: category && ['problem-list-item', 'encounter-diagnosis', 'health-concern'].includes(category) ? category : 'problem-list-item',
    verificationStatus: firstCode(r.verificationStatus) ?? 'confirmed',
    recordedDate: dateOf(r.recordedDate) ?? null,
  }, r.encounter || !b.context.diagnosedAt.has(r.id) ? {} : { encounter: b.context.diagnosedAt.get(r.id) });
  const sites = (r.bodySite ?? []).map((site: Json) => coded(site)).filter(Boolean) as Coded[];
  if (sites.length) b.item.records.at(-1)!.qualifiers = sites.map((site) => ({ qualifier: 'body-site' as const, ...site }));
}

function noteText(notes: Json[] | undefined): string | undefined {
  const texts = (notes ?? []).map((n) => n.text).filter((t): t is string => typeof t === 'string');
  return texts.length ? texts.join('\n\n') : undefined;
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
  const code = coded(r.code, CodeSystem.loinc);
  if (code?.codeSystem === CodeSystem.loinc && code.code === SOCIAL_HISTORY_NARRATIVE_LOINC && typeof r.valueString === 'string') return mapSocialHistory(r, b);
  const patient = b.patientRef(r.subject);
  // Measures ask for the latest reading: a period counts at its end.
  const at = when(r, 'effective').end ?? r.issued;
  if (!code) b.reject('the observation has no code');
  if (!at) b.reject('the observation has no date (effective or issued)');
  if (!patient || b.item.problems.length) return;
  const given = (r.category ?? []).map(firstCode).find((c: string) => observationCategories.has(c));
  const category = given ?? (code!.codeSystem === CodeSystem.loinc && vitalLoinc.has(code!.code) ? 'vital-signs' : 'laboratory');
  const common = { category, status: observationStatuses.has(r.status) ? r.status : 'unknown', effectiveAt: instantOf(at), issuedAt: r.issued ?? null };
  const periodStart = r.effectivePeriod?.start && r.effectivePeriod.end ? instantOf(r.effectivePeriod.start) : undefined;
  const interpretation = firstCode(r.interpretation?.[0]);
  const range = r.referenceRange?.[0];
  const values: Record<string, unknown> = {
    ...common,
    ...code!,
    display: code!.display ?? null,
    ...observationValue(r),
    interpretation: interpretation && interpretationCodes.has(interpretation) ? interpretation : null,
    referenceLow: typeof range?.low?.value === 'number' ? range.low.value : null,
    referenceHigh: typeof range?.high?.value === 'number' ? range.high.value : null,
    referenceText: range?.text ?? null,
  };
  const parts = (r.component ?? []).flatMap((component: Json) => {
    const part = coded(component.code, CodeSystem.loinc);
    return part ? [{ part, value: observationValue(component) }] : [];
  }) as { part: Coded; value: Record<string, unknown> }[];
  // Every value is checked (plausible, in a known unit) before any is added: one bad part rejects it all.
  for (const [coding, value] of [[code!, values], ...parts.map((p) => [p.part, p.value] as const)] as const) {
    // A quantity's value that is not a JSON number is worded as a CSV cell or an option that is not one.
    const sign = coding.codeSystem === CodeSystem.loinc ? vitalByLoinc(coding.code) : undefined;
    if (value.valueNumeric != null && typeof value.valueNumeric !== 'number') return b.reject(asReason(notANumber(sign?.display ?? 'the value')));
    if (coding.codeSystem !== CodeSystem.loinc || typeof value.valueNumeric !== 'number') continue;
    const unit = value.valueUnit as string | null;
    const checked = vitalByLoinc(coding.code) && !unit ? { problem: `${vitalByLoinc(coding.code)!.display} ${value.valueNumeric} has no unit` } : checkObservationValue(coding.code, value.valueNumeric, unit, 'metric');
    if ('problem' in checked) return b.reject(asReason(checked.problem));
    Object.assign(value, { valueNumeric: checked.value, valueUnit: checked.unit });
  }
  const basedOn = (r.basedOn ?? []).find((ref: Json) => refTo(b.context, ref, 'ServiceRequest'));
  const links = b.record(values, 'orderId', 'orders', basedOn, 'ServiceRequest');
  b.add('observations', patient, values, { periodStart, links });
  parts.forEach(({ part, value }, i) => {
    b.add('observations', patient, { ...common, ...part, display: part.display ?? null, ...value }, { sourceId: `${b.sourceId}#${part.code}`, panel: b.sourceId, periodStart, writeOrder: i + 1 });
  });
}

function mapMedication(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  if (!patient) return;
  const ref = refTo(b.context, r.medicationReference, 'Medication');
  const concept = r.medicationCodeableConcept ?? (ref ? b.context.medications.get(ref)?.code : undefined);
  const rxnorm = coded(concept, CodeSystem.rxnorm);
  const ndc = coded(concept, CodeSystem.ndc);
  // A MedicationRequest with intent plan that the patient reported is how our export writes a statement.
  const statement = r.resourceType === 'MedicationStatement' || (r.intent === 'plan' && (r.reportedBoolean === true || !!r.reportedReference));
  const validity = r.dispenseRequest?.validityPeriod;
  const period = r.resourceType === 'MedicationStatement' ? when(r, 'effective') : { start: r.authoredOn ?? validity?.start, end: validity?.end };
  const doNotPerform = r.doNotPerform === true || r.status === 'not-taken';
  if (doNotPerform) return b.notDone(patient, 'medication', rxnorm ?? ndc, r.authoredOn ?? r.dateAsserted ?? period.start, r.reasonCode?.[0] ?? r.statusReason?.[0]);
  if (ref && !concept) return b.reject('its Medication is not in the input, so the drug is unknown');
  const dosage = r.dosageInstruction?.[0] ?? r.dosage?.[0];
  const dose = dosage?.doseAndRate?.[0]?.doseQuantity;
  const dispense = r.dispenseRequest;
  const medication = b.checked(
    checkMedication(
      {
        rxnorm: rxnorm?.codeSystem === CodeSystem.rxnorm ? rxnorm.code : undefined,
        ndc: ndc?.codeSystem === CodeSystem.ndc ? ndc.code : undefined,
        display: conceptText(concept),
        // FHIR requires a status; a resource without one says nothing about it.
        status: r.status ?? 'unknown',
        dose: dose?.value,
        doseUnit: dose?.code ?? dose?.unit,
        route: conceptText(dosage?.route),
        frequency: dosage?.text,
        quantity: dispense?.quantity?.value,
        refills: dispense?.numberOfRepeatsAllowed,
        startDate: period.start,
        stopDate: period.end,
      },
      b.context.record,
    ),
  );
  if (!medication) return;
  const values: Record<string, unknown> = { ...medication };
  const links = b.provider(values, 'prescriberId', r.requester);
  b.add('medications', patient, {
    ...values,
    kind: statement ? 'statement' : 'request',
    // MedicationRequest.intent as sent (required in FHIR): a plan or proposal is not an order to the measures.
    intent: statement ? 'plan' : requestIntents.has(r.intent) ? r.intent : 'order',
  }, { links });
}

function mapAllergy(r: Json, b: Builder): void {
  const patient = b.patientRef(r.patient);
  const code = coded(r.code, ...ALLERGY_CODE_SYSTEMS);
  const reaction = r.reaction?.[0];
  const allergy = b.checked(
    checkAllergy(
      {
        substance: conceptText(r.code),
        code: code?.code,
        codeSystem: code?.codeSystem,
        category: r.category?.[0],
        reaction: conceptText(reaction?.manifestation?.[0]),
        severity: reaction?.severity,
        criticality: r.criticality,
        status: firstCode(r.clinicalStatus),
        onsetDate: when(r, 'onset').start,
      },
      b.context.record,
    ),
  );
  if (!patient || !allergy) return;
  b.add('allergies', patient, {
    ...allergy,
    verificationStatus: firstCode(r.verificationStatus) ?? 'confirmed',
    recordedDate: dateOf(r.recordedDate) ?? null,
  });
}

function mapImmunization(r: Json, b: Builder): void {
  const patient = b.patientRef(r.patient);
  if (!patient) return;
  const vaccine = coded(r.vaccineCode, CodeSystem.cvx);
  const at = r.occurrenceDateTime ?? r.recorded;
  if (r.status === 'not-done') return b.notDone(patient, 'vaccine', vaccine, at, r.statusReason);
  const immunization = b.checked(
    checkImmunization(
      {
        cvx: vaccine?.codeSystem === CodeSystem.cvx ? vaccine.code : undefined,
        display: vaccine?.display,
        occurrenceDate: at,
        status: r.status,
        lotNumber: r.lotNumber,
        expirationDate: r.expirationDate,
        manufacturer: r.manufacturer?.display,
        site: conceptText(r.site),
        route: conceptText(r.route),
        doseQuantity: r.doseQuantity?.value,
        doseUnit: r.doseQuantity?.code ?? r.doseQuantity?.unit,
      },
      b.context.record,
    ),
  );
  if (!immunization) return;
  const values: Record<string, unknown> = { ...immunization };
  const links = b.provider(values, 'performerId', r.performer?.find((p: Json) => refTo(b.context, p.actor, 'Practitioner'))?.actor);
  b.add('immunizations', patient, { ...values, primarySource: r.primarySource ?? true }, { links });
}

function recordedExtension(r: Json): string | undefined {
  return (r.extension ?? []).find((e: Json) => /recorded$/.test(e.url ?? ''))?.valueDateTime;
}

function mapProcedure(r: Json, b: Builder): void {
  // A procedure the patient asserts is their surgical history as told, not one done and recorded here.
  if (refTo(b.context, r.asserter, 'Patient')) return mapSurgicalHistory(r, b);
  const patient = b.patientRef(r.subject);
  const code = coded(r.code);
  const performed = when(r, 'performed');
  if (r.status === 'not-done') return patient && b.notDone(patient, 'procedure', code, recordedExtension(r) ?? performed.start, r.statusReason);
  if (!code) b.reject('the procedure has no code');
  if (!patient || !code) return;
  const reason = coded(r.reasonCode?.[0]);
  const values: Record<string, unknown> = {};
  const links = b.provider(values, 'providerId', r.performer?.find((p: Json) => refTo(b.context, p.actor, 'Practitioner'))?.actor);
  b.add('procedures', patient, {
    ...values,
    ...code,
    display: code.display ?? null,
    status: r.status ?? 'completed',
    performedStart: instantOf(performed.start) ?? null,
    // A period without an end has none; a single dateTime is its own end.
    performedEnd: instantOf(r.performedPeriod ? r.performedPeriod.end : performed.end) ?? null,
    bodySite: conceptText(r.bodySite?.[0]) ?? null,
    reasonSystem: reason?.codeSystem ?? null,
    reasonCode: reason?.code ?? null,
  }, { links });
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
  if (kind === 'referral' && !device && (r.performer ?? []).some((p: Json) => p.display || p.identifier)) return mapReferral(r, b, patient);
  if (doNotPerform(r) || (r.statusReason && r.status !== 'completed')) {
    const notDoneKind = kind === 'lab' ? 'test' : kind === 'referral' ? 'follow-up' : 'procedure';
    return b.notDone(patient, notDoneKind, code, at, r.reasonCode?.[0] ?? r.statusReason);
  }
  if (!code) b.reject('the order has no code');
  if (!at) b.reject('the order has no date (authoredOn)');
  if (b.item.problems.length) return;
  const values: Record<string, unknown> = {};
  const links = b.provider(values, 'providerId', r.requester);
  const orderReason = coded(r.reasonCode?.[0]);
  b.add('orders', patient, {
    ...values,
    kind,
    ...code,
    display: code!.display ?? null,
    status: orderStatuses.has(r.status) ? r.status : 'unknown',
    intent: requestIntents.has(r.intent) ? r.intent : 'order',
    orderedAt: instantOf(at),
    // The reason in words as written (a coded reason alone keeps only its code).
    reason: r.reasonCode?.[0]?.text ?? null,
    reasonSystem: orderReason?.codeSystem ?? null,
    reasonCode: orderReason?.code ?? null,
  }, { links });
}

/** A referral to a named clinician outside the practice (our export's referral ServiceRequest). */
function mapReferral(r: Json, b: Builder, patient: PatientRef): void {
  const to = (r.performer ?? []).find((p: Json) => p.type !== 'Organization' && (p.display || p.identifier));
  const organization = (r.performer ?? []).find((p: Json) => p.type === 'Organization' && p.display)?.display;
  const reason = coded(r.reasonCode?.[0]);
  const status = referralStatuses[r.status] ?? 'sent';
  const npi = to?.identifier && normalizeCodeSystem(to.identifier.system ?? '') === CodeSystem.npi && /^[0-9]{10}$/.test(to.identifier.value ?? '') ? to.identifier.value : null;
  const values: Record<string, unknown> = {};
  const links = b.provider(values, 'fromProviderId', r.requester);
  const auth = (r.identifier ?? []).find((i: Json) => i.system === System.priorAuth && i.value)?.value;
  if (auth) {
    b.add('priorAuthorizations', patient, { authNumber: auth }, { sourceId: `${b.sourceId}#prior-authorization` });
    links.push({ column: 'priorAuthorizationId', target: 'priorAuthorizations', sourceId: `${b.sourceId}#prior-authorization` });
  }
  values.priorAuthorizationId = null;
  b.add('referrals', patient, {
    ...values,
    toName: to?.display ?? organization ?? 'Unknown',
    toNpi: npi,
    toOrganization: organization ?? null,
    specialty: r.performerType?.text ?? conceptText(r.performerType) ?? null,
    reason: conceptText(r.reasonCode?.[0]) ?? 'Referral',
    reasonSystem: reason?.codeSystem ?? null,
    reasonCode: reason?.code ?? null,
    status,
    followUpDate: dateOf(r.occurrenceDateTime) ?? null,
    // A draft was never sent: its authoredOn is when it was written.
    sentAt: status === 'draft' ? null : (r.authoredOn ?? null),
  }, { links });
}

function mapCoverage(r: Json, b: Builder): void {
  const patient = b.patientRef(r.beneficiary);
  const type = coded(r.type);
  const organization = refTo(b.context, r.payor?.[0], 'Organization');
  // Without a payer organization, the payer type (e.g. Source of Payment Typology 59) names the payer.
  const payerKey = organization ? `Organization/${organization}` : type ? `${type.codeSystem}|${type.code}` : 'unknown';
  const group = (r.class ?? []).find((c: Json) => firstCode(c.type) === 'group');
  // Our export keeps the X12 relationship code as the text; other senders give only the FHIR code.
  const text = r.relationship?.text;
  const relationship = typeof text === 'string' && Object.hasOwn(X12_RELATIONSHIPS, text.trim().toUpperCase()) ? text : (firstCode(r.relationship) ?? text);
  const coverage = b.checked(
    checkCoverage(
      {
        payer: payerKey,
        // FHIR does not require the member id (US Core: must support): a coverage without one is kept, marked unknown.
        memberId: r.subscriberId ?? r.identifier?.[0]?.value ?? 'unknown',
        group: group?.value,
        plan: group?.name ?? type?.display,
        // FHIR's order is relative (any positive integer): beyond the third, a payer is billed third.
        order: r.order === undefined ? undefined : String(Number.isInteger(r.order) && r.order > 3 ? 3 : r.order),
        relationship,
        start: r.period?.start,
        end: r.period?.end,
      },
      b.context.record,
      { creating: true },
    ),
  );
  if (!patient || !coverage) return;
  b.item.payers = [{ sourceId: payerKey, name: r.payor?.[0]?.display ?? type?.display ?? 'Unknown payer' }];
  b.add('coverages', patient, { ...coverage, active: r.status === 'active' });
}

/** An appointment: its patient and clinician among the participants, when it starts and for how long, why, and what became of it. */
function mapAppointment(r: Json, b: Builder): void {
  const actors = (r.participant ?? []).map((p: Json) => p.actor);
  const patient = b.patientRef(actors.find((a: Json) => refTo(b.context, a, 'Patient')));
  const end = typeof r.end === 'string' && typeof r.start === 'string' ? (Date.parse(r.end) - Date.parse(r.start)) / 60_000 : undefined;
  const appointment = b.checked(
    checkAppointment(
      {
        at: r.start,
        duration: r.minutesDuration ?? (end !== undefined && Number.isFinite(end) ? end : undefined),
        reason: conceptText(r.reasonCode?.[0]) ?? conceptText(r.serviceType?.[0]) ?? r.description,
        status: r.status,
      },
      b.context.record,
    ),
  );
  if (!patient || !appointment) return;
  const values: Record<string, unknown> = { ...appointment, cancelReason: appointment.status === 'cancelled' ? (conceptText(r.cancelationReason) ?? null) : null };
  const links = b.provider(values, 'providerId', actors.find((a: Json) => refTo(b.context, a, 'Practitioner')));
  b.add('appointments', patient, values, { links });
}

/** A clinician with an NPI becomes a provider (matched by NPI); one without an NPI cannot be matched, so is skipped. */
function mapPractitioner(r: Json, b: Builder): void {
  const npi = practitionerNpi(r);
  const name = (r.name ?? []).find((n: Json) => n.use === 'official') ?? r.name?.[0];
  if (!npi || !name?.family) return void (b.item.skip = true);
  b.item.providers = [{ sourceId: b.sourceId, npi, firstName: name.given?.[0] ?? '', lastName: name.family, credentials: name.suffix?.length ? name.suffix.join(' ') : null, active: r.active ?? true }];
}

/** A payer (our export marks it with its payer id); other organizations (the sending practice) are not stored. */
function mapOrganization(r: Json, b: Builder): void {
  const payerId = (r.identifier ?? []).find((i: Json) => i.system === PAYER_ID && i.value)?.value;
  if (!payerId) return void (b.item.skip = true);
  if (!r.name) return b.reject('the payer has no name');
  const address = r.address?.[0];
  b.item.payers = [
    {
      sourceId: b.sourceId,
      name: r.name,
      details: {
        payerId,
        phone: telecomValue(r, 'phone'),
        address1: address?.line?.[0] ?? null,
        address2: address?.line?.[1] ?? null,
        city: address?.city ?? null,
        state: address?.state ? (normalizeState(address.state) ?? null) : null,
        zip: address?.postalCode ?? null,
        active: r.active ?? true,
      },
    },
  ];
}

const reportStatuses = new Set(['registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error']);

/** A radiology report becomes an imaging report; a lab report is carried by its order and results, so is skipped. */
function mapImagingReport(r: Json, b: Builder): void {
  const radiology = (r.category ?? []).some((c: Json) => (c.coding ?? []).some((k: Json) => k.code === RADIOLOGY_CATEGORY));
  if (!radiology) return void (b.item.skip = true);
  const patient = b.patientRef(r.subject);
  const studyDate = dateOf(r.effectiveDateTime ?? r.effectivePeriod?.start ?? r.issued);
  if (!studyDate) b.reject('the imaging report has no study date');
  if (!patient || b.item.problems.length) return;
  const extension = (url: string) => (r.extension ?? []).find((e: Json) => e.url === url);
  const code = coded(r.code);
  const values: Record<string, unknown> = {
    modality: extension('urn:practicekit:imaging-modality')?.valueCode ?? 'OT',
    bodySite: extension('urn:practicekit:imaging-body-site')?.valueString ?? null,
    codeSystem: code?.codeSystem ?? null,
    code: code?.code ?? null,
    display: code ? (code.display ?? null) : null,
    studyDate,
    findings: attachmentText(r.presentedForm?.[0]) ?? null,
    impression: r.conclusion ?? null,
    status: reportStatuses.has(r.status) ? r.status : 'final',
  };
  const links = b.record(values, 'orderId', 'orders', (r.basedOn ?? [])[0], 'ServiceRequest');
  b.add('imagingReports', patient, values, { links });
}

const noteStatuses = new Set(['preliminary', 'final', 'amended']);

/** A progress note (LOINC 11506-3) split back into its SOAP sections; other documents are skipped. */
function mapProgressNote(r: Json, b: Builder): void {
  if (!(r.type?.coding ?? []).some((c: Json) => c.code === PROGRESS_NOTE)) return void (b.item.skip = true);
  const patient = b.patientRef(r.subject);
  const text = attachmentText(r.content?.[0]?.attachment);
  const note = b.checked(checkNote({ noteDate: r.context?.period?.start ?? r.date, ...(text === undefined ? {} : textToSoap(text)) }, b.context.record));
  if (!patient || !note) return;
  // Our export dates an unsigned note at midnight of its day; any other time is when it was signed.
  const signedAt = r.date && r.date.length > 10 && Date.parse(r.date) !== Date.parse(`${note.noteDate}T00:00:00Z`) ? r.date : null;
  const values: Record<string, unknown> = {
    ...note,
    status: r.status === 'entered-in-error' ? 'entered-in-error' : noteStatuses.has(r.docStatus) ? r.docStatus : 'final',
    signedAt,
  };
  const links = b.provider(values, 'authorId', (r.author ?? []).find((a: Json) => refTo(b.context, a, 'Practitioner')));
  const replaces = (r.relatesTo ?? []).find((x: Json) => x.code === 'replaces')?.target;
  links.push(...b.record(values, 'amendsNoteId', 'progressNotes', replaces, 'DocumentReference'));
  b.add('progressNotes', patient, values, { links });
}

const carePlanStatuses = new Set(['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown']);

function mapCarePlan(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  if (!patient) return;
  // The assess-plan category is what US Core requires of every plan; another category is the plan's own.
  const category = (r.category ?? []).map((c: Json) => coded(c)).find((c: Coded | undefined) => c && c.code !== 'assess-plan');
  const values: Record<string, unknown> = {
    title: r.title ?? r.description ?? 'Care plan',
    description: r.description ?? null,
    categorySystem: category?.codeSystem ?? null,
    categoryCode: category?.code ?? null,
    status: carePlanStatuses.has(r.status) ? r.status : 'unknown',
    intent: r.intent ?? 'plan',
    periodStart: dateOf(r.period?.start) ?? null,
    periodEnd: dateOf(r.period?.end) ?? null,
  };
  const links = b.provider(values, 'authorId', r.author);
  b.add('carePlans', patient, values, { links });
}

const goalStatuses = new Set(['proposed', 'planned', 'accepted', 'active', 'on-hold', 'completed', 'cancelled', 'entered-in-error', 'rejected']);

function mapGoal(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  const description = conceptText(r.description);
  if (!description) b.reject('the goal has no description');
  if (!patient || !description) return;
  const code = coded(r.description);
  const target = r.target?.[0];
  const detail = target?.detailQuantity;
  const values: Record<string, unknown> = {
    description,
    codeSystem: code?.codeSystem ?? null,
    code: code?.code ?? null,
    targetValue: typeof detail?.value === 'number' ? detail.value : null,
    targetUnit: detail ? (detail.code ?? detail.unit ?? null) : null,
    dueDate: dateOf(target?.dueDate) ?? null,
    lifecycleStatus: goalStatuses.has(r.lifecycleStatus) ? r.lifecycleStatus : 'active',
    achievementStatus: firstCode(r.achievementStatus) ?? null,
  };
  const plan = b.context.goalPlans.get(r.id);
  // The plan lists its goals: a goal sent without its plan (an incremental export) keeps the plan it has.
  const links: RecordLink[] = plan ? b.record(values, 'carePlanId', 'carePlans', { reference: plan }, 'CarePlan') : [{ column: 'carePlanId', target: 'goals', sourceId: b.sourceId, from: 'carePlanId' }];
  b.add('goals', patient, values, { links });
}

/** A history entry's status: FHIR's entered-in-error is kept (hidden from the chart), anything else is active. */
const historyStatus = (status: unknown) => (status === 'entered-in-error' ? 'entered-in-error' : 'active');

/** The history entry a correction replaces (our export's replaces extension), as a link. */
function correctionLink(r: Json, b: Builder, values: Record<string, unknown>): RecordLink[] {
  const replaced = (r.extension ?? []).find((e: Json) => e.url === System.replaces)?.valueReference;
  return b.record(values, 'replacesId', 'medicalHistory', replaced, r.resourceType);
}

/** The coding a history entry keeps: the first in one of `systems` (its declaration reads it), else none. */
function historyCode(concept: Json | undefined, systems: string[]): { code?: string; codeSystem?: string } {
  const found = (concept?.coding ?? []).map((c: Json) => coded({ coding: [c] })).find((c: Coded | undefined) => c && systems.includes(c.codeSystem));
  return found ? { code: found.code, codeSystem: found.codeSystem } : {};
}

/** A history entry checked by its declaration (src/records/history.ts), added with the correction it makes. */
function addHistory(r: Json, b: Builder, patient: PatientRef | undefined, input: HistoryInput, status: unknown, sourceId?: string): void {
  addChecked(r, b, patient, checkHistory(input, b.context.record), status, sourceId);
}

/** A checked history entry: the correction it makes is the resource's (its first entry's), a further entry has its own source id. */
function addChecked(r: Json, b: Builder, patient: PatientRef | undefined, checked: Checked<HistoryValues>, status: unknown, sourceId?: string): void {
  const entry = b.checked(checked);
  if (!patient || !entry) return;
  const values: Record<string, unknown> = {};
  const links = sourceId ? [] : correctionLink(r, b, values);
  b.add('medicalHistory', patient, { ...values, ...entry, status: historyStatus(status) }, sourceId ? { sourceId } : { links });
}

/** A past illness the patient tells of (a Condition in the past illness category, LOINC 11348-0). */
function mapPastIllness(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  const input = { type: 'past-illness', description: r.code?.text ?? conceptText(r.code), ...historyCode(r.code, [CodeSystem.icd10cm, CodeSystem.snomed]), onsetDate: when(r, 'onset').start, note: noteText(r.note) };
  addHistory(r, b, patient, input, firstCode(r.verificationStatus));
}

/** A relative's conditions (FamilyMemberHistory): one family history entry per condition. */
function mapFamilyHistory(r: Json, b: Builder): void {
  const patient = b.patientRef(r.patient);
  const roleCode = (r.relationship?.coding ?? []).find((c: Json) => c.system === ROLE_CODE_SYSTEM)?.code;
  const relation = (roleCode && relationOfRoleCode(roleCode)) ?? conceptText(r.relationship);
  const entries = (r.condition ?? []).map((condition: Json, i: number) => {
    const age = condition.onsetAge;
    const input: HistoryInput = {
      type: 'family',
      description: condition.code?.text ?? conceptText(condition.code),
      ...historyCode(condition.code, [CodeSystem.icd10cm, CodeSystem.snomed]),
      relation,
      // An age in other units than years (a child's months) is not one the entry keeps.
      onsetAge: typeof age?.value === 'number' && (age.code ?? age.unit ?? 'a') === 'a' ? age.value : undefined,
      note: noteText([...(condition.note ?? []), ...(i === 0 ? (r.note ?? []) : [])]),
    };
    return { i, input, named: input.description !== undefined };
  });
  const named: { i: number; input: HistoryInput }[] = entries.filter((e: { named: boolean }) => e.named);
  // A resource without a named condition is refused with the declaration's reason for one.
  if (!named.length) return addHistory(r, b, patient, { type: 'family', relation }, r.status);
  // Every condition is checked before any is added: the relative's is one resource, refused whole.
  const checked = named.map(({ i, input }) => ({ i, entry: checkHistory(input, b.context.record) }));
  const refused = checked.find(({ entry }) => 'problems' in entry);
  if (refused) return void b.checked(refused.entry);
  for (const { i, entry } of checked) addChecked(r, b, patient, entry, r.status, i === 0 ? undefined : `${b.sourceId}#condition-${i + 1}`);
}

/** Social history told in words (Observation, LOINC 29762-2, a text value). */
function mapSocialHistory(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  addHistory(r, b, patient, { type: 'social', description: r.valueString, onsetDate: when(r, 'effective').start, note: noteText(r.note) }, r.status);
}

/** A past surgery the patient tells of (a Procedure they assert). */
function mapSurgicalHistory(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  const input = { type: 'surgery', description: r.code?.text ?? conceptText(r.code), ...historyCode(r.code, [CodeSystem.snomed, CodeSystem.cpt]), onsetDate: when(r, 'performed').start, note: noteText(r.note) };
  addHistory(r, b, patient, input, r.status);
}

/** Documents: an advance directive (category 42348-3) or a progress note; other documents are skipped. */
function mapDocument(r: Json, b: Builder): void {
  const advanceDirective = (r.category ?? []).some((c: Json) => (c.coding ?? []).some((k: Json) => k.code === ADVANCE_DIRECTIVES_CATEGORY_LOINC));
  return advanceDirective ? mapAdvanceDirective(r, b) : mapProgressNote(r, b);
}

const directiveStatuses = new Set(['current', 'superseded', 'entered-in-error']);

/** An advance directive on file (US Core ADI DocumentReference). */
function mapAdvanceDirective(r: Json, b: Builder): void {
  const patient = b.patientRef(r.subject);
  if (!patient) return;
  const loinc = (r.type?.coding ?? []).find((c: Json) => normalizeCodeSystem(c.system ?? '') === CodeSystem.loinc)?.code;
  // Kinds that share a LOINC type (POLST, MOLST) are told apart by the type's text.
  const kinds = Object.entries(ADVANCE_DIRECTIVE_KINDS).filter(([, k]) => k.code === loinc);
  const kind = kinds.find(([, k]) => k.label === r.type?.text)?.[0] ?? kinds[0]?.[0] ?? 'advance-directive';
  const values: Record<string, unknown> = {
    kind,
    code: ADVANCE_DIRECTIVE_KINDS[kind]!.code,
    signedDate: dateOf(r.context?.period?.start) ?? null,
    custodian: r.custodian?.display ?? null,
    location: (r.extension ?? []).find((e: Json) => e.url === System.documentLocation)?.valueString ?? null,
    note: r.description ?? null,
    status: directiveStatuses.has(r.status) ? r.status : 'current',
  };
  const replaces = (r.relatesTo ?? []).find((x: Json) => x.code === 'replaces')?.target;
  const links = b.record(values, 'replacesId', 'advanceDirectives', replaces, 'DocumentReference');
  b.add('advanceDirectives', patient, values, { links });
}
