// Exports hold PHI: every file we write is readable by its owner only, and appears whole or not at all.
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const partialName = (path: string) => join(dirname(path), `.${basename(path)}.partial`);

export async function writePrivateFile(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const partial = partialName(path);
  await writeFile(partial, data, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, path);
}

/** A line-by-line file written through a stream that honours backpressure; commit() puts it in place. */
export class PrivateLineWriter {
  private readonly stream: WriteStream;
  private readonly partial: string;
  lines = 0;

  private constructor(readonly path: string) {
    this.partial = partialName(path);
    this.stream = createWriteStream(this.partial, { mode: 0o600 });
  }

  static async open(path: string): Promise<PrivateLineWriter> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    return new PrivateLineWriter(path);
  }

  async write(line: string): Promise<void> {
    this.lines++;
    if (!this.stream.write(`${line}\n`)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  private async end(): Promise<void> {
    if (this.stream.closed) return;
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }

  async commit(): Promise<void> {
    await this.end();
    await chmod(this.partial, 0o600);
    await rename(this.partial, this.path);
  }

  async discard(): Promise<void> {
    await this.end().catch(() => undefined);
    await rm(this.partial, { force: true });
  }
}
