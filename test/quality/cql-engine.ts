// The independent evaluation of the eight measures: the official ELM (fixtures/ecqm/elm) run by the
// JavaScript CQL engine (cql-execution + cql-exec-fhir) over our own FHIR export, with retrieves matched
// on QI-Core profiles the way a QI-Core reader classifies each exported resource. Shared by the CI
// cross-check (test/quality/cross-check.test.ts) and its larger run (bench/cross-check.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import cql from 'cql-execution';
import cqlfhir from 'cql-exec-fhir';

const ECQM = join(import.meta.dirname, '../../fixtures/ecqm');
const QICORE = 'http://hl7.org/fhir/us/qicore/StructureDefinition/';

type Json = Record<string, any>;
const read = (file: string): Json => JSON.parse(file.endsWith('.gz') ? gunzipSync(readFileSync(file)).toString('utf8') : readFileSync(file, 'utf8'));

/** The eight measures' libraries, and the define names of each group's populations. */
export const MEASURE_LIBRARIES: Record<string, { library: string; groups: { ip: string; den: string; denex: string; numer: string; denexcep?: string }[] }> = {
  CMS122: { library: 'CMS122FHIRDiabetesAssessGT9Pct', groups: [{ ip: 'Initial Population', den: 'Denominator', denex: 'Denominator Exclusions', numer: 'Numerator' }] },
  CMS165: { library: 'CMS165FHIRControllingHighBP', groups: [{ ip: 'Initial Population', den: 'Denominator', denex: 'Denominator Exclusions', numer: 'Numerator' }] },
  CMS125: { library: 'CMS125FHIRBreastCancerScreen', groups: [{ ip: 'Initial Population', den: 'Denominator', denex: 'Denominator Exclusions', numer: 'Numerator' }] },
  CMS130: { library: 'CMS130FHIRColorectalCancerScrn', groups: [{ ip: 'Initial Population', den: 'Denominator', denex: 'Denominator Exclusions', numer: 'Numerator' }] },
  CMS138: {
    library: 'CMS138FHIRTobaccoScrnCessation',
    groups: [1, 2, 3].map((n) => ({ ip: 'Initial Population', den: `Denominator ${n}`, denex: 'Denominator Exclusions', numer: `Numerator ${n}` })),
  },
  CMS2: { library: 'CMS2FHIRPCSDepScreenAndFollowUp', groups: [{ ip: 'Initial Population', den: 'Denominator', denex: 'Denominator Exclusions', numer: 'Numerator', denexcep: 'Denominator Exceptions' }] },
  CMS69: { library: 'CMS69FHIRPCSBMIScreenAndFollowUp', groups: [{ ip: 'Initial Population', den: 'Denominator', denex: 'Denominator Exclusions', numer: 'Numerator', denexcep: 'Denominator Exceptions' }] },
  CMS117: { library: 'CMS117FHIRChildImmunStatus', groups: [{ ip: 'Initial Population', den: 'Denominator', denex: 'Denominator Exclusions', numer: 'Numerator' }] },
};

export interface Flags {
  ip: boolean;
  den: boolean;
  denex: boolean;
  numer: boolean;
  denexcep: boolean;
}

let libraries: Record<string, Json> | undefined;
let codeService: InstanceType<typeof cql.CodeService> | undefined;

function loadLibraries(): Record<string, Json> {
  if (libraries) return libraries;
  const dir = join(ECQM, 'elm');
  libraries = Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.json.gz')).map((f) => [f.slice(0, -'.json.gz'.length), read(join(dir, f))]));
  // cql-execution 3.3.2 takes only a list or a value set as a retrieve's codes (see fixtures/ecqm/elm/README.md).
  const wrapCodes = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    const node = o as Json;
    if (node.type === 'Retrieve' && /^Code(Ref)?$/.test(node.codes?.type)) node.codes = { type: 'ToList', operand: node.codes };
    Object.values(node).forEach(wrapCodes);
  };
  wrapCodes(libraries.CMS69FHIRPCSBMIScreenAndFollowUp);
  return libraries;
}

