// The high-volume resource types built in SQL, one row -> one resource's JSON text (json-sql.ts), so a
// bulk export only joins lines: Observation, Encounter, Condition, Patient, Coverage, Immunization,
// MedicationRequest and Procedure. These are the only mappings of those types: a patient bundle parses
// the same text. The smaller types whose rules are awkward in SQL (base64 notes, XHTML narratives) stay
// on the JS mappers in resources.ts.
import { getTableName, sql, type SQL } from 'drizzle-orm';
import { alias, type PgTable } from 'drizzle-orm/pg-core';
import { CodeSystem } from '../codes/systems.js';
import * as s from '../db/schema/index.js';
import { ENCOUNTER_CLASS_SYSTEM } from '../records/encounter.js';
import { LANGUAGE_TAG, SEX_SNOMED } from '../records/patient.js';
import { FHIR_APPOINTMENT_STATUSES } from '../records/appointment.js';
import { FHIR_RELATIONSHIP_OF_X12 } from '../records/coverage.js';
import { idPrefix } from './ids.js';
import {
  arr,
  concept,
  decimal,
  filled,
  idOf,
  iso,
  joined,
  listOf,
  lit,
  lookup,
  obj,
  present,
  quantity,
  refTo,
  rowsOf,
  someOf,
  when,
  firstOf,
  Json,
  type Expr,
  type Value,
} from './json-sql.js';
import { BLOOD_PRESSURE_PANEL, ombEthnicity, ombRace, Profile, SMOKING_STATUS_LOINC, System, vitalSignProfiles } from './terminology.js';

const DATA_ABSENT_REASON = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';
const meta = (...profile: Value[]) => obj({ profile: arr(...profile) });
const patientRef = (id: Expr) => refTo('Patient', idPrefix.patient, id);
const encounterRef = (id: Expr) => refTo('Encounter', idPrefix.encounter, id);
const practitionerRef = (id: Expr) => refTo('Practitioner', idPrefix.provider, id);
const coding = (system: Value, code: Value, display?: Value) => obj({ coding: arr(obj({ system, code, display })) });
const textOf = (text: Expr) => when(filled(text), obj({ text }));
const quantityOf = (amount: Expr, unit: Expr) => quantity(amount, unit, System.ucum);
const is = (column: Expr, constant: string) => sql`(${column} = ${lit(constant)})`;
const anyOfCodes = (column: Expr, codes: string[]) => sql`(${column} in (${sql.join(codes.map((c) => lit(c)), sql`, `)}))`;

/** What a built resource needs besides its table: the rows it is read from (joins) and the JSON. */
export interface SqlResource {
  /** The FROM list; the source table under its own name, anything joined under an alias. */
  from: SQL;
  json: Json;
}

/** A table under another name (a join, or the same table inside its own rows' subquery): its columns, and its FROM item. */
function aliased<T extends PgTable, N extends string>(table: T, name: N) {
  return { columns: alias(table, name), from: sql`${sql.identifier(getTableName(table))} ${sql.identifier(name)}` };
}

// Observations --------------------------------------------------------------------------------------

/** The observations table, or an alias of it (a panel's components). */
type ObservationColumns = Record<'valueNumeric' | 'valueUnit' | 'valueCode' | 'valueCodeSystem' | 'valueText', Expr>;

/** The value keys in FHIR's order: a number with its unit, else a coded value, else text. */
function observationValue(t: ObservationColumns): Record<string, Value | undefined> {
  const numeric = present(t.valueNumeric);
  const coded = sql`coalesce(${filled(t.valueCode)}, false)`;
  return {
    valueQuantity: quantityOf(t.valueNumeric, t.valueUnit),
    valueCodeableConcept: when(sql`not ${numeric} and ${coded}`, concept(t.valueCodeSystem, t.valueCode, undefined, t.valueText)),
    valueString: when(sql`not ${numeric} and not ${coded}`, t.valueText),
  };
}

function observationProfiles(t: typeof s.observations): Json {
  const loinc = is(t.codeSystem, CodeSystem.loinc);
  const specific = lookup(vitalSignProfiles, t.code);
  return Json.of(sql`case
    when ${is(t.category, 'vital-signs')} then case when ${loinc} and ${specific} is not null then ${arr(Profile.vitalSigns, specific).text()} else ${arr(Profile.vitalSigns).text()} end
    when ${is(t.category, 'laboratory')} then ${arr(Profile.lab).text()}
    when ${is(t.category, 'social-history')} then case when ${loinc} and ${anyOfCodes(t.code, SMOKING_STATUS_LOINC)} then ${arr(Profile.smokingStatus).text()} else ${arr(Profile.socialHistory).text()} end
    else ${arr(Profile.clinicalResult).text()} end`, false);
}

