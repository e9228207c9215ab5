// Advance directives on file: which document (living will, health care power of attorney, POLST/MOLST,
// DNR), when it was signed, who holds the original and where it is kept. The practice records that the
// document exists and where to find it; a newer document supersedes the old one.
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { ADVANCE_DIRECTIVE_KINDS } from '../codes/chart-vocabulary.js';
import { advanceDirectives } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { ValidationError } from '../errors.js';
import { tableColumns, type EntryKind } from './entries.js';

export const advanceDirectiveKind: EntryKind = {
  command: 'advance-directives',
  listNoun: 'advance directives',
  noun: 'advance directive',
  summary: 'advance directives on file: living will, health care power of attorney, POLST/MOLST, DNR; where the original is',
  example: 'practice advance-directives add C100 --kind living-will --date 2024-05-01 --custodian "Jane Doe (daughter)" --location "scanned, and original at home"',
  options: [
    { flags: '--kind <kind>', description: `${Object.keys(ADVANCE_DIRECTIVE_KINDS).join(', ')} (required)` },
    { flags: '--date <date>', description: 'when it was signed' },
    { flags: '--custodian <who>', description: 'who holds the original, e.g. the health care agent' },
    { flags: '--location <where>', description: 'where the document is kept' },
    { flags: '--note <text>', description: 'a short note' },
    { flags: '--supersedes <id>', description: 'the id of the directive this newer one replaces (it is marked superseded)' },
  ],
  columns: tableColumns({ Directive: 'label', Signed: 'signedDate', Custodian: 'custodian', Location: 'location', Status: 'status' }),
  async add(tx, patient, c, clock) {
    const kind = c.required('kind', '--kind') === undefined ? undefined : c.oneOf('kind', '--kind', Object.keys(ADVANCE_DIRECTIVE_KINDS));
    const signed = c.date('date', '--date');
    if (signed && signed < patient.dob) c.fail('--date', 'BEFORE_BIRTH', '--date is before the date of birth.');
    const supersedesText = c.text('supersedes');
    const supersedes = supersedesText === undefined ? undefined : /^[1-9][0-9]{0,9}$/.test(supersedesText) ? Number(supersedesText) : c.fail('--supersedes', 'ID', '--supersedes takes the id of the older directive (see "practice advance-directives list <chart number> --json").');
    if (supersedes !== undefined && c.options.replaces !== undefined) c.fail('--supersedes', 'ONE_LINK', 'Give --supersedes (a newer document) or --replaces (a correction of a mistake), not both.');
    c.done();
    let older: typeof advanceDirectives.$inferSelect | undefined;
    if (supersedes !== undefined) {
      [older] = await tx.select().from(advanceDirectives).where(and(eq(advanceDirectives.id, supersedes), eq(advanceDirectives.patientId, patient.id)));
      if (!older) throw new ValidationError([{ code: 'NOT_ON_CHART', path: '--supersedes', message: `Advance directive ${supersedes} is not on this chart (see "practice advance-directives list <chart number> --all --json").` }]);
      if (older.status !== 'current') throw new ValidationError([{ code: 'STATUS', path: '--supersedes', message: `Advance directive ${supersedes} is ${older.status === 'superseded' ? 'already superseded' : 'marked entered in error'}.` }]);
      await tx.update(advanceDirectives).set({ status: 'superseded', updatedAt: clock.now }).where(eq(advanceDirectives.id, supersedes));
    }
    const [row] = await tx
      .insert(advanceDirectives)
      .values({ patientId: patient.id, kind: kind!, code: ADVANCE_DIRECTIVE_KINDS[kind!]!.code, signedDate: signed ?? null, custodian: c.text('custodian') ?? null, location: c.text('location') ?? null, note: c.text('note') ?? null, replacesId: older?.id ?? null })
      .returning({ id: advanceDirectives.id });
    if (older) await tx.update(advanceDirectives).set({ statusNote: `superseded by entry ${row!.id}` }).where(eq(advanceDirectives.id, older.id));
    const sameKind = older ? [] : await tx.select({ id: advanceDirectives.id }).from(advanceDirectives).where(and(eq(advanceDirectives.patientId, patient.id), eq(advanceDirectives.kind, kind!), eq(advanceDirectives.status, 'current'), sql`${advanceDirectives.id} <> ${row!.id}`));
    return {
      entity: 'advance_directives',
      ids: [row!.id],
      warnings: sameKind.length ? [`Another current ${ADVANCE_DIRECTIVE_KINDS[kind!]!.label.toLowerCase()} is on file (id ${sameKind.map((s) => s.id).join(', ')}): if this one replaces it, mark it with "practice advance-directives supersede".`] : [],
      details: { kind, supersedes: older?.id ?? null },
      alsoChanged: older ? [{ action: 'supersede', entity: 'advance_directives', entityId: older.id, details: { fields: ['status', 'statusNote'], supersededBy: row!.id } }] : [],
    };
  },
  list(db, patient, all) {
    return advanceDirectiveRows(db, patient.id, all);
  },
};

export async function advanceDirectiveRows(db: DbOrTx, patientId: number, all = false) {
  const rows = await db
    .select()
    .from(advanceDirectives)
    .where(and(eq(advanceDirectives.patientId, patientId), all ? undefined : eq(advanceDirectives.status, 'current')))
    .orderBy(asc(advanceDirectives.status), sql`${advanceDirectives.signedDate} desc nulls last`, desc(advanceDirectives.id));
  return rows.map((r) => ({ id: r.id, kind: r.kind, label: ADVANCE_DIRECTIVE_KINDS[r.kind]?.label ?? r.kind, loinc: r.code, signedDate: r.signedDate, custodian: r.custodian, location: r.location, note: r.note, status: r.status, statusNote: r.statusNote, replacesId: r.replacesId }));
}
