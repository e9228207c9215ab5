// Recording a visit the way a biller needs it: the encounter, its diagnoses in claim order, one
// charge per procedure with diagnosis pointers and an amount, and the SOAP note, in one transaction.
import { asc, desc, eq, inArray } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { readIcd10 } from '../codes/code-lists.js';
import { normalizeProcedureCode, parseModifiers, procedureCodeSystem } from '../codes/procedure-codes.js';
import { CodeSystem } from '../codes/systems.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { charges, encounterDiagnoses, encounters, feeSchedule, locations, progressNotes, providers } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { badAmount, badDateTime, mistake, UsageError, ValidationError, type Issue } from '../errors.js';
import { parseMoney } from '../money.js';
import { locationByCode, patientByMrn, providerByNpi } from './lookup.js';
import type { SoapNote } from './soap.js';
import { parseDate, parseLocalDateTime } from './time.js';

export interface EncounterInput {
  mrn: string;
  providerNpi: string;
  /** "2026-03-10" or "2026-03-10 09:30" in the practice's zone. */
  when: string;
  /**
   * "99214,36415", "99214:25,36415" or "99213:25@1,2,73562:RT@2": codes with optional modifiers after
   * colons and, after @, the diagnoses (their places in dx, 1-12) the line is for.
   */
  cpt: string;
  dx: string;
  durationMinutes?: string;
  locationCode?: string;
  /** Modifiers for the only procedure code. */
  modifiers?: string;
  /** "125.00": the charge for the only procedure code, instead of the fee schedule. */
  amount?: string;
  note?: SoapNote;
}

interface ChargeLine {
  codeSystem: string;
  code: string;
  modifiers: string[];
  /** Places in the visit's diagnoses, as given; empty means the first four. */
  pointers: number[];
}

const MAX_DIAGNOSES = 12;
/** SV107 takes at most four diagnosis code pointers per service line. */
export const MAX_POINTERS = 4;
const POINTER_LETTERS = 'ABCDEFGHIJKL';

/**
 * A service line's diagnosis pointers as people write them: places 1-12 in the visit's diagnoses, or
 * the CMS-1500 letters A-L, separated by commas, spaces, colons or plus signs ("1,2", "A B", "2").
 * Checks the form and the count; whether each place exists is the caller's to check.
 */
export function parseDiagnosisPointers(text: string): { pointers: number[] } | { problem: string } {
  const items = text.split(/[\s,:+]+/).filter(Boolean);
  const pointers: number[] = [];
  for (const item of items) {
    const letter = POINTER_LETTERS.indexOf(item.toUpperCase());
    const n = /^[0-9]{1,2}$/.test(item) ? Number(item) : item.length === 1 && letter >= 0 ? letter + 1 : NaN;
    if (!(n >= 1 && n <= MAX_DIAGNOSES)) return { problem: `diagnosis pointer "${item}" is not a place from 1 to ${MAX_DIAGNOSES} (or a letter A to L)` };
    if (pointers.includes(n)) return { problem: `diagnosis pointer ${n} is given twice` };
    pointers.push(n);
  }
  if (pointers.length > MAX_POINTERS) return { problem: `a service line points at most at ${MAX_POINTERS} diagnoses (${pointers.length} given)` };
  return { pointers };
}

/** "99213:25@1", "2", "36415": splits --cpt at commas, keeping the pointer numbers after an @ with their code. */
function splitProcedures(text: string): string[] {
  const items: string[] = [];
  for (const piece of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const previous = items.at(-1);
    if (previous?.includes('@') && /^([0-9]{1,2}|[A-La-l])$/.test(piece)) items[items.length - 1] = `${previous},${piece}`;
    else items.push(piece);
  }
  return items;
}