/** An observation row; a panel (such as a blood pressure, 85354-9) carries its rows as components. */
export function observationResource(): SqlResource {
  const t = s.observations;
  const { columns: c, from: cFrom } = aliased(s.observations, 'component');
  const bloodPressure = sql`(${is(t.codeSystem, CodeSystem.loinc)} and ${is(t.code, BLOOD_PRESSURE_PANEL)})`;
  const value = Object.fromEntries(Object.entries(observationValue(t)).map(([key, v]) => [key, when(sql`not ${bloodPressure}`, v!)]));
  return {
    from: sql`${t}`,
    json: obj({
      resourceType: 'Observation',
      id: idOf(idPrefix.observation, t.id),
      meta: obj({ profile: observationProfiles(t) }),
      status: t.status,
      category: arr(coding(System.observationCategory, t.category)),
      code: concept(t.codeSystem, t.code, t.display),
      subject: patientRef(t.patientId),
      encounter: encounterRef(t.encounterId),
      basedOn: when(present(t.orderId), arr(refTo('ServiceRequest', idPrefix.order, t.orderId))),
      effectiveDateTime: iso(t.effectiveAt),
      issued: iso(t.issuedAt),
      ...value,
      interpretation: when(filled(t.interpretation), arr(coding(System.interpretation, t.interpretation))),
      referenceRange: when(
        sql`(${present(t.referenceLow)} or ${present(t.referenceHigh)} or coalesce(${filled(t.referenceText)}, false))`,
        arr(obj({ low: quantityOf(t.referenceLow, t.valueUnit), high: quantityOf(t.referenceHigh, t.valueUnit), text: t.referenceText })),
      ),
      component: rowsOf(obj({ code: concept(c.codeSystem, c.code, c.display), ...observationValue(c) }), sql`${cFrom} where ${c.panelId} = ${t.id}`, sql`${c.id}`),
    }),
  };
}

// Encounters and conditions ---------------------------------------------------------------------------

export function encounterResource(): SqlResource {
  const t = s.encounters;
  const { columns: d, from: dFrom } = aliased(s.encounterDiagnoses, 'diagnosis');
  return {
    from: sql`${t}`,
    json: obj({
      resourceType: 'Encounter',
      id: idOf(idPrefix.encounter, t.id),
      meta: meta(Profile.encounter),
      status: t.status,
      class: obj({ system: ENCOUNTER_CLASS_SYSTEM, code: t.encounterClass }),
      type: arr(firstOf(concept(t.typeSystem, t.typeCode, t.typeDisplay), obj({ text: 'Office visit' }))),
      subject: patientRef(t.patientId),
      participant: when(present(t.providerId), arr(obj({ individual: practitionerRef(t.providerId) }))),
      period: obj({ start: iso(t.startsAt), end: iso(t.endsAt) }),
      length: when(present(t.durationMinutes), obj({ value: t.durationMinutes, unit: 'min', system: System.ucum, code: 'min' })),
      reasonCode: when(sql`(${filled(t.reason)} or ${filled(t.reasonCode)})`, arr(concept(t.reasonSystem, t.reasonCode, undefined, t.reason))),
      diagnosis: rowsOf(obj({ condition: refTo('Condition', idPrefix.encounterDiagnosis, d.id), rank: d.position }), sql`${dFrom} where ${d.encounterId} = ${t.id}`, sql`${d.position}`),
    }),
  };
}

export function problemCondition(): SqlResource {
  const t = s.problems;
  return {
    from: sql`${t}`,
    json: obj({
      resourceType: 'Condition',
      id: idOf(idPrefix.problem, t.id),
      meta: meta(when(is(t.category, 'encounter-diagnosis'), Profile.conditionEncounterDiagnosis, Profile.conditionProblem)),
      // FHIR con-5: no clinical status on an entry marked entered in error.
      clinicalStatus: when(sql`not ${is(t.verificationStatus, 'entered-in-error')}`, coding(System.conditionClinical, t.clinicalStatus)),
      verificationStatus: coding(System.conditionVerification, t.verificationStatus),
      category: arr(coding(when(is(t.category, 'health-concern'), System.usCoreCategory, System.conditionCategory), t.category)),
      code: concept(t.codeSystem, t.code, t.display),
      subject: patientRef(t.patientId),
      encounter: encounterRef(t.encounterId),
      onsetDateTime: t.onsetDate,
      abatementDateTime: t.abatementDate,
      recordedDate: t.recordedDate,
      note: when(filled(t.note), arr(obj({ text: t.note }))),
    }),
  };
}

