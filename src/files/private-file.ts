// The one way practicekit writes a file. Everything it writes may hold PHI, so every file is readable by
// its owner only (0600) and appears whole or not at all: the bytes go to a hidden temporary name in the
// same folder, are flushed to disk, and the temporary file is renamed onto the target, then the folder
// is flushed so the rename survives a power cut. On any failure the temporary file is removed and one
// plain sentence says what happened; a full disk never leaves half a file behind.
import { constants } from 'node:fs';
import { chmod, link, lstat, mkdir, open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { basename, dirname, join } from 'node:path';
import { PracticeError } from '../errors.js';
import { injectedFileError } from '../faults/failpoint.js';

export interface PrivateFileOptions {
  /** Replace a file already at the path (default). False: an existing file is left as it was (EEXIST). */
  replace?: boolean;
  /** Create the folder (0700) when it does not exist yet. */
  makeFolder?: boolean;
  /** Called after each step of commit(), for crash tests that stop the process there (see src/faults). */
  onStep?: (step: 'written' | 'flushed' | 'renamed') => void;
}

/** A file being written: fill `stream` (or call write), then commit() to put it in place or abort() to drop it. */
export interface PrivateFile {
  readonly path: string;
  /** For pipe(): pdfkit documents, csv-stringify. Ended by the pipe or by commit(). */
  readonly stream: Writable;
  /** Writes a chunk, waiting when the disk is slower than the writer. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Flushes, renames onto the path and flushes the folder; returns the path. */
  commit(): Promise<string>;
  /** Removes the temporary file; nothing appears at the path. Safe to call after a failure. */
  abort(): Promise<void>;
}

/** Why a file could not be written, in one sentence; `reason` is the system's code (ENOSPC, EIO, ...). */
export class FileWriteError extends PracticeError {
  constructor(
    readonly path: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(reason === 'ENOSPC' || reason === 'EDQUOT' ? 'DISK_FULL' : 'FILE_WRITE_FAILED', describe(path, reason), { cause });
  }
}

function describe(path: string, reason: string): string {
  switch (reason) {
    case 'ENOSPC':
      return `The disk is full: ${path} was not written; nothing partial was left.`;
    case 'EDQUOT':
      return `Your disk quota is used up: ${path} was not written; nothing partial was left.`;
    case 'EIO':
      return `The disk reported an input/output error: ${path} was not written; nothing partial was left.`;
    case 'EACCES':
    case 'EPERM':
      return `Permission denied: ${path} cannot be written in that folder; nothing was written.`;
    case 'EROFS':
      return `The disk is read-only: ${path} was not written.`;
    case 'EEXIST':
      return `${path} already exists and was left as it was; nothing was written.`;
    case 'ENOENT':
      return `The folder for ${path} does not exist; nothing was written.`;
    case 'ENOTDIR':
      return `Part of the path ${path} is a file, not a folder; nothing was written.`;
    case 'EISDIR':
      return `${path} is a folder; give a file name. Nothing was written.`;
    default:
      return `${path} could not be written (${reason}); nothing partial was left.`;
  }
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code ?? 'error';

/** The hidden name a file is written under before it is renamed into place: one per file, so a rerun finds it. */
export const tempName = (name: string) => `.${name}.tmp`;

/** The temporary path next to `path`. */
export const tempPathFor = (path: string) => join(dirname(path), tempName(basename(path)));

async function syncFolder(dir: string): Promise<void> {
  let folder: FileHandle | undefined;
  try {
    folder = await open(dir, 'r');
    await folder.sync();
  } catch (error) {
    // Some file systems cannot flush a folder (EINVAL, EISDIR on Windows): the rename itself is done.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes(codeOf(error))) throw error;
  } finally {
    await folder?.close().catch(() => undefined);
  }
}

/** Puts temp at path; without replace, a file that appeared at path meanwhile is never overwritten. */
async function putInPlace(temp: string, path: string, replace: boolean): Promise<void> {
  if (replace) return rename(temp, path);
  try {
    // link() fails with EEXIST instead of replacing: the exclusive form of rename.
    await link(temp, path);
  } catch (error) {
    if (!['EPERM', 'ENOTSUP', 'EXDEV', 'EMLINK'].includes(codeOf(error))) throw error;
    // A file system without hard links: take the name exclusively, then rename over that empty file.
    const claim = await open(path, 'wx', 0o600);
    await claim.close();
    return rename(temp, path);
  }
  await unlink(temp);
}

/**
 * Opens a private file for writing. A temporary file an earlier, killed run left behind for the same
 * path is replaced; the target is untouched until commit().
 */
export async function openPrivateFile(path: string, options: PrivateFileOptions = {}): Promise<PrivateFile> {
  const dir = dirname(path);
  const temp = tempPathFor(path);
  const replace = options.replace ?? true;
  let handle: FileHandle;
  try {
    if (options.makeFolder) await mkdir(dir, { recursive: true, mode: 0o700 });
    await rm(temp, { force: true });
    handle = await open(temp, 'wx', 0o600);
  } catch (error) {
    throw new FileWriteError(path, codeOf(error), error);
  }
  let failure: unknown;
  let done = false;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const injected = injectedFileError();
      if (injected) return callback(injected);
      handle.write(chunk).then(() => callback(), callback);
    },
    writev(chunks, callback) {
      const injected = injectedFileError();
      if (injected) return callback(injected);
      handle.writev(chunks.map((c) => c.chunk as Buffer)).then(() => callback(), callback);
    },
  });
  // A failed write is reported by write() or commit(); the stream's own error event must not crash.
  stream.on('error', (error) => (failure ??= error));

  const abort = async () => {
    if (done) return;
    done = true;
    stream.destroy();
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
  };
  const fail = async (error: unknown): Promise<never> => {
    failure ??= error;
    await abort();
    throw asFileWriteError(failure, path);
  };
  return {
    path,
    stream,
    async write(chunk) {
      if (failure) return fail(failure);
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve) => {
          const resume = () => {
            stream.off('drain', resume);
            stream.off('close', resume);
            resolve();
          };
          stream.on('drain', resume);
          stream.on('close', resume);
        });
      }
      if (failure) return fail(failure);
    },
    async commit() {
      if (done) throw new Error(`commit() of a finished file ${path}`);
      try {
        if (failure) throw failure;
        if (!stream.writableEnded) stream.end();
        await finished(stream);
        if (failure) throw failure;
        options.onStep?.('written');
        await handle.sync();
        options.onStep?.('flushed');
        await putInPlace(temp, path, replace);
        done = true;
        options.onStep?.('renamed');
        await handle.close();
        await syncFolder(dir);
        return path;
      } catch (error) {
        if (!done) return fail(error);
        throw asFileWriteError(error, path);
      }
    },
    abort,
  };
}