function loadCodeService(): InstanceType<typeof cql.CodeService> {
  if (codeService) return codeService;
  // The union of both folders: a few expansions are cut at 1000 codes and continue in the supplement.
  const sets: Record<string, Record<string, Json[]>> = {};
  for (const dir of ['valuesets', 'valuesets-supplement']) {
    for (const f of readdirSync(join(ECQM, dir))) {
      const v = read(join(ECQM, dir, f));
      ((sets[v.url] ??= { '': [] })[''] as Json[]).push(...(v.expansion?.contains ?? []));
    }
  }
  return (codeService = new cql.CodeService(sets as ConstructorParameters<typeof cql.CodeService>[0]));
}

const code = (concept: Json | undefined) => concept?.coding?.[0]?.code as string | undefined;

/**
 * The QI-Core profiles a resource conforms to, as a QI-Core reader decides from its content (our
 * export claims US Core profiles; QI-Core's retrieves match only resources that claim theirs).
 */
export function qiCoreProfiles(r: Json): string[] {
  const p = (name: string) => `${QICORE}${name}`;
  switch (r.resourceType) {
    case 'Patient':
      return [p('qicore-patient')];
    case 'Encounter':
      return [p('qicore-encounter')];
    case 'Coverage':
      return [p('qicore-coverage')];
    case 'Procedure':
      return [p(r.status === 'not-done' ? 'qicore-procedurenotdone' : 'qicore-procedure')];
    case 'Immunization':
      return [p(r.status === 'not-done' ? 'qicore-immunizationnotdone' : 'qicore-immunization')];
    case 'MedicationRequest':
      return [p(r.doNotPerform ? 'qicore-medicationnotrequested' : 'qicore-medicationrequest')];
    case 'ServiceRequest':
      return [p(r.doNotPerform ? 'qicore-servicenotrequested' : 'qicore-servicerequest')];
    case 'DeviceRequest':
      return [p('qicore-devicerequest')];
    case 'Condition': {
      const category = (r.category ?? []).map(code);
      const profiles: string[] = [];
      if (category.includes('encounter-diagnosis')) profiles.push(p('qicore-condition-encounter-diagnosis'));
      if (category.includes('problem-list-item') || category.includes('health-concern')) profiles.push(p('qicore-condition-problems-health-concerns'));
      return profiles;
    }
    case 'Observation': {
      if (r.status === 'cancelled') return [p('qicore-observationcancelled')];
      const category = (r.category ?? []).map(code);
      const profiles = [p('qicore-simple-observation')];
      if (category.includes('laboratory')) profiles.push(p('qicore-observation-lab'));
      if (['laboratory', 'imaging', 'procedure'].some((c) => category.includes(c))) profiles.push(p('qicore-observation-clinical-result'));
      if (['survey', 'social-history', 'exam', 'functional-status', 'sdoh'].some((c) => category.includes(c))) profiles.push(p('qicore-observation-screening-assessment'));
      return profiles;
    }
    default:
      return [];
  }
}

/** Per patient (by Patient id), a collection Bundle of the export's resources about them, QI-Core tagged. */
export function bundlesFromExport(dir: string): { bundles: Json[]; mrnOf: Map<string, string> } {
  const byPatient = new Map<string, Json[]>();
  const mrnOf = new Map<string, string>();
  const owner = (r: Json): string | undefined => {
    if (r.resourceType === 'Patient') return r.id;
    const ref: string | undefined = (r.subject ?? r.patient ?? r.beneficiary)?.reference;
    return ref?.startsWith('Patient/') ? ref.slice('Patient/'.length) : undefined;
  };
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ndjson'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as Json;
      const patient = owner(r);
      if (!patient) continue;
      r.meta = { ...r.meta, profile: [...(r.meta?.profile ?? []), ...qiCoreProfiles(r)] };
      if (r.resourceType === 'Patient') mrnOf.set(r.id, r.identifier.find((i: Json) => i.system === 'urn:practicekit:mrn').value);
      (byPatient.get(patient) ?? byPatient.set(patient, []).get(patient)!).push(r);
    }
  }
  const bundles = [...byPatient.values()].map((resources) => ({
    resourceType: 'Bundle',
    type: 'collection',
    // The Patient first: cql-exec-fhir takes the bundle's first Patient as its subject.
    entry: resources.sort((a, b) => Number(b.resourceType === 'Patient') - Number(a.resourceType === 'Patient')).map((resource) => ({ resource })),
  }));
  return { bundles, mrnOf };
}

