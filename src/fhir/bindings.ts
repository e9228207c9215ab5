// Required value-set bindings: Medplum's validator checks structure and invariants but not whether a
// code such as Patient.gender or Observation.status is one the binding allows. This walks a resource
// against the R4 type schema and checks each required-bound code against the official value sets.
import type { Bundle, CodeSystem, CodeSystemConcept, ValueSet } from '@medplum/fhirtypes';

type Core = typeof import('@medplum/core');
type Schema = ReturnType<Core['getDataType']>;
type Report = (path: string, message: string) => void;

/** Value set URL -> its codes, per system; undefined when it is not a plain list we can check. */
export type ValueSetCodes = Map<string, Map<string, Set<string>> | undefined>;

function flatten(concepts: CodeSystemConcept[] | undefined, into: Set<string>): Set<string> {
  for (const c of concepts ?? []) {
    into.add(c.code);
    flatten(c.concept, into);
  }
  return into;
}

export function indexValueSets(bundle: Bundle): ValueSetCodes {
  const codeSystems = new Map<string, CodeSystem>();
  const valueSets: ValueSet[] = [];
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource;
    if (resource?.resourceType === 'CodeSystem' && resource.url) codeSystems.set(resource.url, resource);
    if (resource?.resourceType === 'ValueSet') valueSets.push(resource);
  }
  const index: ValueSetCodes = new Map();
  for (const vs of valueSets) {
    if (!vs.url) continue;
    let bySystem: Map<string, Set<string>> | undefined = new Map();
    for (const include of vs.compose?.include ?? []) {
      const system = include.system;
      const codes = system && include.concept?.length ? new Set(include.concept.map((c) => c.code!)) : system && !include.filter?.length && !include.valueSet?.length && codeSystems.get(system)?.content === 'complete' ? flatten(codeSystems.get(system)!.concept, new Set()) : undefined;
      if (!system || !codes) {
        bySystem = undefined;
        break;
      }
      bySystem.set(system, new Set([...(bySystem.get(system) ?? []), ...codes]));
    }
    // Excluded codes or an empty compose: too subtle for a plain list.
    index.set(vs.url, bySystem && bySystem.size && !vs.compose?.exclude?.length ? bySystem : undefined);
  }
  return index;
}

function elementFor(schema: Schema, key: string) {
  const direct = schema.elements[key];
  if (direct) return { element: direct, type: direct.type[0]?.code };
  for (const [name, element] of Object.entries(schema.elements)) {
    if (!name.endsWith('[x]')) continue;
    const base = name.slice(0, -3);
    if (!key.startsWith(base)) continue;
    const suffix = key.slice(base.length);
    const type = element.type.find((t) => t.code.toLowerCase() === suffix.toLowerCase());
    if (type) return { element, type: type.code };
  }
  return undefined;
}

export function checkBindings(core: Core, valueSets: ValueSetCodes, value: Record<string, unknown>, schema: Schema, path: string, report: Report): void {
  for (const [key, child] of Object.entries(value)) {
    if (key === 'resourceType' || key === 'extension' || key === 'modifierExtension' || key === 'contained' || child === null || child === undefined) continue;
    const found = elementFor(schema, key);
    if (!found?.type) continue;
    const { element, type } = found;
    const items = Array.isArray(child) ? child : [child];
    const valueSet = element.binding?.strength === 'required' && element.binding.valueSet ? valueSets.get(element.binding.valueSet.split('|')[0]!) : undefined;
    items.forEach((item, i) => {
      const at = `${path}.${key}${Array.isArray(child) ? `[${i}]` : ''}`;
      if (valueSet && type === 'code' && typeof item === 'string') {
        if (![...valueSet.values()].some((codes) => codes.has(item))) report(at, 'The code is not one FHIR allows here.');
        return;
      }
      if (valueSet && type === 'CodeableConcept') {
        for (const coding of (item as { coding?: { system?: string; code?: string }[] }).coding ?? []) {
          const codes = coding.system ? valueSet.get(coding.system) : undefined;
          if (codes && coding.code && !codes.has(coding.code)) report(`${at}.coding`, 'The code is not one FHIR allows here.');
        }
        return;
      }
      if (item && typeof item === 'object' && /^[A-Z]/.test(type) && type !== 'Resource' && type !== 'Extension') {
        const inner = core.isDataTypeLoaded(type) ? core.getDataType(type) : undefined;
        if (inner) checkBindings(core, valueSets, item as Record<string, unknown>, inner, at, report);
      }
    });
  }
}
