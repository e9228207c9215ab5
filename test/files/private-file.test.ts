// The one file writer: whole files or none, 0600, a temporary file never left behind, one plain sentence
// per failure; the private data folder; and a full disk under the database named as such.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diskFullError } from '../../src/db/errors.js';
import { ensurePrivateFolder, FileWriteError, openPrivateFile, writePrivateFile } from '../../src/files/private-file.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the private file writer', () => {
  // File faults are test hooks: they act only with PRACTICE_TEST_HOOKS=1, as the failpoints do.
  process.env.PRACTICE_TEST_HOOKS = '1';
  const dir = mkdtempSync(join(tmpdir(), 'pk-private-file-'));
  afterEach(() => {
    delete process.env.PRACTICE_FAILPOINT;
  });

  it('writes whole content 0600 and replaces an existing file (made 0600 too)', async () => {
    const path = join(dir, 'a.txt');
    writeFileSync(path, 'old', { mode: 0o644 });
    await writePrivateFile(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });

  it('without replace leaves an existing file as it was and says so', async () => {
    const path = join(dir, 'keep.txt');
    writeFileSync(path, 'mine');
    const error = await writePrivateFile(path, 'theirs', { replace: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileWriteError);
    expect((error as Error).message).toBe(`${path} already exists and was left as it was; nothing was written.`);
    expect(readFileSync(path, 'utf8')).toBe('mine');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('streams: nothing at the path until commit; abort leaves nothing at all', async () => {
    const path = join(dir, 'stream.ndjson');
    const file = await openPrivateFile(path);
    await file.write('{"a":1}\n');
    expect(existsSync(path)).toBe(false);
    await file.commit();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
    const dropped = await openPrivateFile(join(dir, 'dropped.csv'));
    await dropped.write('x\n');
    await dropped.abort();
    expect(readdirSync(dir).filter((f) => f.includes('dropped'))).toEqual([]);
  });

  it('replaces the temporary file a killed run left behind', async () => {
    const path = join(dir, 'rerun.csv');
    writeFileSync(join(dir, '.rerun.csv.tmp'), 'half a file');
    await writePrivateFile(path, 'whole\n');
    expect(readFileSync(path, 'utf8')).toBe('whole\n');
    expect(existsSync(join(dir, '.rerun.csv.tmp'))).toBe(false);
  });

  it('on a full disk (PRACTICE_FAILPOINT=file:enospc) throws one plain sentence and leaves no file', async () => {
    process.env.PRACTICE_FAILPOINT = 'file:enospc';
    const path = join(dir, 'full.pdf');
    const error = await writePrivateFile(path, Buffer.alloc(1000)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DISK_FULL', reason: 'ENOSPC', message: `The disk is full: ${path} was not written; nothing partial was left.` });
    process.env.PRACTICE_FAILPOINT = 'file:eio';
    const io = await writePrivateFile(path, 'x').catch((e: unknown) => e);
    expect(io).toMatchObject({ code: 'FILE_WRITE_FAILED', reason: 'EIO' });
    expect(readdirSync(dir).filter((f) => f.includes('full'))).toEqual([]);
  });

  it('names a missing folder or a denied one plainly', async () => {
    await expect(writePrivateFile(join(dir, 'nowhere', 'x.csv'), 'x')).rejects.toThrow(/The folder for .* does not exist; nothing was written\./);
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    if (process.getuid?.() !== 0) await expect(writePrivateFile(join(locked, 'x.csv'), 'x')).rejects.toThrow(/^Permission denied: /);
  });
});

describe('the private data folder', () => {
  it('is created 0700, and an existing 0755 one is tightened with everything below it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pk-private-folder-'));
    const fresh = join(root, 'new', 'data');
    await ensurePrivateFolder(fresh);
    expect(mode(fresh)).toBe(0o700);
    const open = join(root, 'open');
    mkdirSync(join(open, 'base'), { recursive: true });
    writeFileSync(join(open, 'base', 'table'), 'x');
    writeFileSync(join(open, 'PG_VERSION'), '17');
    for (const [path, m] of [[open, 0o755], [join(open, 'base'), 0o775], [join(open, 'base', 'table'), 0o644], [join(open, 'PG_VERSION'), 0o666]] as const) chmodSync(path, m);
    await ensurePrivateFolder(open);
    expect([mode(open), mode(join(open, 'base')), mode(join(open, 'base', 'table')), mode(join(open, 'PG_VERSION'))]).toEqual([0o700, 0o700, 0o600, 0o600]);
  });
});

describe('a full disk under the database', () => {
  it('is one plain error for PostgreSQL disk_full (53100) and ENOSPC, however deeply wrapped', () => {
    const pg = Object.assign(new Error('could not extend file "base/5/16384": No space left on device'), { code: '53100' });
    const wrapped = new Error('Failed query: insert into patients values ($1) params: Jane', { cause: pg });
    for (const error of [pg, wrapped, Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), new Error('wrapper', { cause: new Error('write failed: No space left on device') })]) {
      const mapped = diskFullError(error);
      expect(mapped?.code).toBe('DISK_FULL');
      expect(mapped?.message).toMatch(/^The disk is full: /);
      expect(mapped?.message).not.toContain('Jane');
    }
    expect(diskFullError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBeUndefined();
    expect(diskFullError(new Error('anything else'))).toBeUndefined();
  });
});
