// A patient's insurance (the coverages table claims are built from): the fields are the coverage's
// declaration (src/records/coverage.ts); here the payer is found, the subscriber and the payer order are
// checked on the coverage as it will be, and every write is audited.
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { coverages, payers } from '../db/schema/index.js';
import type { Db, DbOrTx, Tx } from '../db/types.js';
import { badDate, mistake, NotFoundError, UsageError, ValidationError, type Issue } from '../errors.js';
import { byOption } from '../records/record.js';
import { checkCoverage, COVERAGE_FIELDS, orderOf, SELF, X12_RELATIONSHIPS, type CoverageInput, type CoverageValues as DeclaredValues } from '../records/coverage.js';
import { patientByMrn, payerByIdOrName } from './lookup.js';
import { parseDate } from './time.js';

export type { CoverageInput };

type CoverageRow = typeof coverages.$inferSelect;
type CoverageValues = Partial<Omit<CoverageRow, 'id' | 'patientId' | 'createdAt' | 'updatedAt'>>;

/** Reads the options by the declaration, and finds the payer; every problem at once; undefined keys were not given. */
async function readInput(db: DbOrTx, input: CoverageInput, today: string, creating: boolean, issues: Issue[]): Promise<CoverageValues> {
  const checked = creating ? checkCoverage(input, { today }, { creating: true }) : checkCoverage(input, { today }, { creating: false });
  let declared: Partial<DeclaredValues> = {};
  if ('values' in checked) declared = checked.values;
  else issues.push(...byOption(checked.problems.map((p) => ({ path: p.field, code: p.code, message: p.message })), COVERAGE_FIELDS));
  // The payer is looked up even when other fields have problems: all of them are told at once.
  const { payer: checkedPayer, ...values } = declared;
  const payer = checkedPayer ?? (input.payer?.trim() || undefined);
  if (payer !== undefined) {
    try {
      const row = await payerByIdOrName(db, payer);
      if (!row.active) issues.push({ path: '--payer', code: 'PAYER_INACTIVE', message: `The payer ${row.name} is deactivated: reactivate it with "practice payers reactivate" first.` });
      else return { ...values, payerId: row.id };
    } catch (error) {
      if (!(error instanceof NotFoundError || error instanceof UsageError)) throw error;
      issues.push({ path: '--payer', code: error instanceof UsageError ? 'PAYER_AMBIGUOUS' : 'PAYER_UNKNOWN', message: `${error.message} ${error.hint}`, usage: error instanceof UsageError });
    }
  }
  return values;
}

/** Checks the coverage as it will be (an edit changes some fields): subscriber, dates, and one coverage in force per payer order. */
async function checkAsItWillBe(db: DbOrTx, patientId: number, id: number | null, c: CoverageValues, issues: Issue[]): Promise<void> {
  if (c.relationship !== SELF && (!c.subscriberFirstName || !c.subscriberLastName || !c.subscriberDob)) {
    issues.push({ path: '--subscriber-last', code: 'SUBSCRIBER', message: 'The patient is not the subscriber: give the subscriber\'s --subscriber-first, --subscriber-last and --subscriber-dob (claims carry them).' });
  }
  if (c.relationship === SELF && (c.subscriberFirstName || c.subscriberLastName || c.subscriberDob)) {
    issues.push({ path: '--relationship', code: 'SUBSCRIBER', message: 'With --relationship self the patient is the subscriber: leave out the --subscriber-* options (or give the real relationship).' });
  }
  if (c.effectiveFrom && c.effectiveTo && c.effectiveTo < c.effectiveFrom) issues.push({ path: '--end', code: 'DATE_ORDER', message: '--end: the coverage ends before it starts.' });
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
      message: `The patient already has ${orderOf(c.priority!)} insurance in force for these dates (coverage ${clash.map((x) => x.id).join(', ')}): end it first ("practice insurance end <chart number> ${clash[0]!.id} --date ..."), or give this one another --order.`,
    });
  }
}

/** The fields a write sets: on an edit, a field cleared (null) too; on an add, only those given. */
function audited(values: CoverageValues, adding = false): string[] {
  return Object.keys(values).filter((k) => values[k as keyof CoverageValues] !== undefined && !(adding && values[k as keyof CoverageValues] === null));
}

export async function addCoverage(db: Db, actor: AuditActor, mrn: string, input: CoverageInput, today: string): Promise<{ id: number }> {
  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, mrn);
    const issues: Issue[] = [];
    const coverage: CoverageValues = { priority: 1, relationship: SELF, ...(await readInput(tx, input, today, true, issues)) };
    await checkAsItWillBe(tx, patient.id, null, coverage, issues);
    if (issues.length) throw new ValidationError(issues);
    const [row] = await tx
      .insert(coverages)
      .values({ ...coverage, patientId: patient.id, payerId: coverage.payerId!, memberId: coverage.memberId! })
      .returning({ id: coverages.id });
    await recordAudit(tx, actor, { action: 'insert', entity: 'coverages', entityId: row!.id, details: { patientId: patient.id, fields: audited(coverage, true) } });
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
    const values = await readInput(tx, input, today, false, issues);
    const fields = audited(values);
    if (!fields.length && !issues.length) issues.push({ code: 'NOTHING', message: 'Nothing to change: give the options to change, e.g. --group or --member-id.' });
    const merged = { ...row, ...values };
    // Becoming the subscriber clears the old subscriber's details.
    if (values.relationship === SELF) Object.assign(merged, { subscriberFirstName: null, subscriberLastName: null, subscriberDob: null, subscriberSex: null });
    await checkAsItWillBe(tx, patient.id, id, merged, issues);
    if (issues.length) throw new ValidationError(issues);
    await tx.update(coverages).set({ ...values, ...(values.relationship === SELF ? { subscriberFirstName: null, subscriberLastName: null, subscriberDob: null, subscriberSex: null } : {}), updatedAt: new Date() }).where(eq(coverages.id, id));
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
      order: orderOf(c.priority),
      priority: c.priority,
      payer,
      payerId: payerCode,
      memberId: c.memberId,
      groupNumber: c.groupNumber,
      planName: c.planName,
      relationship: X12_RELATIONSHIPS[c.relationship] ?? c.relationship,
      relationshipCode: c.relationship,
      subscriber: c.relationship === SELF ? null : { firstName: c.subscriberFirstName, lastName: c.subscriberLastName, dob: c.subscriberDob, sex: c.subscriberSex },
      effectiveFrom: c.effectiveFrom,
      effectiveTo: c.effectiveTo,
      state: stateOf(c, today),
    }))
    .filter((c) => all || c.state === 'in force' || c.state === 'not yet in force');
}
