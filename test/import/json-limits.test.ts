// Untrusted JSON: nesting bombs, oversized files and lines, and shapes that are not FHIR get a plain
// message naming the file (exit 1) or the NDJSON line (rejected, exit 3), never an internal error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { nestsDeeperThan } from '../../src/text/json.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-json-'));
const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), name);
const patient = '{"resourceType":"Patient","id":"p1","name":[{"family":"Quixotic","given":["Zeb"]}],"birthDate":"1961-02-03","gender":"male"}';

describe('the nesting check', () => {
  it('counts depth without recursing and ignores brackets inside strings', () => {
    expect(nestsDeeperThan('['.repeat(1_000_000) + ']'.repeat(1_000_000), 64)).toBe(true);
    expect(nestsDeeperThan(`{"a":"${'['.repeat(100)}\\"["}`, 64)).toBe(false);
    expect(nestsDeeperThan('['.repeat(64) + ']'.repeat(64), 64)).toBe(false);
  });
});

describeEachBackend('FHIR and set-up files that are not what they claim', (t) => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { database: t.handle, cwd: dir, env });

  it('refuses a whole bad file by name with exit 1', async () => {
    const cases: [string, string, RegExp][] = [
      [file('arr.json', '['.repeat(200_000) + ']'.repeat(200_000)), '', /arr\.json nests arrays or objects more than 64 levels deep/],
      [file('obj.json', `{"resourceType":"Patient","a":${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}}`), '', /obj\.json nests/],
      [file('top.json', '[1,2]'), '', /top\.json is JSON but not a FHIR resource \(a list/],
      [file('bundle.json', '{"resourceType":"Bundle","entry":{"resource":{}}}'), '', /bundle\.json is a Bundle whose "entry" is not a list/],
      [file('big.json', `{"resourceType":"Patient","name":"${'x'.repeat(2 * 1024 * 1024)}"}`), '1', /big\.json is 2\.0 MB, more than the 1\.0 MB/],
    ];
    for (const [name, maxMb, message] of cases) {
      const run = await cli(['import', name, '--format', 'fhir'], maxMb ? { PRACTICE_JSON_MAX_MB: maxMb } : {});
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/internal|RangeError|\n\s+at /);
    }
  });

  it('rejects a bad NDJSON line by number and imports the rest (exit 3)', async () => {
    const name = file('lines.ndjson', [patient, '['.repeat(1000) + ']'.repeat(1000), '{bad', '"x"', `{"resourceType":"Patient","name":"${'y'.repeat(2 * 1024 * 1024)}"}`].join('\n'));
    const run = await cli(['import', name, '--format', 'fhir', '--json'], { PRACTICE_NDJSON_LINE_MAX_MB: '1' });
    expect(run.code, run.stderr).toBe(3);
    const summary = run.json();
    expect(summary.counts).toMatchObject({ inserted: 1, rejected: 4 });
    expect(summary.rejectReasons.map((r: { reason: string }) => r.reason).sort()).toEqual([
      'the line is 2.0 MB, more than the 1.0 MB one resource may be (PRACTICE_NDJSON_LINE_MAX_MB)',
      'the line is JSON but not a FHIR resource (a string instead of an object)',
      'the line is not valid JSON (at character 2)',
      'the line nests arrays or objects more than 64 levels deep',
    ]);
  });

  it('refuses a set-up file nested too deep or not an object', async () => {
    for (const [name, message] of [
      [file('deep-setup.json', `{"practice":${'['.repeat(500)}${']'.repeat(500)}}`), /deep-setup\.json nests arrays or objects more than 64 levels deep; nothing was saved/],
      [file('list-setup.json', '[]'), /list-setup\.json is JSON but not an object/],
    ] as const) {
      const run = await cli(['setup', '--from', name]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
    }
  });
  it('gives fhir validate and valueset import a plain answer for a nesting bomb, never a stack overflow', async () => {
    const bomb = file('bomb.json', `{"resourceType":"Bundle","entry":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    const validate = await cli(['fhir', 'validate', bomb]);
    expect(validate.code, validate.stderr).toBe(1);
    expect(validate.stdout + validate.stderr).toMatch(/nests arrays or objects more than 64 levels deep/);
    expect(validate.stderr).not.toMatch(/internal|RangeError|\n\s+at /);
    const sets = await cli(['valueset', 'import', join(dir, bomb)]);
    expect(sets.code, sets.stderr).toBe(1);
    expect(sets.stderr).toMatch(/bomb\.json nests arrays or objects more than 64 levels deep/);
    expect(sets.stderr).not.toMatch(/internal|RangeError|\n\s+at /);
  });
});

describeEachBackend('mapping and rules files that are not what they claim', (t) => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { database: t.handle, cwd: dir, env });
  const bomb = () => `{"columns":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
  const big = () => `{"columns":{"Pt Last":"last_name","note":"${'x'.repeat(2 * 1024 * 1024)}"}}`;

  it('refuses a CSV import mapping file nested too deep or too big with exit 1, importing nothing', async () => {
    const csv = file('mapped.csv', 'Pt Last,first_name,dob\nQuixotic,Zeb,1961-02-03\n');
    for (const [name, env, message] of [
      [file('bomb-map.json', bomb()), {}, /bomb-map\.json nests arrays or objects more than 64 levels deep; nothing was imported/],
      [file('big-map.json', big()), { PRACTICE_JSON_MAX_MB: '1' }, /big-map\.json is 2\.0 MB, more than the 1\.0 MB limit \(PRACTICE_JSON_MAX_MB\)/],
      [file('bad-map.json', '{"columns": {"Pt Last": '), {}, /bad-map\.json is not valid JSON/],
    ] as const) {
      const run = await cli(['import', csv, '--kind', 'patients', '--map', name], env);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/internal|RangeError|\n\s+at /);
    }
    expect(await queryRows(t.db, sql`select id from patients where last_name = 'Quixotic'`)).toEqual([]);
  });

  it('refuses a recall rules file nested too deep or too big with exit 1', async () => {
    for (const [name, env, message] of [
      [file('bomb-rules.json', bomb()), {}, /bomb-rules\.json nests arrays or objects more than 64 levels deep; no rule was saved/],
      [file('big-rules.json', big()), { PRACTICE_JSON_MAX_MB: '1' }, /big-rules\.json is 2\.0 MB, more than the 1\.0 MB limit/],
    ] as const) {
      const run = await cli(['recall', 'rules', 'add', '--file', name], env);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/internal|RangeError|\n\s+at /);
    }
  });

  it('holds fhir validate and valueset import to PRACTICE_JSON_MAX_MB', async () => {
    const name = file('big-bundle.json', `{"resourceType":"Patient","name":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    const validate = await cli(['fhir', 'validate', name], { PRACTICE_JSON_MAX_MB: '1' });
    expect(validate.code, validate.stderr).toBe(1);
    expect(validate.stdout + validate.stderr).toMatch(/big-bundle\.json is 2\.0 MB, more than the 1\.0 MB/);
    const sets = await cli(['valueset', 'import', join(dir, name)], { PRACTICE_JSON_MAX_MB: '1' });
    expect(sets.code, sets.stderr).toBe(1);
    expect(sets.stderr).toMatch(/big-bundle\.json is 2\.0 MB, more than the 1\.0 MB/);
  });
});
