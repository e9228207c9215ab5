// Loads RVU and GPCI reference files for a year. A reload replaces the year in one transaction, so a
// report never sees half a year; a file with any bad row loads nothing.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { and, asc, count, eq, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { feeScheduleLocality, gpciLocalities, rvuValues, rvuYears } from '../db/schema/index.js';
import { queryRows } from '../db/query.js';
import { planThenApply } from '../db/transaction.js';
import type { Db, DbOrTx } from '../db/types.js';
import { NotFoundError, UsageError, ValidationError } from '../errors.js';
import { BUNDLED_REFERENCE_ACTOR, referenceFile } from '../reference-data.js';
import { parseGpciFile, parseRvuFile, type GpciRow, type RvuRow } from './parse.js';

// Well under the 65,535 bind-parameter limit of one statement.
const ROWS_PER_INSERT = 2000;

export interface ReferenceFile {
  /** File content as read (CMS files are Windows-1252: decode as latin1). */
  content: string;
  fileName: string;
}

export interface RvuLoadResult {
  year: number;
  format: 'cms' | 'plain';
  release: string | null;
  codes: number;
  rows: number;
  replacedRows: number;
  conversionFactor: number | null;
  /** Rows per CMS status indicator, so a user sees how many are not paid under the fee schedule. */
  statusCounts: Record<string, number>;
  /** The year held the RVUs bundled with the toolkit, which this file replaces (or would). */
  replacesBundled: boolean;
  warnings: string[];
  dryRun: boolean;
}

/** The fee schedule shipped in reference/ (CMS CY2025, release RVU25D, office codes). */
export const BUNDLED_RVUS = {
  year: 2025,
  rvuFile: 'pprrvu-2025d-office-subset.csv.gz',
  gpciFile: 'gpci-2025.csv.gz',
  /** How rvu_years.source_file names it, so reports can say it is the bundled copy. */
  sourceName: 'CMS RVU25D office subset (bundled with practicekit)',
  conversionFactor: 32.3465,
} as const;

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 1992 || year > 2100) {
    throw new UsageError(`--year must be a calendar year such as 2025, not "${year}".`);
  }
}

/** How many rows the year already holds: what a load replaces. */
async function rowsOfYear(db: DbOrTx, table: typeof rvuValues | typeof gpciLocalities, year: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(table).where(eq(table.year, year));
  return row?.n ?? 0;
}

async function insertInChunks<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(rows.slice(i, i + ROWS_PER_INSERT));
}

