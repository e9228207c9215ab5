// What the cross-path tests share: FHIR codings and the reading of a reject file's reasons.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

export const coding = (system: string, code: string, display?: string) => ({ coding: [{ system, code, ...(display ? { display } : {}) }] });
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const NDC = 'http://hl7.org/fhir/sid/ndc';
export const CVX = 'http://hl7.org/fhir/sid/cvx';
// NOW (test/chart/setup.ts) is 2026-03-10 in the practice: the 1st of April is ahead.
export const FUTURE = '2026-04-01';

// A FHIR reject row has no cells of its own before its place and reason: rows of different lengths.
const cellsOf = (file: string) => parse(readFileSync(file, 'utf8'), { columns: false, skip_empty_lines: true, relax_column_count: true }) as string[][];

/** The reason column of a reject file by a key taken from each row, or nothing when no file was written (no rejects). */
export function reasonsBy(file: string, key: (row: string[], header: string[]) => string | undefined): Map<string, string> {
  const reasons = new Map<string, string>();
  let rows: string[][];
  try {
    rows = cellsOf(file);
  } catch {
    return reasons;
  }
  const [header, ...rest] = rows;
  for (const row of rest) {
    const k = key(row, header!);
    if (k) reasons.set(k, row.at(-1)!);
  }
  return reasons;
}
