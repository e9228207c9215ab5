// Fictional patients and chart events for the recall tests, inserted with drizzle directly.
import { CodeSystem } from '../../src/codes/systems.js';
import type { Db } from '../../src/db/types.js';
import {
  appointments,
  communicationConsents,
  encounterDiagnoses,
  encounters,
  immunizations,
  observations,
  patients,
  practice,
  problems,
  procedures,
} from '../../src/db/schema/index.js';

let nextMrn = 1;

export async function addPractice(db: Db): Promise<void> {
  await db.insert(practice).values({
    legalName: 'Maple Street Family Clinic',
    tin: '123456789',
    billingNpi: '1234567893',
    address1: '100 Maple Street',
    city: 'Springfield',
    state: 'IL',
    zip: '62701',
    phone: '555-010-2000',
    timeZone: 'America/Chicago',
    isTestData: true,
  });
}

export interface PatientSpec {
  firstName?: string;
  lastName?: string;
  dob: string;
  sex?: 'female' | 'male';
  email?: string;
  phoneMobile?: string;
  phoneHome?: string;
  address?: boolean;
  preferredChannel?: 'email' | 'sms' | 'letter' | 'phone';
  deceasedDate?: string;
  active?: boolean;
}

export async function addPatient(db: Db, spec: PatientSpec): Promise<number> {
  const mrn = `T${String(nextMrn++).padStart(5, '0')}`;
  const [row] = await db
    .insert(patients)
    .values({
      mrn,
      firstName: spec.firstName ?? 'Testy',
      lastName: spec.lastName ?? `Patient${mrn}`,
      dob: spec.dob,
      sex: spec.sex ?? 'female',
      email: spec.email,
      phoneMobile: spec.phoneMobile,
      phoneHome: spec.phoneHome,
      ...(spec.address ? { address1: '12 Elm Road', city: 'Springfield', state: 'IL', zip: '62702' } : {}),
      preferredChannel: spec.preferredChannel,
      deceasedDate: spec.deceasedDate,
      active: spec.active ?? true,
      isTestData: true,
    })
    .returning({ id: patients.id });
  return row!.id;
}

export async function addVisit(db: Db, patientId: number, on: string, options: { cpt?: string; followUpWeeks?: number; icd10?: string } = {}): Promise<void> {
  const [enc] = await db
    .insert(encounters)
    .values({
      patientId,
      startsAt: new Date(`${on}T15:00:00Z`),
      typeSystem: options.cpt ? CodeSystem.cpt : null,
      typeCode: options.cpt ?? null,
      followUpWeeks: options.followUpWeeks,
    })
    .returning({ id: encounters.id });
  if (options.icd10) await db.insert(encounterDiagnoses).values({ encounterId: enc!.id, position: 1, codeSystem: CodeSystem.icd10cm, code: options.icd10 });
}

export async function addDiabetes(db: Db, patientId: number): Promise<void> {
  await db.insert(problems).values({ patientId, codeSystem: CodeSystem.icd10cm, code: 'E11.9', display: 'Type 2 diabetes' });
}

export async function addA1c(db: Db, patientId: number, on: string, value: string): Promise<void> {
  await db.insert(observations).values({
    patientId,
    category: 'laboratory',
    codeSystem: CodeSystem.loinc,
    code: '4548-4',
    valueNumeric: value,
    valueUnit: '%',
    effectiveAt: new Date(`${on}T15:00:00Z`),
  });
}

export async function addMammogram(db: Db, patientId: number, on: string): Promise<void> {
  await db.insert(procedures).values({ patientId, codeSystem: CodeSystem.cpt, code: '77067', performedStart: new Date(`${on}T15:00:00Z`) });
}

export async function addShot(db: Db, patientId: number, cvx: string, on: string): Promise<void> {
  await db.insert(immunizations).values({ patientId, cvxCode: cvx, occurrenceDate: on });
}

export async function optOut(db: Db, patientId: number, channel: 'email' | 'sms' | 'letter' | 'phone'): Promise<void> {
  await db.insert(communicationConsents).values({ patientId, channel, optedOut: true, optedOutAt: new Date() });
}

export async function addAppointment(db: Db, patientId: number, startsAt: string, options: { status?: string; recallRuleCode?: string; reason?: string } = {}): Promise<void> {
  await db.insert(appointments).values({ patientId, startsAt: new Date(startsAt), status: options.status ?? 'scheduled', recallRuleCode: options.recallRuleCode, reason: options.reason });
}
