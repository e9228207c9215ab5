// A patient's insurance (a coverage), declared once: payer, member id and group as cards print them, the
// payer order (primary, secondary, tertiary) with the words files write for it, the patient's relationship
// to the subscriber (stored as X12's SBR02 code, FHIR's subscriber-relationship on the way out), the
// subscriber's details and the dates it is in force. `insurance add|edit`, the CSV, Synthea and FHIR imports
// all check a coverage here, so the same value is accepted, normalised or refused with the same words.
import { choices, RecordCheck, vocabularyCode, type Checked, type RecordContext, type RecordFields, type Vocabulary } from './record.js';

/** The payer order (SBR01 P/S/T), stored as 1, 2, 3. */
export const COVERAGE_ORDERS: Vocabulary<'primary' | 'secondary' | 'tertiary'> = {
  codes: ['primary', 'secondary', 'tertiary'],
  words: { '1': 'primary', p: 'primary', pri: 'primary', prim: 'primary', first: 'primary', '2': 'secondary', s: 'secondary', sec: 'secondary', second: 'secondary', '3': 'tertiary', t: 'tertiary', ter: 'tertiary', tert: 'tertiary', third: 'tertiary' },
};
export type CoverageOrder = (typeof COVERAGE_ORDERS.codes)[number];
export const priorityOf = (order: CoverageOrder): number => COVERAGE_ORDERS.codes.indexOf(order) + 1;
/** A stored priority in words ("secondary"). */
export const orderOf = (priority: number): string => COVERAGE_ORDERS.codes[priority - 1] ?? String(priority);

/** The relationship in the practice's words, with FHIR's subscriber-relationship codes and the words files use. */
export const SUBSCRIBER_RELATIONSHIPS: Vocabulary<'self' | 'spouse' | 'child' | 'other'> = {
  codes: ['self', 'spouse', 'child', 'other'],
  // FHIR's parent, common (law spouse) and injured have no X12 word of their own: "other". Synthea's plan
  // owned by a guardian is the patient's as a child.
  words: { parent: 'other', common: 'other', injured: 'other', guardian: 'child', dependent: 'child', husband: 'spouse', wife: 'spouse', subscriber: 'self', insured: 'self' },
};
type RelationshipWord = (typeof SUBSCRIBER_RELATIONSHIPS.codes)[number];

/** Every X12 individual relationship code a coverage may hold (coverages_relationship_ck), in words. */
export const X12_RELATIONSHIPS: Record<string, string> = { '18': 'self', '01': 'spouse', '19': 'child', G8: 'other', '20': 'employee', '21': 'unknown', '39': 'organ donor', '40': 'cadaver donor', '53': 'life partner' };
const X12_OF_WORD: Record<RelationshipWord, string> = { self: '18', spouse: '01', child: '19', other: 'G8' };
/** X12 code -> FHIR subscriber-relationship: the codes without a FHIR word of their own are "other". */
export const FHIR_RELATIONSHIP_OF_X12: Record<string, string> = Object.fromEntries(
  Object.entries(X12_RELATIONSHIPS).map(([code, word]) => [code, (SUBSCRIBER_RELATIONSHIPS.codes as readonly string[]).includes(word) ? word : 'other']),
);
export const SELF = X12_OF_WORD.self;

export const SUBSCRIBER_SEXES: Vocabulary<'male' | 'female' | 'unknown'> = { codes: ['male', 'female', 'unknown'], words: { m: 'male', f: 'female', u: 'unknown' } };

