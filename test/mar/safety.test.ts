// Clinical safety cases from issue 20: allergy checks wherever a drug is ordered or given, and the eMAR
// choosing the order a scan is for by product, dose and due time (never the first order for a code).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { allergies, ndcProducts, patients, practice } from '../../src/db/schema/index.js';
import { CodeSystem } from '../../src/codes/systems.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

// 08:00 in New York on 2026-10-05 (EDT, UTC-4).
const MORNING = new Date('2026-10-05T12:00:00Z');
// GS1 DataMatrix of NDC 0002-7510-01 (metformin 500 mg) and 0002-7520-01 (metformin 1000 mg).
const METFORMIN_500_SCAN = '(01)00300027510019(17)271231(10)LOT42';
const METFORMIN_1000_SCAN = '0002-7520-01';
const AMOXICILLIN_SCAN = '0093-4155-73';

describeEachBackend('eMAR and medication safety', (t) => {
  const cli = (args: string[], now = MORNING) => runCli(args, { database: t.handle, now });
  let allergicId = 0;

  beforeAll(async () => {
    await t.db.insert(practice).values({ legalName: 'Maple Street Family Medicine', tin: '123456789', billingNpi: '1234567893', timeZone: 'America/New_York' });
    const [allergic] = await t.db
      .insert(patients)
      .values([
        { mrn: 'S100', firstName: 'Pia', lastName: 'Allergic', dob: '1950-02-01', sex: 'female' },
        { mrn: 'S200', firstName: 'Tom', lastName: 'Twoorders', dob: '1948-05-05', sex: 'male' },
      ])
      .returning();
    allergicId = allergic!.id;
    await t.db.insert(allergies).values({ patientId: allergicId, substance: 'Penicillin', codeSystem: CodeSystem.rxnorm, code: '70618', severity: 'severe', reaction: 'anaphylaxis' });
    await t.db.insert(ndcProducts).values([
      { ndc11: '00002751001', rxnormCode: '860975', display: 'metformin hydrochloride 500 MG Oral Tablet', route: 'PO', strength: '500', strengthUnit: 'mg' },
      { ndc11: '00002752001', rxnormCode: '861004', display: 'metformin hydrochloride 1000 MG Oral Tablet', route: 'PO', strength: '1000', strengthUnit: 'mg' },
      { ndc11: '00093415573', rxnormCode: '308191', display: 'amoxicillin 500 MG Oral Capsule', route: 'PO', strength: '500', strengthUnit: 'mg' },
    ]);
  });

  it('stops an amoxicillin order for a patient with a severe penicillin allergy, with the choices, until overridden', async () => {
    const order = ['mar', 'order', 'S100', '--med', '308191', '--dose', '500', '--unit', 'mg', '--route', 'PO', '--schedule', 'TID 08:00,14:00,20:00', '--start', '2026-10-01T00:00'];
    const stopped = await cli(order);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('amoxicillin 500 MG Oral Capsule matches the recorded severe allergy to Penicillin (both are penicillins)');
    expect(stopped.stderr).toMatch(/Choices: .*--override/);
    expect((await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from administration_orders`))[0]!.n).toBe(0);

    const medication = await cli(['medications', 'add', 'S100', '--name', 'amoxicillin 500 MG Oral Capsule', '--rxnorm', '308191']);
    expect([medication.code, medication.stderr]).toEqual([1, expect.stringContaining('severe allergy to Penicillin')]);

    const overridden = await cli([...order, '--override', 'tolerated a graded challenge in 2025', '--json']);
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(overridden.stderr).toContain('despite a matching allergy');
    const [row] = await queryRows<{ allergy_override_reason: string }>(t.db, sql`select allergy_override_reason from administration_orders`);
    expect(row!.allergy_override_reason).toBe('tolerated a graded challenge in 2025');
    const [audit] = await queryRows<{ details: { allergyOverride: boolean } }>(t.db, sql`select details from audit_log where entity = 'administration_orders'`);
    expect(audit!.details.allergyOverride).toBe(true);

    // The order carries the prescriber's reason: the nurse gives it without a second stop.
    const give = await cli(['mar', 'give', '--patient-scan', 'MRN:S100', '--med-scan', AMOXICILLIN_SCAN]);
    expect(give.code, give.stderr).toBe(0);
    expect(give.stderr).toContain("prescriber's reason is on the order");
  });

  it('warns about cephalosporin cross-sensitivity with a penicillin allergy, and goes ahead', async () => {
    const run = await cli(['medications', 'add', 'S100', '--name', 'cephalexin 500 MG Oral Capsule', '--rxnorm', '309114', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Allergy warning: cephalexin 500 MG Oral Capsule is one of the cephalosporins: cross-sensitivity with penicillin allergy/);
    expect(run.json().warnings).toHaveLength(1);
  });

  it('stops a dose at the bedside when an allergy was recorded after the order', async () => {
    expect((await cli(['mar', 'order', 'S200', '--med', '860975', '--dose', '500', '--unit', 'mg', '--route', 'PO', '--schedule', 'BID 08:00,20:00', '--start', '2026-10-01T00:00'])).code).toBe(0);
    await t.db.insert(allergies).values({ patientId: (await queryRows<{ id: number }>(t.db, sql`select id from patients where mrn = 'S200'`))[0]!.id, substance: 'Metformin', severity: 'moderate' });
    const give = await cli(['mar', 'give', '--patient-scan', 'S200', '--med-scan', METFORMIN_500_SCAN]);
    expect(give.code).toBe(1);
    expect(give.stderr).toMatch(/Stop: .*recorded moderate allergy to Metformin/);
    await t.db.execute(sql`update allergies set verification_status = 'refuted' where substance = 'Metformin'`);
    await t.db.execute(sql`update administration_orders set status = 'stopped' where patient_id <> ${allergicId}`);
  });

  it('gives a scanned 1000 mg package to the 1000 mg order when two metformin orders are due at the same time', async () => {
    const order = (dose: string, name: string, med: string) =>
      cli(['mar', 'order', 'S200', '--med', med, '--name', name, '--dose', dose, '--unit', 'mg', '--route', 'PO', '--schedule', 'BID 08:00,20:00', '--start', '2026-10-01T00:00', '--json']);
    const low = (await order('500', 'metformin 500 mg tablet', '860975')).json().orderId as number;
    const high = (await order('1000', 'metformin 1000 mg tablet', '860975')).json().orderId as number;

    const due = await cli(['mar', 'due', '--json']);
    const doses = due.json().doses as { medication: string; scheduledAt: string }[];
    expect(doses.map((d) => d.medication).sort()).toEqual(['metformin 1000 mg tablet', 'metformin 500 mg tablet']);
    expect(doses[0]!.scheduledAt).toBe('2026-10-05T08:00:00-04:00');
    expect(due.json().at).toBe('2026-10-05T08:00:00-04:00');
    const table = await cli(['mar', 'due']);
    expect(table.stdout).toContain('2026-10-05 08:00');
    expect(table.stdout).not.toContain('RxNorm');

    const big = await cli(['mar', 'give', '--patient-scan', 'S200', '--med-scan', METFORMIN_1000_SCAN, '--json']);
    expect(big.code, big.stderr).toBe(0);
    expect(big.json().order.id).toBe(high);
    expect(big.json().scheduledAt).toBe('2026-10-05T08:00:00-04:00');
    // One 500 mg tablet is the 500 mg dose.
    const small = await cli(['mar', 'give', '--patient-scan', 'S200', '--med-scan', METFORMIN_500_SCAN, '--json']);
    expect(small.code, small.stderr).toBe(0);
    expect(small.json().order.id).toBe(low);
  });

  it('counts scanned units and takes --dose, and stops with the candidates listed when the scan fits two orders', async () => {
    const evening = new Date('2026-10-06T00:00:00Z');
    // Two 500 mg tablets make the 1000 mg dose.
    const two = await cli(['mar', 'give', '--patient-scan', 'S200', '--med-scan', METFORMIN_500_SCAN, '--units', '2', '--json'], evening);
    expect(two.code, two.stderr).toBe(0);
    expect(two.json().order.display).toBe('metformin 1000 mg tablet');
    const wrong = await cli(['mar', 'give', '--patient-scan', 'S200', '--med-scan', METFORMIN_500_SCAN, '--units', '3'], evening);
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringMatching(/Wrong dose: the order is 500 mg or 1000 mg, not 1500 mg/)]);

    // A duplicate 500 mg order due at the same time: a doubt, so stop and list both; --order chooses.
    const dup = await cli(['mar', 'order', 'S200', '--med', '860975', '--name', 'metformin 500 mg tablet (second order)', '--dose', '500', '--unit', 'mg', '--route', 'PO', '--schedule', 'BID 08:00,20:00', '--start', '2026-10-01T00:00', '--json']);
    const next = new Date('2026-10-06T12:00:00Z');
    const both = await cli(['mar', 'give', '--patient-scan', 'S200', '--med-scan', METFORMIN_500_SCAN, '--dose', '500mg'], next);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/fits 2 orders: order \d+ metformin 500 mg tablet 500 mg PO .*; order \d+ metformin 500 mg tablet \(second order\)/);
    expect(both.stderr).toContain('--order');
    const chosen = await cli(['mar', 'give', '--patient-scan', 'S200', '--med-scan', METFORMIN_500_SCAN, '--order', String(dup.json().orderId), '--json'], next);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.json().order.id).toBe(dup.json().orderId);
    const [rejected] = await queryRows<{ reason: string }>(t.db, sql`select reason from administrations where status = 'rejected' order by id desc limit 1`);
    expect(rejected!.reason).toBe('AMBIGUOUS_ORDER');
  });

  it('refuses an order by a bare code the product list does not name', async () => {
    const run = await cli(['mar', 'order', 'S200', '--med', '197361', '--dose', '5', '--unit', 'mg', '--route', 'PO', '--schedule', 'daily']);
    expect([run.code, run.stderr]).toEqual([1, expect.stringContaining('give --name')]);
  });

  it('reports imported medications that conflict with a recorded allergy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meds-'));
    writeFileSync(join(dir, 'allergies.csv'), 'chart_number,record_id,substance,code,code_system,category,reaction,severity,onset_date,status\nS200,A1,Sulfa drugs,,,medication,rash,severe,,active\n');
    writeFileSync(join(dir, 'meds.csv'), 'chart_number,record_id,rxnorm,ndc,drug_name,dose,route,frequency,start_date,stop_date,quantity,refills,status\nS200,M1,198335,,sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet,1,oral,BID,2026-01-01,,,,active\nS200,M2,860975,,metformin 500 MG Oral Tablet,500,oral,BID,2026-01-01,,,,active\n');
    expect((await runCli(['import', join(dir, 'allergies.csv'), '--kind', 'allergies', '--source', 'oldehr'], { database: t.handle, now: MORNING })).code).toBe(0);
    const run = await runCli(['import', join(dir, 'meds.csv'), '--kind', 'medications', '--source', 'oldehr', '--json'], { database: t.handle, now: MORNING });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('1 imported medication(s) conflict with a recorded allergy (1 serious)');
    expect(run.json().allergyConflicts).toEqual([expect.objectContaining({ mrn: 'S200', allergy: 'Sulfa drugs', match: 'same class', level: 'stop' })]);
    const text = await runCli(['import', join(dir, 'meds.csv'), '--kind', 'medications', '--source', 'oldehr'], { database: t.handle, now: MORNING });
    expect(text.stdout).toMatch(/conflict with a recorded allergy:[\s\S]*sulfamethoxazole/);
  });
});
