// The code lists shipped in reference/ (see its README): ICD-10-CM codes with their billable flag, and
// CVX with each code's status. Read once per process, on first use, from the gzip files.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { referenceFile } from '../reference-data.js';
import { normalizeCvx } from './drug-codes.js';
import { normalizeIcd10 } from './icd10.js';

function rows(name: string): string[][] {
  const text = gunzipSync(readFileSync(referenceFile(name))).toString('utf8');
  return text.trim().split('\n').slice(1).map((line) => line.split('\t'));
}

interface Icd10List {
  billable: Map<string, boolean>;
  /** The bundled list is a subset of the tabular list: a code missing from it may still be real. */
  complete: boolean;
}

let icd10: Icd10List | undefined;
function icd10List(): Icd10List {
  icd10 ??= { billable: new Map(rows('icd10cm-2026-partial.tsv.gz').map(([code, flag]) => [code!, flag === '1'])), complete: false };
  return icd10;
}

/** The billable codes under a category (E11.6 → E11.610, E11.618, ...), in code order. */
export function billableCodesUnder(category: string): string[] {
  const bare = category.replace('.', '');
  return [...icd10List().billable].filter(([code, billable]) => billable && code.replace('.', '').startsWith(bare)).map(([code]) => code).sort();
}

/**
 * Why an ICD-10-CM code (already in its dotted form) cannot be put on a chart or a claim, or undefined
 * when it can: a category header is never billable, so the message names the codes to choose from.
 */
export function describeIcd10Problem(code: string): string | undefined {
  const list = icd10List();
  const billable = list.billable.get(code);
  if (billable === true) return undefined;
  if (billable === false) {
    const children = billableCodesUnder(code);
    const shown = children.slice(0, 8).join(', ');
    return `${code} is an ICD-10-CM category, not a billable code; choose a billable code: ${shown}${children.length > 8 ? `, ... (${children.length} in all)` : ''}.`;
  }
  return list.complete ? `${code} is not an ICD-10-CM code.` : undefined;
}

export function isBillableIcd10(code: string): boolean {
  return describeIcd10Problem(code) === undefined;
}

export type CvxStatus = 'active' | 'inactive' | 'never active';
let cvx: Map<string, { status: CvxStatus; name: string }> | undefined;

/** A CVX code's status and short name in the CDC table, or undefined when the table has no such code. */
export function cvxEntry(code: string): { status: CvxStatus; name: string } | undefined {
  cvx ??= new Map(rows('cvx.tsv.gz').map(([code, status, name]) => [code!, { status: status as CvxStatus, name: name! }]));
  return cvx.get(code);
}

/** Why a CVX code (in its normalized form) cannot be recorded, or undefined when it can. */
export function describeCvxProblem(code: string): string | undefined {
  const entry = cvxEntry(code);
  if (!entry) return `CVX ${code} is not in the CDC's CVX vaccine code table.`;
  if (entry.status === 'never active') return `CVX ${code} (${entry.name}) was never an active vaccine code.`;
  return undefined;
}

/**
 * A diagnosis as typed ("e11.9", "E119") → its dotted code, or the one message every path gives for it:
 * not a code form, a category header, or (with a complete list) no such code.
 */
export function readIcd10(text: string): { code: string } | { problem: string } {
  const code = normalizeIcd10(text);
  if (!code) return { problem: `"${text.trim()}" is not an ICD-10-CM code (e.g. E11.9).` };
  const problem = describeIcd10Problem(code);
  return problem ? { problem } : { code };
}

/** A CVX code as typed ("8", "08") → its code, or the one message every path gives for it. */
export function readCvx(text: string): { code: string } | { problem: string } {
  const code = normalizeCvx(text);
  if (!code) return { problem: `"${text.trim()}" is not a CVX vaccine code (1 to 3 digits, e.g. 140).` };
  const problem = describeCvxProblem(code);
  return problem ? { problem } : { code };
}