export async function loadRvuYear(
  db: Db,
  actor: AuditActor,
  options: { year: number; file: ReferenceFile; conversionFactor?: number; dryRun?: boolean },
): Promise<RvuLoadResult> {
  const { year, file } = options;
  checkYear(year);
  if (options.conversionFactor !== undefined && !(options.conversionFactor > 0 && options.conversionFactor < 1000)) {
    throw new UsageError(`--conversion-factor must be dollars per RVU such as 32.3465, not "${options.conversionFactor}".`);
  }
  const parsed = parseRvuFile(file.content);
  if (parsed.yearInTitle !== null && parsed.yearInTitle !== year) {
    throw new ValidationError([
      { code: 'YEAR_MISMATCH', message: `The file says it is the ${parsed.yearInTitle} fee schedule, but --year ${year} was given; nothing was loaded.` },
    ]);
  }
  const warnings: string[] = [];
  const conversionFactor = options.conversionFactor ?? parsed.conversionFactor;
  if (options.conversionFactor !== undefined && parsed.conversionFactor !== null && parsed.conversionFactor !== options.conversionFactor) {
    warnings.push(`The file carries conversion factor ${parsed.conversionFactor}; ${options.conversionFactor} from --conversion-factor is used.`);
  }
  if (conversionFactor === null) {
    warnings.push(`No conversion factor for ${year}: payment estimates stay empty until you load again with --conversion-factor.`);
  }
  const statusCounts: Record<string, number> = {};
  for (const row of parsed.rows) statusCounts[row.status] = (statusCounts[row.status] ?? 0) + 1;
  const codes = new Set(parsed.rows.map((r) => r.hcpcs)).size;

  const [before] = await db.select({ sourceFile: rvuYears.sourceFile }).from(rvuYears).where(eq(rvuYears.year, year));
  const replacesBundled = before?.sourceFile === BUNDLED_RVUS.sourceName && file.fileName !== BUNDLED_RVUS.sourceName;
  if (replacesBundled) warnings.push(`${year} held the RVUs bundled with the toolkit (${BUNDLED_RVUS.sourceName}); ${file.fileName} ${options.dryRun ? 'would replace' : 'replaces'} them for ${year}.`);
  const replacedRows = await planThenApply(db, Boolean(options.dryRun), (tx) => rowsOfYear(tx, rvuValues, year), async (tx, previous) => {
    await tx.delete(rvuValues).where(eq(rvuValues.year, year));
    const yearRow = {
      year,
      release: parsed.release,
      conversionFactor,
      sourceFile: file.fileName,
      sourceSha256: createHash('sha256').update(file.content, 'latin1').digest('hex'),
      rowCount: parsed.rows.length,
      loadedAt: new Date(),
    };
    await tx.insert(rvuYears).values(yearRow).onConflictDoUpdate({ target: rvuYears.year, set: yearRow });
    await insertInChunks(parsed.rows, (chunk: RvuRow[]) => tx.insert(rvuValues).values(chunk.map((row) => ({ year, ...row }))));
    await recordAudit(tx, actor, {
      action: previous ? 'replace' : 'insert',
      entity: 'rvu_years',
      entityId: year,
      details: { rows: parsed.rows.length, replacedRows: previous, format: parsed.format, conversionFactor },
    });
  });
  return {
    year,
    format: parsed.format,
    release: parsed.release,
    codes,
    rows: parsed.rows.length,
    replacedRows,
    conversionFactor,
    statusCounts,
    replacesBundled,
    warnings,
    dryRun: Boolean(options.dryRun),
  };
}

const bundledLoads = new WeakMap<object, Promise<boolean>>();

/**
 * Loads the bundled fee schedule year (RVUs, conversion factor and GPCIs) the first time a report
 * needs RVUs, unless the practice already has that year: its own file always wins. Other years are
 * never touched. True when this call loaded it.
 */
export function ensureBundledRvus(db: DbOrTx): Promise<boolean> {
  let load = bundledLoads.get(db);
  if (!load) {
    load = loadBundledRvus(db).finally(() => bundledLoads.delete(db));
    bundledLoads.set(db, load);
  }
  return load;
}

async function bundledYearPresent(db: DbOrTx): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(rvuYears).where(eq(rvuYears.year, BUNDLED_RVUS.year));
  return (row?.n ?? 0) > 0;
}

