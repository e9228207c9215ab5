// Referrals to other clinicians: the record (with its prior authorization), the follow-up list, and
// the packet that travels with the patient: the FHIR record as a bundle and a printable summary.
import { join } from 'node:path';
import type { AllergyIntolerance, Bundle, Condition, Coverage, MedicationRequest, Observation, Organization, Patient, Resource, ServiceRequest } from '@medplum/fhirtypes';
import { and, asc, desc, eq, lte, notInArray, type SQL } from 'drizzle-orm';
import { writeSectionsPdf } from '../chart/pdf.js';
import type { Section } from '../chart/sections.js';
import { CodeSystem } from '../codes/systems.js';
import { readIsoDate } from '../dates.js';
import { readIcd10 } from '../codes/code-lists.js';
import { describeNpiProblem } from '../codes/npi.js';
import { recordAudit, recordDisclosure, type AuditActor } from '../db/audit.js';
import { patients, priorAuthorizations, referrals } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { badDate, NotFoundError, ValidationError, type Issue } from '../errors.js';
import { patientBundle } from '../fhir/export.js';
import { writePrivateFile } from '../files/private-file.js';
import { planThenApply } from '../db/transaction.js';
import { idPrefix, resourceId } from '../fhir/ids.js';

export const referralStatuses = ['draft', 'sent', 'scheduled', 'completed', 'cancelled'] as const;
export const authorizationStatuses = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;
export type ReferralStatus = (typeof referralStatuses)[number];
export type AuthorizationStatus = (typeof authorizationStatuses)[number];
const closedStatuses: ReferralStatus[] = ['completed', 'cancelled'];

export interface ReferralInput {
  patientId: number;
  toName: string;
  toNpi?: string;
  toOrganization?: string;
  specialty?: string;
  reason: string;
  /** ICD-10-CM code of the reason, as typed. */
  reasonCode?: string;
  fromProviderId?: number;
  followUpDate?: string;
  authNumber?: string;
  authStatus?: AuthorizationStatus;
  status: ReferralStatus;
  /** When it was sent (the command's clock); kept only for a referral recorded as sent. */
  sentAt: Date;
}

export interface ReferralChanges {
  status?: ReferralStatus;
  followUpDate?: string;
  authNumber?: string;
  authStatus?: AuthorizationStatus;
}

/** Dates reach the domain as YYYY-MM-DD: the command has read what the user typed (src/dates.ts). */
const isDate = (value: string) => readIsoDate(value) === value;

function checkCommon(changes: { followUpDate?: string; authStatus?: string; status?: string }, issues: Issue[]): void {
  if (changes.followUpDate !== undefined && !isDate(changes.followUpDate)) issues.push(badDate('--follow-up'));
  if (changes.status !== undefined && !referralStatuses.includes(changes.status as ReferralStatus)) issues.push({ code: 'STATUS', path: 'status', message: `The status must be one of ${referralStatuses.join(', ')}.` });
  if (changes.authStatus !== undefined && !authorizationStatuses.includes(changes.authStatus as AuthorizationStatus)) {
    issues.push({ code: 'AUTH_STATUS', path: 'auth-status', message: `The authorization status must be one of ${authorizationStatuses.join(', ')}.` });
  }
}

/** Checks a new referral; throws every problem at once. Returns the reason code as it will be stored. */
export function checkReferral(input: ReferralInput): { reasonCode?: string } {
  const issues: Issue[] = [];
  if (!input.toName.trim()) issues.push({ code: 'REQUIRED', path: 'to', message: 'Say who the patient is referred to (--to).' });
  if (!input.reason.trim()) issues.push({ code: 'REQUIRED', path: 'reason', message: 'Give the reason for the referral (--reason).' });
  const npiProblem = input.toNpi !== undefined ? describeNpiProblem(input.toNpi.trim()) : undefined;
  if (npiProblem) issues.push({ code: 'NPI', path: 'npi', message: npiProblem });
  const reason = input.reasonCode !== undefined ? readIcd10(input.reasonCode) : undefined;
  if (reason && 'problem' in reason) issues.push({ code: 'ICD10', path: 'reason-code', message: `--reason-code: ${reason.problem}` });
  const reasonCode = reason && 'code' in reason ? reason.code : undefined;
  checkCommon(input, issues);
  if (issues.length) throw new ValidationError(issues);
  return { reasonCode };
}

