// --out x.pdf|.csv|.json picks the format in every command that writes files; a name that contradicts
// an explicit --format is a usage error, before anything is written.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatForOut } from '../../src/cli/out-format.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

describe('the format a file name asks for', () => {
  const choices = ['table', 'csv', 'json', 'pdf'];
  it('follows the extension unless --format was given, and refuses a contradiction', () => {
    expect(formatForOut('a.PDF', 'table', false, choices)).toBe('pdf');
    expect(formatForOut('a.csv', 'table', false, choices)).toBe('csv');
    expect(formatForOut('a.json', 'table', false, choices)).toBe('json');
    expect(formatForOut('a.txt', 'table', false, choices)).toBe('table');
    expect(formatForOut(undefined, 'table', false, choices)).toBe('table');
    expect(formatForOut('a.pdf', 'pdf', true, choices)).toBe('pdf');
    expect(() => formatForOut('a.pdf', 'csv', true, choices)).toThrow(/PDF file name, but --format csv/);
    expect(() => formatForOut('a.xml', 'table', false, choices)).toThrow(/does not write XML files/);
    expect(formatForOut('q.json', 'qpp', true, [...choices, 'qpp'])).toBe('qpp');
    expect(formatForOut('q.xml', 'table', false, [...choices, 'qrda3'])).toBe('qrda3');
  });
});

describeEachBackend('--out picks the format', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-out-format-'));
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: new Date('2026-02-01T12:00:00Z') });

  it('writes a PDF, a CSV or JSON by the file name, for the productivity report and the monthly pack', async () => {
    for (const command of [['report', 'productivity'], ['report', 'monthly']]) {
      const base = join(dir, command[1]!);
      for (const ext of ['pdf', 'csv', 'json']) {
        const run = await cli([...command, '--month', '2026-01', '--out', `${base}.${ext}`]);
        expect(run.code, run.stderr).toBe(0);
      }
      expect(readFileSync(`${base}.pdf`).subarray(0, 5).toString()).toBe('%PDF-');
      expect(readFileSync(`${base}.csv`, 'utf8').split('\n')[0]).toContain(',');
      expect(() => JSON.parse(readFileSync(`${base}.json`, 'utf8'))).not.toThrow();
    }
  });

  it('writes the quality report as JSON for a .json name', async () => {
    const out = join(dir, 'quality.json');
    const run = await cli(['report', 'quality', '--period', '2026', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).measures.length).toBeGreaterThan(0);
  });

  it('refuses a file name that contradicts --format, or a PDF option given another kind of file (exit 2, nothing written)', async () => {
    const out = join(dir, 'wrong.pdf');
    const run = await cli(['report', 'productivity', '--month', '2026-01', '--format', 'csv', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--out');
    expect(existsSync(out)).toBe(false);
    const care = await cli(['report', 'care-gaps', '--measure', 'CMS125', '--out', join(dir, 'gaps.pdf')]);
    expect(care.code).toBe(2);
    expect((await cli(['fhir', 'export', 'M1', '--out', join(dir, 'chart.csv')])).code).toBe(2);
    expect((await cli(['patients', 'show', 'M1', '--pdf', join(dir, 'chart.json')])).code).toBe(2);
    expect((await cli(['mar', 'report', 'M1', '--month', '2026-01', '--pdf', join(dir, 'grid.csv')])).code).toBe(2);
  });
});
