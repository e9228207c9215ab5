// Test-only loader for the published eCQM test patients (one FHIR resource per file) into our tables,
// used until "practice import --format fhir" exists. It maps exactly the fields the measures read.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import {
  encounters,
  medications,
  notDoneEvents,
  observationPeriods,
  observations,
  orders,
  patientIdentifiers,
  patients,
  problems,
  procedures,
  recordQualifiers,
} from '../../src/db/schema/index.js';
import { normalizeCodeSystem } from '../../src/codes/systems.js';
import type { Db } from '../../src/db/types.js';

export const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures-ecqm');
export const FHIR_ID_SYSTEM = 'urn:fhir:test-case';

type R = Record<string, any>;
const ref = (r: R | undefined) => (r?.reference as string | undefined)?.split('/').at(-1);
const coding = (cc: R | undefined) => (cc?.coding?.[0] as R | undefined) ?? undefined;
const ts = (iso: string | undefined) => (iso ? new Date(iso) : null);
const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : null);
const SEX: Record<string, string> = { '248152002': 'female', '248153007': 'male' };

export function readCase(dir: string): R[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('MeasureReport'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as R);
}

/** CumulativeMedicationDuration: [start, start + days - 1], days from the supply or the dose. */
function medicationPeriod(r: R): { start: string | null; end: string | null } {
  const dosage = r.dosageInstruction?.[0];
  const bounds = dosage?.timing?.repeat?.boundsPeriod;
  const start = day(bounds?.start) ?? day(r.authoredOn) ?? day(r.dispenseRequest?.validityPeriod?.start);
  if (!start) return { start: null, end: null };
  const supply = r.dispenseRequest?.expectedSupplyDuration;
  const perUnit: Record<string, number> = { d: 1, day: 1, days: 1, wk: 7, week: 7, weeks: 7, mo: 30, month: 30, months: 30 };
  let days: number | undefined = supply ? Number(supply.value) * (perUnit[supply.code ?? supply.unit] ?? 1) : undefined;
  if (days === undefined && r.dispenseRequest?.quantity?.value && dosage?.doseAndRate?.[0]?.doseQuantity?.value) {
    const repeat = dosage.timing?.repeat ?? {};
    const perDay = repeat.frequency && repeat.period ? repeat.frequency / (repeat.period * ({ h: 1 / 24, d: 1, wk: 7 }[repeat.periodUnit as string] ?? 1)) : (repeat.timeOfDay?.length ?? 1);
    days = r.dispenseRequest.quantity.value / (dosage.doseAndRate[0].doseQuantity.value * perDay);
  }
  if (days !== undefined) {
    days *= 1 + Number(r.dispenseRequest?.numberOfRepeatsAllowed ?? 0);
    return { start, end: DateTime.fromISO(start).plus({ days: Math.ceil(days) - 1 }).toISODate() };
  }
  return { start, end: day(bounds?.end) };
}