/** A coverage's fields: how they are named in its reasons, their options in `insurance add|edit`, their CSV columns. */
export const COVERAGE_FIELDS = {
  payer: {
    label: 'the payer',
    required: 'payer',
    option: { flags: '--payer <payer>', description: `the payer id or the payer's name, as "practice payers list" shows them` },
    column: { name: 'payer_name', type: 'text', description: 'insurance company', aliases: ['insurance', 'payer', 'carrier', 'insurance company', 'plan'] },
  },
  // The CSV may name the payer by the id the clearinghouse routes on instead: either column is enough.
  payerId: { label: 'the payer id', required: 'payer', column: { name: 'payer_id', type: 'id', description: 'payer id the clearinghouse routes on', aliases: ['payer #', 'payor id', 'carrier id'] } },
  memberId: {
    label: 'the member id',
    required: true,
    option: { flags: '--member-id <id>', description: 'the member id on the card' },
    column: { name: 'member_id', type: 'id', description: 'member / subscriber id', aliases: ['member #', 'subscriber id', 'policy number', 'policy #', 'id number', 'insured id'], asWritten: true },
  },
  groupNumber: {
    label: 'the group number',
    option: { flags: '--group <number>', description: 'the group number on the card' },
    column: { name: 'group_number', type: 'id', description: 'group number', aliases: ['group', 'group #', 'group no'], asWritten: true },
  },
  planName: {
    label: 'the plan name',
    option: { flags: '--plan <name>', description: 'the plan name, e.g. "Gold PPO"' },
    column: { name: 'plan_name', type: 'text', description: 'plan name', aliases: ['plan name'], asWritten: true },
  },
  priority: {
    label: 'the payer order',
    option: { flags: '--order <order>', description: `${choices(COVERAGE_ORDERS)} (a new coverage: primary)` },
    column: { name: 'priority', type: 'text', description: `${choices(COVERAGE_ORDERS)} (or 1, 2, 3)`, aliases: ['order', 'coverage order', 'level'], asWritten: true },
  },
  relationship: {
    label: "the patient's relationship to the subscriber",
    option: { flags: '--relationship <who>', description: `the patient to the subscriber: ${choices(SUBSCRIBER_RELATIONSHIPS)} (a new coverage: self)` },
    column: { name: 'relationship', type: 'text', description: `patient is the subscriber's: ${choices(SUBSCRIBER_RELATIONSHIPS)}`, aliases: ['relationship to subscriber', 'relation to insured'], asWritten: true },
  },
  subscriberFirstName: { label: "the subscriber's first name", option: { flags: '--subscriber-first <name>', description: "subscriber's first name (when not the patient)" } },
  subscriberLastName: { label: "the subscriber's last name", option: { flags: '--subscriber-last <name>', description: "subscriber's last name" } },
  subscriberDob: { label: "the subscriber's date of birth", option: { flags: '--subscriber-dob <date>', description: "subscriber's date of birth" } },
  subscriberSex: { label: "the subscriber's sex", option: { flags: '--subscriber-sex <sex>', description: `subscriber's sex: ${choices(SUBSCRIBER_SEXES)}` } },
  effectiveFrom: {
    label: 'the coverage start',
    option: { flags: '--start <date>', description: 'first day it is in force' },
    column: { name: 'effective_from', type: 'date', description: 'coverage start', aliases: ['effective date', 'start date', 'effective'], asWritten: true },
  },
  effectiveTo: {
    label: 'the coverage end',
    option: { flags: '--end <date>', description: 'last day it is in force' },
    column: { name: 'effective_to', type: 'date', description: 'coverage end', aliases: ['termination date', 'end date', 'term date'], asWritten: true },
  },
} satisfies RecordFields;

// Member and group ids as cards print them: letters and digits, hyphens between (X12 NM109: 2-80 characters).
const PLAIN_ID = /^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;
// The longest name an 837P NM103/NM104 carries.
const NAME_LIMIT = 60;

/** A coverage as a path read it: every field as text (the CLI's option names). */
export interface CoverageInput {
  /** The payer's id or name, as the path names payers. */
  payer?: string;
  memberId?: string;
  group?: string;
  plan?: string;
  order?: string;
  relationship?: string;
  subscriberFirst?: string;
  subscriberLast?: string;
  subscriberDob?: string;
  subscriberSex?: string;
  start?: string;
  end?: string;
}

export interface CoverageValues {
  payer: string;
  memberId: string;
  groupNumber: string | null;
  planName: string | null;
  priority: number;
  /** X12 SBR02 code. */
  relationship: string;
  subscriberFirstName: string | null;
  subscriberLastName: string | null;
  subscriberDob: string | null;
  subscriberSex: string | null;
  effectiveFrom: string | null;
  effectiveTo: string | null;
}

/** A relationship as any path writes it (a word, FHIR's code, an X12 code) → its X12 code; undefined for other text. */
function readRelationship(text: string): string | undefined {
  const code = text.trim().toUpperCase();
  if (Object.hasOwn(X12_RELATIONSHIPS, code)) return code;
  const word = vocabularyCode(SUBSCRIBER_RELATIONSHIPS, text);
  return word && X12_OF_WORD[word];
}

/**
 * Every problem with a coverage at once, or its values. `creating`: the payer and member id are required and
 * the order and relationship default (primary, self); otherwise (an edit) only the fields given are read, and
 * a field given empty is cleared. That the subscriber is named when the patient is not one, and the payer
 * order on a day, are the chart's to check (src/chart/insurance.ts): they need the coverage as it will be.
 */
