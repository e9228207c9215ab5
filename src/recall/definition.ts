// A recall rule as data: who is eligible, what the due date is counted from, how often, and what the
// reminders say. Rules come from files or the command line, so everything is checked before it is stored.
import { normalizeCodeSystem } from '../codes/systems.js';
import { ValidationError, type Issue } from '../errors.js';
import { measureDefinitions } from '../measures/definitions/index.js';

const knownMeasures = () => [...new Set(measureDefinitions.map((m) => m.id))];

export interface Interval {
  years?: number;
  months?: number;
  weeks?: number;
  days?: number;
}

/** Codes of one system: exact codes, code prefixes ("E11" matches E11.9) or a loaded value set (OID). */
export interface CodeList {
  system?: string;
  codes?: string[];
  prefixes?: string[];
  valueSet?: string;
}

export interface ScheduledSeries {
  /** Age in months at which each dose is due, in order. */
  doseAgesMonths: number[];
  cvx: string[];
}

export type RecallBasis =
  | { kind: 'visit'; codes?: CodeList[] }
  | { kind: 'procedure'; codes: CodeList[] }
  | { kind: 'lab'; codes: CodeList[] }
  | { kind: 'immunization'; cvx: string[] }
  | { kind: 'flu-season'; cvx: string[]; seasonStartMonth?: number; seasonEndMonth?: number }
  | ({ kind: 'immunization-schedule' } & ScheduledSeries)
  | { kind: 'follow-up' }
  | { kind: 'no-show' }
  /** Patients with an open care gap in a quality measure of the current year (e.g. "CMS125"). */
  | { kind: 'care-gap'; measure: string; program?: 'mips' | 'hedis' };

export type BasisKind = RecallBasis['kind'];

export interface ConditionalInterval {
  /** Applies when the last lab value is at least this. */
  lastValueAtLeast?: number;
  /** Applies when the last lab value is below this. */
  lastValueBelow?: number;
  interval: Interval;
}

export type Channel = 'email' | 'sms' | 'letter' | 'calls';
export const channels: Channel[] = ['email', 'sms', 'letter', 'calls'];

export interface MessageTemplates {
  emailSubject?: string;
  email?: string;
  sms?: string;
  letter?: string;
}

export interface RecallDefinition {
  /** What the messages call the visit ("yearly check-up", "lab test"): never a diagnosis. */
  visitLabel: string;
  eligibility?: {
    minAgeYears?: number;
    maxAgeYears?: number;
    sex?: 'female' | 'male';
    /** Active problem or a visit diagnosis in these codes. */
    diagnoses?: CodeList[];
  };
  basis: RecallBasis;
  interval?: Interval;
  /** Lab rules: a different interval depending on the last value, first match wins. */
  intervalWhen?: ConditionalInterval[];
  /** When the patient never had it: due at once (default) or no recall. */
  ifNeverDone?: 'due-now' | 'not-due';
  /** Reminders start this many days before the due date. */
  remindDaysBefore?: number;
  messages?: MessageTemplates;
}

export interface RecallRuleInput {
  code: string;
  name: string;
  spacingDays?: number;
  active?: boolean;
  definition: RecallDefinition;
}

export const placeholders = ['firstName', 'lastName', 'practiceName', 'practicePhone', 'dueDate', 'visit'] as const;