/**
 * A coded visit diagnosis (claim order): an encounter-diagnosis Condition the Encounter ranks. It is
 * what the clinician assessed at the visit, so it is active from the visit's start (QI-Core readers
 * take its prevalence from clinicalStatus and onset; without them it has no time span at all), and
 * recorded then. A diagnosis of a visit entered in error is entered in error too; one of a visit that
 * has not finished is only provisional (quality measures count finished visits' diagnoses).
 */
export function encounterDiagnosisCondition(): SqlResource {
  const t = s.encounterDiagnoses;
  const { columns: visit, from: visitFrom } = aliased(s.encounters, 'visit');
  const verification = sql`case when ${is(visit.status, 'finished')} then 'confirmed' when ${is(visit.status, 'entered-in-error')} then 'entered-in-error' else 'provisional' end`;
  return {
    from: sql`${t} join ${visitFrom} on ${visit.id} = ${t.encounterId}`,
    json: obj({
      resourceType: 'Condition',
      id: idOf(idPrefix.encounterDiagnosis, t.id),
      meta: meta(Profile.conditionEncounterDiagnosis),
      clinicalStatus: when(sql`not ${is(visit.status, 'entered-in-error')}`, coding(System.conditionClinical, 'active')),
      verificationStatus: coding(System.conditionVerification, verification),
      category: arr(coding(System.conditionCategory, 'encounter-diagnosis', 'Encounter Diagnosis')),
      code: concept(t.codeSystem, t.code, t.display),
      subject: patientRef(visit.patientId),
      encounter: encounterRef(t.encounterId),
      onsetDateTime: iso(visit.startsAt),
      recordedDate: iso(visit.startsAt),
    }),
  };
}

// Medications, immunizations, procedures ----------------------------------------------------------------

export function medicationRequestResource(): SqlResource {
  const t = s.medications;
  const statement = is(t.kind, 'statement');
  return {
    from: sql`${t}`,
    json: obj({
      resourceType: 'MedicationRequest',
      id: idOf(idPrefix.medication, t.id),
      meta: meta(Profile.medicationRequest),
      status: t.status,
      statusReason: textOf(t.statusNote),
      // A medication the patient reports is recorded as a plan, not an order we placed (US Core guidance);
      // a request keeps the intent it was written with (only the order family is an order to QI-Core).
      intent: when(statement, 'plan', t.intent),
      reportedBoolean: when(statement, true),
      medicationCodeableConcept: obj({
        coding: listOf(
          when(filled(t.rxnormCode), obj({ system: CodeSystem.rxnorm, code: t.rxnormCode, display: t.display })),
          when(filled(t.ndcCode), obj({ system: CodeSystem.ndc, code: t.ndcCode, display: t.display })),
        ),
        text: t.display,
      }),
      subject: patientRef(t.patientId),
      encounter: encounterRef(t.encounterId),
      authoredOn: t.startDate,
      // US Core needs a requester: for a reported medication, the patient who reported it; when the
      // prescriber was not recorded (imported history), the standard "unknown" data-absent reason.
      requester: firstOf(practitionerRef(t.prescriberId), when(statement, patientRef(t.patientId), obj({ extension: arr(obj({ url: DATA_ABSENT_REASON, valueCode: 'unknown' })) }))),
      dosageInstruction: when(
        sql`(${present(t.dose)} or ${filled(t.route)} or ${filled(t.frequency)})`,
        arr(obj({ text: t.frequency, route: textOf(t.route), doseAndRate: when(present(t.dose), arr(obj({ doseQuantity: quantityOf(t.dose, t.doseUnit) }))) })),
      ),
      dispenseRequest: when(
        sql`(${present(t.quantity)} or ${present(t.refills)} or ${present(t.startDate)} or ${present(t.stopDate)})`,
        obj({
          numberOfRepeatsAllowed: t.refills,
          quantity: when(present(t.quantity), obj({ value: decimal(t.quantity) })),
          validityPeriod: when(sql`(${present(t.startDate)} or ${present(t.stopDate)})`, obj({ start: t.startDate, end: t.stopDate })),
        }),
      ),
    }),
  };
}