function parseLines(input: EncounterInput, diagnosisCount: number, issues: Issue[]): ChargeLine[] {
  const items = splitProcedures(input.cpt);
  if (items.length === 0) issues.push({ path: '--cpt', code: 'REQUIRED', message: 'Give at least one procedure code with --cpt, e.g. 99214.' });
  if (input.modifiers && items.length > 1) {
    throw new UsageError('--modifiers can only be used with a single --cpt code.', 'With several codes write the modifiers after each code: --cpt 99214:25,36415');
  }
  if (input.amount && items.length > 1) {
    throw new UsageError('--amount can only be used with a single --cpt code.', 'Several codes are priced from the fee schedule ("practice encounters fees set").');
  }
  const lines: ChargeLine[] = [];
  for (const item of items) {
    const [procedure, pointerText] = item.split('@');
    const [rawCode, ...mods] = procedure!.split(':');
    const code = normalizeProcedureCode(rawCode ?? '');
    let pointers: number[] = [];
    if (pointerText !== undefined) {
      const parsed = parseDiagnosisPointers(pointerText);
      if ('problem' in parsed) issues.push({ path: '--cpt', code: 'POINTER', message: `${rawCode}: ${parsed.problem}.` });
      else if (parsed.pointers.length === 0) issues.push({ path: '--cpt', code: 'POINTER', message: `${rawCode}: give the diagnoses after @, e.g. ${rawCode}@1,2.` });
      else pointers = parsed.pointers;
      const missing = pointers.filter((p) => p > diagnosisCount);
      if (missing.length) {
        issues.push({ path: '--cpt', code: 'POINTER_TARGET', message: `${rawCode} points at diagnosis ${missing.join(', ')}, but --dx lists ${diagnosisCount}.` });
      }
    }
    const { modifiers, invalid } = parseModifiers(input.modifiers && items.length === 1 ? [...mods, ...input.modifiers.split(/[\s,]+/)] : mods);
    if (!code) issues.push({ path: '--cpt', code: 'CPT_FORM', message: `"${rawCode}" is not a CPT or HCPCS code (5 digits such as 99214, or a letter and 4 digits such as G0439).` });
    if (invalid.length) issues.push({ path: '--cpt', code: 'MODIFIER', message: `Modifier(s) ${invalid.join(', ')} are not valid: a modifier is two letters or digits, e.g. 25.` });
    if (modifiers.length > 4) issues.push({ path: '--cpt', code: 'MODIFIERS', message: 'A procedure line takes at most 4 modifiers.' });
    if (code) lines.push({ codeSystem: procedureCodeSystem(code)!, code, modifiers, pointers });
  }
  return lines;
}

function parseDiagnoses(text: string, issues: Issue[]): string[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) issues.push({ path: '--dx', code: 'REQUIRED', message: 'Give at least one diagnosis with --dx, e.g. E11.9 (a claim needs one).' });
  if (items.length > MAX_DIAGNOSES) issues.push({ path: '--dx', code: 'DX_COUNT', message: `A visit takes at most ${MAX_DIAGNOSES} diagnoses.` });
  const codes: string[] = [];
  for (const item of items) {
    const read = readIcd10(item);
    if ('problem' in read) issues.push({ path: '--dx', code: 'ICD10', message: read.problem });
    else if (codes.includes(read.code)) issues.push({ path: '--dx', code: 'DX_REPEATED', message: `${read.code} is listed twice in --dx.` });
    else codes.push(read.code);
  }
  return codes;
}

