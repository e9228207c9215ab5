// Exports as the commands run them: each one recorded in the audit log (or, for someone outside the
// practice, in the accounting of disclosures) by what left, never its contents.
import type { Bundle } from '@medplum/fhirtypes';
import { rm } from 'node:fs/promises';
import { DateTime } from 'luxon';
import { chainHead } from '../audit/chain.js';
import { patientByMrn } from '../chart/lookup.js';
import { parseDate } from '../chart/time.js';
import { recordAudit, recordDisclosure, type AuditActor, type Disclosure } from '../db/audit.js';
import type { Db } from '../db/types.js';
import { badDate, mistake } from '../errors.js';
import { bulkExport, patientBundle, type BulkExportOptions, type BulkExportResult } from './export.js';

/** Who receives an export from outside the practice, and why. */
export type Recipient = Omit<Disclosure, 'what'>;

/**
 * --since of a bulk export: a date (2026-03-01, 3/1/2026, yesterday) from midnight in the practice's zone, or
 * an ISO date and time, in the practice's zone unless it carries an offset (2026-03-01T09:30, ...T14:30Z).
 */
export function exportSince(value: string | undefined, clock: { zone: string; today: string }): Date | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  // A date reader takes "2026-03-01T09:30" as its date alone: the time is read here first.
  const day = /\d[T ]\d{1,2}:\d{2}/.test(text) ? undefined : parseDate(text, clock.today);
  const parsed = DateTime.fromISO(day ?? text.replace(' ', 'T'), { zone: clock.zone });
  if (!parsed.isValid) throw mistake(badDate('--since'));
  return parsed.toJSDate();
}

/** "3 Condition, 1 Patient": what left, by kind and count. */
function resourceSummary(counts: { type: string; count: number }[]): string {
  return counts.map((c) => `${c.count} ${c.type}`).join(', ');
}

/**
 * The whole practice as Bulk Data NDJSON, recorded; the result (the export's manifest) carries the audit
 * chain's head, a copy of it kept outside the database.
 */
export async function exportPractice(db: Db, actor: AuditActor, options: BulkExportOptions & { recipient?: Recipient }, now: Date): Promise<BulkExportResult & { auditHead: string | null }> {
  const result = await bulkExport(db, options, now);
  const details = { format: 'fhir-bulk-ndjson', resources: result.total, since: result.since };
  try {
    if (options.recipient) await recordDisclosure(db, actor, null, { ...options.recipient, what: `FHIR bulk export: ${resourceSummary(result.output)}` }, details);
    else await recordAudit(db, actor, { action: 'export', entity: 'practice', details });
  } catch (error) {
    // An export nobody could account for must not stay (a full disk under the audit log): its files go.
    await Promise.all(result.output.map((o) => rm(o.file, { force: true })));
    throw error;
  }
  return { ...result, auditHead: (await chainHead(db))?.head ?? null };
}

/** One patient's full record as a FHIR Bundle, recorded. */
export async function exportPatient(db: Db, actor: AuditActor, mrn: string, options: { recipient?: Recipient; toFile: boolean }, now: Date): Promise<Bundle> {
  const patient = await patientByMrn(db, mrn);
  const bundle = await patientBundle(db, patient.id, now);
  const details = { format: 'fhir-bundle', resources: bundle.entry?.length ?? 0, toFile: options.toFile };
  if (options.recipient) {
    const counts = new Map<string, number>();
    for (const e of bundle.entry ?? []) if (e.resource) counts.set(e.resource.resourceType, (counts.get(e.resource.resourceType) ?? 0) + 1);
    const what = `FHIR bundle: ${resourceSummary([...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => ({ type, count })))}`;
    await recordDisclosure(db, actor, patient.id, { ...options.recipient, what }, details);
  } else {
    await recordAudit(db, actor, { action: 'export', entity: 'patients', entityId: patient.id, details });
  }
  return bundle;
}
