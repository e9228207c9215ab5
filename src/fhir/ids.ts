// Stable resource ids: derived from our row ids, so a re-export of the same rows gives the same ids,
// and from them deterministic urn:uuid full URLs (UUID v5) for bundles.
import { createHash } from 'node:crypto';

/** Id prefixes per source table: two tables can map to the same resource type (Condition, DiagnosticReport). */
export const idPrefix = {
  patient: 'pat',
  provider: 'prac',
  practice: 'org',
  payer: 'payer',
  encounter: 'enc',
  problem: 'cond',
  encounterDiagnosis: 'dx',
  observation: 'obs',
  medication: 'med',
  allergy: 'alg',
  immunization: 'imm',
  procedure: 'proc',
  labReport: 'lab',
  imagingReport: 'img',
  note: 'note',
  carePlan: 'cp',
  goal: 'goal',
  order: 'ord',
  referral: 'ref',
  coverage: 'cov',
  appointment: 'appt',
  /** Family, social and surgical history as told (medical_history). */
  history: 'hx',
  advanceDirective: 'adi',
} as const;
export type IdPrefix = (typeof idPrefix)[keyof typeof idPrefix];

export function resourceId(prefix: IdPrefix, id: number | string): string {
  return `${prefix}-${id}`;
}

export interface Ref {
  reference: string;
  display?: string;
}

export function ref(type: string, prefix: IdPrefix, id: number | null | undefined): Ref | undefined {
  return id === null || id === undefined ? undefined : { reference: `${type}/${resourceId(prefix, id)}` };
}

// RFC 4122 namespace for URLs; the name is "<practice namespace>/<Type>/<id>".
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/** RFC 4122 version 5 (SHA-1, name-based) UUID: the same name always gives the same UUID. */
export function uuidV5(name: string, namespace = URL_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The bundle fullUrl of a resource: a urn:uuid that stays the same across exports of the same row. */
export function fullUrlFor(reference: string): string {
  return `urn:uuid:${uuidV5(`practicekit/${reference}`)}`;
}
