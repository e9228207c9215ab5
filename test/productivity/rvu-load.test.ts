import { resolve } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { auditLog, rvuValues } from '../../src/db/schema/index.js';
import { ValidationError } from '../../src/errors.js';
import { parseGpciFile, parseRvuFile } from '../../src/rvu/parse.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';

const SHARED = resolve('fixtures', 'rvu-2025');
const OWN = resolve('fixtures', 'rvu');
const PPRRVU_2025 = resolve(SHARED, 'pprrvu-2025d-office-subset.csv');
const GPCI_2025 = resolve(SHARED, 'gpci-2025.csv');
const CMS_2026 = resolve(OWN, 'pprrvu-2026-cms-layout.csv');
const GPCI_CMS = resolve(OWN, 'gpci-cms-layout.csv');

describe('reading RVU and GPCI files', () => {
  it('finds the columns of the CMS layout under its title lines and split header', () => {
    const file = parseRvuFile(
      [
        ',,2026 National Physician Fee Schedule Relative Value File January Release,,,,,,,,,,,,',
        ',,,STATUS,NOT USED FOR MEDICARE,WORK,NON-FAC,NA,FACILITY,NA,MP,NON-FACILITY,FACILITY,PCTC,GLOB,PRE,INTRA,POST,MULT,BILAT,ASST,CO-,TEAM,ENDO,CONV',
        'HCPCS,MOD,DESCRIPTION,CODE,PAYMENT,RVU,PE RVU,INDICATOR,PE RVU,INDICATOR,RVU,TOTAL,TOTAL,IND,DAYS,OP,OP,OP,PROC,SURG,SURG,SURG,SURG,BASE,FACTOR',
        '10060,,"x, y",A,,1.22,2.49,,1.40,,0.12,3.83,2.74,0,010,0.10,0.80,0.10,2,1,0,0,0,,33.4009',
      ].join('\r\n'),
    );
    expect(file).toMatchObject({ format: 'cms', yearInTitle: 2026, release: 'A', conversionFactor: 33.4009 });
    expect(file.rows).toEqual([
      {
        hcpcs: '10060', modifier: '', status: 'A', workRvu: 1.22, peNonFacilityRvu: 2.49, peFacilityRvu: 1.4, mpRvu: 0.12,
        globalDays: '010', pctcIndicator: '0', multipleProcedureIndicator: '2', bilateralIndicator: '1',
      },
    ]);
  });

  it('reports every bad row by line number and loads nothing', () => {
    const bad = 'hcpcs,modifier,status,work_rvu,pe_rvu_nonfacility,pe_rvu_facility,mp_rvu\n99213,,A,1.30,1.35,0.57,0.10\n9921,,A,1,1,1,1\n99214,ZZZ,A,abc,1,1,1\n99213,,A,1,1,1,1\n';
    try {
      parseRvuFile(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const messages = (error as ValidationError).issues.map((i) => i.message);
      expect(messages).toHaveLength(3);
      expect(messages[0]).toMatch(/^line 3: "9921" is not a CPT\/HCPCS code/);
      expect(messages[1]).toMatch(/^line 4: .*modifier "ZZZ".*workRvu "abc"/);
      expect(messages[2]).toMatch(/^line 5: 99213 already appears on line 2/);
    }
  });

  it('reads the CMS GPCI layout: title, footnotes, stripped asterisks, a lost leading zero', () => {
    const rows = parseGpciFile(
      'ADDENDUM E. GPCIs BY STATE AND MEDICARE LOCALITY,,,,,,\n,,,,,,\nMedicare Administrative Contractor (MAC),State,Locality Number,Locality Name,2025 PW GPCI (with 1.0 Floor),2025 PE GPCI,2025 MP GPCI\n4412,TX,99,REST OF TEXAS*,1.000,0.945,0.934\n* footnote,,,,,,\n',
    );
    expect(rows).toEqual([{ mac: '04412', state: 'TX', locality: '99', localityName: 'REST OF TEXAS', workGpci: 1, peGpci: 0.945, mpGpci: 0.934 }]);
  });
});

describeEachBackend('practice rvu', (t) => {
  it('loads the plain RVU CSV for a year with its conversion factor', async () => {
    const run = await runCli(['--json', 'rvu', 'load', PPRRVU_2025, '--year', '2025', '--conversion-factor', '32.3465'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ year: 2025, format: 'plain', rows: 84, codes: 80, replacedRows: 0, conversionFactor: 32.3465 });
    expect(run.json().statusCounts).toEqual({ A: 45, N: 17, X: 17, E: 4, T: 1 });
    const [row] = await t.db.select().from(rvuValues).where(eq(rvuValues.hcpcs, '99213'));
    expect(row).toMatchObject({ year: 2025, modifier: '', status: 'A', workRvu: 1.3, peNonFacilityRvu: 1.35, peFacilityRvu: 0.57, mpRvu: 0.1 });
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.entity, 'rvu_years'));
    expect(audit.at(-1)).toMatchObject({ action: 'insert', entityId: '2025', command: 'practice rvu load --year --conversion-factor' });
  });

  it('loads the CMS layout, taking the conversion factor and release from the file', async () => {
    const run = await runCli(['--json', 'rvu', 'load', CMS_2026, '--year', '2026'], { database: t.handle });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ year: 2026, format: 'cms', release: 'D', rows: 8, codes: 6, conversionFactor: 33.4009 });
  });

  it('refuses a file for another year, and a damaged file, leaving the loaded year as it was', async () => {
    const wrongYear = await runCli(['rvu', 'load', CMS_2026, '--year', '2025'], { database: t.handle });
    expect(wrongYear.code).toBe(1);
    expect(wrongYear.stderr).toContain('The file says it is the 2026 fee schedule, but --year 2025 was given; nothing was loaded.');

    const notRvu = await runCli(['rvu', 'load', GPCI_CMS, '--year', '2025'], { database: t.handle });
    expect(notRvu.code).toBe(1);
    expect(notRvu.stderr).toMatch(/No header row was found: this does not look like a CMS relative value \(PPRRVU\) file/);
    const notCsv = await runCli(['rvu', 'load', resolve(OWN, 'README.md'), '--year', '2025'], { database: t.handle });
    expect(notCsv.code).toBe(1);
    expect(notCsv.stderr).toMatch(/not a readable CSV file/);

    const missing = await runCli(['rvu', 'load', 'no-such-file.csv', '--year', '2025'], { database: t.handle });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Cannot read no-such-file.csv (no such file)');

    const counts = await queryRows<{ year: number; n: number }>(t.db, sql`select year, count(*)::int as n from rvu_values group by year order by year`);
    expect(counts).toEqual([{ year: 2025, n: 84 }, { year: 2026, n: 8 }]);
  });

  it('replaces a year on reload, and a dry run changes nothing', async () => {
    const dry = await runCli(['--json', 'rvu', 'load', CMS_2026, '--year', '2026', '--dry-run'], { database: t.handle });
    expect(dry.json()).toMatchObject({ dryRun: true, replacedRows: 8 });
    const again = await runCli(['rvu', 'load', CMS_2026, '--year', '2026'], { database: t.handle });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Loaded 8 RVU rows (6 codes) for 2026, replacing 8 rows.');
    const [n] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from rvu_values where year = 2026`);
    expect(n!.n).toBe(8);
  });

  it('rejects bad options as usage errors', async () => {
    expect((await runCli(['rvu', 'load', PPRRVU_2025, '--year', '25'], { database: t.handle })).code).toBe(2);
    const cf = await runCli(['rvu', 'load', PPRRVU_2025, '--year', '2025', '--conversion-factor', 'abc'], { database: t.handle });
    expect(cf.code).toBe(2);
    expect(cf.stderr).toContain('--conversion-factor must be dollars per RVU');
    expect((await runCli(['rvu', 'load', PPRRVU_2025], { database: t.handle })).code).toBe(2);
  });

  it('loads GPCIs and chooses the payment locality, refusing an unknown one', async () => {
    const load = await runCli(['--json', 'rvu', 'gpci', GPCI_2025, '--year', '2025', '--state', 'ny', '--locality', '1'], { database: t.handle });
    expect(load.code, load.stderr).toBe(0);
    expect(load.json()).toMatchObject({ localities: 109, locality: { mac: '13202', state: 'NY', locality: '01', localityName: 'MANHATTAN' } });
    const cms = await runCli(['--json', 'rvu', 'gpci', GPCI_CMS, '--year', '2026'], { database: t.handle });
    expect(cms.json()).toMatchObject({ localities: 3 });

    const unknown = await runCli(['rvu', 'locality', '--state', 'NY', '--locality', '42'], { database: t.handle });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Locality 42 in NY was not found.');
    const half = await runCli(['rvu', 'locality', '--state', 'NY'], { database: t.handle });
    expect(half.code).toBe(2);

    const list = await runCli(['--json', 'rvu', 'locality', '--list', '--state', 'TX'], { database: t.handle });
    expect(list.json().localities).toHaveLength(8);
    expect(list.json().localities).toContainEqual({ mac: '04412', state: 'TX', locality: '99', localityName: 'REST OF TEXAS', years: [2025, 2026] });

    const shown = await runCli(['rvu', 'locality'], { database: t.handle });
    expect(shown.stdout).toContain('Payment locality: MANHATTAN (NY, locality 01, contractor 13202).');

    const status = await runCli(['--json', 'rvu', 'status'], { database: t.handle });
    expect(status.json().years).toMatchObject([
      { year: 2025, rows: 84, conversionFactor: 32.3465, gpciLocalities: 109 },
      { year: 2026, rows: 8, conversionFactor: 33.4009, release: 'D', gpciLocalities: 3 },
    ]);
  });
});
