// Recording a visit the way a biller needs it: the encounter, its diagnoses in claim order, one
// charge per procedure with diagnosis pointers and an amount, and the SOAP note, in one transaction.
// The visit and each charge line are read by their declaration (src/records/encounter.ts), as every import reads them.
import { asc, desc, eq, inArray } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { charges, encounterDiagnoses, encounters, feeSchedule, locations, progressNotes, providers } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { badAmount, mistake, UsageError, ValidationError, type Issue } from '../errors.js';
import { parseMoney } from '../money.js';
import type { PracticeClock } from '../practice/clock.js';
import { checkCharge, checkEncounter, ENCOUNTER_FIELDS, MAX_POINTERS, readProcedureCode, visitColumns, type ChargeValues, type EncounterValues } from '../records/encounter.js';
import { byOption, type RecordProblem } from '../records/record.js';
import { locationByCode, patientByMrn, providerByNpi } from './lookup.js';
import type { SoapNote } from './soap.js';

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

/** Each problem of a --cpt line, named after the line as typed ("--cpt 99213: ..."); its amount is --amount's. */
function issuesOf(problems: RecordProblem[], options: Record<string, string>, fallback: string): Issue[] {
  return problems.map((p) => {
    const option = options[p.field] ?? fallback;
    return { path: option.split(' ')[0]!, code: p.code, message: `${option}: ${p.message}` };
  });
}

