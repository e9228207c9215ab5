// Value set expansions (VSAC / FHIR ValueSet JSON, or CSV of OID, code system, code) loaded into
// value_sets / value_set_codes, so the code lists measures match against are data, not code. Each load
// is for a performance year (value_set_years): loading 2027's expansions leaves 2026's in place.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { and, eq, inArray, notExists, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { valueSetCodes, valueSets, valueSetYears } from '../db/schema/index.js';
import { planThenApply } from '../db/transaction.js';
import type { Db, DbOrTx } from '../db/types.js';
import { CodeSystem, normalizeCodeSystem } from '../codes/systems.js';
import { UsageError, ValidationError, type Issue } from '../errors.js';
import { defaultJsonLimits, formatBytes, parseJsonWithin, type JsonLimits } from '../text/json.js';
import type { ValueSetCodes } from './compile.js';
import type { MeasureDefinition } from './definition.js';
import { measureDefinitions } from './definitions/index.js';
import { BUNDLED_REFERENCE_ACTOR, referenceFile } from '../reference-data.js';

export interface ValueSetCode {
  codeSystem: string;
  code: string;
  display: string | null;
}

export interface ParsedValueSet {
  oid: string;
  name: string | null;
  version: string | null;
  codes: ValueSetCode[];
  /** The expansion says it holds more codes than it lists (server paging). */
  truncated: boolean;
  file: string;
}

export interface ValueSetImportResult {
  files: number;
  /** The performance year the expansions were loaded for. */
  year: number;
  valueSets: { oid: string; name: string | null; version: string | null; codes: number; action: 'added' | 'replaced' | 'merged' }[];
  /** Value sets whose expansion is incomplete even after merging every file given. */
  incomplete: string[];
  dryRun: boolean;
}

const OID = /^[0-9]+(\.[0-9]+)+$/;

function oidOf(resource: { id?: string; url?: string; identifier?: { value?: string }[] }): string | undefined {
  const candidates = [
    resource.url?.split('/').at(-1),
    ...(resource.identifier ?? []).map((i) => i.value?.replace(/^urn:oid:/, '')),
    resource.id?.replace(/-[0-9]{8}$/, ''),
  ];
  return candidates.find((c): c is string => Boolean(c && OID.test(c)));
}

// CPT descriptors are AMA-licensed: keep the code, never its text.
function displayFor(codeSystem: string, display: unknown): string | null {
  if (codeSystem === CodeSystem.cpt || typeof display !== 'string') return null;
  return display;
}

interface Contains {
  system?: string;
  code?: string;
  display?: string;
  abstract?: boolean;
  contains?: Contains[];
}

function flatten(list: Contains[] | undefined, out: ValueSetCode[]): void {
  for (const entry of list ?? []) {
    if (entry.system && entry.code && !entry.abstract) {
      const codeSystem = normalizeCodeSystem(entry.system);
      out.push({ codeSystem, code: entry.code.trim(), display: displayFor(codeSystem, entry.display) });
    }
    flatten(entry.contains, out);
  }
}

function fromResource(resource: any, file: string, issues: Issue[]): ParsedValueSet[] {
  if (resource?.resourceType === 'Bundle') {
    return (resource.entry ?? []).flatMap((e: any) => fromResource(e.resource, file, issues));
  }
  if (resource?.resourceType !== 'ValueSet') {
    issues.push({ code: 'NOT_A_VALUESET', path: file, message: `${basename(file)} is not a FHIR ValueSet or Bundle of ValueSets.` });
    return [];
  }
  const oid = oidOf(resource);
  if (!oid) {
    issues.push({ code: 'NO_OID', path: file, message: `${basename(file)}: the value set has no OID in its url, identifier or id.` });
    return [];
  }
  if (!resource.expansion) {
    issues.push({
      code: 'NO_EXPANSION',
      path: file,
      message: `${basename(file)}: value set ${oid} has no expansion (only a definition).`,
    });
    return [];
  }
  const codes: ValueSetCode[] = [];
  flatten(resource.expansion.contains, codes);
  const total = Number(resource.expansion.total);
  return [
    {
      oid,
      name: resource.title ?? resource.name ?? null,
      version: resource.version ?? null,
      codes,
      truncated: Number.isFinite(total) && total > codes.length,
      file,
    },
  ];
}