export async function addEncounter(db: Db, actor: AuditActor, input: EncounterInput, clock: { now: Date; today: string; zone: string }) {
  const issues: Issue[] = [];
  const diagnoses = parseDiagnoses(input.dx, issues);
  const lines = parseLines(input, diagnoses.length, issues);
  const day = parseDate(input.when, clock.today);
  const startsAt = parseLocalDateTime(input.when, clock.zone, clock.today) ?? (day ? DateTime.fromISO(day, { zone: clock.zone }).set({ hour: 12 }).toJSDate() : undefined);
  if (!startsAt) issues.push(badDateTime('--date'));
  const serviceDate = startsAt ? DateTime.fromJSDate(startsAt, { zone: clock.zone }).toISODate()! : undefined;
  if (serviceDate && serviceDate > clock.today) issues.push({ path: '--date', code: 'DATE_FUTURE', message: 'The visit date is in the future: book an appointment instead.' });
  let duration: number | undefined;
  if (input.durationMinutes !== undefined) {
    duration = Number(input.durationMinutes);
    if (!Number.isInteger(duration) || duration <= 0 || duration > 24 * 60) issues.push({ path: '--duration', code: 'DURATION', message: '--duration must be a whole number of minutes (1 to 1440).' });
  }
  const amount = input.amount === undefined ? undefined : parseMoney(input.amount);
  if (input.amount !== undefined && amount === undefined) issues.push(badAmount('--amount'));
  if (issues.length) throw new ValidationError(issues);

  return db.transaction(async (tx) => {
    const patient = await patientByMrn(tx, input.mrn);
    const provider = await providerByNpi(tx, input.providerNpi);
    const location = input.locationCode
      ? await locationByCode(tx, input.locationCode)
      : provider.defaultLocationId
        ? (await tx.select().from(locations).where(eq(locations.id, provider.defaultLocationId)))[0]
        : undefined;
    if (serviceDate! < patient.dob) throw new ValidationError([{ path: '--date', code: 'BEFORE_BIRTH', message: 'The visit date is before the date of birth.' }]);
    const fees = await tx
      .select({ codeSystem: feeSchedule.codeSystem, code: feeSchedule.code, amountCents: feeSchedule.amountCents })
      .from(feeSchedule)
      .where(inArray(feeSchedule.code, lines.map((l) => l.code)));
    const priced = lines.map((line) => ({ ...line, amountCents: amount ?? fees.find((f) => f.code === line.code && f.codeSystem === line.codeSystem)?.amountCents }));
    const unpriced = priced.filter((l) => l.amountCents === undefined).map((l) => l.code);
    if (unpriced.length) {
      throw new ValidationError(
        [{ path: '--amount', code: 'NO_FEE', message: `No fee is set for ${unpriced.join(', ')}.` }],
        `No fee is set for ${unpriced.join(', ')}: give --amount (one code) or set the fee with "practice encounters fees set ${unpriced[0]} <amount>".`,
      );
    }
    const typeLine = lines.find((l) => /^99[0-9]{3}$/.test(l.code)) ?? lines[0]!;
    const [encounter] = await tx
      .insert(encounters)
      .values({
        patientId: patient.id,
        providerId: provider.id,
        locationId: location?.id ?? null,
        startsAt: startsAt!,
        endsAt: duration ? new Date(startsAt!.getTime() + duration * 60_000) : null,
        durationMinutes: duration ?? null,
        status: 'finished',
        encounterClass: location?.placeOfService === '02' || location?.placeOfService === '10' ? 'VR' : 'AMB',
        typeSystem: typeLine.codeSystem,
        typeCode: typeLine.code,
        reasonSystem: CodeSystem.icd10cm,
        reasonCode: diagnoses[0]!,
      })
      .returning({ id: encounters.id });
    const encounterId = encounter!.id;
    await tx.insert(encounterDiagnoses).values(diagnoses.map((code, i) => ({ encounterId, position: i + 1, codeSystem: CodeSystem.icd10cm, code })));
    // A line without pointers of its own is for the first four diagnoses.
    const firstFour = diagnoses.slice(0, MAX_POINTERS).map((_, i) => i + 1);
    const pointersOf = (line: ChargeLine) => (line.pointers.length ? line.pointers : firstFour);
    const chargeRows = await tx
      .insert(charges)
      .values(
        priced.map((line) => ({
          patientId: patient.id,
          encounterId,
          providerId: provider.id,
          locationId: location?.id ?? null,
          serviceDate: serviceDate!,
          codeSystem: line.codeSystem,
          code: line.code,
          modifiers: line.modifiers,
          amountCents: line.amountCents!,
          diagnosisPointers: pointersOf(line),
          placeOfService: location?.placeOfService ?? null,
        })),
      )
      .returning({ id: charges.id, code: charges.code, amountCents: charges.amountCents });
    let noteId: number | undefined;
    if (input.note) {
      const [note] = await tx
        .insert(progressNotes)
        .values({ patientId: patient.id, encounterId, authorId: provider.id, noteDate: serviceDate!, ...input.note, status: 'final', signedAt: clock.now })
        .returning({ id: progressNotes.id });
      noteId = note!.id;
    }
    await recordAudit(tx, actor, [
      { action: 'insert', entity: 'encounters', entityId: encounterId, details: { patientId: patient.id, diagnoses: diagnoses.length, chargeIds: chargeRows.map((c) => c.id), noteId: noteId ?? null, priced: amount === undefined ? 'fee-schedule' : 'amount' } },
      ...chargeRows.map((c) => ({ action: 'insert', entity: 'charges', entityId: c.id, details: { encounterId } })),
      ...(noteId ? [{ action: 'insert', entity: 'progress_notes', entityId: noteId, details: { encounterId } }] : []),
    ]);
    return {
      encounterId,
      serviceDate: serviceDate!,
      diagnoses: diagnoses.map((code, i) => ({ position: i + 1, code })),
      charges: chargeRows.map((c, i) => ({ id: c.id, code: c.code, modifiers: priced[i]!.modifiers, amountCents: c.amountCents, diagnosisPointers: pointersOf(priced[i]!) })),
      noteId: noteId ?? null,
    };
  });
}

