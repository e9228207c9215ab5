// One patient's record as a FHIR R4 Bundle, and the whole practice as FHIR Bulk Data NDJSON files.
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfStopped, UsageError } from '../errors.js';
import type { Db, DbOrTx } from '../db/types.js';
import { openPrivateFile, type PrivateFile } from '../files/private-file.js';
import { fullUrlFor } from './ids.js';
import { countInScope, DEFAULT_PAGE_SIZE, pageResources, readResources } from './sources.js';

/** Points each "Type/id" reference at the entry's fullUrl, so references resolve inside the bundle. */
function linkReferences(value: unknown, fullUrls: Map<string, string>): void {
  if (Array.isArray(value)) {
    for (const item of value) linkReferences(item, fullUrls);
  } else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(record)) {
      if (key === 'reference' && typeof child === 'string' && fullUrls.has(child)) record[key] = fullUrls.get(child);
      else linkReferences(child, fullUrls);
    }
  }
}

export function toBundle(resources: Resource[], timestamp: Date): Bundle {
  const fullUrls = new Map(resources.map((r) => [`${r.resourceType}/${r.id}`, fullUrlFor(`${r.resourceType}/${r.id}`)]));
  const entry: BundleEntry[] = resources.map((resource) => {
    linkReferences(resource, fullUrls);
    return { fullUrl: fullUrls.get(`${resource.resourceType}/${resource.id}`)!, resource };
  });
  return { resourceType: 'Bundle', type: 'collection', timestamp: timestamp.toISOString(), entry };
}

/** The patient's whole record, Patient first, then everything it references and everything about it. */
export async function patientBundle(db: DbOrTx, patientId: number, timestamp: Date): Promise<Bundle> {
  const resources: Resource[] = [];
  for await (const page of readResources(db, { patientId })) resources.push(...pageResources(page));
  return toBundle(resources, timestamp);
}

async function ndjsonFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  return names.filter((name) => name.endsWith('.ndjson')).map((name) => join(dir, name));
}

export interface BulkExportOptions {
  outDir: string;
  /** Replace the NDJSON files of an earlier export in the folder (all of them, so no stale type stays). */
  replace?: boolean;
  since?: Date;
  pageSize?: number;
  onStart?: (total: number) => void;
  onProgress?: (rowsDone: number) => void;
  /** Aborted to stop between pages; the run then leaves no files, as a failed one does. */
  signal?: AbortSignal;
}

export interface BulkExportResult {
  transactionTime: string;
  since: string | null;
  output: { type: string; file: string; count: number }[];
  total: number;
}

/**
 * FHIR Bulk Data export: one NDJSON file per resource type (Patient.ndjson, Observation.ndjson, ...),
 * written a page at a time. Files appear only when the export finishes; a failed run leaves none.
 */
export async function bulkExport(db: Db, options: BulkExportOptions, now: Date): Promise<BulkExportResult> {
  const earlier = await ndjsonFiles(options.outDir);
  if (earlier.length && !options.replace) {
    throw new UsageError(
      `The folder ${options.outDir} already holds ${earlier.length} NDJSON file(s) from an earlier export.`,
      'Choose an empty folder, or add --replace to replace them once the new export has finished.',
    );
  }
  // One snapshot for the whole run: rows changed while it runs wait for the next export.
  return db.transaction((tx) => writeBulkFiles(tx, options, now), { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

async function writeBulkFiles(db: DbOrTx, options: BulkExportOptions, now: Date): Promise<BulkExportResult> {
  const scope = { since: options.since };
  options.onStart?.(await countInScope(db, scope));
  const writers = new Map<string, { file: PrivateFile; lines: number }>();
  let done = 0;
  try {
    for await (const page of readResources(db, scope, options.pageSize ?? DEFAULT_PAGE_SIZE, (n) => options.onProgress?.((done += n)))) {
      await throwIfStopped(options.signal);
      // A page is one resource type's lines, already JSON: one write per page.
      let writer = writers.get(page.resourceType);
      if (!writer) {
        writer = { file: await openPrivateFile(join(options.outDir, `${page.resourceType}.ndjson`), { makeFolder: true }), lines: 0 };
        writers.set(page.resourceType, writer);
      }
      await writer.file.write(`${page.ndjson}\n`);
      writer.lines += page.rows;
    }
    for (const writer of writers.values()) await writer.file.commit();
    const written = new Set([...writers.values()].map((w) => w.file.path));
    for (const file of await ndjsonFiles(options.outDir)) if (!written.has(file)) await rm(file, { force: true });
  } catch (error) {
    for (const writer of writers.values()) await writer.file.abort();
    throw error;
  }
  const output = [...writers.entries()].map(([type, writer]) => ({ type, file: writer.file.path, count: writer.lines })).sort((a, b) => a.type.localeCompare(b.type));
  return { transactionTime: now.toISOString(), since: options.since?.toISOString() ?? null, output, total: output.reduce((n, o) => n + o.count, 0) };
}
