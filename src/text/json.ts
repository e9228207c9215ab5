// Untrusted JSON (FHIR files from other systems, set-up files): sizes checked before a byte is parsed and
// nesting checked before JSON.parse, so a hostile or broken file gets a plain answer instead of running
// out of memory or stack ("Maximum call stack size exceeded" in whatever walks it next).
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

export interface JsonLimits {
  /** A whole JSON document (a Bundle, a set-up file). V8 cannot hold a string much above 512 MiB. */
  maxFileBytes: number;
  /** One line of NDJSON (a bulk export's resource). */
  maxLineBytes: number;
  /** Arrays and objects inside one another; FHIR resources stay far below. */
  maxDepth: number;
}

const MB = 1024 * 1024;
export const defaultJsonLimits: JsonLimits = { maxFileBytes: 500 * MB, maxLineBytes: 64 * MB, maxDepth: 64 };

export function formatBytes(bytes: number): string {
  if (bytes >= MB) return `${(bytes / MB).toFixed(bytes >= 10 * MB ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} bytes`;
}

/** True when arrays and objects nest deeper than maxDepth. One pass, no recursion; strings are skipped. */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** `missing`: the file named does not exist, a mistake in what was typed (usage, exit 2) rather than in the file. */
export type ParsedJson = { value: unknown } | { problem: string; missing?: boolean };

/** JSON.parse behind the nesting check; the problem is a plain phrase ("is not valid JSON") that quotes nothing of the text. */
export function parseJsonWithin(text: string, maxDepth: number): ParsedJson {
  if (nestsDeeperThan(text, maxDepth)) return { problem: `nests arrays or objects more than ${maxDepth} levels deep` };
  try {
    return { value: JSON.parse(text.replace(/^\uFEFF/, '')) };
  } catch (error) {
    // SyntaxError messages quote the text (patient data); only where it broke is kept.
    if (error instanceof RangeError) return { problem: 'is nested too deeply to read' };
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    return { problem: `is not valid JSON${at ? ` (at character ${Number(at) + 1})` : ''}` };
  }
}

/**
 * A small JSON file the user names (a mapping, a rules file): size checked before it is read, then
 * parsed within the depth. The problem is a phrase to follow the file's name; it quotes nothing of it.
 */
export async function readJsonFileWithin(path: string, limits: JsonLimits): Promise<ParsedJson> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: 'does not exist', missing: true };
    return { problem: `cannot be read (${code ?? 'error'})` };
  }
  if (size > limits.maxFileBytes) return { problem: `is ${formatBytes(size)}, more than the ${formatBytes(limits.maxFileBytes)} limit (PRACTICE_JSON_MAX_MB)` };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  return parseJsonWithin(text, limits.maxDepth);
}

export interface NdjsonLine {
  /** From 1. */
  line: number;
  /** The line's text; absent when it is longer than the limit (its length is then in `bytes`). */
  text?: string;
  bytes: number;
}

/**
 * The non-blank lines of an NDJSON file, read as a stream: a line over maxLineBytes is reported by its
 * number and size and never held in memory, and the file as a whole may be of any size.
 */
export async function* ndjsonLines(file: string, maxLineBytes: number): AsyncGenerator<NdjsonLine> {
  let parts: Buffer[] = [];
  let length = 0;
  let line = 1;
  let tooLong = false;
  const finish = (): NdjsonLine | undefined => {
    const result: NdjsonLine | undefined = tooLong
      ? { line, bytes: length }
      : length > 0
        ? { line, text: Buffer.concat(parts, length).toString('utf8').replace(/\r$/, ''), bytes: length }
        : undefined;
    parts = [];
    length = 0;
    tooLong = false;
    line++;
    return result?.text !== undefined && result.text.trim() === '' ? undefined : result;
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      length += end - start;
      if (length > maxLineBytes) {
        tooLong = true;
        parts = [];
      } else if (end > start) parts.push(chunk.subarray(start, end));
      if (newline < 0) break;
      const done = finish();
      if (done) yield done;
      start = newline + 1;
    }
  }
  const last = finish();
  if (last) yield last;
}
