// The 837P as text: the claims of a batch loaded with everything the file needs, and rendered as
// 005010X222A1, purely (the same data always gives the same bytes). Also each claim's block of a
// file, and its fingerprint: what acknowledgements are matched on and what "changed since it was
// sent" is judged by.
import { createHash } from 'node:crypto';
import { eq, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { icd10ForClaim } from '../codes/icd10.js';
import { normalizeNdc } from '../codes/ndc.js';
import { idArray, queryRows } from '../db/query.js';
import { claimLines, clearinghouses, payToAddress, practice } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { NotFoundError, PracticeError } from '../errors.js';
import { loadOtherPayers, responsibilitySequence, writeLineAdjudication, writeOtherPayers, type OtherPayer } from './cob.js';
import { parseX12, x12Amount, X12Segment, type Separators, type X12Document } from './x12/model.js';
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

export const digits = (value: string | null | undefined) => (value ?? '').replace(/[^0-9]/g, '');
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

/**
 * The whole interchange as text: pure, so the same data always gives the same bytes. `onSegment`
 * sees each segment as a reader of the text would, as it is written (the export lints the file so).
 */
export function render837p(
  header: BatchHeader,
  ch: Clearinghouse,
  pr: Practice,
  claims: BatchClaim[],
  payTo: PayTo | null = null,
  onSegment?: (segment: X12Segment) => void,
): string {
  const w = new X12Writer(separatorsOf(ch), onSegment ? { onSegment: (tag, elements) => onSegment(new X12Segment(tag, elements)) } : {});
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

/** The clearinghouse's separators, as its files carry them. */
export function separatorsOf(ch: Clearinghouse): Separators {
  return { element: ch.elementSeparator, component: ch.componentSeparator, repetition: ch.repetitionSeparator, segment: ch.segmentTerminator };
}

function writeTransaction(w: X12Writer, st02: string, header: BatchHeader, at: DateTime, ch: Clearinghouse, pr: Practice, payTo: PayTo | null, claims: BatchClaim[]): void {
  const first = w.count;
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
  const inBatch = sql`(select c.id from claims c where ${chosen})`;
  // Raw rows (each column decoded by its own type, no generic mapping per field), the three reads at once.
  const [others, diagnoses, lines] = await Promise.all([
    loadOtherPayers(db, chosen),
    queryRows<{ claimId: number; code: string }>(
      db,
      sql`select claim_id as "claimId", code from claim_diagnoses where claim_id in ${inBatch} order by claim_id, position`,
    ),
    queryRows<BatchClaim['lines'][number]>(
      db,
      sql`select id, claim_id as "claimId", charge_id as "chargeId", line_number as "lineNumber", code_system as "codeSystem", code, modifiers,
                 units, charge_cents as "chargeCents", diagnosis_pointers as "diagnosisPointers", service_date::text as "serviceDate",
                 place_of_service as "placeOfService", ndc_code as "ndcCode", ndc_quantity::text as "ndcQuantity", ndc_unit as "ndcUnit",
                 ndc_reference_qualifier as "ndcReferenceQualifier", ndc_reference as "ndcReference", paid_cents as "paidCents", status
          from claim_lines where claim_id in ${inBatch} order by claim_id, line_number`,
    ),
  ]);
  const byClaim = new Map<number, BatchClaim>(heads.map((h) => [h.id, { ...h, diagnoses: [], lines: [], otherPayers: others.get(h.id) ?? [] }]));
  for (const d of diagnoses) byClaim.get(d.claimId)!.diagnoses.push(d.code);
  for (const l of lines) byClaim.get(l.claimId)!.lines.push(l);
  return [...byClaim.values()];
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

export async function loadPayTo(db: DbOrTx): Promise<PayTo | null> {
  const [row] = await db.select().from(payToAddress);
  return row ?? null;
}

export async function loadPractice(db: DbOrTx): Promise<Practice> {
  const [pr] = await db.select().from(practice);
  if (!pr) throw new PracticeError('NO_PRACTICE', 'The practice itself is not set up (name, NPI, tax id, address).', { hint: 'Set it up first with "practice setup".' });
  return pr;
}


/** One claim's place in an 837P file. */
export interface ClaimBlock {
  patientControlNumber: string;
  /** ST02 of its transaction set. */
  st02: string;
  /** Positions of its first and last segment in the transaction set (ST is 1), as a 999's IK302 counts them. */
  from: number;
  to: number;
  /** Its transaction's segments before the first claim (submitter, receiver, billing provider), ST and BHT aside. */
  header: X12Segment[];
  /** From its subscriber HL (2000B) up to the next one or SE. */
  segments: X12Segment[];
}

const ENVELOPE = new Set(['ISA', 'GS', 'GE', 'IEA']);

/** Every claim of an 837P, in file order. */
export function claimBlocks(doc: X12Document): ClaimBlock[] {
  const blocks: ClaimBlock[] = [];
  let st02 = '';
  let position = 0;
  let header: X12Segment[] = [];
  let current: ClaimBlock | undefined;
  for (const seg of doc.segments) {
    if (ENVELOPE.has(seg.tag)) continue;
    if (seg.tag === 'ST') {
      [st02, position, header, current] = [seg.get(2), 0, [], undefined];
    }
    position++;
    if (seg.tag === 'SE') {
      current = undefined;
      continue;
    }
    if (seg.tag === 'HL' && seg.get(3) === '22') {
      current = { patientControlNumber: '', st02, from: position, to: position, header, segments: [] };
      blocks.push(current);
    }
    if (current) {
      current.segments.push(seg);
      current.to = position;
      if (seg.tag === 'CLM') current.patientControlNumber = seg.get(1);
    } else if (seg.tag !== 'ST' && seg.tag !== 'BHT') {
      header.push(seg);
    }
  }
  return blocks;
}

/**
 * The claim as the payer sees it, as one hash: its block with the billing provider and submitter it
 * travels under. HL numbers (its place in the file) and the envelope (dates, control numbers) aside,
 * so the same claim sent again unchanged has the same fingerprint.
 */
export function claimFingerprint(block: ClaimBlock): string {
  const hash = createHash('sha256');
  for (const seg of [...block.header, ...block.segments]) {
    hash.update([seg.tag, ...(seg.tag === 'HL' ? [seg.get(3), seg.get(4)] : seg.elements)].join('\u001f')).update('\u001e');
  }
  return hash.digest('hex');
}

/** Fingerprints of claims as they would be sent now, by claim id; each rendered for the clearinghouse given (or the default). */
export async function currentFingerprints(db: DbOrTx, claims: { claimId: number; clearinghouseId: number | null }[]): Promise<Map<number, string>> {
  const result = new Map<number, string>();
  if (claims.length === 0) return result;
  const pr = await loadPractice(db);
  const payTo = await loadPayTo(db);
  const byClearinghouse = new Map<number | null, number[]>();
  for (const c of claims) {
    const ids = byClearinghouse.get(c.clearinghouseId) ?? [];
    ids.push(c.claimId);
    byClearinghouse.set(c.clearinghouseId, ids);
  }
  for (const [clearinghouseId, ids] of byClearinghouse) {
    const [chosen] = clearinghouseId === null ? [] : await db.select().from(clearinghouses).where(eq(clearinghouses.id, clearinghouseId));
    const ch = chosen ?? (await findClearinghouse(db));
    const loaded = await loadClaims(db, sql`c.id = any(${idArray(ids)})`);
    const header: BatchHeader = { interchangeControlNumber: 1, groupControlNumber: 1, reference: 'FINGERPRINT', createdAt: new Date(0), timeZone: pr.timeZone };
    const pcnToId = new Map(loaded.map((c) => [c.patientControlNumber, c.id]));
    for (const block of claimBlocks(parseX12(render837p(header, ch, pr, loaded, payTo)))) {
      result.set(pcnToId.get(block.patientControlNumber)!, claimFingerprint(block));
    }
  }
  return result;
}
