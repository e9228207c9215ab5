// Writes X12 837P 005010X222A1 batches. The envelope numbers come from a persistent counter taken in
// the same transaction that marks the claims exported, so a number is never reused and a claim is
// never in two batches; the file itself is written to a temporary name, flushed and renamed before
// that transaction commits.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { icd10ForClaim } from '../codes/icd10.js';
import { normalizeNdc } from '../codes/ndc.js';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { claimBatches, claimDiagnoses, claimLines, clearinghouses, payToAddress, practice, x12Counters } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { NotFoundError, PracticeError, UsageError } from '../errors.js';
import { failpoint } from '../faults/failpoint.js';
import { loadOtherPayers, responsibilitySequence, writeLineAdjudication, writeOtherPayers, type OtherPayer } from './cob.js';
import { scopeCondition, scrubClaims, type EditFailure } from './edits.js';
import { inTransaction } from './transaction.js';
import { lint837p } from './x12/lint-837p.js';
import { parseX12, x12Amount } from './x12/model.js';
import { X12Writer } from './x12/writer.js';

export const IMPLEMENTATION_837P = '005010X222A1';
/** Recommended ceiling of claims in one ST/SE transaction set. */
export const CLAIMS_PER_TRANSACTION = 5000;

type Clearinghouse = typeof clearinghouses.$inferSelect;
type Practice = typeof practice.$inferSelect;
type PayTo = typeof payToAddress.$inferSelect;

/** A street address as the 837P N3/N4 pair carries it. */
interface Address {
  address1: string | null;
  address2: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
}

export interface BatchClaim {
  id: number;
  patientControlNumber: string;
  frequencyCode: string;
  payerClaimControlNumber: string | null;
  totalCents: number;
  providerSignatureOnFile: string;
  assignmentCode: string;
  benefitsAssigned: string;
  releaseOfInformation: string;
  coveragePriority: number;
  relationship: string;
  memberId: string;
  groupNumber: string | null;
  subscriberLastName: string | null;
  subscriberFirstName: string | null;
  payerName: string;
  payerIdentifier: string;
  filingIndicator: string;
  patientLastName: string;
  patientFirstName: string;
  patientMiddleName: string | null;
  patientSuffix: string | null;
  patientAddress1: string | null;
  patientAddress2: string | null;
  patientCity: string | null;
  patientState: string | null;
  patientZip: string | null;
  dob: string;
  sex: string;
  renderingNpi: string | null;
  renderingLastName: string | null;
  renderingFirstName: string | null;
  renderingTaxonomy: string | null;
  /** Where the service was given (locations): loop 2310C when it is not the billing address. */
  facilityName: string | null;
  facilityNpi: string | null;
  facilityAddress1: string | null;
  facilityAddress2: string | null;
  facilityCity: string | null;
  facilityState: string | null;
  facilityZip: string | null;
  diagnoses: string[];
  lines: (typeof claimLines.$inferSelect)[];
  /** Loop 2320/2330: the patient's other coverages, with their adjudication of this claim when known. */
  otherPayers: OtherPayer[];
}

export interface BatchHeader {
  interchangeControlNumber: number;
  groupControlNumber: number;
  reference: string;
  createdAt: Date;
  timeZone: string;
}

const digits = (value: string | null | undefined) => (value ?? '').replace(/[^0-9]/g, '');
const SEX_CODE: Record<string, string> = { male: 'M', female: 'F' };
/** Place of service 12 (the patient's home) is never sent as a service facility (2310C). */
const POS_HOME = '12';

/** Two addresses are the same place when street, city, state and 5-digit ZIP agree (case and spacing aside). */
export function sameAddress(a: Address, b: Address): boolean {
  const key = (x: Address) => [x.address1, x.city, x.state, digits(x.zip).slice(0, 5)].map((v) => (v ?? '').replace(/\s+/g, ' ').trim().toUpperCase()).join('|');
  return key(a) === key(b);
}

/** An X12 decimal from a numeric column ("2.500" -> "2.5"). */
const x12Decimal = (value: string | null) => (value ?? '').replace(/(\.[0-9]*?)0+$/, '$1').replace(/\.$/, '');

