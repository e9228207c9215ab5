import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const bundle = join(import.meta.dirname, '../../fixtures/import/fhir-transaction-bundle.json');
const cms165 = join(import.meta.dirname, '../../../shared/fixtures-ecqm/CMS165FHIRControllingHighBP');

describeEachBackend('practice import --format fhir', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, cwd: dir });
  const rows = <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pk-import-fhir-'));
  });

  it('imports a transaction bundle: urn:uuid references, BP components, not-done events, skipped types, dangling patients', async () => {
    const run = await cli(['import', bundle, '--format', 'fhir', '--reject-file', join(dir, 'bundle.rejects.csv'), '--json']);
    expect(run.code, run.stderr).toBe(3);
    expect(run.json().counts).toEqual({ read: 13, inserted: 11, updated: 0, unchanged: 0, rejected: 1, skipped: 1 });
    expect(run.json().rejectReasons[0].reason).toMatch(/patient is neither in this import nor on file/);
    const [patient] = await rows<Record<string, string>>(sql`select p.first_name, p.middle_name, p.state, p.phone_home, i.value from patients p join patient_identifiers i on i.patient_id = p.id and i.system = 'fhir'`);
    expect(patient).toEqual({ first_name: 'Ana', middle_name: 'M', state: 'MA', phone_home: '617-555-0142', value: '11111111-1111-4111-8111-111111111111' });
    const bp = await rows<{ code: string; value: number | null; panel: string | null; visit: boolean }>(
      sql`select o.code, o.value_numeric::float as value, p.code as panel, o.encounter_id is not null as visit from observations o left join observations p on p.id = o.panel_id order by o.code`,
    );
    expect(bp).toEqual([
      { code: '8462-4', value: 86, panel: '85354-9', visit: true },
      { code: '8480-6', value: 138, panel: '85354-9', visit: true },
      { code: '85354-9', value: null, panel: null, visit: true },
    ]);
    const notDone = await rows<Record<string, string>>(sql`select kind, code, reason_code from not_done_events order by kind`);
    expect(notDone).toEqual([
      { kind: 'follow-up', code: '306206005', reason_code: '105480006' },
      { kind: 'procedure', code: '71651007', reason_code: '183944003' },
      { kind: 'vaccine', code: '140', reason_code: 'PATOBJ' },
    ]);
    expect(await rows(sql`select cvx_code from immunizations`)).toEqual([{ cvx_code: '08' }]);
    expect(await rows(sql`select kind, rxnorm_code from medications`)).toEqual([{ kind: 'statement', rxnorm_code: '314076' }]);
    expect(await rows(sql`select p.name, c.member_id from coverages c join payers p on p.id = c.payer_id`)).toEqual([{ name: 'Acme Health', member_id: 'M123' }]);
    expect(await rows(sql`select qualifier, code from record_qualifiers`)).toEqual([{ qualifier: 'discharge-disposition', code: '428361000124107' }]);
  });

  it('loads the eCQM test cases (one folder per patient) and a second run changes nothing', async () => {
    const first = await cli(['import', cms165, '--format', 'fhir', '--reject-file', join(dir, 'ecqm.rejects.csv'), '--json']);
    expect(first.code, first.stderr).toBe(0);
    const counts = first.json().counts;
    expect(counts.read).toBe(counts.inserted + counts.skipped);
    expect(first.json().ignoredFiles).toEqual(['expected.json', 'madie-testcases.json']);
    const [cases] = await rows<{ n: number }>(sql`select count(*)::int as n from patient_identifiers where system = 'fhir'`);
    expect(cases!.n).toBe(68 + 1);
    const [known] = await rows<{ n: number }>(sql`select count(*)::int as n from patient_identifiers where system = 'fhir' and value = '045f7e0b-bfb3-4ee0-a06d-83c853f6a81e'`);
    expect(known!.n).toBe(1);
    const [periods] = await rows<{ n: number }>(sql`select count(*)::int as n from observation_periods`);
    expect(periods!.n).toBeGreaterThan(0);
    const again = await cli(['import', cms165, '--format', 'fhir', '--json']);
    expect(again.json().counts).toMatchObject({ inserted: 0, updated: 0, unchanged: counts.inserted, rejected: 0 });
  });

  it('refuses a file that is not FHIR before writing anything', async () => {
    const run = await cli(['import', join(import.meta.dirname, '../../fixtures/import/problems.csv'), '--format', 'fhir']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('not valid JSON');
  });
});