/** An error of the file system (ENOSPC, EIO, ...) as the one-sentence FileWriteError; others unchanged. */
export function asFileWriteError(error: unknown, path: string): unknown {
  if (error instanceof FileWriteError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new FileWriteError(path, code, error);
  return error;
}

/** Writes whole content to a private file (see openPrivateFile). Returns the path. */
export async function writePrivateFile(path: string, content: string | Uint8Array, options: PrivateFileOptions = {}): Promise<string> {
  const file = await openPrivateFile(path, options);
  try {
    await file.write(content);
  } catch (error) {
    await file.abort();
    throw asFileWriteError(error, path);
  }
  return file.commit();
}

/** Runs fill with an open private file, commits it when fill succeeds, removes it when anything fails. */
export async function withPrivateFile<T>(path: string, options: PrivateFileOptions, fill: (file: PrivateFile) => Promise<T>): Promise<T> {
  const file = await openPrivateFile(path, options);
  let result: T;
  try {
    result = await fill(file);
  } catch (error) {
    await file.abort();
    throw asFileWriteError(error, path);
  }
  await file.commit();
  return result;
}

/**
 * Creates a folder readable by its owner only (0700), or tightens one that exists: when it, or the
 * `sentinel` file in it, is open to group or others (a 0755 folder made by hand or by an older version),
 * everything below it loses the group and other bits (folders 0700, files 0600). `all` tightens
 * everything whatever the sentinel says. Links are left alone, never followed.
 */
export async function ensurePrivateFolder(dir: string, options: { sentinel?: string; all?: boolean } = {}): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const top = await lstat(dir);
  const sentinel = options.sentinel ? await lstat(join(dir, options.sentinel)).catch(() => undefined) : undefined;
  if (!options.all && ((top.mode | (sentinel?.mode ?? 0)) & 0o077) === 0) return;
  await tighten(dir, top.mode);
}

async function tighten(path: string, mode: number): Promise<void> {
  if (mode & 0o077) await chmod(path, mode & 0o700);
  if ((mode & constants.S_IFMT) !== constants.S_IFDIR) return;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isSymbolicLink() || !(entry.isDirectory() || entry.isFile())) continue;
    const child = join(path, entry.name);
    await tighten(child, (await lstat(child)).mode);
  }
}
