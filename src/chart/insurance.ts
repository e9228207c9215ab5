// A patient's insurance (the coverages table claims are built from): payer, member id, group, who the
// subscriber is and how the patient is related to them (X12 codes), the payer order (primary, secondary,
// tertiary) and the dates it is in force. Checked as claims need it; every write audited.
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { coverages, payers } from '../db/schema/index.js';
import type { Db, DbOrTx, Tx } from '../db/types.js';
import { badDate, mistake, NotFoundError, UsageError, ValidationError, type Issue } from '../errors.js';
import { patientByMrn, payerByIdOrName } from './lookup.js';
import { parseDate } from './time.js';

/** The words a front desk uses -> X12 individual relationship code (SBR02 / PAT01). */
export const RELATIONSHIPS: Record<string, string> = { self: '18', spouse: '01', child: '19', other: 'G8' };
const RELATIONSHIP_WORDS: Record<string, string> = { '18': 'self', '01': 'spouse', '19': 'child', G8: 'other', '20': 'employee', '21': 'unknown', '39': 'organ donor', '40': 'cadaver donor', '53': 'life partner' };
export const ORDERS: Record<string, number> = { primary: 1, secondary: 2, tertiary: 3 };
const ORDER_WORDS = ['', 'primary', 'secondary', 'tertiary'];
// Member and group ids as cards print them: letters and digits, hyphens between (X12 NM109: 2-80 characters).
const PLAIN_ID = /^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;
const SEXES = ['male', 'female', 'unknown'];

