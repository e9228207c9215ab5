// fhir export --all --since: a bare date is midnight in the practice's time zone (not UTC midnight), a date
// and time without an offset is the practice's time too, and one with an offset is taken as written.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { CodeSystem } from '../../src/codes/systems.js';
import * as s from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const now = new Date('2026-04-01T12:00:00Z');
const old = new Date('2020-01-01T00:00:00Z');

describeEachBackend('fhir export --since', (t) => {
  let dir: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pk-since-'));
    await t.db.insert(s.practice).values({ legalName: 'Prairie Clinic', tin: '123456789', billingNpi: '1234567893', address1: '1 Main St', city: 'Peoria', state: 'IL', zip: '61602', timeZone: 'America/Chicago' });
    // Chicago is UTC-6 on 2026-03-01: its midnight is 06:00 UTC.
    for (const [mrn, changed] of [['LATE-FEB', '2026-03-01T05:30:00Z'], ['EARLY-MAR', '2026-03-01T06:30:00Z']] as const) {
      const [p] = await t.db.insert(s.patients).values({ mrn, firstName: 'Test', lastName: mrn, dob: '1970-01-01', searchName: `${mrn} test`, updatedAt: old }).returning();
      const [problem] = await t.db.insert(s.problems).values({ patientId: p!.id, codeSystem: CodeSystem.icd10cm, code: 'I10', display: 'Essential (primary) hypertension', updatedAt: new Date(changed) }).returning();
      ids[mrn] = problem!.id;
    }
    await t.db.update(s.practice).set({ updatedAt: old });
  });

  async function exported(since: string, folder: string): Promise<{ since: string; conditions: number[] }> {
    const run = await runCli(['fhir', 'export', '--all', '--since', since, '--out', join(dir, folder), '--json'], { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    const text = await readFile(join(dir, folder, 'Condition.ndjson'), 'utf8').catch(() => '');
    const conditions = text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((c) => c.id.startsWith('cond-')).map((c) => Number(c.id.slice(5)));
    return { since: run.json().since, conditions: conditions.sort() };
  }

  it('reads a bare date as midnight in the practice time zone', async () => {
    // 05:30 UTC is still 28 February in Chicago: not changed "since 1 March" there, though it is in UTC.
    expect(await exported('2026-03-01', 'date')).toEqual({ since: '2026-03-01T06:00:00.000Z', conditions: [ids['EARLY-MAR']] });
    expect(await exported('yesterday', 'yesterday')).toEqual({ since: '2026-03-31T05:00:00.000Z', conditions: [] });
    expect(await exported('3/1/2026', 'us-date')).toEqual({ since: '2026-03-01T06:00:00.000Z', conditions: [ids['EARLY-MAR']] });
  });

  it('reads a date and time in the practice time zone unless it has an offset', async () => {
    expect(await exported('2026-02-28T23:00', 'local-time')).toEqual({ since: '2026-03-01T05:00:00.000Z', conditions: [ids['LATE-FEB'], ids['EARLY-MAR']].sort() });
    expect(await exported('2026-03-01T06:00Z', 'utc-time')).toEqual({ since: '2026-03-01T06:00:00.000Z', conditions: [ids['EARLY-MAR']] });
  });
});
