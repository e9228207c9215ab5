// The made-up practice of fixtures/x12 (Maple Family Medicine), as database rows: two
// visits, one for a patient who is the subscriber and one for a dependent child.
import { CodeSystem } from '../../src/codes/systems.js';
import {
  charges, clearinghouses, coverages, encounterDiagnoses, encounters, patients, payers, practice, providers,
} from '../../src/db/schema/index.js';
import type { Db } from '../../src/db/types.js';

/** 2025-01-15 14:30 in Springfield, Illinois: the fixture's ISA09/ISA10. */
export const EXPORT_TIME = new Date('2025-01-15T20:30:00Z');
export const fixtures = new URL('../../fixtures/x12/', import.meta.url);

export async function seedPractice(db: Db): Promise<{ payerId: number; janeId: number; emmaId: number }> {
  await db.insert(practice).values({
    legalName: 'Maple Family Medicine', tin: '123456789', billingNpi: '1234567893', taxonomyCode: '207Q00000X',
    address1: '100 Maple Ave', city: 'Springfield', state: 'IL', zip: '62701-0001', phone: '555-555-0100', timeZone: 'America/Chicago',
  });
  await db.insert(clearinghouses).values({
    name: 'Example Clearinghouse', senderId: 'PRACTICEKIT', receiverId: 'CLEARHOUSE01', submitterName: 'Maple Family Medicine',
    submitterContactName: 'Billing Office', submitterContactPhone: '555-555-0100', receiverName: 'Example Clearinghouse', usageIndicator: 'T', isDefault: true,
  });
  const [payer] = await db.insert(payers).values({ name: 'Example Health Plan', payerId: '99999', claimFilingIndicator: 'CI', timelyFilingDays: 365 }).returning();
  const [rivera] = await db.insert(providers).values({ npi: '1999999992', firstName: 'Ana', lastName: 'Rivera', taxonomyCode: '207Q00000X' }).returning();
  const [jane, emma] = await db
    .insert(patients)
    .values([
      { mrn: 'M1', firstName: 'Jane', middleName: 'A', lastName: 'Doe', dob: '1980-02-14', sex: 'female', address1: '12 Oak St', city: 'Springfield', state: 'IL', zip: '62702' },
      { mrn: 'M2', firstName: 'Emma', lastName: 'Smith', dob: '2015-06-01', sex: 'female', address1: '45 Elm St', city: 'Springfield', state: 'IL', zip: '62704' },
    ])
    .returning();
  await db.insert(coverages).values([
    { patientId: jane!.id, payerId: payer!.id, memberId: 'ABC123456789', groupNumber: 'GRP1001', relationship: '18' },
    { patientId: emma!.id, payerId: payer!.id, memberId: 'XYZ987654321', groupNumber: 'GRP2002', relationship: '19', subscriberFirstName: 'John', subscriberLastName: 'Smith' },
  ]);
  const [visit1, visit2] = await db
    .insert(encounters)
    .values([
      { patientId: jane!.id, providerId: rivera!.id, startsAt: new Date('2025-01-10T15:00:00Z') },
      // No rendering provider: the billing provider rendered it, so the fixture has no 2310B here.
      { patientId: emma!.id, startsAt: new Date('2025-01-12T15:00:00Z') },
    ])
    .returning();
  await db.insert(encounterDiagnoses).values([
    { encounterId: visit1!.id, position: 1, codeSystem: CodeSystem.icd10cm, code: 'E11.9' },
    { encounterId: visit1!.id, position: 2, codeSystem: CodeSystem.icd10cm, code: 'I10' },
    { encounterId: visit2!.id, position: 1, codeSystem: CodeSystem.icd10cm, code: 'J06.9' },
  ]);
  await db.insert(charges).values([
    { patientId: jane!.id, encounterId: visit1!.id, serviceDate: '2025-01-10', codeSystem: CodeSystem.cpt, code: '99214', amountCents: 15000, diagnosisPointers: [1, 2], placeOfService: '11' },
    { patientId: jane!.id, encounterId: visit1!.id, serviceDate: '2025-01-10', codeSystem: CodeSystem.cpt, code: '83036', amountCents: 3500, diagnosisPointers: [1], placeOfService: '11' },
    { patientId: emma!.id, encounterId: visit2!.id, serviceDate: '2025-01-12', codeSystem: CodeSystem.cpt, code: '99213', amountCents: 9500, diagnosisPointers: [1], placeOfService: '11' },
  ]);
  return { payerId: payer!.id, janeId: jane!.id, emmaId: emma!.id };
}