/** The whole interchange as text: pure, so the same data always gives the same bytes. */
export function render837p(header: BatchHeader, ch: Clearinghouse, pr: Practice, claims: BatchClaim[], payTo: PayTo | null = null): string {
  const w = new X12Writer({
    element: ch.elementSeparator,
    component: ch.componentSeparator,
    repetition: ch.repetitionSeparator,
    segment: ch.segmentTerminator,
  });
  const at = DateTime.fromJSDate(header.createdAt, { zone: header.timeZone });
  const isa13 = String(header.interchangeControlNumber).padStart(9, '0');
  const fixed = (value: string, width: number) => w.clean(value).slice(0, width).padEnd(width, ' ');
  w.add(
    'ISA', '00', ' '.repeat(10), '00', ' '.repeat(10),
    ch.senderQualifier, fixed(ch.senderId, 15), ch.receiverQualifier, fixed(ch.receiverId, 15),
    at.toFormat('yyMMdd'), at.toFormat('HHmm'), ch.repetitionSeparator, '00501', isa13, '0', ch.usageIndicator, ch.componentSeparator,
  );
  const gs06 = String(header.groupControlNumber);
  w.add('GS', 'HC', ch.applicationSenderCode ?? ch.senderId, ch.applicationReceiverCode ?? ch.receiverId, at.toFormat('yyyyMMdd'), at.toFormat('HHmm'), gs06, 'X', IMPLEMENTATION_837P);
  let transactions = 0;
  for (let start = 0; start < claims.length; start += CLAIMS_PER_TRANSACTION) {
    transactions++;
    writeTransaction(w, String(transactions).padStart(4, '0'), header, at, ch, pr, payTo, claims.slice(start, start + CLAIMS_PER_TRANSACTION));
  }
  w.add('GE', transactions, gs06);
  w.add('IEA', 1, isa13);
  return w.toString();
}

function writeTransaction(w: X12Writer, st02: string, header: BatchHeader, at: DateTime, ch: Clearinghouse, pr: Practice, payTo: PayTo | null, claims: BatchClaim[]): void {
  const first = w.segments.length;
  w.add('ST', '837', st02, IMPLEMENTATION_837P);
  w.add('BHT', '0019', '00', header.reference, at.toFormat('yyyyMMdd'), at.toFormat('HHmm'), 'CH');
  // 1000A submitter, 1000B receiver
  w.add('NM1', '41', '2', w.clean(ch.submitterName ?? pr.legalName, 60), '', '', '', '', '46', ch.senderId);
  w.add('PER', 'IC', w.clean(ch.submitterContactName ?? 'BILLING OFFICE', 60), 'TE', digits(ch.submitterContactPhone ?? pr.phone));
  w.add('NM1', '40', '2', w.clean(ch.receiverName ?? ch.name, 60), '', '', '', '', '46', ch.receiverId);
  // 2000A billing provider
  w.add('HL', 1, '', '20', 1);
  if (pr.taxonomyCode) w.add('PRV', 'BI', 'PXC', pr.taxonomyCode);
  w.add('NM1', '85', '2', w.clean(pr.legalName, 60), '', '', '', '', 'XX', pr.billingNpi);
  w.add('N3', w.clean(pr.address1, 55), w.clean(pr.address2, 55));
  w.add('N4', w.clean(pr.city, 30), pr.state, digits(pr.zip));
  w.add('REF', 'EI', pr.tin);
  // 2010AB pay-to address: only when the money goes somewhere other than the billing street address.
  if (payTo && !sameAddress(payTo, pr)) {
    w.add('NM1', '87', '2');
    writeStreet(w, payTo);
  }
  let hl = 1;
  for (const claim of claims) {
    const self = claim.relationship === '18';
    const subscriberHl = ++hl;
    // 2000B subscriber: one per claim keeps the hierarchy simple and within the 100-claims-per-HL limit.
    w.add('HL', subscriberHl, 1, '22', self ? 0 : 1);
    w.add('SBR', responsibilitySequence(claim.coveragePriority, claim.otherPayers, claim.coveragePriority), self ? '18' : '', w.clean(claim.groupNumber, 50), '', '', '', '', '', claim.filingIndicator);
    if (self) {
      w.add('NM1', 'IL', '1', w.clean(claim.patientLastName, 60), w.clean(claim.patientFirstName, 35), w.clean(claim.patientMiddleName, 25), '', w.clean(claim.patientSuffix, 10), 'MI', w.clean(claim.memberId, 80));
      writeAddress(w, claim);
    } else {
      w.add('NM1', 'IL', '1', w.clean(claim.subscriberLastName, 60), w.clean(claim.subscriberFirstName, 35), '', '', '', 'MI', w.clean(claim.memberId, 80));
    }
    w.add('NM1', 'PR', '2', w.clean(claim.payerName, 60), '', '', '', '', 'PI', w.clean(claim.payerIdentifier, 80));
    if (!self) {
      // 2000C patient: the dependent, who has no member id of their own at this payer.
      w.add('HL', ++hl, subscriberHl, '23', 0);
      w.add('PAT', claim.relationship);
      w.add('NM1', 'QC', '1', w.clean(claim.patientLastName, 60), w.clean(claim.patientFirstName, 35), w.clean(claim.patientMiddleName, 25), '', w.clean(claim.patientSuffix, 10));
      writeAddress(w, claim);
    }
    writeClaim(w, claim, pr);
  }
  w.add('SE', w.countSince(first) + 1, st02);
}