export async function listEncounters(db: DbOrTx, mrn: string) {
  const patient = await patientByMrn(db, mrn);
  const rows = await db
    .select({ id: encounters.id, startsAt: encounters.startsAt, type: encounters.typeCode, status: encounters.status, provider: providers.lastName, durationMinutes: encounters.durationMinutes })
    .from(encounters)
    .leftJoin(providers, eq(providers.id, encounters.providerId))
    .where(eq(encounters.patientId, patient.id))
    .orderBy(desc(encounters.startsAt));
  const ids = rows.map((r) => r.id);
  const dx = ids.length ? await db.select().from(encounterDiagnoses).where(inArray(encounterDiagnoses.encounterId, ids)).orderBy(asc(encounterDiagnoses.position)) : [];
  const lines = ids.length ? await db.select({ encounterId: charges.encounterId, code: charges.code, amountCents: charges.amountCents, status: charges.status }).from(charges).where(inArray(charges.encounterId, ids)).orderBy(asc(charges.id)) : [];
  return rows.map((r) => ({
    ...r,
    diagnoses: dx.filter((d) => d.encounterId === r.id).map((d) => d.code),
    charges: lines.filter((l) => l.encounterId === r.id).map((l) => ({ code: l.code, amountCents: l.amountCents, status: l.status })),
  }));
}

export async function setFee(db: Db, actor: AuditActor, codeText: string, amountText: string) {
  const code = normalizeProcedureCode(codeText);
  if (!code) throw new UsageError(`"${codeText}" is not a CPT or HCPCS code (e.g. 99214 or G0439).`);
  const amountCents = parseMoney(amountText);
  if (amountCents === undefined) throw mistake(badAmount('The fee'));
  const codeSystem = procedureCodeSystem(code)!;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(feeSchedule)
      .values({ codeSystem, code, amountCents })
      .onConflictDoUpdate({ target: [feeSchedule.codeSystem, feeSchedule.code], set: { amountCents, updatedAt: new Date() } })
      .returning();
    await recordAudit(tx, actor, { action: 'upsert', entity: 'fee_schedule', entityId: row!.id, details: { code, amountCents } });
    return row!;
  });
}

export async function listFees(db: DbOrTx) {
  return db.select({ code: feeSchedule.code, codeSystem: feeSchedule.codeSystem, amountCents: feeSchedule.amountCents }).from(feeSchedule).orderBy(asc(feeSchedule.code));
}

