// A small, obviously fictional chart with a row in every table the FHIR export reads.
import * as s from '../../src/db/schema/index.js';
import { CodeSystem } from '../../src/codes/systems.js';
import type { Db } from '../../src/db/types.js';

export interface SeededChart {
  patientId: number;
  otherPatientId: number;
  providerId: number;
  mrn: string;
}

export async function seedChart(db: Db, mrn = 'FHIR-1001'): Promise<SeededChart> {
  const [practiceRow] = await db.select().from(s.practice).limit(1);
  if (!practiceRow) {
    await db.insert(s.practice).values({ legalName: 'Springfield Family Practice', tin: '123456789', billingNpi: '1234567893', address1: '742 Evergreen Terrace', city: 'Springfield', state: 'IL', zip: '62701' });
  }
  const [provider] = await db
    .insert(s.providers)
    .values({ npi: mrn === 'FHIR-1001' ? '1245319599' : '1679576722', firstName: 'Julius', lastName: 'Hibbert', credentials: 'MD' })
    .returning();
  const [payer] = await db.insert(s.payers).values({ name: 'Springfield Mutual', payerId: `SPM${mrn}` }).returning();
  const [patient] = await db
    .insert(s.patients)
    .values({ mrn, firstName: 'Homer', middleName: 'Jay', lastName: 'Simpson', dob: '1956-05-12', sex: 'male', race: '2106-3', ethnicity: 'Not Hispanic or Latino', address1: '742 Evergreen Terrace', city: 'Springfield', state: 'IL', zip: '62701', phoneHome: '217-555-0100', email: 'homer@example.org', language: 'en', searchName: 'simpson homer' })
    .returning();
  const [other] = await db.insert(s.patients).values({ mrn: `${mrn}-X`, firstName: 'Ned', lastName: 'Flanders', dob: '1960-01-01', sex: 'male', searchName: 'flanders ned' }).returning();
  const patientId = patient!.id;
  await db.insert(s.patientIdentifiers).values({ patientId, system: 'urn:example:old-ehr', value: `OLD-${mrn}` });
  await db.insert(s.emergencyContacts).values({ patientId, name: 'Marge Simpson', relationship: 'spouse', phone: '217-555-0101' });
  const [encounter] = await db
    .insert(s.encounters)
    .values({ patientId, providerId: provider!.id, startsAt: new Date('2026-03-02T14:00:00Z'), endsAt: new Date('2026-03-02T14:30:00Z'), durationMinutes: 30, typeSystem: CodeSystem.cpt, typeCode: '99213', reason: 'Follow-up of blood pressure' })
    .returning();
  const encounterId = encounter!.id;
  await db.insert(s.encounterDiagnoses).values([
    { encounterId, position: 1, codeSystem: CodeSystem.icd10cm, code: 'I10', display: 'Essential (primary) hypertension' },
    { encounterId, position: 2, codeSystem: CodeSystem.icd10cm, code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' },
  ]);
  await db.insert(s.problems).values([
    { patientId, codeSystem: CodeSystem.icd10cm, code: 'I10', display: 'Essential (primary) hypertension', onsetDate: '2019-04-01', recordedDate: '2019-04-01' },
    { patientId, codeSystem: CodeSystem.snomed, code: '44054006', display: 'Diabetes mellitus type 2', clinicalStatus: 'active' },
  ]);
  const at = new Date('2026-03-02T14:10:00Z');
  const [bp] = await db.insert(s.observations).values({ patientId, encounterId, category: 'vital-signs', codeSystem: CodeSystem.loinc, code: '85354-9', display: 'Blood pressure panel', effectiveAt: at }).returning();
  await db.insert(s.observations).values([
    { patientId, encounterId, panelId: bp!.id, category: 'vital-signs', codeSystem: CodeSystem.loinc, code: '8480-6', display: 'Systolic blood pressure', valueNumeric: '142', valueUnit: 'mmHg', effectiveAt: at },
    { patientId, encounterId, panelId: bp!.id, category: 'vital-signs', codeSystem: CodeSystem.loinc, code: '8462-4', display: 'Diastolic blood pressure', valueNumeric: '91', valueUnit: 'mmHg', effectiveAt: at },
    { patientId, encounterId, category: 'vital-signs', codeSystem: CodeSystem.loinc, code: '29463-7', display: 'Body weight', valueNumeric: '108.5', valueUnit: 'kg', effectiveAt: at },
    { patientId, encounterId, category: 'social-history', codeSystem: CodeSystem.loinc, code: '72166-2', display: 'Tobacco smoking status', valueCodeSystem: CodeSystem.snomed, valueCode: '8517006', valueText: 'Ex-smoker', effectiveAt: at },
  ]);
  const [labOrder] = await db
    .insert(s.orders)
    .values({ patientId, encounterId, providerId: provider!.id, kind: 'lab', codeSystem: CodeSystem.loinc, code: '4548-4', display: 'Hemoglobin A1c', status: 'completed', orderedAt: at })
    .returning();
  await db.insert(s.observations).values({ patientId, encounterId, orderId: labOrder!.id, category: 'laboratory', codeSystem: CodeSystem.loinc, code: '4548-4', display: 'Hemoglobin A1c', valueNumeric: '7.9', valueUnit: '%', referenceHigh: '5.6', interpretation: 'H', effectiveAt: new Date('2026-03-03T09:00:00Z'), issuedAt: new Date('2026-03-03T12:00:00Z') });
  await db.insert(s.medications).values([
    { patientId, encounterId, prescriberId: provider!.id, rxnormCode: '314076', display: 'lisinopril 10 MG Oral Tablet', dose: '1', doseUnit: 'tablet', route: 'oral', frequency: 'once daily', startDate: '2026-03-02', quantity: '30', refills: 3 },
    { patientId, rxnormCode: '860975', display: 'metformin 500 MG Oral Tablet', kind: 'statement', startDate: '2020-01-01' },
  ]);
  await db.insert(s.allergies).values({ patientId, substance: 'Penicillin', codeSystem: CodeSystem.rxnorm, code: '70618', reaction: 'Hives', severity: 'moderate', criticality: 'high' });
  await db.insert(s.immunizations).values({ patientId, encounterId, performerId: provider!.id, cvxCode: '141', display: 'Influenza, seasonal, injectable', occurrenceDate: '2025-10-15', lotNumber: 'FLU123' });
  await db.insert(s.procedures).values({ patientId, encounterId, providerId: provider!.id, codeSystem: CodeSystem.cpt, code: '93000', performedStart: at });
  await db.insert(s.imagingReports).values({ patientId, modality: 'DX', bodySite: 'chest', codeSystem: CodeSystem.loinc, code: '36643-5', display: 'XR Chest 2 Views', studyDate: '2026-02-20', findings: 'Clear lungs.', impression: 'No acute disease.' });
  await db.insert(s.progressNotes).values({ patientId, encounterId, authorId: provider!.id, noteDate: '2026-03-02', subjective: 'Feels well.', objective: 'BP 142/91.', assessment: 'Hypertension, not at goal.', plan: 'Start lisinopril.', signedAt: new Date('2026-03-02T15:00:00Z') });
  const [plan] = await db.insert(s.carePlans).values({ patientId, encounterId, authorId: provider!.id, title: 'Hypertension plan', description: 'Lower blood pressure below 130/80 <by summer>.', periodStart: '2026-03-02' }).returning();
  await db.insert(s.goals).values({ patientId, carePlanId: plan!.id, description: 'Systolic blood pressure below 130', codeSystem: CodeSystem.loinc, code: '8480-6', targetValue: '130', targetUnit: 'mmHg', dueDate: '2026-09-01' });
  await db.insert(s.orders).values({ patientId, encounterId, providerId: provider!.id, kind: 'imaging', codeSystem: CodeSystem.loinc, code: '24627-2', display: 'Chest CT', orderedAt: at, reason: 'Cough' });
  const [auth] = await db.insert(s.priorAuthorizations).values({ patientId, authNumber: 'PA-778899', status: 'approved' }).returning();
  await db.insert(s.referrals).values({ patientId, encounterId, fromProviderId: provider!.id, toName: 'Dr. Nick Riviera', toNpi: '1104025329', specialty: 'Cardiology', reason: 'Resistant hypertension', reasonSystem: CodeSystem.icd10cm, reasonCode: 'I10', status: 'sent', sentAt: at, priorAuthorizationId: auth!.id, followUpDate: '2026-04-01' });
  await db.insert(s.coverages).values({ patientId, payerId: payer!.id, memberId: 'M123456', groupNumber: 'G-42', planName: 'Gold PPO' });
  // The other patient's rows must never leak into this patient's bundle.
  await db.insert(s.problems).values({ patientId: other!.id, codeSystem: CodeSystem.icd10cm, code: 'J45.909' });
  return { patientId, otherPatientId: other!.id, providerId: provider!.id, mrn };
}