/** Loads every resource of the given case folders; visits are attributed to providerId when given. */
export async function loadCases(db: Db, caseDirs: string[], providerId?: number): Promise<void> {
  const resources = caseDirs.flatMap(readCase);
  const byType = (t: string) => resources.filter((r) => r.resourceType === t);
  const medicationsById = new Map(byType('Medication').map((m) => [m.id as string, m]));

  const pats = byType('Patient');
  const patientIds = new Map<string, number>();
  const insertedPatients = await db
    .insert(patients)
    .values(
      pats.map((p) => {
        const sexExt = (p.extension ?? []).find((e: R) => String(e.url).endsWith('us-core-sex'));
        const sex = SEX[sexExt?.valueCode ?? coding(sexExt?.valueCodeableConcept)?.code] ?? (['male', 'female', 'other'].includes(p.gender) ? p.gender : 'unknown');
        return { mrn: `T-${p.id}`, firstName: p.name?.[0]?.given?.[0] ?? 'Test', lastName: p.name?.[0]?.family ?? 'Patient', dob: p.birthDate, sex, isTestData: true };
      }),
    )
    .returning({ id: patients.id, mrn: patients.mrn });
  for (const row of insertedPatients) patientIds.set(row.mrn.slice(2), row.id);
  await db.insert(patientIdentifiers).values(pats.map((p) => ({ patientId: patientIds.get(p.id)!, system: FHIR_ID_SYSTEM, value: p.id })));
  const pid = (r: R) => patientIds.get(ref(r.subject ?? r.patient)!)!;

  const qualifiers: (typeof recordQualifiers.$inferInsert)[] = [];
  const encs = byType('Encounter');
  const encounterIds = new Map<string, number>();
  if (encs.length) {
    const rows = await db
      .insert(encounters)
      .values(
        encs.map((e) => ({
          patientId: pid(e),
          providerId: providerId ?? null,
          startsAt: ts(e.period?.start)!,
          endsAt: ts(e.period?.end),
          status: e.status,
          encounterClass: e.class?.code ?? 'AMB',
          typeSystem: coding(e.type?.[0]) ? normalizeCodeSystem(coding(e.type[0])!.system) : null,
          typeCode: coding(e.type?.[0])?.code ?? null,
          sourceSystem: 'fhir',
          sourceId: e.id,
        })),
      )
      .returning({ id: encounters.id, sourceId: encounters.sourceId });
    for (const row of rows) encounterIds.set(row.sourceId!, row.id);
    for (const e of encs) {
      const disposition = coding(e.hospitalization?.dischargeDisposition);
      if (disposition) {
        qualifiers.push({ tableName: 'encounters', recordId: encounterIds.get(e.id)!, qualifier: 'discharge-disposition', codeSystem: normalizeCodeSystem(disposition.system), code: disposition.code });
      }
    }
  }

  const conds = byType('Condition');
  if (conds.length) {
    const rows = await db
      .insert(problems)
      .values(
        conds.map((c) => ({
          patientId: pid(c),
          encounterId: encounterIds.get(ref(c.encounter) ?? '') ?? null,
          codeSystem: normalizeCodeSystem(coding(c.code)!.system),
          code: coding(c.code)!.code,
          category: coding(c.category?.[0])?.code ?? 'problem-list-item',
          clinicalStatus: coding(c.clinicalStatus)?.code ?? 'inactive',
          // A missing verification status still counts (Status.cql): stored as confirmed.
          verificationStatus: coding(c.verificationStatus)?.code ?? 'confirmed',
          onsetDate: day(c.onsetDateTime ?? c.onsetPeriod?.start),
          abatementDate: day(c.abatementDateTime ?? c.abatementPeriod?.end ?? c.abatementPeriod?.start),
          recordedDate: day(c.recordedDate),
          sourceSystem: 'fhir',
          sourceId: c.id,
        })),
      )
      .returning({ id: problems.id, sourceId: problems.sourceId });
    const ids = new Map(rows.map((r) => [r.sourceId!, r.id]));
    for (const c of conds) {
      for (const site of c.bodySite ?? []) {
        const s = coding(site);
        if (s) qualifiers.push({ tableName: 'problems', recordId: ids.get(c.id)!, qualifier: 'body-site', codeSystem: normalizeCodeSystem(s.system), code: s.code });
      }
    }
  }

  const CATEGORIES = new Set(['vital-signs', 'laboratory', 'survey', 'social-history', 'exam', 'imaging', 'procedure', 'therapy', 'activity']);
  const obsValue = (o: R) => ({
    valueNumeric: o.valueQuantity?.value !== undefined ? String(o.valueQuantity.value) : null,
    valueUnit: o.valueQuantity?.unit ?? o.valueQuantity?.code ?? null,
    valueCodeSystem: coding(o.valueCodeableConcept) ? normalizeCodeSystem(coding(o.valueCodeableConcept)!.system) : null,
    valueCode: coding(o.valueCodeableConcept)?.code ?? null,
    valueText: o.valueString ?? null,
  });
  for (const o of byType('Observation')) {
    const category = coding(o.category?.[0])?.code;
    const rows = await db
      .insert(observations)
      .values({
        patientId: pid(o),
        encounterId: encounterIds.get(ref(o.encounter) ?? '') ?? null,
        category: CATEGORIES.has(category) ? category : 'exam',
        codeSystem: normalizeCodeSystem(coding(o.code)!.system),
        code: coding(o.code)!.code,
        ...obsValue(o),
        // Measures date results by effective.latest(): the end of a period.
        effectiveAt: ts(o.effectiveDateTime ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? o.issued)!,
        issuedAt: ts(o.issued),
        status: o.status,
        sourceSystem: 'fhir',
        sourceId: o.id,
      })
      .returning({ id: observations.id, effectiveAt: observations.effectiveAt });
    if (o.effectivePeriod?.start && o.effectivePeriod.end) {
      await db.insert(observationPeriods).values({ observationId: rows[0]!.id, startsAt: ts(o.effectivePeriod.start)! });
    }
    if (o.component?.length) {
      await db.insert(observations).values(
        o.component.map((c: R, i: number) => ({
          patientId: pid(o),
          panelId: rows[0]!.id,
          category: 'vital-signs',
          codeSystem: normalizeCodeSystem(coding(c.code)!.system),
          code: coding(c.code)!.code,
          ...obsValue(c),
          effectiveAt: rows[0]!.effectiveAt,
          status: o.status,
          sourceSystem: 'fhir',
          sourceId: `${o.id}#${i}`,
        })),
      );
    }
  }

  const procs = byType('Procedure');
  if (procs.length) {
    await db.insert(procedures).values(
      procs.map((p) => ({
        patientId: pid(p),
        codeSystem: normalizeCodeSystem(coding(p.code)!.system),
        code: coding(p.code)!.code,
        status: p.status,
        performedStart: ts(p.performedDateTime ?? p.performedPeriod?.start),
        performedEnd: ts(p.performedDateTime ?? p.performedPeriod?.end),
        sourceSystem: 'fhir',
        sourceId: p.id,
      })),
    );
  }

  const requests = [...byType('ServiceRequest'), ...byType('DeviceRequest')];
  const doNotPerform = (r: R) =>
    r.doNotPerform === true || (r.modifierExtension ?? []).some((e: R) => String(e.url).endsWith('doNotPerform') && e.valueBoolean === true);
  const performable = requests.filter((r) => !doNotPerform(r) && r.authoredOn);
  if (performable.length) {
    await db.insert(orders).values(
      performable.map((r) => {
        const c = coding(r.code ?? r.codeCodeableConcept)!;
        return {
          patientId: pid(r),
          kind: r.resourceType === 'DeviceRequest' ? 'device' : 'procedure',
          codeSystem: normalizeCodeSystem(c.system),
          code: c.code,
          status: r.status,
          intent: r.intent,
          orderedAt: ts(r.authoredOn)!,
          sourceSystem: 'fhir',
          sourceId: r.id,
        };
      }),
    );
  }
  const refused = requests.filter((r) => doNotPerform(r));
  if (refused.length) {
    await db.insert(notDoneEvents).values(
      refused.map((r) => {
        const c = coding(r.code ?? r.codeCodeableConcept)!;
        const reason = coding(r.reasonRefused ?? r.reasonCode?.[0]);
        return {
          patientId: pid(r),
          kind: 'follow-up',
          codeSystem: normalizeCodeSystem(c.system),
          code: c.code,
          reasonSystem: reason ? normalizeCodeSystem(reason.system) : null,
          reasonCode: reason?.code ?? null,
          recordedAt: ts(r.authoredOn)!,
          sourceSystem: 'fhir',
          sourceId: r.id,
        };
      }),
    );
  }

  const meds = byType('MedicationRequest').filter((m) => m.doNotPerform !== true);
  if (meds.length) {
    await db.insert(medications).values(
      meds.map((m) => {
        const c = coding(m.medicationCodeableConcept) ?? coding(medicationsById.get(ref(m.medicationReference) ?? '')?.code);
        const period = medicationPeriod(m);
        return {
          patientId: pid(m),
          rxnormCode: c?.code ?? 'unknown',
          display: c?.display ?? 'medication',
          status: m.status,
          kind: 'request',
          startDate: period.start,
          stopDate: period.end,
          sourceSystem: 'fhir',
          sourceId: m.id,
        };
      }),
    );
  }
  if (qualifiers.length) await db.insert(recordQualifiers).values(qualifiers);
}
