// The one write path every import format feeds: items (a CSV row, a FHIR resource) carry the records they
// produce; a batch of items is written in one transaction and each item ends in exactly one bucket.
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/query.js';
import type { DbOrTx } from '../db/types.js';
import {
  chooseChartNumbers,
  ensureProviders,
  refKey,
  resolveLinks,
  resolvePatients,
  targetOrder,
  writeClinical,
  writeEncounterDiagnoses,
  writePatients,
  writePatientIdentifiers,
  writeRecordDetails,
  type ClinicalRecord,
  type ClinicalTarget,
  type Outcome,
  type PatientRecord,
  type ProviderRecord,
} from './writer.js';

export type Bucket = Outcome | 'rejected' | 'skipped';

export interface ImportItem {
  /** Where the item is in the input: a row number or a file name, for the reject file. */
  where: string;
  patients: PatientRecord[];
  records: ClinicalRecord[];
  /** Plain reasons the item cannot be imported; any reason rejects it. */
  problems: string[];
  /** A FHIR resource type we do not store. */
  skip?: boolean;
  /** A patient row whose chart number is new while its name and birth date are already on file. */
  allowNameMatch?: boolean;
  diagnoses?: { encounter: string; position: number; codeSystem: string; code: string; display?: string }[];
  /** Payers to create on first sight, keyed by source id; coverage values carry `payer` to resolve. */
  payers?: PayerRecord[];
  /** Clinicians the item describes (FHIR Practitioner), matched by NPI. */
  providers?: ProviderRecord[];
}

export interface PayerRecord {
  sourceId: string;
  name: string;
  /** A payer described in full (FHIR payer Organization): written and kept up to date, not only named. */
  details?: { payerId: string; phone: string | null; address1: string | null; address2: string | null; city: string | null; state: string | null; zip: string | null; active: boolean };
}

export interface ItemResult {
  bucket: Bucket;
  reasons: string[];
}

export interface BatchOptions {
  sourceSystem: string;
  /** Child rows name patients by this system's chart number (CSV kinds). */
  chartSystem?: string;
}

const rank: Record<Outcome, number> = { unchanged: 0, updated: 1, inserted: 2 };

function combine(a: Outcome, b: Outcome): Outcome {
  return rank[b] > rank[a] ? b : a;
}

const recordKey = (r: ClinicalRecord) => `${r.target}\u0000${r.sourceSystem}\u0000${r.sourceId}`;

function sameRecord(a: ClinicalRecord, b: ClinicalRecord): boolean {
  return JSON.stringify(a.values) === JSON.stringify(b.values) && a.encounter === b.encounter && refKey(a.patient) === refKey(b.patient);
}

/**
 * Writes one batch of items (the caller opens the transaction, and audits what it wrote) and returns one
 * result per item.
 */