function fromCsv(text: string, file: string, issues: Issue[]): ParsedValueSet[] {
  const rows = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true, bom: true }) as string[][];
  const byOid = new Map<string, ParsedValueSet>();
  rows.forEach((row, index) => {
    const [oid, system, code, display] = row;
    // A header row ("oid,code system,code") is recognised by its first cell not being an OID.
    if (index === 0 && oid && !OID.test(oid.replace(/^urn:oid:/, ''))) return;
    const line = index + 1;
    if (!oid || !system || !code) {
      issues.push({ code: 'CSV_SHORT_ROW', path: `${basename(file)}:${line}`, message: `line ${line} needs an OID, a code system and a code.` });
      return;
    }
    const cleanOid = oid.replace(/^urn:oid:/, '');
    if (!OID.test(cleanOid)) {
      issues.push({ code: 'CSV_BAD_OID', path: `${basename(file)}:${line}`, message: `line ${line}: "${cleanOid}" is not an OID (digits separated by dots).` });
      return;
    }
    const codeSystem = normalizeCodeSystem(system);
    const set = byOid.get(cleanOid) ?? { oid: cleanOid, name: null, version: null, codes: [], truncated: false, file };
    set.codes.push({ codeSystem, code, display: displayFor(codeSystem, display) });
    byOid.set(cleanOid, set);
  });
  return [...byOid.values()];
}

/** The file's kind without a trailing .gz: ".json" for both x.json and x.json.gz. */
const kindOf = (file: string) => extname(file.toLowerCase().replace(/\.gz$/, ''));

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UsageError(`${path} does not exist.`, 'Give a value set file (.json or .csv, or either gzip-compressed) or a folder of them.');
  if (info.isFile()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && ['.json', '.csv'].includes(kindOf(e.name)))
    .map((e) => join(path, e.name))
    .sort();
}

async function readText(file: string, issues: Issue[], limits: JsonLimits): Promise<string | undefined> {
  const { size } = await stat(file);
  if (size > limits.maxFileBytes) {
    issues.push({ code: 'FILE_TOO_BIG', path: file, message: `${basename(file)} is ${formatBytes(size)}, more than the ${formatBytes(limits.maxFileBytes)} a value set file may be.` });
    return undefined;
  }
  const bytes = await readFile(file);
  if (!file.toLowerCase().endsWith('.gz')) return bytes.toString('utf8');
  try {
    // A small archive may unpack to gigabytes: stop at the same limit as a plain file.
    return gunzipSync(bytes, { maxOutputLength: limits.maxFileBytes }).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      issues.push({ code: 'FILE_TOO_BIG', path: file, message: `${basename(file)} unpacks to more than the ${formatBytes(limits.maxFileBytes)} a value set file may be.` });
      return undefined;
    }
    issues.push({ code: 'BAD_GZIP', path: file, message: `${basename(file)} is not a readable gzip file.` });
    return undefined;
  }
}

/** Reads every file first and fails once with every problem found: nothing is written on bad input. */
export async function readValueSets(paths: string[], limits: JsonLimits = defaultJsonLimits): Promise<{ sets: ParsedValueSet[]; files: number }> {
  const files = (await Promise.all(paths.map(filesUnder))).flat();
  if (files.length === 0) throw new UsageError('No .json or .csv files were found.', 'Give a value set file or a folder of them.');
  const issues: Issue[] = [];
  const sets: ParsedValueSet[] = [];
  for (const file of files) {
    const text = await readText(file, issues, limits);
    if (text === undefined) continue;
    if (kindOf(file) === '.csv') {
      sets.push(...fromCsv(text, file, issues));
      continue;
    }
    const parsed = parseJsonWithin(text, limits.maxDepth);
    if ('problem' in parsed) {
      issues.push({ code: 'BAD_JSON', path: file, message: `${basename(file)} ${parsed.problem}.` });
      continue;
    }
    sets.push(...fromResource(parsed.value, file, issues));
  }
  if (issues.length > 0) throw new ValidationError(issues, `${issues.length} file problem(s); no value set was imported.`);
  return { sets, files: files.length };
}