function writeStreet(w: X12Writer, a: Address): void {
  w.add('N3', w.clean(a.address1, 55), w.clean(a.address2, 55));
  w.add('N4', w.clean(a.city, 30), a.state, digits(a.zip));
}

function writeAddress(w: X12Writer, claim: BatchClaim): void {
  writeStreet(w, { address1: claim.patientAddress1, address2: claim.patientAddress2, city: claim.patientCity, state: claim.patientState, zip: claim.patientZip });
  w.add('DMG', 'D8', claim.dob.replaceAll('-', ''), SEX_CODE[claim.sex] ?? 'U');
}

function writeClaim(w: X12Writer, claim: BatchClaim, pr: Practice): void {
  const claimPos = claim.lines[0]?.placeOfService ?? '11';
  w.add('CLM', claim.patientControlNumber, x12Amount(claim.totalCents), '', '', [claimPos, 'B', claim.frequencyCode], claim.providerSignatureOnFile, claim.assignmentCode, claim.benefitsAssigned, claim.releaseOfInformation);
  if (claim.frequencyCode !== '1') w.add('REF', 'F8', w.clean(claim.payerClaimControlNumber, 50));
  w.add('HI', ...claim.diagnoses.map((code, i) => [i === 0 ? 'ABK' : 'ABF', icd10ForClaim(code)]));
  // 2310B only when someone other than the billing NPI rendered the service.
  if (claim.renderingNpi && claim.renderingNpi !== pr.billingNpi) {
    w.add('NM1', '82', '1', w.clean(claim.renderingLastName, 60), w.clean(claim.renderingFirstName, 35), '', '', '', 'XX', claim.renderingNpi);
    if (claim.renderingTaxonomy) w.add('PRV', 'PE', 'PXC', claim.renderingTaxonomy);
  }
  // 2310C service facility: the visit's location, when it is not the billing address (never for a home visit).
  const facility: Address = { address1: claim.facilityAddress1, address2: claim.facilityAddress2, city: claim.facilityCity, state: claim.facilityState, zip: claim.facilityZip };
  if (claim.facilityName && facility.address1 && claimPos !== POS_HOME && !sameAddress(facility, pr)) {
    w.add('NM1', '77', '2', w.clean(claim.facilityName, 60), '', '', '', '', claim.facilityNpi ? 'XX' : '', claim.facilityNpi);
    writeStreet(w, facility);
  }
  writeOtherPayers(w, claim, claim.otherPayers);
  for (const line of claim.lines) {
    w.add('LX', line.lineNumber);
    w.add(
      'SV1',
      ['HC', line.code, ...line.modifiers],
      x12Amount(line.chargeCents),
      'UN',
      line.units,
      line.placeOfService && line.placeOfService !== claimPos ? line.placeOfService : '',
      '',
      line.diagnosisPointers.map(String),
    );
    w.add('DTP', '472', 'D8', line.serviceDate.replaceAll('-', ''));
    w.add('REF', '6R', lineControlNumber(claim.patientControlNumber, line.lineNumber));
    // 2410 drug identification: the NDC as 11 digits, the quantity given and its unit, the prescription link.
    if (line.ndcCode) {
      w.add('LIN', '', 'N4', normalizeNdc(line.ndcCode) ?? line.ndcCode);
      w.add('CTP', '', '', '', x12Decimal(line.ndcQuantity), [line.ndcUnit]);
      if (line.ndcReferenceQualifier && line.ndcReference) w.add('REF', line.ndcReferenceQualifier, w.clean(line.ndcReference, 50));
    }
    writeLineAdjudication(w, claim.otherPayers, line.lineNumber);
  }
}

