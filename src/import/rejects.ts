// The reject file: every rejected row as it was read, its row number and a plain reason per problem, so it
// can be fixed and imported again. Created only when something is rejected; readable by the owner only (PHI).
// Written under a temporary name and put in place when the import ends: a killed import leaves no half
// reject file, and its rerun (which reads the whole input again) writes the whole one.
import { rm } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import { openPrivateFile, tempPathFor, type PrivateFile } from '../files/private-file.js';
import { neutralizeCell } from '../text/csv.js';
import type { ItemResult } from './engine.js';

const csvLine = (cells: string[]) => stringify([cells.map(neutralizeCell)], { record_delimiter: '\n' });

export class RejectWriter {
  private file?: PrivateFile;
  private readonly reasons = new Map<string, number>();
  rows = 0;

  constructor(
    readonly path: string,
    private readonly headers: string[],
  ) {}

  /** A batch's rejected rows in one write (a write per row cost more than building the lines). */
  async addResults(originals: string[][], wheres: string[], results: ItemResult[]): Promise<void> {
    const lines: string[] = [];
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.bucket === 'rejected') lines.push(this.line(originals[i]!, wheres[i]!, r.reasons));
    }
    await this.write(lines);
  }

  private line(original: string[], where: string, reasons: string[]): string {
    this.rows++;
    for (const reason of reasons) {
      const general = reason.replace(/"[^"]*"/g, '"…"');
      this.reasons.set(general, (this.reasons.get(general) ?? 0) + 1);
    }
    return csvLine([...original, where, reasons.join('; ')]);
  }

  private async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    if (!this.file) {
      this.file = await openPrivateFile(this.path);
      await this.file.write(csvLine([...this.headers, 'row_number', 'reject_reason']));
    }
    await this.file.write(lines.join(''));
  }

  /** Reasons with values blanked out, most frequent first: safe to print in a summary. */
  summary(): { reason: string; rows: number }[] {
    return [...this.reasons].map(([reason, rows]) => ({ reason, rows })).sort((a, b) => b.rows - a.rows);
  }

  /** Puts the reject file in place; null when nothing was rejected (a killed run's leftover is removed). */
  async close(): Promise<string | null> {
    if (!this.file) {
      await rm(tempPathFor(this.path), { force: true });
      return null;
    }
    return this.file.commit();
  }
}
