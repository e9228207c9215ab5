// Seeds shared by the fault-injection tests.
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { expect } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { ndcProducts, patients } from '../../src/db/schema/index.js';
import { practiceTimeZone } from '../../src/practice/clock.js';
import { runCli } from '../helpers/cli.js';
import { addDiabetes, addPatient, addPractice } from '../recall/fixtures.js';
import { seedPractice } from '../claims/seed.js';

/** A patient with a daily metformin order whose dose is due now (a 12-hour window either side). */
export async function seedDoseDueNow(handle: PracticeDatabase): Promise<void> {
  await handle.db.insert(patients).values({ mrn: 'M100', firstName: 'Ada', lastName: 'Testpatient', dob: '1940-02-01', sex: 'female' });
  await handle.db.insert(ndcProducts).values({ ndc11: '00002751001', rxnormCode: '860975', display: 'metformin 500 mg tablet', route: 'PO' });
  const zone = await practiceTimeZone(handle.db);
  const now = DateTime.now().setZone(zone);
  const order = await runCli([
    'mar', 'order', 'M100', '--med', '860975', '--dose', '500', '--unit', 'mg', '--route', 'PO', '--schedule', `daily ${now.toFormat('HH:mm')}`,
    '--window', '12h', '--start', now.minus({ hours: 1 }).toFormat("yyyy-LL-dd'T'HH:mm"), '--name', 'metformin 500 mg',
  ], { database: handle });
  expect(order.code, order.stderr).toBe(0);
}


export const EMAILED = ['ann', 'ben', 'cat'];

/** Three diabetic adults reached by email, one by letter only (no email, a postal address). */
export async function seedRecalls(handle: PracticeDatabase): Promise<void> {
  await addPractice(handle.db);
  for (const name of EMAILED) await addDiabetes(handle.db, await addPatient(handle.db, { firstName: name, lastName: 'Kill', dob: '1970-06-01', email: `${name}@example.org` }));
  await addDiabetes(handle.db, await addPatient(handle.db, { firstName: 'dan', lastName: 'Kill', dob: '1970-06-01', address: true }));
  expect((await runCli(['recall', 'rules', 'add', '--defaults'], { database: handle })).code).toBe(0);
  expect((await runCli(['recall', 'refresh'], { database: handle })).code).toBe(0);
}

/** Two payments (two ST/SE) in one file: the first pays claim 1 with provider adjustments, the second denies claim 2. */
export function twoPayments(): string {
  const head = (st: string, bpr: string, trace: string) => [`ST*835*${st}`, bpr, `TRN*1*${trace}*1999999999`, 'N1*PR*EXAMPLE HEALTH PLAN', 'N1*PE*MAPLE FAMILY MEDICINE*XX*1234567893', 'LX*1'];
  const paid = [
    ...head('0001', 'BPR*I*112.50*C*CHK************20250205', 'CHK0001234'),
    'CLP*PKT-000001*1*185*120*25*12*EHP250204001*11*1', 'SVC*HC:99214*150*100**1', 'DTM*472*20250110', 'CAS*CO*45*30', 'CAS*PR*2*20', 'REF*6R*PKT-000001-1',
    'SVC*HC:83036*35*20**1', 'DTM*472*20250110', 'CAS*CO*45*10', 'CAS*PR*3*5', 'REF*6R*PKT-000001-2',
    'PLB*1234567893*20251231*L6:PKT-000001*-2.50*WO:EHP2024OVP123*10',
  ];
  const denied = [
    ...head('0002', 'BPR*H*0*C*NON************20250205', 'CHK0005678'),
    'CLP*PKT-000002*4*95*0*0*12*EHP250204002*11*1', 'SVC*HC:99213*95*0**1', 'DTM*472*20250112', 'CAS*CO*16*95', 'REF*6R*PKT-000002-1', 'LQ*HE*M76',
  ];
  const set = (segments: string[], st: string) => [...segments, `SE*${segments.length + 1}*${st}`];
  return [
    'ISA*00*          *00*          *ZZ*EXAMPLEPAYER   *ZZ*PRACTICEKIT    *250205*0900*^*00501*000000555*0*T*:',
    'GS*HP*EXAMPLEPAYER*PRACTICEKIT*20250205*0900*555*X*005010X221A1',
    ...set(paid, '0001'), ...set(denied, '0002'),
    'GE*2*555', 'IEA*1*000000555',
  ].map((s) => `${s}~\n`).join('');
}

/** The practice of fixtures/x12 with its two claims built and ready, numbered as twoPayments() names them. */
export async function seedBuiltClaims(handle: PracticeDatabase): Promise<void> {
  await seedPractice(handle.db);
  await handle.db.execute(sql`update payers set timely_filing_days = 36500`);
  expect((await runCli(['--json', 'claims', 'build'], { database: handle })).json()).toMatchObject({ claims: 2 });
  await handle.db.execute(sql`update claims c set patient_control_number = 'PKT-' || lpad(n.rn::text, 6, '0')
                              from (select id, row_number() over (order by id) as rn from claims) n where n.id = c.id`);
}
