// A few eMAR patients: the practice's infusion and observation chairs at the main office, where a
// nurse gives scheduled doses of each patient's own medication. Orders go through the same checks as
// "practice mar order"; the doses of the last days are recorded as given, with the odd refusal.
import { sql } from 'drizzle-orm';
import type { AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import type { Db } from '../db/types.js';
import { PracticeError } from '../errors.js';
import { recordDoseOutcome } from '../mar/administer.js';
import { createAdministrationOrder, materialiseDoses } from '../mar/orders.js';
import type { Calendar } from './calendar.js';
import { Random } from './random.js';

export interface MarDemoSummary {
  patients: number;
  orders: number;
  administrations: number;
}

const NURSES = ['RN Casey Example', 'RN Morgan Sample'];

export async function runMarPatients(db: Db, actor: AuditActor, cal: Calendar, options: { seed: number; patients?: number; locationCode: string; providerNpi: string }): Promise<MarDemoSummary> {
  const r = new Random(options.seed, 0x3a7);
  // Adults with an active oral medication and no allergy on record: candidates for the chair.
  const candidates = await queryRows<{ mrn: string; rxnorm: string; display: string; dose: string | null; unit: string | null }>(
    db,
    sql`select distinct on (p.id) p.mrn, m.rxnorm_code as rxnorm, m.display, m.dose::text as dose, m.dose_unit as unit
        from patients p join medications m on m.patient_id = p.id
        where p.is_test_data and p.active and p.deceased_date is null and m.status = 'active' and m.route = 'oral' and m.rxnorm_code is not null
          and m.dose is not null and not exists (select 1 from allergies a where a.patient_id = p.id)
        order by p.id, m.id limit ${options.patients ?? 4}`,
  );
  const summary: MarDemoSummary = { patients: 0, orders: 0, administrations: 0 };
  const now = cal.at(cal.today, 12 * 60);
  const start = cal.at(cal.today - 3, 0);
  const orderIds: number[] = [];
  for (const c of candidates) {
    try {
      const order = await createAdministrationOrder(db, actor, {
        mrn: c.mrn,
        medication: c.rxnorm,
        name: c.display,
        dose: Number(c.dose),
        unit: c.unit ?? 'mg',
        route: 'PO',
        schedule: 'BID 08:00,20:00',
        startsAt: start,
        locationCode: options.locationCode,
        orderedByNpi: options.providerNpi,
      });
      orderIds.push(order.order.id);
      summary.patients++;
      summary.orders++;
    } catch (error) {
      // A safety check that stops an order stops it here too: the demo just picks the next patient.
      if (!(error instanceof PracticeError)) throw error;
    }
  }
  if (orderIds.length === 0) return summary;
  await materialiseDoses(db, now);
  const doses = await queryRows<{ id: number; mrn: string; scheduled_at: Date }>(
    db,
    sql`select d.id, p.mrn, d.scheduled_at from scheduled_doses d join patients p on p.id = d.patient_id
        where d.order_id in (select unnest(${`{${orderIds.join(',')}}`}::int[])) and d.scheduled_at < ${now.toISOString()}::timestamptz order by d.scheduled_at, d.id`,
  );
  for (const dose of doses) {
    const refused = r.chance(0.06);
    await recordDoseOutcome(db, actor, {
      mrn: dose.mrn,
      doseId: dose.id,
      status: refused ? 'refused' : 'given',
      reason: refused ? 'Patient declined: nausea' : undefined,
      by: r.pick(NURSES),
      at: new Date(new Date(dose.scheduled_at).getTime() + r.int(0, 40) * 60_000),
    });
    summary.administrations++;
  }
  return summary;
}
