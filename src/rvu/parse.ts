// Reads the CMS relative value file (PPRRVU, with its title lines and split column header) and the
// GPCI file as CMS publishes them, and plain CSVs with named columns. Columns are found by their
// header words, not positions, because CMS moves columns between years. Descriptions are never read.
import { parse } from 'csv-parse/sync';
import { isModifier, normalizeProcedureCode } from '../codes/procedure-codes.js';
import { ValidationError, type Issue } from '../errors.js';

export interface RvuRow {
  hcpcs: string;
  modifier: string;
  status: string;
  workRvu: number;
  peNonFacilityRvu: number;
  peFacilityRvu: number;
  mpRvu: number;
  globalDays: string | null;
  pctcIndicator: string | null;
  multipleProcedureIndicator: string | null;
  bilateralIndicator: string | null;
}

export interface RvuFile {
  rows: RvuRow[];
  /** The conversion factor the file itself carries (CMS puts it in every row). */
  conversionFactor: number | null;
  /** Calendar year named in the title lines, e.g. "2025 National Physician Fee Schedule ...". */
  yearInTitle: number | null;
  /** CMS release letter from the title ("October Release" is D). */
  release: string | null;
  format: 'cms' | 'plain';
}

export interface GpciRow {
  mac: string;
  state: string;
  locality: string;
  localityName: string;
  workGpci: number;
  peGpci: number;
  mpGpci: number;
}

type Matcher = (label: string) => boolean;

/** "NON-FAC PE RVU" → "non fac pe rvu"; "pe_rvu_nonfacility" → "pe rvu nonfacility". */
function normalizeLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const RVU_COLUMNS = {
  hcpcs: (l: string) => /^(hcpcs|cpt|hcpcs code|cpt hcpcs|code)$/.test(l),
  modifier: (l: string) => /^(mod|modifier)$/.test(l),
  status: (l: string) => /\bstatus\b/.test(l),
  workRvu: (l: string) => /\bwork\b/.test(l) && /\brvus?\b/.test(l) && !/total/.test(l),
  peNonFacilityRvu: (l: string) => /\bpe\b/.test(l) && /\bnon ?fac/.test(l) && !/indicator|total/.test(l),
  peFacilityRvu: (l: string) => /\bpe\b/.test(l) && /\bfac/.test(l) && !/\bnon ?fac/.test(l) && !/indicator|total/.test(l),
  mpRvu: (l: string) => /^(mp|malpractice|pli)( rvus?)?$|^mp rvus?$/.test(l) || /^(mp|malpractice) rvu/.test(l),
  globalDays: (l: string) => /\bglob/.test(l),
  pctcIndicator: (l: string) => /\bpctc\b/.test(l),
  multipleProcedureIndicator: (l: string) => /\bmult\b.*\bproc/.test(l) || /multiple procedure/.test(l),
  bilateralIndicator: (l: string) => /\bbilat/.test(l),
  conversionFactor: (l: string) => /\bconv/.test(l) && /\bfactor\b/.test(l),
} satisfies Record<string, Matcher>;

const REQUIRED_RVU = ['hcpcs', 'status', 'workRvu', 'peNonFacilityRvu', 'peFacilityRvu', 'mpRvu'] as const;

const GPCI_COLUMNS = {
  mac: (l: string) => /\bmac\b|contractor|carrier/.test(l),
  state: (l: string) => l === 'state',
  locality: (l: string) => /^locality( number| no| code)?$/.test(l),
  localityName: (l: string) => /locality name/.test(l),
  workGpci: (l: string) => /\b(pw|work)\b/.test(l) && /gpci/.test(l),
  peGpci: (l: string) => /\bpe\b/.test(l) && /gpci/.test(l),
  mpGpci: (l: string) => /\bmp\b/.test(l) && /gpci/.test(l),
} satisfies Record<string, Matcher>;

const RELEASE_BY_MONTH: Record<string, string> = { january: 'A', april: 'B', july: 'C', october: 'D' };

function readRecords(text: string): string[][] {
  try {
    return parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: false, trim: true, bom: true }) as string[][];
  } catch (error) {
    throw new ValidationError([
      { code: 'CSV_UNREADABLE', message: `The file is not a readable CSV file (${(error as Error).message.split('\n')[0]}).` },
    ]);
  }
}

/**
 * Column positions from the header: the first row with a cell the key matcher accepts, its labels
 * joined with the rows above it (CMS splits each column name over several lines).
 */