/** REF*6R: what the payer echoes in the 835 so a payment lands on the right line. */
export function lineControlNumber(patientControlNumber: string, lineNumber: number): string {
  return `${patientControlNumber}-${lineNumber}`;
}

/** Loads the claims chosen by a condition on claims c (a batch's, say) in file order, with everything the 837P needs. */
export async function loadClaims(db: DbOrTx, chosen: SQL): Promise<BatchClaim[]> {
  const heads = await queryRows<Omit<BatchClaim, 'diagnoses' | 'lines' | 'otherPayers'>>(
    db,
    sql`select c.id, c.patient_control_number as "patientControlNumber", c.frequency_code as "frequencyCode",
               c.payer_claim_control_number as "payerClaimControlNumber", c.total_cents as "totalCents",
               c.provider_signature_on_file as "providerSignatureOnFile", c.assignment_code as "assignmentCode",
               c.benefits_assigned as "benefitsAssigned", c.release_of_information as "releaseOfInformation",
               cov.priority as "coveragePriority", cov.relationship, cov.member_id as "memberId", cov.group_number as "groupNumber",
               cov.subscriber_last_name as "subscriberLastName", cov.subscriber_first_name as "subscriberFirstName",
               py.name as "payerName", py.payer_id as "payerIdentifier", py.claim_filing_indicator as "filingIndicator",
               p.last_name as "patientLastName", p.first_name as "patientFirstName", p.middle_name as "patientMiddleName",
               p.suffix as "patientSuffix", p.address1 as "patientAddress1", p.address2 as "patientAddress2",
               p.city as "patientCity", p.state as "patientState", p.zip as "patientZip", p.dob::text as dob, p.sex,
               rp.npi as "renderingNpi", rp.last_name as "renderingLastName", rp.first_name as "renderingFirstName",
               rp.taxonomy_code as "renderingTaxonomy",
               loc.name as "facilityName", loc.npi as "facilityNpi", loc.address1 as "facilityAddress1", loc.address2 as "facilityAddress2",
               loc.city as "facilityCity", loc.state as "facilityState", loc.zip as "facilityZip"
        from claims c
        join coverages cov on cov.id = c.coverage_id
        join payers py on py.id = c.payer_id
        join patients p on p.id = c.patient_id
        left join providers rp on rp.id = c.rendering_provider_id
        left join locations loc on loc.id = c.location_id
        where ${chosen}
        order by c.id`,
  );
  const ids = heads.map((h) => h.id);
  if (ids.length === 0) return [];
  const others = await loadOtherPayers(db, chosen);
  const byClaim = new Map<number, BatchClaim>(heads.map((h) => [h.id, { ...h, diagnoses: [], lines: [], otherPayers: others.get(h.id) ?? [] }]));
  const inBatch = sql`(select c.id from claims c where ${chosen})`;
  const diagnoses = await db.select().from(claimDiagnoses).where(inArray(claimDiagnoses.claimId, inBatch)).orderBy(asc(claimDiagnoses.claimId), asc(claimDiagnoses.position));
  for (const d of diagnoses) byClaim.get(d.claimId)!.diagnoses.push(d.code);
  const lines = await db.select().from(claimLines).where(inArray(claimLines.claimId, inBatch)).orderBy(asc(claimLines.claimId), asc(claimLines.lineNumber));
  for (const l of lines) byClaim.get(l.claimId)!.lines.push(l);
  return [...byClaim.values()];
}

async function nextControlNumber(tx: DbOrTx, name: string): Promise<number> {
  const [row] = await tx
    .insert(x12Counters)
    .values({ name, lastValue: 1 })
    .onConflictDoUpdate({ target: x12Counters.name, set: { lastValue: sql`${x12Counters.lastValue} + 1` } })
    .returning({ value: x12Counters.lastValue });
  return row!.value;
}