export function immunizationResource(): SqlResource {
  const t = s.immunizations;
  return {
    from: sql`${t}`,
    json: obj({
      resourceType: 'Immunization',
      id: idOf(idPrefix.immunization, t.id),
      meta: meta(Profile.immunization),
      status: t.status,
      statusReason: concept(t.statusReasonSystem, t.statusReasonCode),
      vaccineCode: concept(CodeSystem.cvx, t.cvxCode, t.display),
      patient: patientRef(t.patientId),
      encounter: encounterRef(t.encounterId),
      occurrenceDateTime: t.occurrenceDate,
      primarySource: t.primarySource,
      manufacturer: when(filled(t.manufacturer), obj({ display: t.manufacturer })),
      lotNumber: t.lotNumber,
      expirationDate: t.expirationDate,
      site: textOf(t.site),
      route: textOf(t.route),
      doseQuantity: quantityOf(t.doseQuantity, t.doseUnit),
      performer: when(present(t.performerId), arr(obj({ actor: practitionerRef(t.performerId) }))),
    }),
  };
}

export function procedureResource(): SqlResource {
  const t = s.procedures;
  return {
    from: sql`${t}`,
    json: obj({
      resourceType: 'Procedure',
      id: idOf(idPrefix.procedure, t.id),
      meta: meta(Profile.procedure),
      status: t.status,
      code: concept(t.codeSystem, t.code, t.display),
      subject: patientRef(t.patientId),
      encounter: encounterRef(t.encounterId),
      performedPeriod: when(present(t.performedStart), obj({ start: iso(t.performedStart), end: iso(t.performedEnd) })),
      performer: when(present(t.providerId), arr(obj({ actor: practitionerRef(t.providerId) }))),
      bodySite: when(filled(t.bodySite), arr(obj({ text: t.bodySite }))),
      reasonCode: when(filled(t.reasonCode), arr(concept(t.reasonSystem, t.reasonCode))),
    }),
  };
}

// Coverage ----------------------------------------------------------------------------------------------


export function coverageResource(): SqlResource {
  const t = s.coverages;
  return {
    from: sql`${t}`,
    json: obj({
      resourceType: 'Coverage',
      id: idOf(idPrefix.coverage, t.id),
      meta: meta(Profile.coverage),
      identifier: arr(obj({ type: coding(System.identifierType, 'MB'), value: t.memberId })),
      status: when(t.active, 'active', 'cancelled'),
      subscriberId: t.memberId,
      beneficiary: patientRef(t.patientId),
      relationship: obj({ coding: arr(obj({ system: System.subscriberRelationship, code: sql`coalesce(${lookup(FHIR_RELATIONSHIP_OF_X12, t.relationship)}, 'other')` })), text: t.relationship }),
      period: when(sql`(${present(t.effectiveFrom)} or ${present(t.effectiveTo)})`, obj({ start: t.effectiveFrom, end: t.effectiveTo })),
      payor: arr(refTo('Organization', idPrefix.payer, t.payerId)),
      class: when(filled(t.groupNumber), arr(obj({ type: coding(System.coverageClass, 'group'), value: t.groupNumber, name: t.planName }))),
      order: t.priority,
    }),
  };
}

// Appointments ------------------------------------------------------------------------------------------

export function appointmentResource(): SqlResource {
  const t = s.appointments;
  return {
    from: sql`${t}`,
    json: obj({
      resourceType: 'Appointment',
      id: idOf(idPrefix.appointment, t.id),
      status: lookup(FHIR_APPOINTMENT_STATUSES, t.status),
      cancelationReason: when(filled(t.cancelReason), obj({ text: t.cancelReason })),
      reasonCode: when(filled(t.reason), arr(obj({ text: t.reason }))),
      start: iso(t.startsAt),
      end: iso(sql`(${t.startsAt} + make_interval(mins => ${t.durationMinutes}))`),
      minutesDuration: t.durationMinutes,
      participant: listOf(obj({ actor: patientRef(t.patientId), status: 'accepted' }), when(present(t.providerId), obj({ actor: practitionerRef(t.providerId), status: 'accepted' }))),
    }),
  };
}

// Patients ----------------------------------------------------------------------------------------------
// What a patient's fields mean in FHIR (the sex extension's codes, the language's form) is the patient
// declaration's (src/records/patient.ts), which the FHIR import reads too.

/**
 * A US Core race or ethnicity extension from what is stored: an OMB code, or a category's name in any
 * case (then coded too); anything else travels as text only.
 */