function locateColumns<K extends string>(
  records: string[][],
  columns: Record<K, Matcher>,
  keyColumn: NoInfer<K>,
  fileKind: string,
): { headerIndex: number; positions: Partial<Record<K, number>> } {
  const keyMatcher = columns[keyColumn];
  const headerIndex = records.findIndex((r, i) => i < 40 && r.some((cell) => keyMatcher(normalizeLabel(cell))));
  if (headerIndex < 0) {
    throw new ValidationError([{ code: 'HEADER_NOT_FOUND', message: `No header row was found: this does not look like ${fileKind}.` }]);
  }
  const width = Math.max(...records.slice(Math.max(0, headerIndex - 4), headerIndex + 1).map((r) => r.length));
  const labels: string[] = [];
  for (let c = 0; c < width; c++) {
    const parts: string[] = [];
    // Title lines sit in the first columns; header fragments directly above the key row are kept.
    for (let r = Math.max(0, headerIndex - 4); r <= headerIndex; r++) {
      const cell = records[r]?.[c] ?? '';
      if (cell && (r === headerIndex || cell.length <= 30)) parts.push(cell);
    }
    labels.push(normalizeLabel(parts.join(' ')));
  }
  const positions: Partial<Record<K, number>> = {};
  for (const key of Object.keys(columns) as K[]) {
    const at = labels.findIndex((label) => columns[key](label));
    if (at >= 0) positions[key] = at;
  }
  return { headerIndex, positions };
}

function parseNumber(value: string | undefined): number | undefined {
  const text = (value ?? '').trim();
  if (text === '') return 0;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function text(value: string | undefined): string | null {
  const t = (value ?? '').trim();
  return t === '' ? null : t;
}

export function parseRvuFile(content: string): RvuFile {
  const records = readRecords(content);
  const { headerIndex, positions } = locateColumns(records, RVU_COLUMNS, 'hcpcs', 'a CMS relative value (PPRRVU) file or an RVU CSV');
  const missing = REQUIRED_RVU.filter((key) => positions[key] === undefined);
  if (missing.length > 0) {
    throw new ValidationError(
      missing.map((key) => ({ code: 'COLUMN_MISSING', path: key, message: `The file has no column for ${key}.` })),
      `The RVU file is missing ${missing.length} required column(s): ${missing.join(', ')}. Expected hcpcs, modifier, status, work_rvu, pe_rvu_nonfacility, pe_rvu_facility, mp_rvu (or the CMS PPRRVU layout).`,
    );
  }
  const title = records
    .slice(0, headerIndex)
    .map((r) => r.join(' '))
    .join(' ');
  const yearMatch = /\b(19|20)\d{2}\b(?=.*relative value)/i.exec(title);
  const monthMatch = /\b(january|april|july|october)\b/i.exec(title);

  const issues: Issue[] = [];
  const rows: RvuRow[] = [];
  const seen = new Map<string, number>();
  const conversionFactors = new Set<number>();
  const at = (record: string[], key: keyof typeof RVU_COLUMNS) => {
    const index = positions[key];
    return index === undefined ? undefined : record[index];
  };
  for (let i = headerIndex + 1; i < records.length; i++) {
    const record = records[i]!;
    const line = i + 1;
    const rawCode = (at(record, 'hcpcs') ?? '').trim();
    // Blank lines and trailing notes end or pad the CMS file.
    if (rawCode === '' || !/^[0-9A-Za-z]{4,5}$/.test(rawCode)) {
      if (rawCode !== '' && /^[0-9A-Za-z]+$/.test(rawCode)) {
        issues.push({ code: 'CODE_INVALID', path: `line ${line}`, message: `line ${line}: "${rawCode}" is not a CPT/HCPCS code.` });
      }
      continue;
    }
    const hcpcs = normalizeProcedureCode(rawCode);
    const modifier = (at(record, 'modifier') ?? '').trim().toUpperCase();
    const status = (at(record, 'status') ?? '').trim().toUpperCase();
    const numbers = {
      workRvu: parseNumber(at(record, 'workRvu')),
      peNonFacilityRvu: parseNumber(at(record, 'peNonFacilityRvu')),
      peFacilityRvu: parseNumber(at(record, 'peFacilityRvu')),
      mpRvu: parseNumber(at(record, 'mpRvu')),
    };
    const problems: string[] = [];
    if (!hcpcs) problems.push(`"${rawCode}" is not a CPT/HCPCS code`);
    if (modifier !== '' && !isModifier(modifier)) problems.push(`modifier "${modifier}" is not two letters or digits`);
    if (!/^[A-Z]$/.test(status)) problems.push(`status "${status}" is not one letter`);
    for (const [key, value] of Object.entries(numbers)) {
      if (value === undefined || value < 0) problems.push(`${key} "${at(record, key as keyof typeof RVU_COLUMNS)}" is not a number of RVUs`);
    }
    const key = `${hcpcs ?? rawCode}|${modifier}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${rawCode}${modifier ? `-${modifier}` : ''} already appears on line ${first}`);
    else seen.set(key, line);
    if (problems.length > 0) {
      issues.push({ code: 'ROW_INVALID', path: `line ${line}`, message: `line ${line}: ${problems.join('; ')}` });
      continue;
    }
    const cf = parseNumber(at(record, 'conversionFactor'));
    if (cf) conversionFactors.add(cf);
    rows.push({
      hcpcs: hcpcs!,
      modifier,
      status,
      workRvu: numbers.workRvu!,
      peNonFacilityRvu: numbers.peNonFacilityRvu!,
      peFacilityRvu: numbers.peFacilityRvu!,
      mpRvu: numbers.mpRvu!,
      globalDays: text(at(record, 'globalDays')),
      pctcIndicator: text(at(record, 'pctcIndicator')),
      multipleProcedureIndicator: text(at(record, 'multipleProcedureIndicator')),
      bilateralIndicator: text(at(record, 'bilateralIndicator')),
    });
  }
  if (issues.length > 0) {
    throw new ValidationError(issues, `${issues.length} row(s) of the RVU file cannot be used; nothing was loaded.`);
  }
  if (rows.length === 0) throw new ValidationError([{ code: 'NO_ROWS', message: 'The RVU file has a header but no code rows; nothing was loaded.' }]);
  if (conversionFactors.size > 1) {
    throw new ValidationError([
      { code: 'CF_MIXED', message: `The file carries ${conversionFactors.size} different conversion factors; give the one to use with --conversion-factor.` },
    ]);
  }
  return {
    rows,
    conversionFactor: conversionFactors.size === 1 ? [...conversionFactors][0]! : null,
    yearInTitle: yearMatch ? Number(yearMatch[0]) : null,
    release: monthMatch ? RELEASE_BY_MONTH[monthMatch[1]!.toLowerCase()]! : null,
    format: headerIndex > 0 ? 'cms' : 'plain',
  };
}