const basisKinds: BasisKind[] = ['visit', 'procedure', 'lab', 'immunization', 'flu-season', 'immunization-schedule', 'follow-up', 'no-show', 'care-gap'];
const CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.\-]*$/;
const RULE_CODE_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  readonly issues: Issue[] = [];
  constructor(private readonly where: string) {}

  fail(path: string, message: string): void {
    this.issues.push({ code: 'RECALL_RULE', path: `${this.where}${path}`, message });
  }

  count(value: unknown, path: string, { min = 0, max = 1200 }: { min?: number; max?: number } = {}): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be a whole number from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  text(value: unknown, path: string, required = false): string | undefined {
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      this.fail(path, 'must be a non-empty text');
      return undefined;
    }
    return value.trim();
  }

  interval(value: unknown, path: string): Interval | undefined {
    if (!isObject(value)) {
      this.fail(path, 'must be like {"months": 6} (years, months, weeks, days)');
      return undefined;
    }
    const unknownKeys = Object.keys(value).filter((k) => !['years', 'months', 'weeks', 'days'].includes(k));
    if (unknownKeys.length) this.fail(path, `has unknown part(s) ${unknownKeys.join(', ')}: use years, months, weeks, days`);
    const interval: Interval = {
      years: this.count(value.years, `${path}.years`, { max: 20 }),
      months: this.count(value.months, `${path}.months`, { max: 240 }),
      weeks: this.count(value.weeks, `${path}.weeks`, { max: 520 }),
      days: this.count(value.days, `${path}.days`, { max: 3650 }),
    };
    for (const key of Object.keys(interval) as (keyof Interval)[]) if (interval[key] === undefined) delete interval[key];
    if (Object.keys(interval).length === 0 && unknownKeys.length === 0) this.fail(path, 'must give at least one of years, months, weeks, days');
    return interval;
  }

  codeStrings(value: unknown, path: string, pattern = CODE_PATTERN): string[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0 || value.some((c) => typeof c !== 'string' || !pattern.test(c))) {
      this.fail(path, 'must be a list of codes (letters, digits, dots and dashes)');
      return undefined;
    }
    return value as string[];
  }

  codeLists(value: unknown, path: string, required: boolean): CodeList[] | undefined {
    if (value === undefined && !required) return undefined;
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || !list.every(isObject)) {
      this.fail(path, 'must list codes like {"system": "icd-10-cm", "prefixes": ["E11"]} or {"valueSet": "<OID>"}');
      return undefined;
    }
    return list.map((entry, i) => {
      const p = `${path}[${i}]`;
      const codes = this.codeStrings(entry.codes, `${p}.codes`);
      const prefixes = this.codeStrings(entry.prefixes, `${p}.prefixes`);
      const valueSet = this.text(entry.valueSet, `${p}.valueSet`);
      const system = this.text(entry.system, `${p}.system`);
      if (!codes && !prefixes && !valueSet) this.fail(p, 'needs codes, prefixes or a valueSet');
      if ((codes || prefixes) && !system) this.fail(`${p}.system`, 'is needed with codes or prefixes (e.g. "icd-10-cm", "loinc", "cpt")');
      const list: CodeList = {};
      if (system) list.system = normalizeCodeSystem(system);
      if (codes) list.codes = codes;
      if (prefixes) list.prefixes = prefixes;
      if (valueSet) list.valueSet = valueSet;
      return list;
    });
  }

  template(value: unknown, path: string): string | undefined {
    const text = this.text(value, path);
    if (!text) return undefined;
    for (const match of text.matchAll(/\{([^{}]*)\}/g)) {
      if (!(placeholders as readonly string[]).includes(match[1]!)) {
        this.fail(path, `uses {${match[1]}}: the placeholders are ${placeholders.map((p) => `{${p}}`).join(', ')}`);
      }
    }
    return text;
  }
}

