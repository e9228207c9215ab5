import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { locations, ndcProducts, patients } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { pdfPages } from '../helpers/pdf-text.js';

// 08:00 in New York on 2026-10-05 (EDT, UTC-4).
const MORNING = new Date('2026-10-05T12:00:00Z');
const METFORMIN_SCAN = '(01)00300027510019(17)271231(10)LOT42';
const ACETAMINOPHEN_SCAN = '50242-040-62';

describeEachBackend('eMAR', (t) => {
  const cli = (args: string[], now = MORNING) => runCli(args, { database: t.handle, now });

  beforeAll(async () => {
    await t.db.insert(patients).values([
      { mrn: 'M100', firstName: 'Ada', lastName: 'Testpatient', dob: '1940-02-01', sex: 'female' },
      { mrn: 'M200', firstName: 'Bob', lastName: 'Otherpatient', dob: '1938-05-05', sex: 'male' },
    ]);
    await t.db.insert(locations).values({ code: 'WEST', name: 'West wing', placeOfService: '32' });
    await t.db.insert(ndcProducts).values([
      { ndc11: '00002751001', rxnormCode: '860975', display: 'metformin 500 mg tablet', route: 'PO' },
      { ndc11: '50242004062', rxnormCode: '313782', display: 'acetaminophen 325 mg tablet', route: 'PO' },
    ]);
  });

  it('writes a scheduled order and lists the dose due now', async () => {
    const order = await cli(['mar', 'order', 'M100', '--med', '860975', '--dose', '500', '--unit', 'mg', '--route', 'PO', '--schedule', 'BID 08:00,20:00', '--start', '2026-10-01T00:00', '--location', 'WEST', '--name', 'metformin 500 mg', '--json']);
    expect(order.code).toBe(0);
    expect(order.json()).toMatchObject({ kind: 'fixed', times: ['08:00', '20:00'] });
    const due = await cli(['mar', 'due', '--json', '--location', 'WEST']);
    expect(due.code).toBe(0);
    expect(due.json().doses).toEqual([expect.objectContaining({ mrn: 'M100', medication: 'metformin 500 mg', route: 'PO' })]);
    expect(new Date(due.json().doses[0].scheduledAt).toISOString()).toBe('2026-10-05T12:00:00.000Z');
  });

  it('refuses an order it cannot give safely, naming every problem', async () => {
    const bad = await cli(['mar', 'order', 'M100', '--med', 'aspirin', '--dose', '-1', '--unit', 'mg', '--route', 'PO', '--prn']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/neither an RxNorm code/);
    expect(bad.stderr).toMatch(/above zero/);
    expect(bad.stderr).toMatch(/max-per-day/);
    expect((await cli(['mar', 'order', 'NOPE', '--med', '860975', '--dose', '5', '--unit', 'mg', '--route', 'PO', '--schedule', 'daily'])).stderr).toMatch(/not found/);
  });

  it('stops on each of the five rights and logs every refused attempt', async () => {
    const give = (extra: string[], scan = METFORMIN_SCAN, wristband = 'MRN:M100') => cli(['mar', 'give', '--patient-scan', wristband, '--med-scan', scan, ...extra]);
    const wrongPatient = await give(['--patient', 'M200']);
    expect([wrongPatient.code, wrongPatient.stderr]).toEqual([1, expect.stringMatching(/Wrong patient/)]);
    const notTheirs = await give([], METFORMIN_SCAN, 'M200');
    expect(notTheirs.stderr).toMatch(/Wrong drug/);
    const wrongDrug = await give([], ACETAMINOPHEN_SCAN);
    expect(wrongDrug.stderr).toMatch(/Wrong drug/);
    const wrongDose = await give(['--dose', '1000mg']);
    expect(wrongDose.stderr).toMatch(/Wrong dose: the order is 500 mg/);
    const wrongRoute = await give(['--route', 'IV']);
    expect(wrongRoute.stderr).toMatch(/Wrong route/);
    const expired = await give([], '(01)00300027510019(17)260930(10)OLD1');
    expect(expired.stderr).toMatch(/expired on 2026-09-30/);
    const unreadable = await give([], '(01)00300027510018');
    expect(unreadable.stderr).toMatch(/check digit/);
    const lateNoOverride = await cli(['mar', 'give', '--patient-scan', 'M100', '--med-scan', METFORMIN_SCAN], new Date('2026-10-05T16:00:00Z'));
    expect(lateNoOverride.stderr).toMatch(/Wrong time/);

    const rejected = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from administrations where status = 'rejected'`);
    expect(rejected[0]!.n).toBe(8);
    const audit = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_log where action = 'scan-rejected'`);
    expect(audit[0]!.n).toBe(8);
  });

  it('gives the right dose once, then refuses to give it twice', async () => {
    const ok = await cli(['mar', 'give', '--patient-scan', 'MRN:M100', '--med-scan', METFORMIN_SCAN, '--by', 'Jane Nurse', '--json']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ outcome: 'given', withinWindow: true });
    const again = await cli(['mar', 'give', '--patient-scan', 'MRN:M100', '--med-scan', METFORMIN_SCAN]);
    expect([again.code, again.stderr]).toEqual([1, expect.stringMatching(/already given/)]);
    const row = await queryRows<{ lot_number: string; expiration_date: string; ndc_code: string }>(t.db, sql`select lot_number, expiration_date::text, ndc_code from administrations where status = 'given'`);
    expect(row).toEqual([{ lot_number: 'LOT42', expiration_date: '2027-12-31', ndc_code: '00002751001' }]);
  });

  it('gives outside the window only with a recorded override', async () => {
    const noon = new Date('2026-10-05T16:00:00Z');
    const late = await cli(['mar', 'give', '--patient-scan', 'M100', '--med-scan', METFORMIN_SCAN, '--override', 'patient was at dialysis', '--json'], noon);
    expect(late.code).toBe(0);
    expect(late.json().withinWindow).toBe(false);
    const [row] = await queryRows<{ override_reason: string }>(t.db, sql`select override_reason from administrations where status = 'given' order by id desc limit 1`);
    expect(row!.override_reason).toBe('patient was at dialysis');
  });

  it('enforces PRN limits and minimum intervals', async () => {
    expect((await cli(['mar', 'order', 'M100', '--med', '313782', '--dose', '650', '--unit', 'mg', '--route', 'PO', '--prn', '--schedule', 'Q4H', '--max-per-day', '2', '--start', '2026-10-01T00:00'])).code).toBe(0);
    const at = (hours: number) => new Date(MORNING.getTime() + hours * 3_600_000);
    const give = (hours: number) => cli(['mar', 'give', '--patient-scan', 'M100', '--med-scan', ACETAMINOPHEN_SCAN], at(hours));
    expect((await give(0)).code).toBe(0);
    const tooSoon = await give(1);
    expect([tooSoon.code, tooSoon.stderr]).toEqual([1, expect.stringMatching(/Too soon/)]);
    expect((await give(5)).code).toBe(0);
    const limit = await give(10);
    expect([limit.code, limit.stderr]).toEqual([1, expect.stringMatching(/Limit reached: 2 of at most 2/)]);
    expect((await give(25)).code).toBe(0);
  });

  it('records refusals with a reason, lists missed doses with exit 3, and corrects without editing', async () => {
    const nextDay = new Date('2026-10-06T18:00:00Z');
    const missed = await cli(['mar', 'missed', '--since', '48h', '--json'], nextDay);
    expect(missed.code).toBe(3);
    const doses = missed.json().missed as { doseId: number; scheduledAt: string }[];
    expect(doses.map((d) => new Date(d.scheduledAt).toISOString())).toEqual(['2026-10-05T00:00:00.000Z', '2026-10-06T12:00:00.000Z']);

    const noReason = await cli(['mar', 'record', 'M100', '--dose-id', String(doses[0]!.doseId), '--status', 'refused'], nextDay);
    expect([noReason.code, noReason.stderr]).toEqual([1, expect.stringMatching(/needs --reason/)]);
    const refused = await cli(['mar', 'record', 'M100', '--dose-id', String(doses[0]!.doseId), '--status', 'refused', '--reason', 'nauseous', '--json'], nextDay);
    expect(refused.code).toBe(0);
    const held = await cli(['mar', 'record', 'M100', '--dose-id', String(doses[1]!.doseId), '--status', 'held', '--reason', 'NPO for labs', '--json'], nextDay);
    expect((await cli(['mar', 'missed', '--since', '48h'], nextDay)).code).toBe(0);

    const corrected = await cli(['mar', 'correct', String(held.json().administrationId), '--status', 'entered-in-error', '--reason', 'wrong dose charted', '--json'], nextDay);
    expect(corrected.code).toBe(0);
    expect(corrected.json().corrects).toBe(held.json().administrationId);
    expect((await cli(['mar', 'missed', '--since', '48h'], nextDay)).code).toBe(3);
    const original = await queryRows<{ status: string }>(t.db, sql`select status from administrations where id = ${held.json().administrationId}`);
    expect(original[0]!.status).toBe('held');

    const audit = await cli(['mar', 'audit', 'M100', '--json']);
    const entries = audit.json().entries as { status: string; correctsId: number | null }[];
    expect(entries.filter((e) => e.status === 'rejected').length).toBeGreaterThanOrEqual(10);
    expect(entries.some((e) => e.correctsId === held.json().administrationId)).toBe(true);
  });

  it('prints the monthly grid with initials and writes the PDF privately', async () => {
    const grid = await cli(['mar', 'report', 'M100', '--month', '2026-10', '--json'], new Date('2026-10-07T12:00:00Z'));
    expect(grid.code).toBe(0);
    const rows = grid.json().rows as { medication: string; time: string; cells: string[] }[];
    const morning = rows.find((r) => r.medication === 'metformin 500 mg' && r.time === '08:00')!;
    expect(morning.cells[4]).toBe('JN');
    expect(morning.cells[5]).toBe('4');
    expect(morning.cells[0]).toBe('4');
    const evening = rows.find((r) => r.medication === 'metformin 500 mg' && r.time === '20:00')!;
    expect(evening.cells[4]).toBe('TU');
    expect(evening.cells[3]).toBe('1');
    const dir = await mkdtemp(join(tmpdir(), 'mar-'));
    const pdf = await cli(['mar', 'report', 'M100', '--month', '2026-10', '--pdf', join(dir, 'mar.pdf')]);
    expect(pdf.code).toBe(0);
    const info = await stat(join(dir, 'mar.pdf'));
    expect(info.mode & 0o777).toBe(0o600);
    const [page] = await pdfPages(await readFile(join(dir, 'mar.pdf')));
    expect(page).toContain('Medication Administration Record - 2026-10');
    expect(page).toContain('Chart: M100');
    expect(page).toContain('metformin 500 mg');
    expect(page).toMatch(/08:00 .*4 .*JN/);
    expect(page).toContain('1 refused');
    expect(page).toContain('Page 1 of 1');
  });
});