export function parseGpciFile(content: string): GpciRow[] {
  const records = readRecords(content);
  const { headerIndex, positions } = locateColumns(records, GPCI_COLUMNS, 'workGpci', 'a CMS GPCI file or a GPCI CSV');
  const missing = (Object.keys(GPCI_COLUMNS) as (keyof typeof GPCI_COLUMNS)[]).filter((key) => positions[key] === undefined);
  if (missing.length > 0) {
    throw new ValidationError(
      missing.map((key) => ({ code: 'COLUMN_MISSING', path: key, message: `The file has no column for ${key}.` })),
      `The GPCI file is missing column(s): ${missing.join(', ')}. Expected mac, state, locality, locality_name, work_gpci, pe_gpci, mp_gpci (or the CMS GPCI layout).`,
    );
  }
  const issues: Issue[] = [];
  const rows: GpciRow[] = [];
  const seen = new Set<string>();
  for (let i = headerIndex + 1; i < records.length; i++) {
    const record = records[i]!;
    const line = i + 1;
    const get = (key: keyof typeof GPCI_COLUMNS) => (record[positions[key]!] ?? '').trim();
    // Footnote lines below the table have no contractor number; a spreadsheet may drop its leading zero.
    if (!/^\d{4,5}$/.test(get('mac'))) continue;
    const mac = get('mac').padStart(5, '0');
    const values = { workGpci: Number(get('workGpci')), peGpci: Number(get('peGpci')), mpGpci: Number(get('mpGpci')) };
    const locality = get('locality').padStart(2, '0');
    const state = get('state').toUpperCase();
    const problems: string[] = [];
    if (!/^[A-Z]{2}$/.test(state)) problems.push(`state "${get('state')}" is not a two-letter state code`);
    if (!/^\d{2}$/.test(locality)) problems.push(`locality "${get('locality')}" is not a two-digit number`);
    for (const [key, value] of Object.entries(values)) {
      if (get(key as keyof typeof GPCI_COLUMNS) === '' || !Number.isFinite(value) || value <= 0 || value > 10) {
        problems.push(`${key} "${get(key as keyof typeof GPCI_COLUMNS)}" is not an index`);
      }
    }
    const key = `${mac}|${locality}`;
    if (seen.has(key)) problems.push(`locality ${locality} of contractor ${mac} appears twice`);
    seen.add(key);
    if (problems.length > 0) {
      issues.push({ code: 'ROW_INVALID', path: `line ${line}`, message: `line ${line}: ${problems.join('; ')}` });
      continue;
    }
    rows.push({ mac, state, locality, localityName: get('localityName').replace(/\*+/g, '').trim(), ...values });
  }
  if (issues.length > 0) throw new ValidationError(issues, `${issues.length} row(s) of the GPCI file cannot be used; nothing was loaded.`);
  if (rows.length === 0) throw new ValidationError([{ code: 'NO_ROWS', message: 'The GPCI file has no locality rows; nothing was loaded.' }]);
  return rows;
}
