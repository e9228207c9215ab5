import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { isIcd10Form } from '../../src/codes/icd10.js';
import { isValidLoinc } from '../../src/codes/loinc.js';
import { isValidNpi } from '../../src/codes/npi.js';
import { procedureCodeSystem } from '../../src/codes/procedure-codes.js';
import { queryRows } from '../../src/db/query.js';
import { ACUTE_DIAGNOSES, CONDITIONS, ENCOUNTER_DX, FEES, LOINC, OTITIS, VACCINES } from '../../src/demo/catalog.js';
import { Calendar } from '../../src/demo/calendar.js';
import { generatePatient } from '../../src/demo/patient.js';
import { DEMO_PROVIDERS } from '../../src/demo/practice.js';
import { DEMO_TABLES, RowSink, type DemoTable } from '../../src/demo/rows.js';
import { runDemo } from '../../src/demo/run.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, describeEachBackend } from '../helpers/db.js';

const now = new Date('2026-11-28T15:30:00Z');
const demo = ['demo', '--patients', '60', '--seed', '7', '--json', '--no-pack', '--records-only'];

describe('the demo catalog', () => {
  it('uses only well-formed codes', () => {
    for (const coding of Object.values(LOINC)) expect(isValidLoinc(coding.code), coding.code).toBe(true);
    const icd = [...Object.values(CONDITIONS).map((c) => c.icd10), ...ACUTE_DIAGNOSES, OTITIS, ...Object.values(ENCOUNTER_DX)];
    for (const coding of icd) expect(isIcd10Form(coding.code), coding.code).toBe(true);
    for (const code of Object.keys(FEES)) expect(procedureCodeSystem(code), code).toBeDefined();
    for (const vaccine of Object.values(VACCINES)) expect(FEES[vaccine.cpt], vaccine.cpt).toBeGreaterThan(0);
    for (const provider of DEMO_PROVIDERS) expect(isValidNpi(provider.npi)).toBe(true);
  });
});

describe('the demo generator', () => {
  const firstPatient = (seed: number) => {
    const sink = new RowSink(Object.fromEntries(Object.keys(DEMO_TABLES).map((table) => [table, 1])) as Record<DemoTable, number>);
    const staff = {
      providers: [{ id: 1, seesChildren: true, share: 1 }],
      locations: [{ id: 1, placeOfService: '11' }],
      payers: { medicare: 1, medicareAdvantage: 2, medicaid: 3, commercial: [4] },
    };
    for (let i = 0; i < 20; i++) generatePatient({ seed, calendar: new Calendar(now, 'America/New_York'), staff }, sink, i);
    return sink.take('patients')!.values.map((row) => row.join('|'));
  };

  it('gives other patients for another seed, the same for the same seed', () => {
    expect(firstPatient(7)).toEqual(firstPatient(7));
    expect(firstPatient(8)).not.toEqual(firstPatient(7));
  });
});