export interface CoverageInput {
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

type CoverageRow = typeof coverages.$inferSelect;
type CoverageValues = Partial<Omit<CoverageRow, 'id' | 'patientId' | 'createdAt' | 'updatedAt'>>;

const blank = (v: string | undefined) => (v === undefined ? undefined : v.trim());

/** Reads the options into column values, every problem at once; undefined keys were not given. */
async function readInput(db: DbOrTx, input: CoverageInput, today: string, issues: Issue[]): Promise<CoverageValues> {
  const values: CoverageValues = {};
  const fail = (path: string, code: string, message: string) => void issues.push({ path, code, message });
  const payer = blank(input.payer);
  if (payer === '') fail('--payer', 'REQUIRED', '--payer needs the payer id or name.');
  else if (payer !== undefined) {
    try {
      const row = await payerByIdOrName(db, payer);
      if (!row.active) fail('--payer', 'PAYER_INACTIVE', `The payer ${row.name} is deactivated: reactivate it with "practice payers reactivate" first.`);
      else values.payerId = row.id;
    } catch (error) {
      if (!(error instanceof NotFoundError || error instanceof UsageError)) throw error;
      issues.push({ path: '--payer', code: error instanceof UsageError ? 'PAYER_AMBIGUOUS' : 'PAYER_UNKNOWN', message: `${error.message} ${error.hint}`, usage: error instanceof UsageError });
    }
  }
  const member = blank(input.memberId);
  if (member !== undefined) {
    if (member.length < 2 || member.length > 80 || !PLAIN_ID.test(member)) fail('--member-id', 'MEMBER_ID', '--member-id must be the member id as printed on the card: 2 to 80 letters and digits (hyphens allowed between), no spaces or other signs.');
    else values.memberId = member;
  }
  const group = blank(input.group);
  if (group !== undefined) {
    if (group === '') values.groupNumber = null;
    else if (group.length > 50 || !PLAIN_ID.test(group)) fail('--group', 'GROUP', '--group must be the group number as printed on the card: up to 50 letters and digits (hyphens allowed between).');
    else values.groupNumber = group;
  }
  const plan = blank(input.plan);
  if (plan !== undefined) values.planName = plan || null;
  const order = blank(input.order)?.toLowerCase();
  if (order !== undefined) {
    const priority = ORDERS[order] ?? (['1', '2', '3'].includes(order) ? Number(order) : undefined);
    if (!priority) fail('--order', 'CHOICE', '--order must be primary, secondary or tertiary.');
    else values.priority = priority;
  }
  const relationship = blank(input.relationship)?.toLowerCase();
  if (relationship !== undefined) {
    if (!RELATIONSHIPS[relationship]) fail('--relationship', 'CHOICE', '--relationship (the patient to the subscriber) must be self, spouse, child or other.');
    else values.relationship = RELATIONSHIPS[relationship]!;
  }
  for (const [key, column, option] of [['subscriberFirst', 'subscriberFirstName', '--subscriber-first'], ['subscriberLast', 'subscriberLastName', '--subscriber-last']] as const) {
    const text = blank(input[key]);
    if (text !== undefined) values[column] = text || null;
    if (text && text.length > 60) fail(option, 'NAME', `${option} is longer than a claim can carry (60 characters).`);
  }
  const sex = blank(input.subscriberSex)?.toLowerCase();
  if (sex !== undefined) {
    if (sex !== '' && !SEXES.includes(sex)) fail('--subscriber-sex', 'CHOICE', '--subscriber-sex must be male, female or unknown.');
    else values.subscriberSex = sex || null;
  }
  for (const [key, column, option] of [['subscriberDob', 'subscriberDob', '--subscriber-dob'], ['start', 'effectiveFrom', '--start'], ['end', 'effectiveTo', '--end']] as const) {
    const text = blank(input[key]);
    if (text === undefined) continue;
    if (text === '' && key !== 'subscriberDob') {
      values[column] = null;
      continue;
    }
    const date = parseDate(text, today);
    if (!date) issues.push(badDate(option));
    else if (key === 'subscriberDob' && date > today) fail(option, 'DATE_FUTURE', `${option} is in the future.`);
    else values[column] = date;
  }
  return values;
}

/** Checks the coverage as it will be: subscriber, dates, and one coverage in force per payer order. */
async function checkCoverage(db: DbOrTx, patientId: number, id: number | null, c: CoverageValues, issues: Issue[]): Promise<void> {
  if (c.relationship !== '18' && (!c.subscriberFirstName || !c.subscriberLastName || !c.subscriberDob)) {
    issues.push({ path: '--subscriber-last', code: 'SUBSCRIBER', message: 'The patient is not the subscriber: give the subscriber\'s --subscriber-first, --subscriber-last and --subscriber-dob (claims carry them).' });
  }
  if (c.relationship === '18' && (c.subscriberFirstName || c.subscriberLastName || c.subscriberDob)) {
    issues.push({ path: '--relationship', code: 'SUBSCRIBER', message: 'With --relationship self the patient is the subscriber: leave out the --subscriber-* options (or give the real relationship).' });
  }
  if (c.effectiveFrom && c.effectiveTo && c.effectiveTo < c.effectiveFrom) issues.push({ path: '--end', code: 'DATE_ORDER', message: 'The coverage ends (--end) before it starts (--start).' });
  if (issues.length) return;
  // Two coverages of the same order in force on the same day would leave the payer order unclear.
  const clash = await db
    .select({ id: coverages.id })
    .from(coverages)
    .where(
      and(
        eq(coverages.patientId, patientId),
        eq(coverages.active, true),
        eq(coverages.priority, c.priority!),
        id === null ? undefined : ne(coverages.id, id),
        sql`(${coverages.effectiveTo} is null or ${c.effectiveFrom ?? null}::date is null or ${coverages.effectiveTo} >= ${c.effectiveFrom ?? null}::date)`,
        sql`(${coverages.effectiveFrom} is null or ${c.effectiveTo ?? null}::date is null or ${coverages.effectiveFrom} <= ${c.effectiveTo ?? null}::date)`,
      ),
    );
  if (clash.length) {
    issues.push({
      path: '--order',
      code: 'ORDER_TAKEN',
      message: `The patient already has ${ORDER_WORDS[c.priority!]} insurance in force for these dates (coverage ${clash.map((x) => x.id).join(', ')}): end it first ("practice insurance end <chart number> ${clash[0]!.id} --date ..."), or give this one another --order.`,
    });
  }
}

function audited(values: CoverageValues): string[] {
  return Object.keys(values).filter((k) => values[k as keyof CoverageValues] !== undefined);
}

export async function addCoverage(db: Db, actor: AuditActor, mrn: string, input: CoverageInput, today: string): Promise<{ id: number }> {
  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, mrn);
    const issues: Issue[] = [];
    if (input.payer === undefined) issues.push({ path: '--payer', code: 'REQUIRED', message: '--payer is required.' });
    if (!blank(input.memberId)) issues.push({ path: '--member-id', code: 'REQUIRED', message: '--member-id is required.' });
    const values = await readInput(tx, input, today, issues);
    const coverage: CoverageValues = { priority: 1, relationship: '18', ...values };
    await checkCoverage(tx, patient.id, null, coverage, issues);
    if (issues.length) throw new ValidationError(issues);
    const [row] = await tx
      .insert(coverages)
      .values({ ...coverage, patientId: patient.id, payerId: coverage.payerId!, memberId: coverage.memberId! })
      .returning({ id: coverages.id });
    await recordAudit(tx, actor, { action: 'insert', entity: 'coverages', entityId: row!.id, details: { patientId: patient.id, fields: audited(coverage) } });
    return { id: row!.id };
  });
}

