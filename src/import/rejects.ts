// The reject file: every rejected row as it was read, its row number and a plain reason per problem, so it
// can be fixed and imported again. Created only when something is rejected; readable by the owner only (PHI).
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify, type Stringifier } from 'csv-stringify';
import type { ItemResult } from './engine.js';

export class RejectWriter {
  private stringifier?: Stringifier;
  private file?: WriteStream;
  private readonly reasons = new Map<string, number>();
  rows = 0;

  constructor(
    readonly path: string,
    private readonly headers: string[],
  ) {}

  async add(original: string[], where: string, reasons: string[]): Promise<void> {
    this.rows++;
    for (const reason of reasons) {
      const general = reason.replace(/"[^"]*"/g, '"…"');
      this.reasons.set(general, (this.reasons.get(general) ?? 0) + 1);
    }
    if (!this.stringifier) {
      this.file = createWriteStream(this.path, { mode: 0o600 });
      this.stringifier = stringify();
      this.stringifier.pipe(this.file);
      this.stringifier.write([...this.headers, 'row_number', 'reject_reason']);
    }
    if (!this.stringifier.write([...original, where, reasons.join('; ')])) await once(this.stringifier, 'drain');
  }

  async addResults(originals: string[][], wheres: string[], results: ItemResult[]): Promise<void> {
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.bucket === 'rejected') await this.add(originals[i]!, wheres[i]!, r.reasons);
    }
  }

  /** Reasons with values blanked out, most frequent first: safe to print in a summary. */
  summary(): { reason: string; rows: number }[] {
    return [...this.reasons].map(([reason, rows]) => ({ reason, rows })).sort((a, b) => b.rows - a.rows);
  }

  async close(): Promise<string | null> {
    if (!this.stringifier || !this.file) return null;
    this.stringifier.end();
    await once(this.file, 'close');
    return this.path;
  }
}