export async function writeBatch(tx: DbOrTx, items: ImportItem[], options: BatchOptions): Promise<{ results: ItemResult[]; possibleDuplicates: number }> {
  const results: ItemResult[] = items.map((item) => ({ bucket: item.skip ? 'skipped' : 'unchanged', reasons: [...item.problems] }));
  const live = (i: number) => !items[i]!.skip && results[i]!.reasons.length === 0;
  const outcome: Outcome[] = items.map(() => 'unchanged');

  // A record twice in one batch would make the upsert touch a row twice: keep the last one.
  const lastPatient = new Map<string, number>();
  const lastRecord = new Map<string, number>();
  // Each record's key, built once (batches hold thousands of records).
  const recordKeys: string[][] = items.map(() => []);
  items.forEach((item, i) => {
    if (!live(i)) return;
    for (const p of item.patients) {
      const key = refKey(p.key);
      const before = lastPatient.get(key);
      if (before !== undefined && JSON.stringify(items[before]!.patients.find((q) => refKey(q.key) === key)) !== JSON.stringify(p)) {
        results[before]!.reasons.push(`the same patient appears again at ${item.where} with different details; that one was kept`);
      }
      lastPatient.set(key, i);
    }
    for (const r of item.records) {
      const key = recordKey(r);
      recordKeys[i]!.push(key);
      const before = lastRecord.get(key);
      if (before !== undefined && before !== i) {
        const earlier = items[before]!.records[recordKeys[before]!.indexOf(key)]!;
        if (!sameRecord(earlier, r)) results[before]!.reasons.push(`the same record appears again at ${item.where} with different details; that one was kept`);
      }
      lastRecord.set(key, i);
    }
  });

  const patientRows: { item: number; record: PatientRecord }[] = [];
  items.forEach((item, i) => {
    if (live(i)) for (const record of item.patients) if (lastPatient.get(refKey(record.key)) === i) patientRows.push({ item: i, record });
  });
  await chooseChartNumbers(tx, patientRows.map((p) => p.record));
  const written = await writePatients(
    tx,
    patientRows.map((p) => p.record),
    patientRows.map((p) => items[p.item]!.allowNameMatch ?? false),
  );
  const gainedIdentifier = await writePatientIdentifiers(tx, patientRows.map((p) => p.record), written.patientIds.map((id, j) => (written.conflicts.has(j) ? 0 : id)));
  patientRows.forEach((p, j) => {
    const conflict = written.conflicts.get(j);
    if (conflict) results[p.item]!.reasons.push(conflict);
    else outcome[p.item] = combine(outcome[p.item]!, gainedIdentifier.has(j) ? combine(written.outcomes[j]!, 'updated') : written.outcomes[j]!);
  });

  const payerItems = items.map((item, i) => (live(i) ? (item.payers ?? []) : []));
  const payers = await ensurePayers(tx, options.sourceSystem, payerItems.flat());
  payerItems.forEach((list, i) => {
    for (const p of list) if (p.details) outcome[i] = combine(outcome[i]!, payers.outcomes.get(p.sourceId) ?? 'unchanged');
  });
  const payerIds = payers.ids;

  const providerRows = items.flatMap((item, i) => (live(i) ? (item.providers ?? []).map((record) => ({ item: i, record })) : []));
  const links = items.flatMap((item, i) => (live(i) ? item.records.flatMap((r) => r.links ?? []) : []));
  const providers = await ensureProviders(tx, options.sourceSystem, providerRows.map((p) => p.record), links);
  providerRows.forEach((p, j) => {
    outcome[p.item] = combine(outcome[p.item]!, providers.outcomes[j]!);
  });

  const refs = items.flatMap((item, i) => (live(i) ? item.records.map((r) => r.patient) : []));
  const patientIds = await resolvePatients(tx, refs, options.chartSystem);
  const byTarget = new Map<ClinicalTarget, { item: number; record: ClinicalRecord & { patientId: number } }[]>();
  items.forEach((item, i) => {
    if (!live(i)) return;
    const pending: { item: number; record: ClinicalRecord & { patientId: number } }[] = [];
    for (let r = 0; r < item.records.length; r++) {
      const record = item.records[r]!;
      const patientId = patientIds.get(refKey(record.patient));
      if (patientId === undefined) {
        results[i]!.reasons.push(options.chartSystem ? `no patient with chart number "${record.patient.value}" is on file` : 'its patient is neither in this import nor on file');
        return;
      }
      if (lastRecord.get(recordKeys[i]![r]!) !== i) continue;
      const values = record.target === 'coverages' && typeof record.values.payer === 'string' ? withPayer(record.values, payerIds) : record.values;
      pending.push({ item: i, record: { ...record, values, patientId } });
    }
    for (const p of pending) {
      const list = byTarget.get(p.record.target) ?? [];
      list.push(p);
      byTarget.set(p.record.target, list);
    }
  });

  for (const target of targetOrder) {
    const list = byTarget.get(target);
    if (!list) continue;
    // Blood-pressure panels (and notes that others amend) first, so records of the same table find them by source id.
    const group = (r: ClinicalRecord) => Math.max(r.writeOrder ?? 0, r.panel || r.links?.some((l) => 'target' in l && l.target === target && l.sourceId !== r.sourceId) ? 1 : 0);
    const phases = new Map<number, typeof list>();
    for (const p of list) {
      const g = group(p.record);
      const phase = phases.get(g);
      if (phase) phase.push(p);
      else phases.set(g, [p]);
    }
    for (const phase of [...phases.keys()].sort((a, b) => a - b).map((g) => phases.get(g)!)) {
      const records = await resolveLinks(tx, phase.map((p) => p.record), providers.ids);
      const outcomes = await writeClinical(tx, target, records);
      phase.forEach((p, j) => {
        outcome[p.item] = combine(outcome[p.item]!, outcomes[j]!);
      });
      await writeRecordDetails(tx, target, records);
    }
  }
  const diagnoses = items.flatMap((item, i) => (live(i) ? (item.diagnoses ?? []) : []));
  await writeEncounterDiagnoses(tx, options.sourceSystem, diagnoses);

  items.forEach((item, i) => {
    const result = results[i]!;
    if (item.skip) return;
    result.bucket = result.reasons.length ? 'rejected' : outcome[i]!;
  });
  return { results, possibleDuplicates: written.possibleDuplicates };
}

