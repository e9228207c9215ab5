// Seeds shared by the fault-injection tests.
import { DateTime } from 'luxon';
import { expect } from 'vitest';
import type { PracticeDatabase } from '../../src/db/client.js';
import { ndcProducts, patients } from '../../src/db/schema/index.js';
import { practiceTimeZone } from '../../src/practice/clock.js';
import { runCli } from '../helpers/cli.js';

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