async function loadBundledRvus(db: DbOrTx): Promise<boolean> {
  if (await bundledYearPresent(db)) return false;
  const read = async (name: string) => gunzipSync(await readFile(referenceFile(name))).toString('latin1');
  const [rvus, gpcis] = await Promise.all([read(BUNDLED_RVUS.rvuFile), read(BUNDLED_RVUS.gpciFile)]);
  return (db as Db).transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('practicekit:bundled-rvus'))`);
    if (await bundledYearPresent(tx)) return false;
    const year = BUNDLED_RVUS.year;
    await loadRvuYear(tx as unknown as Db, BUNDLED_REFERENCE_ACTOR, { year, file: { content: rvus, fileName: BUNDLED_RVUS.sourceName }, conversionFactor: BUNDLED_RVUS.conversionFactor });
    const [gpci] = await tx.select({ n: count() }).from(gpciLocalities).where(eq(gpciLocalities.year, year));
    if (!gpci?.n) await loadGpciYear(tx as unknown as Db, BUNDLED_REFERENCE_ACTOR, { year, file: { content: gpcis, fileName: BUNDLED_RVUS.gpciFile } });
    return true;
  });
}

export interface RvuSource {
  /** Calendar year of the charges' dates of service. */
  serviceYear: number;
  /** The fee schedule year their RVUs come from (an earlier one when the service year is not loaded); null: none. */
  rvuYear: number | null;
  sourceFile: string | null;
  bundled: boolean;
}

/** For each service year in the window, which fee schedule year and file its RVUs come from. */
export async function rvuSources(db: DbOrTx, window: { from: string; to: string }): Promise<RvuSource[]> {
  const list = await queryRows<{ service_year: number; rvu_year: number | null; source_file: string | null }>(db, sql`
    select s.service_year, y.year as rvu_year, y.source_file
    from (select distinct extract(year from service_date)::int as service_year from charges
          where status <> 'void' and service_date >= ${window.from}::date and service_date < ${window.to}::date) s
    left join lateral (select year, source_file from rvu_years where year <= s.service_year order by year desc limit 1) y on true
    order by s.service_year`);
  return list.map((r) => ({
    serviceYear: Number(r.service_year),
    rvuYear: r.rvu_year === null ? null : Number(r.rvu_year),
    sourceFile: r.source_file,
    bundled: r.source_file === BUNDLED_RVUS.sourceName,
  }));
}

/** One sentence per service year saying where its RVUs come from, for reports. */
export function describeRvuSources(sources: RvuSource[]): string[] {
  return sources.map((s) => {
    if (s.rvuYear === null) return `${s.serviceYear} charges: no RVU file loaded for ${s.serviceYear} or earlier (load one with "practice rvu load <file> --year ${s.serviceYear}").`;
    const file = s.bundled ? `${s.sourceFile}` : `file ${s.sourceFile ?? 'unnamed'}`;
    if (s.rvuYear === s.serviceYear) return `${s.serviceYear} charges: RVUs from the ${s.rvuYear} fee schedule, ${file}.`;
    return `${s.serviceYear} charges: RVUs from the ${s.rvuYear} fee schedule (${file}); no ${s.serviceYear} file is loaded, load it with "practice rvu load <file> --year ${s.serviceYear}".`;
  });
}

export interface GpciLoadResult {
  year: number;
  localities: number;
  replacedLocalities: number;
  dryRun: boolean;
}

export async function loadGpciYear(db: Db, actor: AuditActor, options: { year: number; file: ReferenceFile; dryRun?: boolean }): Promise<GpciLoadResult> {
  checkYear(options.year);
  const rows = parseGpciFile(options.file.content);
  const { year } = options;
  const replacedLocalities = await planThenApply(db, Boolean(options.dryRun), (tx) => rowsOfYear(tx, gpciLocalities, year), async (tx, previous) => {
    await tx.delete(gpciLocalities).where(eq(gpciLocalities.year, year));
    await insertInChunks(rows, (chunk: GpciRow[]) => tx.insert(gpciLocalities).values(chunk.map((row) => ({ year, ...row }))));
    await recordAudit(tx, actor, {
      action: previous ? 'replace' : 'insert',
      entity: 'gpci_localities',
      entityId: year,
      details: { localities: rows.length, replacedLocalities: previous },
    });
  });
  return { year, localities: rows.length, replacedLocalities, dryRun: Boolean(options.dryRun) };
}

export interface Locality {
  mac: string;
  state: string;
  locality: string;
  localityName: string | null;
}

/** The locality the practice chose, named from the latest GPCI year that has it. */
export async function practiceLocality(db: DbOrTx): Promise<Locality | null> {
  const [chosen] = await db.select().from(feeScheduleLocality).limit(1);
  if (!chosen) return null;
  const [named] = await db
    .select({ localityName: gpciLocalities.localityName })
    .from(gpciLocalities)
    .where(and(eq(gpciLocalities.mac, chosen.mac), eq(gpciLocalities.locality, chosen.locality)))
    .orderBy(sql`${gpciLocalities.year} desc`)
    .limit(1);
  return { mac: chosen.mac, state: chosen.state, locality: chosen.locality, localityName: named?.localityName ?? null };
}

export async function listLocalities(db: DbOrTx, filter: { state?: string } = {}): Promise<(Locality & { years: number[] })[]> {
  const rows = await db
    .select({
      mac: gpciLocalities.mac,
      state: gpciLocalities.state,
      locality: gpciLocalities.locality,
      localityName: sql<string>`max(${gpciLocalities.localityName})`,
      years: sql<number[]>`array_agg(${gpciLocalities.year} order by ${gpciLocalities.year})`,
    })
    .from(gpciLocalities)
    .where(filter.state ? eq(gpciLocalities.state, filter.state.toUpperCase()) : undefined)
    .groupBy(gpciLocalities.mac, gpciLocalities.state, gpciLocalities.locality)
    .orderBy(asc(gpciLocalities.state), asc(gpciLocalities.locality));
  return rows.map((r) => ({ ...r, years: (r.years ?? []).map(Number) }));
}

/** Picks the practice's payment locality by state and locality number (and contractor when ambiguous). */
export async function chooseLocality(db: Db, actor: AuditActor, choice: { state: string; locality: string; mac?: string }): Promise<Locality> {
  const state = choice.state.trim().toUpperCase();
  const locality = choice.locality.trim().padStart(2, '0');
  const matches = (await listLocalities(db, { state })).filter((l) => l.locality === locality && (!choice.mac || l.mac === choice.mac));
  if (matches.length === 0) {
    throw new NotFoundError(
      `Locality ${locality} in ${state}${choice.mac ? ` (contractor ${choice.mac})` : ''}`,
      `Load the GPCI file first ("practice rvu gpci <file> --year <year>"), then see the choices with "practice rvu locality --list --state ${state}".`,
    );
  }
  if (matches.length > 1) {
    throw new UsageError(
      `Locality ${locality} in ${state} exists for ${matches.length} contractors (${matches.map((m) => m.mac).join(', ')}).`,
      'Add --mac with the contractor number to choose one.',
    );
  }
  const match = matches[0]!;
  await db.transaction(async (tx) => {
    const values = { mac: match.mac, state: match.state, locality: match.locality, updatedAt: new Date() };
    await tx.insert(feeScheduleLocality).values(values).onConflictDoUpdate({ target: feeScheduleLocality.singleton, set: values });
    await recordAudit(tx, actor, { action: 'update', entity: 'fee_schedule_locality', details: { mac: match.mac, state: match.state, locality: match.locality } });
  });
  return { mac: match.mac, state: match.state, locality: match.locality, localityName: match.localityName };
}

export interface RvuYearSummary {
  year: number;
  release: string | null;
  conversionFactor: number | null;
  rows: number;
  sourceFile: string | null;
  loadedAt: Date | null;
  gpciLocalities: number;
}

export async function referenceYears(db: DbOrTx): Promise<RvuYearSummary[]> {
  await ensureBundledRvus(db);
  const years = await db.select().from(rvuYears).orderBy(asc(rvuYears.year));
  const gpci = await db.select({ year: gpciLocalities.year, n: count() }).from(gpciLocalities).groupBy(gpciLocalities.year);
  const gpciByYear = new Map(gpci.map((g) => [g.year, g.n]));
  const summaries: RvuYearSummary[] = years.map((y) => ({
    year: y.year,
    release: y.release,
    conversionFactor: y.conversionFactor,
    rows: y.rowCount,
    sourceFile: y.sourceFile,
    loadedAt: y.loadedAt,
    gpciLocalities: gpciByYear.get(y.year) ?? 0,
  }));
  for (const [year, n] of gpciByYear) {
    if (!years.some((y) => y.year === year)) {
      summaries.push({ year, release: null, conversionFactor: null, rows: 0, sourceFile: null, loadedAt: null, gpciLocalities: n });
    }
  }
  return summaries.sort((a, b) => a.year - b.year);
}