/** Same OID and version in several files (a cut-off expansion and its complement): one union. */
function mergeByOid(sets: ParsedValueSet[]): (ParsedValueSet & { sources: number })[] {
  const merged = new Map<string, ParsedValueSet & { sources: number; keys: Set<string> }>();
  for (const set of sets) {
    const existing = merged.get(set.oid);
    if (existing && existing.version && set.version && existing.version !== set.version) {
      throw new ValidationError([
        {
          code: 'VERSION_CONFLICT',
          path: set.file,
          message: `value set ${set.oid} is given in two versions (${existing.version} and ${set.version}); import one version at a time.`,
        },
      ]);
    }
    const target = existing ?? { ...set, codes: [], sources: 0, keys: new Set<string>(), truncated: true };
    target.sources += 1;
    target.name ??= set.name;
    target.version ??= set.version;
    // Complete once any one file's expansion is complete.
    target.truncated = target.truncated && set.truncated;
    for (const code of set.codes) {
      const key = `${code.codeSystem}|${code.code}`;
      if (target.keys.has(key)) continue;
      target.keys.add(key);
      target.codes.push(code);
    }
    merged.set(set.oid, target);
  }
  return [...merged.values()].map(({ keys: _keys, ...rest }) => rest);
}

const BATCH = 2000;

/** The newest performance year with measure definitions: the expansions a load is for by default. */
export function defaultValueSetYear(): number {
  return Math.max(...measureDefinitions.map((m) => m.performanceYear));
}

/**
 * Loads the expansions for one performance year. An expansion already stored with the same OID and
 * version gains the new codes (an expansion and its supplement can come in two runs, and two years
 * that use the same version share it); another version becomes the year's expansion of that OID,
 * while other years keep theirs. An expansion no year uses any more is deleted.
 */
export async function importValueSets(
  db: Db,
  actor: AuditActor,
  paths: string[],
  options: { dryRun?: boolean; year?: number; limits?: JsonLimits } = {},
): Promise<ValueSetImportResult> {
  const year = options.year ?? defaultValueSetYear();
  const { sets, files } = await readValueSets(paths, options.limits);
  // A file without a version is stored as the year's own.
  const merged = mergeByOid(sets).map((s) => ({ ...s, version: s.version ?? String(year) }));
  return planThenApply(
    db,
    Boolean(options.dryRun),
    async (tx): Promise<ValueSetImportResult> => {
      const current = new Map(
        (
          await tx
            .select({ oid: valueSetYears.oid, version: valueSets.version })
            .from(valueSetYears)
            .innerJoin(valueSets, eq(valueSets.id, valueSetYears.valueSetId))
            .where(and(eq(valueSetYears.performanceYear, year), inArray(valueSetYears.oid, merged.length ? merged.map((s) => s.oid) : [''])))
        ).map((r) => [r.oid, r.version]),
      );
      return {
        files,
        year,
        valueSets: merged.map((s) => {
          const action = !current.has(s.oid) ? 'added' : current.get(s.oid) === s.version ? 'merged' : 'replaced';
          return { oid: s.oid, name: s.name, version: s.version, codes: s.codes.length, action };
        }),
        incomplete: merged.filter((s) => s.truncated).map((s) => s.oid),
        dryRun: Boolean(options.dryRun),
      };
    },
    async (tx, result) => {
      let codes = 0;
      for (const set of merged) {
        const [row] = await tx
          .insert(valueSets)
          .values({ oid: set.oid, name: set.name, version: set.version })
          .onConflictDoUpdate({
            target: [valueSets.oid, valueSets.version],
            set: { name: sql`coalesce(excluded.name, ${valueSets.name})`, loadedAt: sql`now()` },
          })
          .returning({ id: valueSets.id });
        const valueSetId = row!.id;
        await tx
          .insert(valueSetYears)
          .values({ performanceYear: year, oid: set.oid, valueSetId })
          .onConflictDoUpdate({ target: [valueSetYears.performanceYear, valueSetYears.oid], set: { valueSetId } });
        const rows = set.codes.map((c) => ({ valueSetId, ...c }));
        for (let i = 0; i < rows.length; i += BATCH) {
          await tx.insert(valueSetCodes).values(rows.slice(i, i + BATCH)).onConflictDoNothing();
        }
        codes += rows.length;
      }
      // Versions this load displaced from the year, and used by no other year.
      const orphans = await tx
        .delete(valueSets)
        .where(notExists(tx.select({ one: sql`1` }).from(valueSetYears).where(eq(valueSetYears.valueSetId, valueSets.id))))
        .returning({ id: valueSets.id });
      await recordAudit(tx, actor, {
        action: 'import',
        entity: 'value_sets',
        details: { files, year, valueSets: merged.length, codes, replaced: result.valueSets.filter((s) => s.action === 'replaced').length, removedVersions: orphans.length },
      });
    },
  );
}

/** The value sets shipped in reference/: the eight measures' expansions for one performance year. */
export const BUNDLED_VALUE_SETS = {
  year: 2026,
  file: 'ecqm-2026-valuesets.json.gz',
  source: 'VSAC expansions of the 2026 CMS eCQM release (bundled with practicekit)',
} as const;

