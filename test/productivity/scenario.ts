// A small fictional practice whose RVU totals are worked out by hand in the tests:
// two providers, an office (POS 11) and a hospital outpatient department (POS 22), charges across the
// 2025/2026 year boundary with modifiers 26/TC/50/51, units, a code without RVUs and a void charge;
// visits, appointments, payments, adjustments, claims of different ages, a denial, recalls and reminders.
import {
  adjustments,
  appointments,
  charges,
  claims,
  coverages,
  denials,
  encounters,
  locations,
  patients,
  payers,
  payments,
  practice,
  providers,
  recallRules,
  recalls,
  reminderLog,
} from '../../src/db/schema/index.js';
import { CodeSystem } from '../../src/codes/systems.js';
import type { Db } from '../../src/db/types.js';

export const NPI_A = '1234567893';
export const NPI_B = '1245319599';
export const PRACTICE_NAME = 'Maple Street Family Medicine (test)';

export async function seedScenario(db: Db): Promise<{ providerA: number; providerB: number; office: number; hospital: number }> {
  await db.insert(practice).values({ legalName: PRACTICE_NAME, tin: '123456789', billingNpi: '1234567893', timeZone: 'America/New_York', isTestData: true });
  const [office, hospital] = await db
    .insert(locations)
    .values([
      { code: 'MAIN', name: 'Main Street office', placeOfService: '11' },
      // A formula-looking name: CSV output must neutralise it.
      { code: 'HOPD', name: '=HOSPITAL OUTPATIENT', placeOfService: '22' },
    ])
    .returning({ id: locations.id });
  const [a, b] = await db
    .insert(providers)
    .values([
      { npi: NPI_A, firstName: 'Ada', lastName: 'Alvarez', credentials: 'MD', isTestData: true },
      { npi: NPI_B, firstName: 'Ben', lastName: 'Brooks', credentials: 'DO', isTestData: true },
    ])
    .returning({ id: providers.id });
  const pats = await db
    .insert(patients)
    .values(['P1', 'P2', 'P3'].map((mrn) => ({ mrn, firstName: 'Test', lastName: `Patient ${mrn}`, dob: '1970-01-01', isTestData: true })))
    .returning({ id: patients.id });
  const [p1, p2, p3] = pats.map((p) => p.id) as [number, number, number];
  const A = a!.id;
  const B = b!.id;
  const OFFICE = office!.id;
  const HOSPITAL = hospital!.id;
  const cpt = CodeSystem.cpt;

  const charge = (providerId: number, locationId: number, patientId: number, serviceDate: string, code: string, amountCents: number, extra: Partial<typeof charges.$inferInsert> = {}) => ({
    patientId, providerId, locationId, serviceDate, codeSystem: code.startsWith('G') ? CodeSystem.hcpcs : cpt, code, amountCents, ...extra,
  });
  await db.insert(charges).values([
    // January 2026 (RVU year 2026), provider A.
    charge(A, OFFICE, p1, '2026-01-01', '99213', 10000),
    charge(A, OFFICE, p1, '2026-01-05', '20610', 15000, { modifiers: ['50'] }),
    charge(A, OFFICE, p2, '2026-01-05', '20610', 15000, { modifiers: ['51'], units: 3 }),
    charge(A, OFFICE, p2, '2026-01-06', '71046', 5000, { modifiers: ['26'], placeOfService: '22' }),
    charge(A, OFFICE, p2, '2026-01-06', '36415', 2000),
    charge(A, OFFICE, p1, '2026-01-07', 'G0439', 12000),
    charge(A, OFFICE, p1, '2026-01-08', '99214', 9000, { status: 'void' }),
    // January 2026, provider B.
    charge(B, HOSPITAL, p3, '2026-01-12', '99214', 15000),
    charge(B, OFFICE, p3, '2026-01-12', '71046', 6000, { modifiers: ['TC'] }),
    // December 2025 (RVU year 2025): the last day of the year still uses 2025.
    charge(A, OFFICE, p1, '2025-12-10', '99213', 10000),
    charge(A, OFFICE, p2, '2025-12-31', '99213', 10000),
    charge(B, HOSPITAL, p3, '2025-12-15', '99203', 14000),
    // January 2025: the same month last year.
    charge(A, OFFICE, p1, '2025-01-20', '99214', 15000),
  ]);

  const at = (iso: string, minutes?: number) => ({ startsAt: new Date(iso), ...(minutes === undefined ? {} : { durationMinutes: minutes }) });
  await db.insert(encounters).values([
    { patientId: p1, providerId: A, locationId: OFFICE, ...at('2026-01-01T15:00:00Z', 20), isNewPatient: true },
    { patientId: p2, providerId: A, locationId: OFFICE, ...at('2026-01-05T15:00:00Z', 30) },
    { patientId: p2, providerId: A, locationId: OFFICE, ...at('2026-01-06T15:00:00Z', 25) },
    { patientId: p1, providerId: A, locationId: OFFICE, ...at('2026-01-07T15:00:00Z', 45), status: 'cancelled' },
    // 22:00 on 31 January in New York is already February in UTC: still a January visit.
    { patientId: p3, providerId: B, locationId: HOSPITAL, startsAt: new Date('2026-02-01T03:00:00Z'), endsAt: new Date('2026-02-01T03:40:00Z') },
    { patientId: p1, providerId: A, locationId: OFFICE, ...at('2025-12-10T15:00:00Z', 15) },
  ]);
  const appt = (providerId: number, patientId: number, iso: string, status: string) => ({ providerId, patientId, startsAt: new Date(iso), status });
  await db.insert(appointments).values([
    appt(A, p1, '2026-01-01T15:00:00Z', 'kept'),
    appt(A, p2, '2026-01-05T15:00:00Z', 'kept'),
    appt(A, p2, '2026-01-06T15:00:00Z', 'kept'),
    appt(A, p1, '2026-01-20T15:00:00Z', 'no-show'),
    appt(A, p1, '2026-01-21T15:00:00Z', 'cancelled'),
    appt(B, p3, '2026-01-12T15:00:00Z', 'kept'),
  ]);

  const [payer] = await db.insert(payers).values({ name: 'Test Health Plan', payerId: 'TEST1' }).returning({ id: payers.id });
  const coverage = await db
    .insert(coverages)
    .values([p1, p2, p3].map((patientId) => ({ patientId, payerId: payer!.id, memberId: `M${patientId}` })))
    .returning({ id: coverages.id });
  const claim = (pcn: string, patientId: number, coverageId: number, providerId: number, from: string, exportedAt: string, totalCents: number, status: string, money: Partial<typeof claims.$inferInsert> = {}) => ({
    patientControlNumber: pcn, patientId, coverageId, payerId: payer!.id, renderingProviderId: providerId, locationId: OFFICE,
    serviceDateFrom: from, serviceDateTo: from, exportedAt: new Date(exportedAt), totalCents, status, ...money,
  });
  const [c1, c2] = await db
    .insert(claims)
    .values([
      claim('PCN1', p1, coverage[0]!.id, A, '2026-01-05', '2026-01-06T12:00:00Z', 59000, 'partial', { paidCents: 5000, adjustedCents: 2000, patientResponsibilityCents: 500 }),
      claim('PCN2', p2, coverage[1]!.id, A, '2025-09-15', '2025-09-20T12:00:00Z', 10000, 'denied'),
      claim('PCN3', p3, coverage[2]!.id, B, '2025-12-01', '2025-12-02T12:00:00Z', 8000, 'accepted'),
    ])
    .returning({ id: claims.id });
  await db.insert(payments).values([
    { claimId: c1!.id, payerId: payer!.id, patientId: p1, source: 'payer', amountCents: 5000, paidOn: '2026-01-20' },
    { patientId: p2, source: 'patient', amountCents: 1000, paidOn: '2026-01-22' },
  ]);
  await db.insert(adjustments).values([
    { claimId: c1!.id, groupCode: 'CO', reasonCode: '45', amountCents: 2000, adjustedOn: '2026-01-20' },
    { claimId: c1!.id, groupCode: 'PR', reasonCode: '1', amountCents: 500, adjustedOn: '2026-01-20' },
  ]);
  await db.insert(denials).values({ claimId: c2!.id, groupCode: 'CO', carcCode: '50', amountCents: 10000, deniedOn: '2026-01-10' });

  const [rule] = await db.insert(recallRules).values({ code: 'ANNUAL', name: 'Annual visit', definition: {} }).returning({ id: recallRules.id });
  const [r1] = await db
    .insert(recalls)
    .values([
      { patientId: p1, ruleId: rule!.id, dueDate: '2026-01-15', createdAt: new Date('2026-01-03T15:00:00Z') },
      { patientId: p2, ruleId: rule!.id, dueDate: '2026-03-01', status: 'closed', closedAt: new Date('2026-01-25T15:00:00Z'), createdAt: new Date('2025-11-03T15:00:00Z') },
    ])
    .returning({ id: recalls.id });
  await db.insert(reminderLog).values([
    { recallId: r1!.id, patientId: p1, channel: 'email', idempotencyKey: 'k1', status: 'sent', createdAt: new Date('2026-01-04T15:00:00Z') },
    { recallId: r1!.id, patientId: p1, channel: 'email', idempotencyKey: 'k2', status: 'sent', createdAt: new Date('2026-01-18T15:00:00Z') },
    { recallId: r1!.id, patientId: p1, channel: 'sms', idempotencyKey: 'k3', status: 'failed', createdAt: new Date('2026-01-18T15:00:00Z') },
  ]);
  return { providerA: A, providerB: B, office: OFFICE, hospital: HOSPITAL };
}