export async function findClearinghouse(db: DbOrTx, name?: string): Promise<Clearinghouse> {
  const rows = await db.select().from(clearinghouses).where(name ? eq(clearinghouses.name, name) : undefined);
  const chosen = name ? rows[0] : rows.length === 1 ? rows[0] : rows.find((r) => r.isDefault);
  if (!chosen) {
    if (name) throw new NotFoundError(`Clearinghouse "${name}"`, 'List them with "practice setup" or name one that exists.');
    throw new PracticeError('NO_CLEARINGHOUSE', rows.length ? 'Several clearinghouses are set up and none is the default.' : 'No clearinghouse is set up, so there is nobody to send claims to.', {
      hint: rows.length ? 'Choose one with --clearinghouse NAME.' : 'Add the clearinghouse with its sender and receiver ids first.',
    });
  }
  return chosen;
}

async function loadPayTo(db: DbOrTx): Promise<PayTo | null> {
  const [row] = await db.select().from(payToAddress);
  return row ?? null;
}

async function loadPractice(db: DbOrTx): Promise<Practice> {
  const [pr] = await db.select().from(practice);
  if (!pr) throw new PracticeError('NO_PRACTICE', 'The practice itself is not set up (name, NPI, tax id, address).', { hint: 'Set it up first with "practice setup".' });
  return pr;
}

export interface ExportOptions {
  outDir: string;
  payerId?: number;
  clearinghouse?: string;
  now: Date;
  dryRun?: boolean;
}

/** A batch an earlier export recorded but was stopped before it saw the file written, now written. */
export interface CompletedBatch {
  batchId: number;
  file: string;
  interchangeControlNumber: number;
  claims: number;
}

export interface ExportResult {
  batchId: number | null;
  file: string | null;
  interchangeControlNumber: number | null;
  claims: number;
  totalCents: number;
  held: EditFailure[];
  /** Batches of earlier, interrupted exports, finished first (same file, same control numbers). */
  completed: CompletedBatch[];
}

/**
 * The steps of an export where a test can kill the process (PRACTICE_FAILPOINT=claims-export:<step>):
 * inside the transaction that records the batch, after it commits, after the temporary file is
 * written, after it is flushed to disk, after it is renamed into place, after the batch is marked written.
 */
export const EXPORT_FAILPOINTS = ['before-record', 'after-record', 'after-write', 'after-fsync', 'after-rename', 'after-commit'] as const;
const step = (name: (typeof EXPORT_FAILPOINTS)[number]) => failpoint(`claims-export:${name}`);

/** The hidden name a file is written under before it is renamed into place: one per file, so a rerun finds it. */
export const tempName = (name: string) => `.${name}.tmp`;

/**
 * Writes text to dir/name atomically, mode 0600: a temporary name, flushed to disk, renamed into
 * place, then the folder flushed so the rename survives a power cut. A temporary file an earlier,
 * killed run left behind is replaced. Returns the path.
 */
export async function writeFileAtomic(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  const temp = join(dir, tempName(name));
  let handle: FileHandle | undefined;
  try {
    await rm(temp, { force: true });
    handle = await open(temp, 'wx', 0o600);
    await handle.writeFile(text, 'utf8');
    step('after-write');
    await handle.sync();
    step('after-fsync');
    await handle.close();
    handle = undefined;
    await rename(temp, path);
    step('after-rename');
    const folder = await open(dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    return path;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new PracticeError('EXPORT_WRITE_FAILED', `Cannot write the claim file in ${dir} (${code}).`, {
      hint: 'Check the folder exists and you can write to it.',
      cause: error,
    });
  }
}

/** Open rejections of claims now in a new batch are settled: the claim was changed and passed the edits. */
async function settleRejections(tx: DbOrTx, batchId: number): Promise<void> {
  await tx.execute(sql`update claim_rejections set resolved_at = now(), resolution = 'changed'
                       where resolved_at is null and claim_id in (select id from claims where batch_id = ${batchId})`);
}

/** The folder must exist and take files before any batch is recorded for it. */
async function checkOutDir(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new PracticeError('EXPORT_WRITE_FAILED', `Cannot write the claim file in ${dir} (${code}).`, {
      hint: 'Check the folder exists and you can write to it. No claim was marked exported.',
      cause: error,
    });
  }
}