function parseBasis(c: Checker, value: unknown): RecallBasis | undefined {
  if (!isObject(value) || !basisKinds.includes(value.kind as BasisKind)) {
    c.fail('basis.kind', `must be one of ${basisKinds.join(', ')}`);
    return undefined;
  }
  const kind = value.kind as BasisKind;
  switch (kind) {
    case 'visit': {
      const codes = c.codeLists(value.codes, 'basis.codes', false);
      return codes ? { kind, codes } : { kind };
    }
    case 'procedure':
    case 'lab':
      return { kind, codes: c.codeLists(value.codes, 'basis.codes', true) ?? [] };
    case 'immunization':
      return { kind, cvx: c.codeStrings(value.cvx, 'basis.cvx', /^[0-9]{1,3}$/) ?? [] };
    case 'flu-season': {
      const basis: RecallBasis = { kind, cvx: c.codeStrings(value.cvx, 'basis.cvx', /^[0-9]{1,3}$/) ?? [] };
      const start = c.count(value.seasonStartMonth, 'basis.seasonStartMonth', { min: 1, max: 12 });
      const end = c.count(value.seasonEndMonth, 'basis.seasonEndMonth', { min: 1, max: 12 });
      if (start !== undefined) basis.seasonStartMonth = start;
      if (end !== undefined) basis.seasonEndMonth = end;
      return basis;
    }
    case 'immunization-schedule': {
      const cvx = c.codeStrings(value.cvx, 'basis.cvx', /^[0-9]{1,3}$/) ?? [];
      const ages = value.doseAgesMonths;
      if (!Array.isArray(ages) || ages.length === 0 || ages.some((a, i) => typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a > 240 || (i > 0 && a < (ages[i - 1] as number)))) {
        c.fail('basis.doseAgesMonths', 'must list the age in months of each dose, in order (e.g. [12, 48])');
        return { kind, cvx, doseAgesMonths: [] };
      }
      return { kind, cvx, doseAgesMonths: ages as number[] };
    }
    case 'follow-up':
    case 'no-show':
      return { kind };
    case 'care-gap': {
      const measure = c.text(value.measure, 'basis.measure', true)?.toUpperCase() ?? '';
      if (measure && !knownMeasures().includes(measure)) c.fail('basis.measure', `"${measure}" is not a measure practicekit knows (${knownMeasures().join(', ')})`);
      if (value.program !== undefined && value.program !== 'mips' && value.program !== 'hedis') c.fail('basis.program', 'must be "mips" or "hedis"');
      return value.program === 'hedis' ? { kind, measure, program: 'hedis' } : { kind, measure };
    }
  }
}