/** Records a referral; with dryRun the same statements run (the database's own checks too) and are rolled back. */
export async function createReferral(db: Db, who: AuditActor, input: ReferralInput, options: { dryRun?: boolean } = {}): Promise<typeof referrals.$inferSelect> {
  const { reasonCode } = checkReferral(input);
  return planThenApply(db, Boolean(options.dryRun), async (tx) => {
    const [auth] = input.authNumber || input.authStatus
      ? await tx.insert(priorAuthorizations).values({ patientId: input.patientId, authNumber: input.authNumber?.trim() || null, status: input.authStatus ?? (input.authNumber ? 'approved' : 'pending') }).returning({ id: priorAuthorizations.id })
      : [];
    const [row] = await tx
      .insert(referrals)
      .values({
        patientId: input.patientId,
        fromProviderId: input.fromProviderId ?? null,
        toName: input.toName.trim(),
        toNpi: input.toNpi?.trim() || null,
        toOrganization: input.toOrganization?.trim() || null,
        specialty: input.specialty?.trim() || null,
        reason: input.reason.trim(),
        reasonSystem: reasonCode ? CodeSystem.icd10cm : null,
        reasonCode: reasonCode ?? null,
        status: input.status,
        sentAt: input.status === 'sent' ? input.sentAt : null,
        followUpDate: input.followUpDate ?? null,
        priorAuthorizationId: auth?.id ?? null,
      })
      .returning();
    await recordAudit(tx, who, [
      ...(auth ? [{ action: 'insert', entity: 'prior_authorizations', entityId: auth.id, details: { referralFor: row!.id } }] : []),
      { action: 'insert', entity: 'referrals', entityId: row!.id, details: { patientId: input.patientId, status: input.status, priorAuthorizationId: auth?.id ?? null } },
    ]);
    return row!;
  });
}

export async function referralById(db: DbOrTx, id: number): Promise<typeof referrals.$inferSelect> {
  const [row] = await db.select().from(referrals).where(eq(referrals.id, id));
  if (!row) throw new NotFoundError(`Referral ${id}`, 'See "practice referrals list --all" for the referral numbers.');
  return row;
}

export async function updateReferral(db: Db, who: AuditActor, id: number, changes: ReferralChanges, now: Date): Promise<typeof referrals.$inferSelect> {
  const issues: Issue[] = [];
  checkCommon(changes, issues);
  if (issues.length) throw new ValidationError(issues);
  return db.transaction(async (tx) => {
    const current = await referralById(tx, id);
    let authId = current.priorAuthorizationId;
    const authChanges = clean({ authNumber: changes.authNumber?.trim(), status: changes.authStatus });
    if (Object.keys(authChanges).length) {
      if (authId) {
        await tx.update(priorAuthorizations).set({ ...authChanges, updatedAt: now }).where(eq(priorAuthorizations.id, authId));
        await recordAudit(tx, who, { action: 'update', entity: 'prior_authorizations', entityId: authId, details: { fields: Object.keys(authChanges) } });
      } else {
        const [auth] = await tx.insert(priorAuthorizations).values({ patientId: current.patientId, status: changes.authNumber ? 'approved' : 'pending', ...authChanges }).returning({ id: priorAuthorizations.id });
        authId = auth!.id;
        await recordAudit(tx, who, { action: 'insert', entity: 'prior_authorizations', entityId: authId, details: { referralFor: id } });
      }
    }
    const referralChanges = clean({
      status: changes.status,
      followUpDate: changes.followUpDate,
      priorAuthorizationId: authId !== current.priorAuthorizationId ? authId : undefined,
      sentAt: changes.status === 'sent' && !current.sentAt ? now : undefined,
    });
    const [row] = await tx.update(referrals).set({ ...referralChanges, updatedAt: now }).where(eq(referrals.id, id)).returning();
    await recordAudit(tx, who, { action: 'update', entity: 'referrals', entityId: id, details: { fields: Object.keys(referralChanges) } });
    return row!;
  });
}

function clean<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

export interface ReferralListRow {
  id: number;
  mrn: string;
  patient: string;
  to: string;
  specialty: string | null;
  status: string;
  authNumber: string | null;
  authStatus: string | null;
  followUpDate: string | null;
  sentAt: Date | null;
}