export function batchFileName(batch: { id: number; interchangeControlNumber: number }): string {
  return `837P-${String(batch.interchangeControlNumber).padStart(9, '0')}-batch${batch.id}.x12`;
}

/**
 * BHT03, the originator's reference for the transaction: the batch, never a claim (claim numbers are
 * PK + 9 digits). B, the practice's date of the batch, and the batch number.
 */
export function batchReference(batchId: number, at: DateTime): string {
  return `B${at.toFormat('yyyyMMdd')}${String(batchId).padStart(3, '0')}`;
}

/**
 * Writes a recorded batch's file from the copy kept with it and marks the batch written, in one
 * transaction that holds the batch row, so two runs never write it at once. The file only ever
 * carries the stored bytes, so writing it twice (a kill between rename and commit) changes nothing.
 * Returns null when another run has already written it.
 */
async function writeRecordedBatch(db: Db, actor: AuditActor, batchId: number, lock: 'wait' | 'skip', outDir?: string): Promise<CompletedBatch | null> {
  return db.transaction(async (tx) => {
    const [batch] = await queryRows<typeof claimBatches.$inferSelect>(
      tx,
      sql`select id, status, content, file_name as "fileName", file_dir as "fileDir", file_sha256 as "fileSha256",
                 interchange_control_number as "interchangeControlNumber", claim_count as "claimCount"
          from claim_batches where id = ${batchId} ${outDir ? sql`` : sql`and status = 'open'`}
          for update ${lock === 'skip' ? sql`skip locked` : sql``}`,
    );
    if (!batch) return null;
    const dir = outDir ?? batch.fileDir;
    if (!batch.content || !batch.fileName || !dir) throw new UsageError(`Batch ${batchId} has no file content to write.`);
    const sha256 = createHash('sha256').update(batch.content).digest('hex');
    if (sha256 !== batch.fileSha256) throw new PracticeError('BATCH_DAMAGED', `The stored copy of batch ${batchId} does not match its checksum.`, { hint: 'Do not resend it; ask the administrator to check the database.' });
    const file = await writeFileAtomic(dir, batch.fileName, batch.content);
    if (batch.status === 'open') {
      await tx.update(claimBatches).set({ status: 'exported', exportedAt: new Date() }).where(eq(claimBatches.id, batchId));
      await recordAudit(tx, actor, { action: 'export-file', entity: 'claim_batches', entityId: batchId, details: { interchangeControlNumber: batch.interchangeControlNumber, claims: batch.claimCount } });
    }
    return { batchId, file, interchangeControlNumber: batch.interchangeControlNumber, claims: batch.claimCount };
  });
}

/** Batches recorded by exports that were stopped before their file was written: written now, in order. */
async function finishOpenBatches(db: Db, actor: AuditActor): Promise<CompletedBatch[]> {
  const open = await db.select({ id: claimBatches.id }).from(claimBatches).where(eq(claimBatches.status, 'open')).orderBy(asc(claimBatches.id));
  const done: CompletedBatch[] = [];
  for (const { id } of open) {
    const written = await writeRecordedBatch(db, actor, id, 'skip');
    if (written) done.push(written);
  }
  return done;
}

/**
 * Scrubs the ready claims, puts the passing ones in a new batch and writes its file. Failing claims
 * are held and returned with every reason. Crash-safe in two steps: the batch is recorded (claims,
 * control numbers, the file's exact bytes and folder) and committed before the file appears; the
 * file is then written atomically and the batch marked written. A run stopped between the two leaves
 * an open batch, which the next export writes first, byte for byte: never a second batch of the same
 * claims, never new control numbers for them.
 */