export function checkCoverage(input: CoverageInput, context: RecordContext, options: { creating: true }): Checked<CoverageValues>;
export function checkCoverage(input: CoverageInput, context: RecordContext, options: { creating: false }): Checked<Partial<CoverageValues>>;
export function checkCoverage(input: CoverageInput, context: RecordContext, options: { creating: boolean }): Checked<Partial<CoverageValues>> {
  const c = new RecordCheck(context);
  const values: Partial<CoverageValues> = {};
  const given = (text: string | undefined) => (text === undefined ? undefined : text.trim());
  const required = (field: 'payer' | 'memberId', text: string | undefined) => {
    const value = given(text);
    if (value === '' || (options.creating && value === undefined)) return c.fail(field, 'REQUIRED', `${COVERAGE_FIELDS[field].label} is required.`);
    return value;
  };

  const payer = required('payer', input.payer);
  if (payer) values.payer = payer;
  const member = required('memberId', input.memberId);
  if (member !== undefined) {
    if (member.length < 2 || member.length > 80 || !PLAIN_ID.test(member)) c.fail('memberId', 'MEMBER_ID', `${COVERAGE_FIELDS.memberId.label} must be as printed on the card: 2 to 80 letters and digits (hyphens allowed between), no spaces or other signs.`);
    else values.memberId = member;
  }
  const group = given(input.group);
  if (group !== undefined) {
    if (group !== '' && (group.length > 50 || !PLAIN_ID.test(group))) c.fail('groupNumber', 'GROUP', `${COVERAGE_FIELDS.groupNumber.label} must be as printed on the card: up to 50 letters and digits (hyphens allowed between).`);
    else values.groupNumber = group || null;
  }
  const plan = given(input.plan);
  if (plan !== undefined) values.planName = plan || null;

  const order = c.choice('priority', COVERAGE_FIELDS.priority.label, input.order, COVERAGE_ORDERS);
  if (order) values.priority = priorityOf(order);
  else if (options.creating && !given(input.order)) values.priority = 1;
  const relationship = given(input.relationship);
  if (relationship) {
    const code = readRelationship(relationship);
    if (code) values.relationship = code;
    else c.fail('relationship', 'CHOICE', `${COVERAGE_FIELDS.relationship.label} must be one of: ${SUBSCRIBER_RELATIONSHIPS.codes.join(', ')}.`);
  } else if (options.creating) values.relationship = SELF;

  for (const [key, field] of [['subscriberFirst', 'subscriberFirstName'], ['subscriberLast', 'subscriberLastName']] as const) {
    const name = given(input[key]);
    if (name === undefined) continue;
    if (name.length > NAME_LIMIT) c.fail(field, 'NAME', `${COVERAGE_FIELDS[field].label} is longer than a claim can carry (${NAME_LIMIT} characters).`);
    else values[field] = name || null;
  }
  const sex = given(input.subscriberSex);
  if (sex !== undefined) values.subscriberSex = sex === '' ? null : (c.choice('subscriberSex', COVERAGE_FIELDS.subscriberSex.label, sex, SUBSCRIBER_SEXES) ?? null);
  const dob = given(input.subscriberDob);
  if (dob !== undefined) {
    // Not pastDate: the subscriber (a parent, a spouse) may well be born before the patient.
    const date = c.date('subscriberDob', COVERAGE_FIELDS.subscriberDob.label, dob);
    if (date && date > context.today) c.fail('subscriberDob', 'DATE_FUTURE', `${COVERAGE_FIELDS.subscriberDob.label} is in the future.`);
    else if (date || dob === '') values.subscriberDob = date ?? null;
  }
  for (const [key, field] of [['start', 'effectiveFrom'], ['end', 'effectiveTo']] as const) {
    const text = given(input[key]);
    if (text === undefined) continue;
    const date = c.date(field, COVERAGE_FIELDS[field].label, text);
    if (date || text === '') values[field] = date ?? null;
  }
  if (values.effectiveFrom && values.effectiveTo && values.effectiveTo < values.effectiveFrom) c.fail('effectiveTo', 'DATE_ORDER', 'the coverage ends before it starts.');
  if (options.creating) {
    for (const field of ['groupNumber', 'planName', 'subscriberFirstName', 'subscriberLastName', 'subscriberDob', 'subscriberSex', 'effectiveFrom', 'effectiveTo'] as const) values[field] ??= null;
  }
  return c.result(values);
}