/**
 * The same holds one level down: each read of an element (a code, a period) wraps its JSON afresh, and the
 * engine reads each element many times. A resource's wrapper answers each element once. (FHIRObject is not
 * exported: it is reached as the Patient class's parent, and patched once.)
 */
let elementReadsMemoised = false;
function memoiseElementReads(fhirObject: { get: (field: string) => unknown }): void {
  if (elementReadsMemoised) return;
  elementReadsMemoised = true;
  const read = fhirObject.get;
  const answers = new WeakMap<object, Map<string, unknown>>();
  fhirObject.get = function (this: object, field: string) {
    let mine = answers.get(this);
    if (!mine) answers.set(this, (mine = new Map()));
    if (!mine.has(field)) mine.set(field, read.call(this, field));
    return mine.get(field);
  };
}

/**
 * cql-exec-fhir wraps every matching resource afresh on each retrieve (a getter per element), and a measure
 * retrieves the same types dozens of times per patient: most of the engine's time went to building and
 * collecting those wrappers. The wrappers only read their resource, so one list per patient and retrieve
 * type is reused (a copy each time, as the engine filters it).
 */
function memoiseRetrieves(source: any): void {
  const wrap = (patient: any) => {
    if (!patient) return patient;
    memoiseElementReads(Object.getPrototypeOf(Object.getPrototypeOf(patient)));
    const findRecords = patient.findRecords.bind(patient);
    const seen = new Map<string, unknown[]>();
    patient.findRecords = (profile: string, details?: { datatype?: string }) => {
      const key = `${profile} ${details?.datatype ?? ''}`;
      if (!seen.has(key)) seen.set(key, findRecords(profile, details));
      return [...seen.get(key)!];
    };
    return patient;
  };
  // nextPatient() answers through this.currentPatient(), so this one hook covers both.
  const current = source.currentPatient.bind(source);
  source.currentPatient = () => wrap(current());
}

/**
 * Every patient's populations per group of the measure, after the proportion-measure chain
 * (docs: an excluded patient is never in the numerator; exceptions only outside it), keyed by Patient id.
 * The period is the calendar year in the practice's zone, given as its UTC offset (e.g. -05:00).
 */
export async function evaluateMeasure(measure: string, bundles: Json[], year: number, offset: string): Promise<Map<string, Flags[]>> {
  const spec = MEASURE_LIBRARIES[measure]!;
  const libs = loadLibraries();
  const library = new cql.Library(libs[spec.library] as any, new cql.Repository(libs as any));
  const period = new cql.Interval(cql.DateTime.parse(`${year}-01-01T00:00:00.000${offset}`), cql.DateTime.parse(`${year}-12-31T23:59:59.999${offset}`));
  const source = cqlfhir.PatientSource.FHIRv401({ requireProfileTagging: true });
  source.loadBundles(bundles as any);
  memoiseRetrieves(source);
  // cql-exec-fhir says "Failed to locate element for X.y" when the ELM casts a choice to a type the
  // resource lacks; the result is null, as CQL wants (see the ELM README). Only that line is muted.
  const log = console.error;
  console.error = (...args: unknown[]) => (typeof args[0] === 'string' && args[0].startsWith('Failed to locate element') ? undefined : log(...args));
  let results;
  try {
    results = await new cql.Executor(library, loadCodeService(), { 'Measurement Period': period }).exec(source as any);
  } finally {
    console.error = log;
  }
  const out = new Map<string, Flags[]>();
  for (const [patientId, defines] of Object.entries(results.patientResults as Record<string, Record<string, unknown>>)) {
    const truthy = (name?: string) => (name ? defines[name] === true || (Array.isArray(defines[name]) && (defines[name] as unknown[]).length > 0) : false);
    out.set(
      patientId,
      spec.groups.map((g) => {
        const ip = truthy(g.ip);
        const den = ip && truthy(g.den);
        const denex = den && truthy(g.denex);
        const numer = den && !denex && truthy(g.numer);
        const denexcep = den && !denex && !numer && truthy(g.denexcep);
        return { ip, den, denex, numer, denexcep };
      }),
    );
  }
  return out;
}