async function coverageOf(tx: Tx, patientId: number, id: number): Promise<CoverageRow> {
  const [row] = await tx.select().from(coverages).where(and(eq(coverages.id, id), eq(coverages.patientId, patientId)));
  if (!row) throw new NotFoundError(`Coverage ${id} on this chart`, 'See the ids with "practice insurance list <chart number> --all".');
  return row;
}

export async function editCoverage(db: Db, actor: AuditActor, mrn: string, id: number, input: CoverageInput, today: string): Promise<{ id: number; fields: string[] }> {
  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, mrn);
    const row = await coverageOf(tx, patient.id, id);
    const issues: Issue[] = [];
    const values = await readInput(tx, input, today, issues);
    const fields = audited(values);
    if (!fields.length && !issues.length) issues.push({ code: 'NOTHING', message: 'Nothing to change: give the options to change, e.g. --group or --member-id.' });
    const merged = { ...row, ...values };
    // Becoming the subscriber clears the old subscriber's details.
    if (values.relationship === '18') Object.assign(merged, { subscriberFirstName: null, subscriberLastName: null, subscriberDob: null, subscriberSex: null });
    await checkCoverage(tx, patient.id, id, merged, issues);
    if (issues.length) throw new ValidationError(issues);
    await tx.update(coverages).set({ ...values, ...(values.relationship === '18' ? { subscriberFirstName: null, subscriberLastName: null, subscriberDob: null, subscriberSex: null } : {}), updatedAt: new Date() }).where(eq(coverages.id, id));
    await recordAudit(tx, actor, { action: 'update', entity: 'coverages', entityId: id, details: { patientId: patient.id, fields } });
    return { id, fields };
  });
}

/** Ends a coverage on a date: it stays on file (claims for visits before the date still bill it). */
export async function endCoverage(db: Db, actor: AuditActor, mrn: string, id: number, dateText: string | undefined, today: string): Promise<{ id: number; effectiveTo: string }> {
  const date = dateText === undefined ? today : parseDate(dateText, today);
  if (!date) throw mistake(badDate('--date'));
  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, mrn);
    const row = await coverageOf(tx, patient.id, id);
    if (!row.active) throw new ValidationError([{ code: 'STATUS', message: `Coverage ${id} is no longer active.` }]);
    if (row.effectiveTo && row.effectiveTo <= date) throw new ValidationError([{ path: '--date', code: 'STATUS', message: `Coverage ${id} already ends on ${row.effectiveTo}.` }]);
    if (row.effectiveFrom && date < row.effectiveFrom) throw new ValidationError([{ path: '--date', code: 'DATE_ORDER', message: `--date is before the coverage started (${row.effectiveFrom}).` }]);
    await tx.update(coverages).set({ effectiveTo: date, updatedAt: new Date() }).where(eq(coverages.id, id));
    await recordAudit(tx, actor, { action: 'end', entity: 'coverages', entityId: id, details: { patientId: patient.id, fields: ['effectiveTo'] } });
    return { id, effectiveTo: date };
  });
}

export type CoverageState = 'in force' | 'ended' | 'not yet in force' | 'inactive';

function stateOf(row: { active: boolean; effectiveFrom: string | null; effectiveTo: string | null }, today: string): CoverageState {
  if (!row.active) return 'inactive';
  if (row.effectiveTo && row.effectiveTo < today) return 'ended';
  if (row.effectiveFrom && row.effectiveFrom > today) return 'not yet in force';
  return 'in force';
}

/** A patient's coverages in payer order: those in force or still to come, or every one with `all`. */
export async function listCoverages(db: DbOrTx, patientId: number, today: string, all = false) {
  const rows = await db
    .select({ coverage: coverages, payer: payers.name, payerCode: payers.payerId })
    .from(coverages)
    .innerJoin(payers, eq(payers.id, coverages.payerId))
    .where(eq(coverages.patientId, patientId))
    .orderBy(asc(coverages.priority), asc(coverages.effectiveFrom), asc(coverages.id));
  return rows
    .map(({ coverage: c, payer, payerCode }) => ({
      id: c.id,
      order: ORDER_WORDS[c.priority] ?? String(c.priority),
      priority: c.priority,
      payer,
      payerId: payerCode,
      memberId: c.memberId,
      groupNumber: c.groupNumber,
      planName: c.planName,
      relationship: RELATIONSHIP_WORDS[c.relationship] ?? c.relationship,
      relationshipCode: c.relationship,
      subscriber: c.relationship === '18' ? null : { firstName: c.subscriberFirstName, lastName: c.subscriberLastName, dob: c.subscriberDob, sex: c.subscriberSex },
      effectiveFrom: c.effectiveFrom,
      effectiveTo: c.effectiveTo,
      state: stateOf(c, today),
    }))
    .filter((c) => all || c.state === 'in force' || c.state === 'not yet in force');
}