describeEachBackend('practice demo', (t) => {
  it('creates the practice and the counts it claims, all marked as test data', async () => {
    const run = await runCli(demo, { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json();
    expect(doc).toMatchObject({ created: true, seed: 7, patients: 60, today: '2026-11-28' });
    const status = (await runCli(['db', 'status', '--json'], { database: t.handle })).json();
    for (const [table, n] of Object.entries(doc.rows)) expect(status.rowCounts[table], table).toBe(n);
    expect(doc.rows).toMatchObject({ practice: 1, locations: 2, providers: 4, patients: 60, clearinghouses: 1 });
    for (const table of ['encounters', 'encounter_diagnoses', 'charges', 'observations', 'problems', 'medications', 'immunizations', 'appointments', 'coverages', 'communication_consents']) {
      expect(doc.rows[table], table).toBeGreaterThan(0);
    }

    const [marks] = await queryRows<Record<string, number>>(
      t.db,
      sql`select (select count(*)::int from patients where not is_test_data) as real_patients,
        (select count(*)::int from providers where not is_test_data) as real_providers,
        (select count(*)::int from practice where is_test_data) as test_practice,
        (select count(*)::int from patients where phone_mobile !~ '^[0-9]{3}-555-01[0-9]{2}$') as odd_phones,
        (select count(*)::int from encounters where starts_at >= '2026-11-28') as future_encounters,
        (select count(*)::int from appointments where status = 'scheduled' and starts_at < '2026-11-29') as past_scheduled,
        (select count(*)::int from audit_log where action = 'demo') as audit_entries`,
    );
    expect(marks).toEqual({ real_patients: 0, real_providers: 0, test_practice: 1, odd_phones: 0, future_encounters: 0, past_scheduled: 0, audit_entries: 16 });
  });

  it('links the record together as the reports expect', async () => {
    const [links] = await queryRows<Record<string, number>>(
      t.db,
      sql`select
        (select count(*)::int from observations c join observations p on p.id = c.panel_id where c.code in ('8480-6','8462-4') and p.code <> '85354-9') as bad_bp_components,
        (select count(*)::int from observations where code = '85354-9' and (select count(*) from observations c where c.panel_id = observations.id) <> 2) as bp_panels_without_two_components,
        (select count(*)::int from observations o join encounters e on e.id = o.encounter_id where e.patient_id <> o.patient_id) as crossed_patients,
        (select count(*)::int from charges c where not exists (select 1 from encounter_diagnoses d where d.encounter_id = c.encounter_id and d.position = all(c.diagnosis_pointers))
           and cardinality(c.diagnosis_pointers) = 1) as dangling_pointers,
        (select count(*)::int from encounters e where not exists (select 1 from charges c where c.encounter_id = e.id and c.code = e.type_code)) as visits_without_charge,
        (select count(*)::int from encounters e where not exists (select 1 from appointments a where a.patient_id = e.patient_id and a.starts_at = e.starts_at and a.status = 'kept')) as visits_without_appointment`,
    );
    expect(links).toEqual({ bad_bp_components: 0, bp_panels_without_two_components: 0, crossed_patients: 0, dangling_pointers: 0, visits_without_charge: 0, visits_without_appointment: 0 });
  });

  it('refuses to add to a database with patients unless confirmed, then adds with --yes', async () => {
    const refused = await runCli(demo, { database: t.handle, now });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already has 60 patients');
    expect(refused.stderr).toContain('--yes');
    const added = await runCli([...demo, '--yes'], { database: t.handle, now });
    expect(added.code, added.stderr).toBe(0);
    // The practice and its staff are reused, not duplicated.
    expect(added.json().rows).toMatchObject({ patients: 60, practice: 0, providers: 0, payers: 0 });
    const [counts] = await queryRows<{ patients: number; mrns: number; providers: number }>(
      t.db,
      sql`select count(*)::int as patients, count(distinct mrn)::int as mrns, (select count(*)::int from providers) as providers from patients`,
    );
    expect(counts).toEqual({ patients: 120, mrns: 120, providers: 4 });
    // Ids continue after the demo's: a later ordinary insert gets a fresh one.
    const [next] = await queryRows<{ id: number }>(t.db, sql`insert into patients (mrn, first_name, last_name, dob) values ('AFTER-DEMO', 'A', 'B', '1990-01-01') returning id`);
    expect(next!.id).toBe(121);
  });

  it('is deterministic: the same seed on the same day gives the same practice in another database', async () => {
    const first = await createTestDatabase(t.backend);
    const second = await createTestDatabase(t.backend);
    try {
      const viaCli = await runCli(demo, { database: first, now });
      // Later the same day, loaded in small batches: batch size must not change the data.
      const direct = await runDemo(second, { actor: 'test', command: 'test' }, { patients: 60, seed: 7, now: new Date('2026-11-28T22:00:00Z'), batchSize: 7 });
      expect(direct.rows).toEqual(viaCli.json().rows);
      const fingerprint = async (db: typeof first.db) =>
        queryRows(
          db,
          sql`select p.mrn, p.first_name, p.last_name, p.dob::text, p.sex,
            (select count(*)::int from encounters e where e.patient_id = p.id) as visits,
            (select coalesce(sum(amount_cents), 0)::int from charges c where c.patient_id = p.id) as charged,
            (select string_agg(value_numeric::text, ',' order by id) from observations o where o.patient_id = p.id and o.code = '4548-4') as a1c
            from patients p order by p.id limit 5`,
        );
      expect(await fingerprint(second.db)).toEqual(await fingerprint(first.db));
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('rejects a bad --patients value before opening anything', async () => {
    const run = await runCli(['demo', '--patients', 'lots'], { database: t.handle });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--patients must be a whole number');
  });
});

describeEachBackend('practice demo ends with the monthly pack', (t) => {
  it('writes last month\'s pack privately and says where', async () => {
    const { mkdtemp, stat } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(await mkdtemp(join(tmpdir(), 'demo-pack-')), 'pack.pdf');
    const run = await runCli(['demo', '--patients', '20', '--json', '--records-only', '--pack', file], { database: t.handle, now });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().monthlyPack).toEqual({ file, month: '2026-10' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