function ombExtension(url: string, stored: Expr, categories: Record<string, string>): Json {
  const byName = Object.fromEntries(Object.entries(categories).map(([code, name]) => [name.toLowerCase(), code]));
  const code = sql`coalesce(case when ${lookup(categories, stored)} is not null then ${stored} end, ${lookup(byName, sql`lower(${stored})`)})`;
  const name = lookup(categories, code);
  return when(
    filled(stored),
    obj({
      url,
      extension: someOf(
        when(sql`${code} is not null`, obj({ url: 'ombCategory', valueCoding: obj({ system: System.omb, code, display: name }) })),
        obj({ url: 'text', valueString: sql`coalesce(${name}, ${stored})` }),
      ),
    }),
  );
}

export function patientResource(): SqlResource {
  const t = s.patients;
  const { columns: identifier, from: identifierFrom } = aliased(s.patientIdentifiers, 'identifier');
  const { columns: contact, from: contactFrom } = aliased(s.emergencyContacts, 'contact');
  const phone = (value: Expr, use: string) => when(filled(value), obj({ system: 'phone', value, use }));
  const contactTelecom = listOf(when(filled(contact.phone), obj({ system: 'phone', value: contact.phone })), when(filled(contact.email), obj({ system: 'email', value: contact.email })));
  const sex = lookup(SEX_SNOMED as Record<string, string>, t.sex);
  return {
    from: sql`${t}`,
    json: obj({
      resourceType: 'Patient',
      id: idOf(idPrefix.patient, t.id),
      meta: meta(Profile.patient),
      extension: someOf(
        ombExtension(Profile.race, t.race, ombRace),
        ombExtension(Profile.ethnicity, t.ethnicity, ombEthnicity),
        when(filled(t.genderIdentity), obj({ url: Profile.genderIdentity, valueCodeableConcept: obj({ text: t.genderIdentity }) })),
        // US Core sex (SNOMED CT), which QI-Core 6 reads as Patient.sex (CMS125's female test, the sex
        // supplemental data). Only a known sex: "other" or "unknown" says nothing a code could.
        when(sql`${sex} is not null`, obj({ url: Profile.sex, valueCode: sex })),
      ),
      identifier: listOf(
        obj({ use: 'usual', type: coding(System.identifierType, 'MR'), system: System.mrn, value: t.mrn }),
        // Only identifiers whose system is a URI, as FHIR requires; bare import source names are internal keys.
        joined(
          obj({ system: identifier.system, value: identifier.value }),
          sql`${identifierFrom} where ${identifier.patientId} = ${t.id} and ${identifier.system} ~* '^[a-z][a-z0-9+.-]*:'`,
          sql`${identifier.id}`,
        ),
      ),
      active: t.active,
      name: someOf(
        obj({ use: 'official', family: t.lastName, given: someOf(t.firstName, when(filled(t.middleName), t.middleName)), suffix: when(filled(t.suffix), arr(t.suffix)) }),
        when(filled(t.preferredName), obj({ use: 'usual', given: arr(t.preferredName) })),
      ),
      telecom: someOf(phone(t.phoneHome, 'home'), phone(t.phoneMobile, 'mobile'), phone(t.phoneWork, 'work'), when(filled(t.email), obj({ system: 'email', value: t.email }))),
      gender: t.sex,
      birthDate: t.dob,
      deceasedDateTime: t.deceasedDate,
      address: when(
        sql`(${filled(t.address1)} or ${filled(t.city)} or ${filled(t.state)} or ${filled(t.zip)})`,
        arr(obj({ use: 'home', line: listOf(when(filled(t.address1), t.address1), when(filled(t.address2), t.address2)), city: t.city, state: t.state, postalCode: t.zip })),
      ),
      communication: when(
        filled(t.language),
        arr(obj({ language: when(sql`${t.language} ~ ${lit(LANGUAGE_TAG)}`, obj({ coding: arr(obj({ system: System.bcp47, code: t.language })) }), obj({ text: t.language })) })),
      ),
      contact: rowsOf(
        obj({ relationship: when(filled(contact.relationship), arr(obj({ text: contact.relationship }))), name: obj({ text: contact.name }), telecom: contactTelecom }),
        sql`${contactFrom} where ${contact.patientId} = ${t.id}`,
        sql`${contact.id}`,
      ),
      managingOrganization: refTo('Organization', idPrefix.practice, sql`(select ${s.practice.id} from ${s.practice} limit 1)`),
    }),
  };
}