/** Open referrals (or all), oldest follow-up first; `dueBy` keeps those whose follow-up date has come. */
export async function listReferrals(db: DbOrTx, options: { all?: boolean; status?: ReferralStatus; dueBy?: string; patientId?: number }): Promise<ReferralListRow[]> {
  const filters: (SQL | undefined)[] = [
    options.status ? eq(referrals.status, options.status) : options.all ? undefined : notInArray(referrals.status, closedStatuses),
    options.dueBy ? lte(referrals.followUpDate, options.dueBy) : undefined,
    options.patientId ? eq(referrals.patientId, options.patientId) : undefined,
  ];
  const rows = await db
    .select({
      id: referrals.id,
      mrn: patients.mrn,
      firstName: patients.firstName,
      lastName: patients.lastName,
      to: referrals.toName,
      organization: referrals.toOrganization,
      specialty: referrals.specialty,
      status: referrals.status,
      authNumber: priorAuthorizations.authNumber,
      authStatus: priorAuthorizations.status,
      followUpDate: referrals.followUpDate,
      sentAt: referrals.sentAt,
    })
    .from(referrals)
    .innerJoin(patients, eq(patients.id, referrals.patientId))
    .leftJoin(priorAuthorizations, eq(priorAuthorizations.id, referrals.priorAuthorizationId))
    .where(and(...filters))
    .orderBy(asc(referrals.followUpDate), desc(referrals.id));
  return rows.map(({ firstName, lastName, organization, ...r }) => ({ ...r, patient: `${lastName}, ${firstName}`, to: organization ? `${r.to} (${organization})` : r.to }));
}

// ---- the packet ----

const text = (concept: { text?: string; coding?: { code?: string; display?: string }[] } | undefined) =>
  concept?.text ?? concept?.coding?.map((c) => [c.code, c.display].filter(Boolean).join(' ')).join(', ') ?? '';