export async function exportClaims(db: Db, actor: AuditActor, options: ExportOptions): Promise<ExportResult> {
  const today = DateTime.fromJSDate(options.now).toISODate()!;
  if (!options.dryRun) await checkOutDir(options.outDir);
  const completed = options.dryRun ? [] : await finishOpenBatches(db, actor);
  const recorded = await inTransaction(db, options.dryRun ?? false, async (tx) => {
    // One export at a time: the second waits here instead of racing for the same claims.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('practicekit:claims-export'))`);
    const ch = await findClearinghouse(tx, options.clearinghouse);
    const pr = await loadPractice(tx);
    if (!digits(ch.submitterContactPhone ?? pr.phone)) {
      // PER*IC needs a number to call: the clearinghouse rejects the whole file without one.
      throw new PracticeError('NO_SUBMITTER_PHONE', 'The claim file needs a contact phone for the billing office.', {
        hint: 'Record the clearinghouse contact phone or the practice phone with "practice setup", then export again.',
      });
    }
    const scope = { payerId: options.payerId };
    const { failures } = await scrubClaims(tx, scope, today);
    const [eligible] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from claims c where ${scopeCondition(scope)} and c.status = 'ready'`);
    if (eligible!.n === 0 || options.dryRun) {
      return { batchId: null, interchangeControlNumber: null, claims: eligible!.n, totalCents: 0, held: failures };
    }
    // One counter for every receiver: ISA13 is unique across all the practice's interchanges.
    const control = await nextControlNumber(tx, 'interchange');
    const createdAt = options.now;
    const [batch] = await tx
      .insert(claimBatches)
      .values({
        clearinghouseId: ch.id,
        payerId: options.payerId ?? null,
        interchangeControlNumber: control,
        groupControlNumber: control,
        transactionControlNumber: 1,
        status: 'open',
        fileDir: options.outDir,
        createdAt,
      })
      .returning();
    const reference = batchReference(batch!.id, DateTime.fromJSDate(createdAt, { zone: pr.timeZone }));
    await tx.execute(sql`update claims c set batch_id = ${batch!.id}, status = 'exported', exported_at = ${createdAt.toISOString()}, updated_at = now()
                         where ${scopeCondition(scope)} and c.status = 'ready'`);
    // A claim sent again after a rejection: the rejection is settled by this new sending.
    await settleRejections(tx, batch!.id);
    const claims = await loadClaims(tx, sql`c.batch_id = ${batch!.id}`);
    const text = render837p({ ...batch!, reference, createdAt, timeZone: pr.timeZone }, ch, pr, claims, await loadPayTo(tx));
    // A last look with the reader's rules: a file that breaks them is never written.
    const problems = lint837p(parseX12(text));
    if (problems.length) {
      throw new PracticeError('EXPORT_INVALID', `The claim file came out invalid (${problems.map((p) => p.code).join(', ')}); nothing was exported.`, {
        hint: 'Run "practice claims check"; if it passes, report this as a bug.',
      });
    }
    const fileName = batchFileName(batch!);
    const totalCents = claims.reduce((sum, c) => sum + c.totalCents, 0);
    await tx
      .update(claimBatches)
      .set({ reference, content: text, fileName, fileSha256: createHash('sha256').update(text).digest('hex'), claimCount: claims.length, totalCents })
      .where(eq(claimBatches.id, batch!.id));
    await recordAudit(tx, actor, { action: 'export', entity: 'claim_batches', entityId: batch!.id, details: { claims: claims.length, interchangeControlNumber: control, held: new Set(failures.map((f) => f.claimId)).size } });
    step('before-record');
    return { batchId: batch!.id, interchangeControlNumber: control, claims: claims.length, totalCents, held: failures };
  });
  if (recorded.batchId === null) return { ...recorded, file: null, completed };
  step('after-record');
  const written = await writeRecordedBatch(db, actor, recorded.batchId, 'wait');
  step('after-commit');
  // Null only when a concurrent run wrote this batch first (it was open for a moment): the same file.
  const file = written?.file ?? join(options.outDir, batchFileName({ id: recorded.batchId, interchangeControlNumber: recorded.interchangeControlNumber! }));
  return { ...recorded, file, completed };
}

/**
 * Writes an earlier batch again, byte for byte, from the copy kept in the database, to the folder
 * given. A batch an interrupted export left unwritten is marked written by it.
 */
export async function rewriteBatch(db: Db, actor: AuditActor, batchId: number, outDir: string): Promise<{ batchId: number; file: string; sha256: string }> {
  const [batch] = await db.select({ id: claimBatches.id, sha256: claimBatches.fileSha256 }).from(claimBatches).where(eq(claimBatches.id, batchId));
  if (!batch) throw new NotFoundError(`Claim batch ${batchId}`, 'See the batches with "practice claims list --status exported".');
  const written = await writeRecordedBatch(db, actor, batchId, 'wait', outDir);
  return { batchId, file: written!.file, sha256: batch.sha256! };
}