const bundledLoads = new WeakMap<object, Promise<boolean>>();

/**
 * Loads the bundled value sets for their year the first time a measure needs them, unless the year
 * already has value sets (the practice's own import always wins). True when this call loaded them.
 * Other years are never touched. Concurrent callers share one load; other processes wait on a lock.
 */
export function ensureBundledValueSets(db: DbOrTx, year: number): Promise<boolean> {
  if (year !== BUNDLED_VALUE_SETS.year) return Promise.resolve(false);
  let load = bundledLoads.get(db);
  if (!load) {
    load = loadBundledValueSets(db).finally(() => bundledLoads.delete(db));
    bundledLoads.set(db, load);
  }
  return load;
}

async function yearHasValueSets(db: DbOrTx, year: number): Promise<boolean> {
  const rows = await db.select({ oid: valueSetYears.oid }).from(valueSetYears).where(eq(valueSetYears.performanceYear, year)).limit(1);
  return rows.length > 0;
}

async function loadBundledValueSets(db: DbOrTx): Promise<boolean> {
  const { year, file } = BUNDLED_VALUE_SETS;
  if (await yearHasValueSets(db, year)) return false;
  return (db as Db).transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('practicekit:bundled-value-sets'))`);
    if (await yearHasValueSets(tx, year)) return false;
    await importValueSets(tx as unknown as Db, BUNDLED_REFERENCE_ACTOR, [referenceFile(file)], { year });
    return true;
  });
}

/** Which of the OIDs have an expansion loaded for the performance year (the ones that year's measures can read). */
export async function loadedValueSetOids(db: DbOrTx, year: number, oids: string[]): Promise<Set<string>> {
  if (oids.length === 0) return new Set();
  const rows = await db
    .select({ oid: valueSetYears.oid })
    .from(valueSetYears)
    .where(and(eq(valueSetYears.performanceYear, year), inArray(valueSetYears.oid, oids)));
  return new Set(rows.map((r) => r.oid));
}

/** Every value set OID a definition names, wherever in its criteria. */
export function definitionValueSetOids(measure: MeasureDefinition): string[] {
  const oids = new Set<string>();
  JSON.stringify(measure, (key, value) => {
    if (key === 'valueSets' && Array.isArray(value)) for (const oid of value) oids.add(oid);
    return value;
  });
  return [...oids];
}

/** The codes of the measure's value sets in the expansions its performance year names (OID -> system, code pairs). */
export async function measureValueSetCodes(db: DbOrTx, measure: MeasureDefinition): Promise<ValueSetCodes> {
  const oids = definitionValueSetOids(measure);
  await ensureBundledValueSets(db, measure.valueSetYear ?? measure.performanceYear);
  const codes = new Map<string, [string, string][]>(oids.map((oid) => [oid, []]));
  if (oids.length === 0) return codes;
  const rows = await db
    .select({ oid: valueSetYears.oid, system: valueSetCodes.codeSystem, code: valueSetCodes.code })
    .from(valueSetYears)
    .innerJoin(valueSetCodes, eq(valueSetCodes.valueSetId, valueSetYears.valueSetId))
    .where(and(eq(valueSetYears.performanceYear, measure.valueSetYear ?? measure.performanceYear), inArray(valueSetYears.oid, oids)));
  for (const r of rows) codes.get(r.oid)!.push([r.system, r.code]);
  return codes;
}

/**
 * The measures some of whose value sets are not loaded for their year: run anyway, their counts would
 * be zero or wrong, so the command says so instead of printing a quiet 0 (see careGapsForPatient).
 */
export async function measuresMissingValueSets(db: DbOrTx, measures: readonly MeasureDefinition[]): Promise<{ measure: string; missing: number }[]> {
  const named = measures.map((m) => ({ m, year: m.valueSetYear ?? m.performanceYear, oids: definitionValueSetOids(m) }));
  // One look-up per year the measures read (one, in practice), not one per measure.
  const loaded = new Map<number, Set<string>>();
  for (const year of new Set(named.map((n) => n.year))) {
    await ensureBundledValueSets(db, year);
    loaded.set(year, await loadedValueSetOids(db, year, [...new Set(named.filter((n) => n.year === year).flatMap((n) => n.oids))]));
  }
  return named
    .map((n) => ({ measure: n.m.id, missing: n.oids.filter((oid) => !loaded.get(n.year)!.has(oid)).length }))
    .filter((x) => x.missing > 0);
}