/** The printable summary, built from the same bundle the receiver gets, so the two always agree. */
export function referralSections(bundle: Bundle, referralId: string, practiceName: string | undefined): Section[] {
  const resources = (bundle.entry ?? []).map((e) => e.resource!) as Resource[];
  const of = <T extends Resource>(type: T['resourceType']) => resources.filter((r): r is T => r.resourceType === type);
  const patient = of<Patient>('Patient')[0]!;
  const referral = of<ServiceRequest>('ServiceRequest').find((r) => r.id === referralId)!;
  const name = patient.name?.[0];
  const payers = new Map(of<Organization>('Organization').map((o) => [`Organization/${o.id}`, o.name]));
  const fullUrlToRef = new Map((bundle.entry ?? []).map((e) => [e.fullUrl, `${e.resource!.resourceType}/${e.resource!.id}`]));
  const latestVitals = new Map<string, Observation>();
  for (const o of of<Observation>('Observation').filter((o) => o.category?.[0]?.coding?.[0]?.code === 'vital-signs')) {
    const key = o.code.coding?.[0]?.code ?? '';
    if (!latestVitals.has(key) || (o.effectiveDateTime ?? '') > (latestVitals.get(key)!.effectiveDateTime ?? '')) latestVitals.set(key, o);
  }
  const quantity = (q: { value?: number; unit?: string } | undefined) => (q ? `${q.value ?? ''} ${q.unit ?? ''}`.trim() : '');
  const list = (lines: string[], empty: string) => (lines.length ? lines : [empty]);
  const auth = referral.identifier?.find((i) => i.system === 'urn:practicekit:prior-authorization')?.value;
  return [
    {
      title: `Referral${practiceName ? ` from ${practiceName}` : ''}`,
      lines: [
        `To: ${referral.performer?.map((p) => [p.display, p.identifier ? `NPI ${p.identifier.value}` : ''].filter(Boolean).join(', ')).join('; ') ?? ''}`,
        ...(referral.performerType ? [`Specialty: ${text(referral.performerType)}`] : []),
        `Reason: ${referral.reasonCode?.map((r) => [r.text, r.coding?.[0]?.code ? `(ICD-10-CM ${r.coding[0].code})` : ''].filter(Boolean).join(' ')).join('; ') ?? ''}`,
        `Prior authorization: ${auth ?? 'none on file'}`,
        ...(referral.occurrenceDateTime ? [`Follow up by: ${referral.occurrenceDateTime}`] : []),
        `Referred on: ${referral.authoredOn?.slice(0, 10) ?? ''}`,
      ],
    },
    {
      title: 'Patient',
      lines: [
        `${[name?.given?.join(' '), name?.family].filter(Boolean).join(' ')}, born ${patient.birthDate}, ${patient.gender}`,
        `Chart number (MRN): ${patient.identifier?.[0]?.value ?? ''}`,
        ...(patient.telecom ?? []).map((t) => `${t.system === 'email' ? 'Email' : `Phone${t.use ? ` (${t.use})` : ''}`}: ${t.value}`),
      ],
    },
    {
      title: 'Insurance',
      lines: list(of<Coverage>('Coverage').filter((c) => c.status === 'active').map((c) => `${payers.get(fullUrlToRef.get(c.payor[0]?.reference) ?? '') ?? 'Payer'}, member ${c.subscriberId ?? ''}`), 'No active coverage on file.'),
    },
    {
      title: 'Problems',
      lines: list(of<Condition>('Condition').filter((c) => c.category?.[0]?.coding?.[0]?.code !== 'encounter-diagnosis' && c.clinicalStatus?.coding?.[0]?.code === 'active').map((c) => text(c.code)), 'No active problems recorded.'),
    },
    {
      title: 'Medications',
      lines: list(of<MedicationRequest>('MedicationRequest').filter((m) => m.status === 'active').map((m) => [m.medicationCodeableConcept?.text, m.dosageInstruction?.[0]?.text].filter(Boolean).join(', ')), 'No active medications recorded.'),
    },
    {
      title: 'Allergies',
      lines: list(of<AllergyIntolerance>('AllergyIntolerance').filter((a) => a.clinicalStatus?.coding?.[0]?.code === 'active').map((a) => [text(a.code), a.reaction?.[0]?.manifestation?.[0]?.text].filter(Boolean).join(': ')), 'No known allergies recorded.'),
    },
    {
      title: 'Latest vital signs',
      lines: list(
        [...latestVitals.values()].map((o) => `${o.code.coding?.[0]?.display ?? text(o.code)}: ${o.component ? o.component.map((c) => quantity(c.valueQuantity)).join(' / ') : quantity(o.valueQuantity)} (${o.effectiveDateTime?.slice(0, 10) ?? ''})`),
        'No vital signs recorded.',
      ),
    },
  ];
}

export interface ReferralPacket {
  bundleFile: string;
  pdfFile: string;
  resources: number;
}

/** Writes referral-<id>.json (FHIR R4 bundle) and referral-<id>.pdf in the folder; both owner-only. */
export async function writeReferralPacket(db: DbOrTx, who: AuditActor, referralId: number, outDir: string, now: Date): Promise<ReferralPacket> {
  const referral = await referralById(db, referralId);
  const bundle = await patientBundle(db, referral.patientId, now);
  const [practice] = await db.query.practice.findMany({ limit: 1 });
  const bundleFile = join(outDir, `referral-${referralId}.json`);
  const pdfFile = join(outDir, `referral-${referralId}.pdf`);
  await writePrivateFile(bundleFile, `${JSON.stringify(bundle, null, 2)}\n`, { makeFolder: true });
  const sections = referralSections(bundle, resourceId(idPrefix.referral, referralId), practice?.legalName);
  await writeSectionsPdf(pdfFile, 'Referral summary', sections, now.toISOString().slice(0, 16).replace('T', ' ') + ' UTC');
  // A packet for another clinician is a disclosure (for treatment): the accounting of disclosures lists it.
  const recipient = [referral.toName, referral.toOrganization, referral.toNpi && `NPI ${referral.toNpi}`].filter(Boolean).join(', ');
  const purpose = `treatment: referral${referral.specialty ? ` to ${referral.specialty}` : ''}`;
  const what = `referral packet: FHIR bundle of ${bundle.entry?.length ?? 0} resources and PDF summary`;
  await recordDisclosure(db, who, referral.patientId, { recipient, purpose, what }, { format: 'fhir-bundle+pdf', resources: bundle.entry?.length ?? 0 }, { entity: 'referrals', entityId: referralId });
  return { bundleFile, pdfFile, resources: bundle.entry?.length ?? 0 };
}