function withPayer(values: Record<string, unknown>, payerIds: Map<string, number>): Record<string, unknown> {
  const { payer, ...rest } = values;
  return { ...rest, payerId: payerIds.get(payer as string) ?? null };
}

/**
 * Payers named by imported coverage, created once per source id (payer_id = the source id until edited);
 * payers described in full are written with their details and updated when those change. Returns the
 * payer ids by source id, and the outcome of each payer described in full.
 */
async function ensurePayers(tx: DbOrTx, sourceSystem: string, payers: PayerRecord[]): Promise<{ ids: Map<string, number>; outcomes: Map<string, Outcome> }> {
  // A full description wins over a coverage that only names the payer.
  const unique = new Map<string, PayerRecord>();
  for (const p of payers) if (p.details || !unique.has(p.sourceId)) unique.set(p.sourceId, p);
  const ids = new Map<string, number>();
  const outcomes = new Map<string, Outcome>();
  if (unique.size === 0) return { ids, outcomes };
  const described = JSON.stringify([...unique.values()].filter((p) => p.details).map((p) => ({ source_id: p.sourceId, name: p.name, payer_id: p.details!.payerId, phone: p.details!.phone, address1: p.details!.address1, address2: p.details!.address2, city: p.details!.city, state: p.details!.state, zip: p.details!.zip, active: p.details!.active })));
  const shape = sql`source_id text, name text, payer_id text, phone text, address1 text, address2 text, city text, state text, zip text, active boolean`;
  const inserted = await queryRows<{ source_id: string }>(
    tx,
    sql`insert into payers (name, payer_id, phone, address1, address2, city, state, zip, active, source_system, source_id)
        select x.name, x.payer_id, x.phone, x.address1, x.address2, x.city, x.state, x.zip, x.active, ${sourceSystem}, x.source_id from json_to_recordset(${described}::json) as x(${shape})
        on conflict do nothing returning source_id`,
  );
  for (const row of inserted) outcomes.set(row.source_id, 'inserted');
  const updated = await queryRows<{ source_id: string }>(
    tx,
    sql`update payers p set name = x.name, payer_id = x.payer_id, phone = x.phone, address1 = x.address1, address2 = x.address2, city = x.city, state = x.state, zip = x.zip, active = x.active, updated_at = now()
        from json_to_recordset(${described}::json) as x(${shape})
        where p.source_system = ${sourceSystem} and p.source_id = x.source_id
          and (p.name, p.payer_id, p.phone, p.address1, p.address2, p.city, p.state, p.zip, p.active) is distinct from (x.name, x.payer_id, x.phone, x.address1, x.address2, x.city, x.state, x.zip, x.active)
        returning x.source_id`,
  );
  for (const row of updated) if (!outcomes.has(row.source_id)) outcomes.set(row.source_id, 'updated');
  const input = JSON.stringify([...unique.values()].map((p) => ({ source_id: p.sourceId, name: p.name, payer_id: p.details?.payerId ?? p.sourceId })));
  await tx.execute(sql`insert into payers (name, payer_id, source_system, source_id)
    select x.name, x.payer_id, ${sourceSystem}, x.source_id from json_to_recordset(${input}::json) as x(source_id text, name text, payer_id text)
    on conflict do nothing`);
  const rows = await queryRows<{ id: number; source_id: string }>(
    tx,
    sql`select p.id, x.source_id from json_to_recordset(${input}::json) as x(source_id text, name text, payer_id text)
        join payers p on (p.source_system = ${sourceSystem} and p.source_id = x.source_id) or p.payer_id = x.payer_id`,
  );
  for (const row of rows) ids.set(row.source_id, Number(row.id));
  return { ids, outcomes };
}

export interface BucketCounts {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  skipped: number;
}

export function emptyCounts(): BucketCounts {
  return { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, skipped: 0 };
}

export function countBuckets(results: ItemResult[], into: BucketCounts = emptyCounts()): BucketCounts {
  for (const r of results) {
    into.read++;
    into[r.bucket]++;
  }
  return into;
}