/** Checks a rule given as JSON and returns it in stored form; throws one ValidationError listing every problem. */
export function parseRecallRule(input: unknown, where = ''): RecallRuleInput {
  const c = new Checker(where);
  if (!isObject(input)) throw new ValidationError([{ code: 'RECALL_RULE', path: where || undefined, message: 'A recall rule must be a JSON object with code, name and definition.' }]);
  const code = c.text(input.code, 'code', true);
  if (code && !RULE_CODE_PATTERN.test(code)) c.fail('code', 'must be lower-case letters, digits and dashes (e.g. "annual-wellness"), at most 40');
  const name = c.text(input.name, 'name', true);
  const spacingDays = c.count(input.spacingDays, 'spacingDays', { min: 1, max: 365 });
  if (input.active !== undefined && typeof input.active !== 'boolean') c.fail('active', 'must be true or false');
  const d = input.definition;
  if (!isObject(d)) {
    c.fail('definition', 'is missing: it holds visitLabel, basis, interval and eligibility');
    throw new ValidationError(c.issues);
  }
  const definition: RecallDefinition = {
    visitLabel: c.text(d.visitLabel, 'definition.visitLabel', true) ?? '',
    basis: parseBasis(c, d.basis) ?? { kind: 'visit' },
  };
  if (d.eligibility !== undefined) {
    if (!isObject(d.eligibility)) c.fail('definition.eligibility', 'must be an object');
    else {
      const e = d.eligibility;
      const eligibility: NonNullable<RecallDefinition['eligibility']> = {};
      const min = c.count(e.minAgeYears, 'definition.eligibility.minAgeYears', { max: 130 });
      const max = c.count(e.maxAgeYears, 'definition.eligibility.maxAgeYears', { max: 130 });
      if (min !== undefined) eligibility.minAgeYears = min;
      if (max !== undefined) eligibility.maxAgeYears = max;
      if (min !== undefined && max !== undefined && min > max) c.fail('definition.eligibility', 'minAgeYears is above maxAgeYears');
      if (e.sex !== undefined) {
        if (e.sex !== 'female' && e.sex !== 'male') c.fail('definition.eligibility.sex', 'must be "female" or "male"');
        else eligibility.sex = e.sex;
      }
      const diagnoses = c.codeLists(e.diagnoses, 'definition.eligibility.diagnoses', false);
      if (diagnoses) eligibility.diagnoses = diagnoses;
      definition.eligibility = eligibility;
    }
  }
  const needsInterval = ['visit', 'procedure', 'lab', 'immunization'].includes(definition.basis.kind);
  if (d.interval !== undefined || needsInterval) {
    if (d.interval === undefined) c.fail('definition.interval', `is needed for a "${definition.basis.kind}" rule (e.g. {"months": 12})`);
    else definition.interval = c.interval(d.interval, 'definition.interval');
  }
  if (d.intervalWhen !== undefined) {
    if (definition.basis.kind !== 'lab') c.fail('definition.intervalWhen', 'only works with a "lab" basis (it reads the last value)');
    if (!Array.isArray(d.intervalWhen)) c.fail('definition.intervalWhen', 'must be a list of {"lastValueAtLeast": 8, "interval": {"months": 3}}');
    else {
      definition.intervalWhen = d.intervalWhen.map((w, i) => {
        const p = `definition.intervalWhen[${i}]`;
        if (!isObject(w)) {
          c.fail(p, 'must be an object');
          return { interval: {} };
        }
        const when: ConditionalInterval = { interval: c.interval(w.interval, `${p}.interval`) ?? {} };
        for (const key of ['lastValueAtLeast', 'lastValueBelow'] as const) {
          if (w[key] === undefined) continue;
          if (typeof w[key] !== 'number' || !Number.isFinite(w[key])) c.fail(`${p}.${key}`, 'must be a number');
          else when[key] = w[key] as number;
        }
        if (when.lastValueAtLeast === undefined && when.lastValueBelow === undefined) c.fail(p, 'needs lastValueAtLeast or lastValueBelow');
        return when;
      });
    }
  }
  if (d.ifNeverDone !== undefined) {
    if (d.ifNeverDone !== 'due-now' && d.ifNeverDone !== 'not-due') c.fail('definition.ifNeverDone', 'must be "due-now" or "not-due"');
    else definition.ifNeverDone = d.ifNeverDone;
  }
  const remind = c.count(d.remindDaysBefore, 'definition.remindDaysBefore', { max: 180 });
  if (remind !== undefined) definition.remindDaysBefore = remind;
  if (d.messages !== undefined) {
    if (!isObject(d.messages)) c.fail('definition.messages', 'must be an object with emailSubject, email, sms, letter');
    else {
      const messages: MessageTemplates = {};
      for (const key of ['emailSubject', 'email', 'sms', 'letter'] as const) {
        const text = c.template(d.messages[key], `definition.messages.${key}`);
        if (text) messages[key] = text;
      }
      const unknownKeys = Object.keys(d.messages).filter((k) => !['emailSubject', 'email', 'sms', 'letter'].includes(k));
      if (unknownKeys.length) c.fail('definition.messages', `has unknown channel(s) ${unknownKeys.join(', ')}`);
      definition.messages = messages;
    }
  }
  if (c.issues.length) throw new ValidationError(c.issues, c.issues.length === 1 ? `Recall rule${code ? ` "${code}"` : ''}: ${c.issues[0]!.path}: ${c.issues[0]!.message}.` : undefined);
  const rule: RecallRuleInput = { code: code!, name: name!, definition };
  if (spacingDays !== undefined) rule.spacingDays = spacingDays;
  if (typeof input.active === 'boolean') rule.active = input.active;
  return rule;
}

/** A file holds one rule or a list of rules. */
export function parseRecallRules(input: unknown): RecallRuleInput[] {
  const list = Array.isArray(input) ? input : isObject(input) && Array.isArray(input.rules) ? input.rules : [input];
  const rules: RecallRuleInput[] = [];
  const issues: Issue[] = [];
  list.forEach((entry, i) => {
    try {
      rules.push(parseRecallRule(entry, list.length > 1 ? `rule ${i + 1}: ` : ''));
    } catch (error) {
      if (error instanceof ValidationError) issues.push(...error.issues);
      else throw error;
    }
  });
  const codes = rules.map((r) => r.code);
  const repeated = codes.filter((code, i) => codes.indexOf(code) !== i);
  if (repeated.length) issues.push({ code: 'RECALL_RULE', message: `The rule code(s) ${[...new Set(repeated)].join(', ')} appear more than once.` });
  if (issues.length) throw new ValidationError(issues);
  return rules;
}