export async function addEncounter(db: Db, actor: AuditActor, input: EncounterInput, clock: PracticeClock) {
  const items = splitProcedures(input.cpt);
  if (input.modifiers && items.length > 1) {
    throw new UsageError('--modifiers can only be used with a single --cpt code.', 'With several codes write the modifiers after each code: --cpt 99214:25,36415');
  }
  if (input.amount && items.length > 1) {
    throw new UsageError('--amount can only be used with a single --cpt code.', 'Several codes are priced from the fee schedule ("practice encounters fees set").');
  }
  const amount = input.amount === undefined ? undefined : parseMoney(input.amount);
  if (input.amount !== undefined && amount === undefined) throw mistake(badAmount('--amount'));
  const dx = input.dx.split(',').map((s) => s.trim()).filter(Boolean);
  const issues: Issue[] = [];
  if (items.length === 0) issues.push({ path: '--cpt', code: 'REQUIRED', message: 'Give at least one procedure code with --cpt, e.g. 99214.' });
  if (dx.length === 0) issues.push({ path: '--dx', code: 'REQUIRED', message: 'Give at least one diagnosis with --dx, e.g. E11.9 (a claim needs one).' });

  const patient = await patientByMrn(db, input.mrn);
  const provider = await providerByNpi(db, input.providerNpi);
  const location = input.locationCode
    ? await locationByCode(db, input.locationCode)
    : provider.defaultLocationId
      ? (await db.select().from(locations).where(eq(locations.id, provider.defaultLocationId)))[0]
      : undefined;
  const context = { today: clock.today, dob: patient.dob, zone: clock.zone };

  // Each --cpt item: CODE:MOD:MOD@POINTERS, read by the charge declaration.
  const lines: ChargeValues[] = [];
  const unpriced: string[] = [];
  const fees = await db.select({ codeSystem: feeSchedule.codeSystem, code: feeSchedule.code, amountCents: feeSchedule.amountCents }).from(feeSchedule);
  for (const item of items) {
    const [procedure, pointerText] = item.split('@');
    const [rawCode, ...mods] = procedure!.split(':');
    const option = `--cpt ${rawCode}`;
    if (pointerText !== undefined && pointerText.trim() === '') {
      issues.push({ path: '--cpt', code: 'POINTER', message: `${option}: give the diagnoses after @, e.g. ${rawCode}@1,2.` });
      continue;
    }
    const known = readProcedureCode(rawCode ?? '');
    const fee = 'code' in known ? fees.find((f) => f.code === known.code && f.codeSystem === known.codeSystem)?.amountCents : undefined;
    if ('code' in known && amount === undefined && fee === undefined) unpriced.push(known.code);
    const checked = checkCharge(
      {
        code: rawCode,
        modifiers: input.modifiers && items.length === 1 ? [...mods, ...input.modifiers.split(/[\s,]+/)] : mods,
        // An unpriced line is refused below, once every other problem has been told.
        amount: { cents: amount ?? fee ?? 0 },
        diagnosisPointers: pointerText,
      },
      { ...context, diagnosisCount: dx.length },
    );
    if ('problems' in checked) issues.push(...issuesOf(checked.problems, { amount: '--amount' }, option));
    else lines.push(checked.values);
  }
  const typeLine = lines.find((l) => /^99[0-9]{3}$/.test(l.code)) ?? lines[0];
  const visit = checkEncounter(
    { startsAt: input.when, durationMinutes: input.durationMinutes, placeOfService: location?.placeOfService, type: typeLine && { code: typeLine.code, codeSystem: typeLine.codeSystem }, diagnoses: dx.map((code) => ({ code })) },
    context,
  );
  if ('problems' in visit) issues.push(...byOption(visit.problems.map((p) => ({ path: p.field, code: p.code, message: p.message })), ENCOUNTER_FIELDS));
  if (issues.length) throw new ValidationError(issues);
  if (unpriced.length) {
    throw new ValidationError(
      [{ path: '--amount', code: 'NO_FEE', message: `No fee is set for ${unpriced.join(', ')}.` }],
      `No fee is set for ${unpriced.join(', ')}: give --amount (one code) or set the fee with "practice encounters fees set ${unpriced[0]} <amount>".`,
    );
  }
  const v = (visit as { values: EncounterValues }).values;

  return db.transaction(async (tx) => {
    const [encounter] = await tx
      .insert(encounters)
      .values({
        patientId: patient.id,
        providerId: provider.id,
        locationId: location?.id ?? null,
        ...visitColumns(v),
        // A visit typed at the command line is for its first diagnosis.
        reasonSystem: v.reasonSystem ?? v.diagnoses[0]!.codeSystem,
        reasonCode: v.reasonCode ?? v.diagnoses[0]!.code,
      })
      .returning({ id: encounters.id });
    const encounterId = encounter!.id;
    await tx.insert(encounterDiagnoses).values(v.diagnoses.map((d) => ({ encounterId, position: d.position, codeSystem: d.codeSystem, code: d.code })));
    // A line without pointers of its own is for the first four diagnoses.
    const firstFour = v.diagnoses.slice(0, MAX_POINTERS).map((d) => d.position);
    const pointersOf = (line: ChargeValues) => (line.diagnosisPointers.length ? line.diagnosisPointers : firstFour);
    const chargeRows = await tx
      .insert(charges)
      .values(
        lines.map((line) => ({
          patientId: patient.id,
          encounterId,
          providerId: provider.id,
          locationId: location?.id ?? null,
          serviceDate: v.serviceDate,
          codeSystem: line.codeSystem,
          code: line.code,
          modifiers: line.modifiers,
          units: line.units,
          amountCents: line.amountCents,
          diagnosisPointers: pointersOf(line),
          placeOfService: location?.placeOfService ?? null,
        })),
      )
      .returning({ id: charges.id, code: charges.code, amountCents: charges.amountCents });
    let noteId: number | undefined;
    if (input.note) {
      const [note] = await tx
        .insert(progressNotes)
        .values({ patientId: patient.id, encounterId, authorId: provider.id, noteDate: v.serviceDate, ...input.note, status: 'final', signedAt: clock.now })
        .returning({ id: progressNotes.id });
      noteId = note!.id;
    }
    await recordAudit(tx, actor, [
      { action: 'insert', entity: 'encounters', entityId: encounterId, details: { patientId: patient.id, diagnoses: v.diagnoses.length, chargeIds: chargeRows.map((c) => c.id), noteId: noteId ?? null, priced: amount === undefined ? 'fee-schedule' : 'amount' } },
      ...chargeRows.map((c) => ({ action: 'insert', entity: 'charges', entityId: c.id, details: { encounterId } })),
      ...(noteId ? [{ action: 'insert', entity: 'progress_notes', entityId: noteId, details: { encounterId } }] : []),
    ]);
    return {
      encounterId,
      serviceDate: v.serviceDate,
      diagnoses: v.diagnoses.map((d) => ({ position: d.position, code: d.code })),
      charges: chargeRows.map((c, i) => ({ id: c.id, code: c.code, modifiers: lines[i]!.modifiers, amountCents: c.amountCents, diagnosisPointers: pointersOf(lines[i]!) })),
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
  const read = readProcedureCode(codeText);
  if ('problem' in read) throw new UsageError(read.problem);
  const { code, codeSystem } = read;
  const amountCents = parseMoney(amountText);
  if (amountCents === undefined) throw mistake(badAmount('The fee'));
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

