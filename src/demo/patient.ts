// One synthetic patient and two years of their care: demographics, coverage, consents, chronic problems
// and medications, and the visits with diagnoses, charges, vitals, labs, screenings and vaccines they
// bring, plus the appointments around them (kept, no-shows, cancellations, upcoming).
import { procedureCodeSystem } from '../codes/procedure-codes.js';
import { CodeSystem } from '../codes/systems.js';
import { Calendar } from './calendar.js';
import {
  ACUTE_DIAGNOSES,
  ALLERGIES,
  AREA_CODES,
  CONDITIONS,
  E_M,
  ENCOUNTER_DX,
  ETHNICITIES,
  FEES,
  FIRST_NAMES,
  LOINC,
  OTITIS,
  PREVENTIVE,
  RACES,
  SNOMED,
  STREETS,
  SURNAMES,
  TOWNS,
  VACCINES,
  WELL_CHILD,
  type Coding,
  type ConditionId,
  type Vaccine,
} from './catalog.js';
import { Random } from './random.js';
import type { RowSink } from './rows.js';

export interface DemoStaff {
  providers: { id: number; seesChildren: boolean; share: number }[];
  /** The main office first. */
  locations: { id: number; placeOfService: string }[];
  payers: { medicare: number; medicareAdvantage: number; medicaid: number; commercial: number[] };
}

export interface DemoSettings {
  seed: number;
  calendar: Calendar;
  staff: DemoStaff;
}

/** How far back the demo's history goes. */
export const HISTORY_DAYS = 730;

const AGE_BANDS: [[number, number], number][] = [
  [[0, 2], 5],
  [[3, 17], 12],
  [[18, 34], 18],
  [[35, 49], 18],
  [[50, 64], 22],
  [[65, 74], 15],
  [[75, 95], 10],
];

type VisitKind = 'well-child' | 'preventive' | 'wellness' | 'chronic' | 'acute' | 'new';
interface PlannedVisit {
  day: number;
  kind: VisitKind;
  vaccines: Vaccine[];
}

const FLU = new Set<Vaccine>([VACCINES.flu, VACCINES.fluPreservativeFree, VACCINES.fluHighDose]);
const digits = (r: Random, n: number) => Array.from({ length: n }, () => r.int(0, 9)).join('');
const MBI_LETTERS = 'ACDEFGHJKMNPQRTUVWXY';

/** A Medicare Beneficiary Identifier in the CMS format (11 characters, no S, L, O, I, B or Z). */
function mbi(r: Random): string {
  const letter = () => r.pick([...MBI_LETTERS]);
  const either = () => (r.chance(0.5) ? letter() : String(r.int(0, 9)));
  return `${r.int(1, 9)}${letter()}${either()}${r.int(0, 9)}${letter()}${either()}${r.int(0, 9)}${letter()}${letter()}${r.int(0, 9)}${r.int(0, 9)}`;
}

function childHeightCm(ageYears: number): number {
  if (ageYears < 1) return 50 + 25 * ageYears;
  if (ageYears < 2) return 75 + 12 * (ageYears - 1);
  return Math.min(87 + 6.2 * (ageYears - 2), 170);
}

export function generatePatient(settings: DemoSettings, sink: RowSink, index: number): void {
  const r = new Random(settings.seed, index);
  const cal = settings.calendar;
  const { staff } = settings;
  const today = cal.today;
  const historyStart = today - HISTORY_DAYS;

  // Who they are.
  const sex = r.chance(0.51) ? 'female' : 'male';
  const [minAge, maxAge] = r.weighted(AGE_BANDS);
  const dobDay = today - Math.floor(r.int(minAge, maxAge) * 365.25) - r.int(0, 364);
  const age = Calendar.years(dobDay, today);
  const ageOn = (day: number) => Calendar.years(dobDay, day);
  const adult = age >= 18;
  const firstName = r.pick(FIRST_NAMES[sex]);
  const lastName = r.pick(SURNAMES);
  const [city, zip] = TOWNS[r.int(0, TOWNS.length - 1)]!;
  const phone = () => `${r.pick(AREA_CODES)}-555-01${String(r.int(0, 99)).padStart(2, '0')}`;
  const phoneMobile = age >= 13 && r.chance(0.85) ? phone() : null;
  const phoneHome = !phoneMobile || r.chance(0.3) ? phone() : null;
  const email = age >= 16 && r.chance(0.7) ? `${firstName}.${lastName}${r.int(1, 999)}@example.com`.toLowerCase() : null;

  // Their health: chronic conditions by age, weight, glucose control, blood pressure, smoking.
  const conditions = new Set<ConditionId>();
  const has = (id: ConditionId) => conditions.has(id);
  const maybe = (id: ConditionId, probability: number) => r.chance(probability) && conditions.add(id);
  maybe('diabetes', age < 18 ? 0.002 : age < 45 ? 0.04 : age < 65 ? 0.15 : 0.26);
  maybe('hypertension', (age < 18 ? 0.01 : age < 40 ? 0.08 : age < 60 ? 0.3 : 0.58) + (has('diabetes') ? 0.15 : 0));
  maybe('hyperlipidemia', (age < 20 ? 0.01 : age < 40 ? 0.08 : age < 65 ? 0.28 : 0.45) + (has('diabetes') ? 0.2 : 0));
  maybe('asthma', age >= 2 ? 0.08 : 0);
  maybe('depression', age >= 12 ? (sex === 'female' ? 0.11 : 0.07) : 0);
  const smoking = age < 12 ? null : adult ? r.weighted([['current', 12], ['former', age >= 30 ? 25 : 10], ['never', 63]] as const) : r.chance(0.02) ? 'current' : 'never';
  if (smoking === 'current' && adult) maybe('tobacco', 0.7);
  const heightCm = adult ? (sex === 'male' ? r.normal(176, 7, 155, 200) : r.normal(162, 6.5, 145, 185)) : 0;
  const bmi = adult ? r.normal(has('diabetes') ? 31 : 28.5, 5.5, 17, 50) : r.normal(16.5 + 0.3 * Math.max(0, age - 5), 2, 13, 32);
  if (adult && bmi >= 30) maybe('obesity', 0.6);
  const a1cMean = has('diabetes') ? (r.chance(0.8) ? r.normal(7.1, 0.7, 5.8, 8.9) : r.normal(9.8, 0.9, 9.1, 13)) : age >= 18 && r.chance(age >= 40 ? 0.18 : 0.06) ? r.normal(6.0, 0.2, 5.7, 6.4) : r.normal(5.2, 0.25, 4.6, 5.6);
  if (!has('diabetes') && a1cMean >= 5.7) maybe('prediabetes', 0.7);
  const bpControlled = r.chance(0.62);
  const phqBase = has('depression') ? r.int(5, 19) : r.int(0, 4);

  // Their place in the practice: new or established, coverage, provider, office.
  const isNew = r.chance(0.12);
  const startDay = Math.max(dobDay, isNew ? historyStart + r.int(0, HISTORY_DAYS - 30) : historyStart);
  const deceasedDay = age >= 75 && r.chance(0.03) ? startDay + r.int(Math.min(60, today - startDay - 1), today - startDay - 1) : null;
  const lastDay = deceasedDay ?? today - 1;
  const providers = staff.providers.filter((p) => adult || p.seesChildren);
  const pcp = r.weighted(providers.map((p) => [p.id, p.share] as const));
  const location = staff.locations[r.chance(0.7) ? 0 : 1] ?? staff.locations[0]!;
  const plan = age >= 65 ? r.weighted([['medicare', 70], ['advantage', 27], ['medicaid', 3]] as const) : r.weighted([['medicaid', adult ? 18 : 35], ['commercial', adult ? 72 : 58], ['none', adult ? 10 : 7]] as const);
  const medicare = plan === 'medicare' || plan === 'advantage';
  const preferredChannel = r.weighted([['sms', phoneMobile ? 45 : 0], ['email', email ? 25 : 0], ['phone', 20], ['letter', 10]] as const);

  // The chart number follows the id so a second demo in the same database never collides.
  const patientId = sink.add('patients', {
    mrn: `DEMO${String(sink.peek('patients')).padStart(7, '0')}`,
    firstName,
    middleName: r.chance(0.4) ? r.pick([...'ABCDEFGHJKLMNPRST']) : null,
    lastName,
    dob: cal.date(dobDay),
    sex,
    race: r.weighted(RACES),
    ethnicity: r.weighted(ETHNICITIES),
    address1: `${r.int(10, 9999)} ${r.pick(STREETS)}`,
    city,
    state: 'NY',
    zip,
    phoneHome,
    phoneMobile,
    email,
    preferredChannel,
    language: r.weighted([['en', 87], ['es', 11], ['zh', 2]] as const),
    deceasedDate: deceasedDay === null ? null : cal.date(deceasedDay),
    active: deceasedDay === null,
    searchName: `${lastName} ${firstName}`.toLowerCase(),
    isTestData: true,
  });
  const registered = cal.at(startDay, 8 * 60);

  for (const channel of ['sms', 'email', 'phone', 'letter'] as const) {
    if ((channel === 'sms' && !phoneMobile) || (channel === 'email' && !email)) continue;
    const optedOut = r.chance(channel === 'sms' ? 0.04 : channel === 'email' ? 0.03 : 0.01);
    sink.add('communicationConsents', {
      patientId,
      channel,
      optedOut,
      consentedAt: registered,
      optedOutAt: optedOut ? cal.at(r.int(startDay, today - 1), 12 * 60) : null,
      note: null,
    });
  }
  if (!adult || r.chance(0.6)) {
    sink.add('emergencyContacts', {
      patientId,
      name: `${r.pick(FIRST_NAMES[r.chance(0.5) ? 'female' : 'male'])} ${adult && r.chance(0.5) ? r.pick(SURNAMES) : lastName}`,
      relationship: adult ? r.pick(['spouse', 'child', 'sibling', 'friend']) : 'parent',
      phone: phone(),
      email: null,
    });
  }

  // Coverage: Medicare from 65 (some with a supplemental plan), Medicaid, employer plans with dependents.
  const coverage = (payerId: number, priority: number, memberId: string, from: string, relationship = '18', planName: string | null = null) => {
    const self = relationship === '18';
    const subscriberSex = self ? sex : r.chance(0.5) ? 'female' : 'male';
    sink.add('coverages', {
      patientId,
      payerId,
      priority,
      memberId,
      groupNumber: planName ? `GRP${digits(r, 5)}` : null,
      planName,
      relationship,
      subscriberFirstName: self ? firstName : r.pick(FIRST_NAMES[subscriberSex]),
      subscriberLastName: lastName,
      subscriberDob: self ? cal.date(dobDay) : cal.date(relationship === '19' ? dobDay - r.int(22, 40) * 365 : dobDay + r.int(-2000, 2000)),
      subscriberSex,
      subscriberAddress1: null,
      subscriberCity: city,
      subscriberState: 'NY',
      subscriberZip: zip,
      effectiveFrom: from,
      effectiveTo: null,
      active: true,
    });
  };
  const coveredSince = cal.date(Math.max(dobDay, historyStart - r.int(30, 3000)));
  if (medicare) {
    const sixtyFifth = `${cal.year(dobDay) + 65}-${String(cal.month(dobDay)).padStart(2, '0')}-01`;
    coverage(plan === 'advantage' ? staff.payers.medicareAdvantage : staff.payers.medicare, 1, mbi(r), sixtyFifth);
    if (plan === 'medicare' && r.chance(0.4)) coverage(r.pick(staff.payers.commercial), 2, `SUP${digits(r, 9)}`, sixtyFifth, '18', 'Medicare supplement');
    else if (r.chance(0.05)) coverage(staff.payers.medicaid, 2, `DM${digits(r, 8)}`, coveredSince);
  } else if (plan === 'medicaid') {
    coverage(staff.payers.medicaid, 1, `DM${digits(r, 8)}`, coveredSince);
  } else if (plan === 'commercial') {
    const relationship = !adult ? '19' : r.chance(0.2) ? '01' : '18';
    coverage(r.pick(staff.payers.commercial), 1, `XDM${digits(r, 9)}`, coveredSince, relationship, r.pick(['PPO', 'HMO', 'High deductible PPO']));
  }

  // The problem list, some coded in SNOMED CT the way other EHRs send them.
  const onsetDay = (id: ConditionId) => Math.max(dobDay + 365, startDay - r.int(90, id === 'asthma' ? 4000 : 3000));
  const heldSince = new Map<ConditionId, number>();
  for (const id of conditions) {
    const condition = CONDITIONS[id];
    const since = Math.min(onsetDay(id), startDay);
    heldSince.set(id, since);
    const useSnomed = condition.snomed !== undefined && r.chance(0.25);
    const coding = useSnomed ? condition.snomed! : condition.icd10;
    sink.add('problems', {
      patientId,
      encounterId: null,
      codeSystem: useSnomed ? CodeSystem.snomed : CodeSystem.icd10cm,
      code: coding.code,
      display: coding.display,
      category: 'problem-list-item',
      clinicalStatus: 'active',
      verificationStatus: 'confirmed',
      onsetDate: cal.date(since),
      abatementDate: null,
      recordedDate: cal.date(Math.max(since, startDay - 400)),
      note: null,
    });
    for (const [drug, share] of condition.drugs) {
      if (!r.chance(share)) continue;
      const start = Math.min(since + r.int(0, 60), lastDay);
      const stopped = r.chance(0.1) ? Math.min(lastDay, start + r.int(30, 700)) : null;
      sink.add('medications', {
        patientId,
        encounterId: null,
        prescriberId: pcp,
        rxnormCode: drug.rxnorm,
        ndcCode: null,
        display: drug.display,
        dose: drug.dose,
        doseUnit: drug.doseUnit,
        route: drug.route,
        frequency: drug.frequency,
        startDate: cal.date(start),
        stopDate: stopped === null ? null : cal.date(stopped),
        quantity: drug.quantity,
        refills: r.int(0, 5),
        status: stopped === null ? 'active' : 'stopped',
        kind: 'request',
        overrideReason: null,
      });
    }
  }

  for (const allergy of ALLERGIES) {
    if (!r.chance(allergy.share)) continue;
    sink.add('allergies', {
      patientId,
      substance: allergy.substance,
      codeSystem: allergy.system === 'rxnorm' ? CodeSystem.rxnorm : CodeSystem.snomed,
      code: allergy.code,
      category: allergy.category,
      criticality: allergy.category === 'environment' ? 'low' : 'high',
      reaction: allergy.reaction,
      severity: r.weighted([['mild', 50], ['moderate', 40], ['severe', 10]] as const),
      clinicalStatus: 'active',
      verificationStatus: 'confirmed',
      onsetDate: null,
      recordedDate: cal.date(startDay),
    });
  }

  // Screenings done elsewhere: mammograms and colonoscopies for those of age.
  if (sex === 'female' && age >= 42 && age <= 74 && r.chance(0.72)) {
    const day = cal.weekday(today - r.int(20, r.chance(0.85) ? HISTORY_DAYS : 1000));
    const impression = r.weighted([['BI-RADS 1: negative.', 70], ['BI-RADS 2: benign findings.', 25], ['BI-RADS 0: needs additional imaging.', 5]] as const);
    sink.add('imagingReports', {
      patientId,
      encounterId: null,
      orderId: null,
      modality: 'MG',
      bodySite: 'Breast',
      codeSystem: CodeSystem.loinc,
      code: LOINC.mammogram.code,
      display: LOINC.mammogram.display,
      studyDate: cal.date(day),
      findings: null,
      impression,
      status: 'final',
    });
    observation({ category: 'imaging', coding: LOINC.mammogram, at: cal.at(day, 10 * 60), encounterId: null, valueText: impression });
  }
  if (age >= 46 && age <= 75 && r.chance(0.58)) {
    const day = cal.weekday(today - r.int(30, 9 * 365));
    const snomed = r.chance(0.4);
    sink.add('procedures', {
      patientId,
      encounterId: null,
      providerId: null,
      codeSystem: snomed ? CodeSystem.snomed : CodeSystem.cpt,
      code: snomed ? SNOMED.colonoscopy.code : '45378',
      display: snomed ? SNOMED.colonoscopy.display : null,
      status: 'completed',
      performedStart: cal.at(day, 9 * 60),
      performedEnd: cal.at(day, 10 * 60),
      bodySite: null,
      reasonSystem: null,
      reasonCode: null,
    });
  }
  if (adult && r.chance(0.4)) {
    const day = today - r.int(HISTORY_DAYS, 3600);
    if (day > dobDay + 18 * 365) immunization(VACCINES.tdap, day, null, false);
  }

  // The visits: well-child checks, yearly physicals or wellness visits, chronic follow-ups, sick visits.
  const visits: PlannedVisit[] = [];
  const book = (day: number, kind: VisitKind, vaccines: Vaccine[] = []) => {
    const weekday = cal.weekday(day);
    if (weekday >= startDay && weekday <= lastDay) visits.push({ day: weekday, kind, vaccines });
  };
  if (isNew) book(startDay, 'new');
  if (age < 4) {
    for (const [months, vaccines] of WELL_CHILD) if (r.chance(0.93)) book(dobDay + Math.round(months * 30.44) + r.int(0, 10), 'well-child', vaccines);
  }
  for (let year = 0; year < 3; year++) {
    const birthdayish = dobDay + Math.round((ageOn(historyStart) + year + 1) * 365.25) + r.int(-30, 30);
    const wantsCheckup = age < 18 ? 0.75 : medicare ? 0.55 : 0.45;
    if (age >= 4 && r.chance(wantsCheckup)) book(birthdayish, medicare && ageOn(birthdayish) >= 65 ? 'wellness' : 'preventive');
  }
  const followUp = Math.min(...[...conditions].map((id) => CONDITIONS[id].followUpDays ?? Infinity));
  if (Number.isFinite(followUp)) {
    for (let day = startDay + r.int(10, followUp); day <= lastDay; day += Math.round(followUp * r.normal(1, 0.2, 0.6, 1.5))) book(day, 'chronic');
  }
  const sickVisits = Math.round(r.normal(age < 18 ? 2.4 : age >= 65 ? 1.8 : 1.4, 1, 0, 6));
  for (let i = 0; i < sickVisits; i++) book(r.int(startDay, lastDay), 'acute');
  visits.sort((a, b) => a.day - b.day);

  // What happens at each visit.
  const seasonsVaccinated = new Set<number>();
  let lastA1c = -Infinity;
  let lastLipids = -Infinity;
  let awvDone = false;
  let pcvDone = r.chance(0.3);
  let zosterDoses = 0;
  let lastVisitDay = -Infinity;
  for (const visit of visits) {
    if (visit.day === lastVisitDay) continue;
    lastVisitDay = visit.day;
    const day = visit.day;
    const ageNow = ageOn(day);
    const provider = r.chance(0.8) ? pcp : r.pick(providers).id;
    const minutes = 8 * 60 + r.int(0, 34) * 15;
    const startsAt = cal.at(day, minutes);

    const [bandNew, bandEstablished] = (PREVENTIVE.find(([upper]) => ageNow < upper) ?? PREVENTIVE.at(-1)!).slice(1) as [string, string];
    let visitCode: string;
    let duration: number;
    let reason: string;
    let typeDisplay: string;
    switch (visit.kind) {
      case 'new':
        visitCode = r.weighted(E_M.newPatient);
        [duration, reason, typeDisplay] = [40, 'New patient visit', 'Office visit, new patient'];
        break;
      case 'well-child':
      case 'preventive':
        visitCode = bandEstablished;
        [duration, reason, typeDisplay] = [30, visit.kind === 'well-child' ? 'Well-child check' : 'Annual physical', 'Preventive medicine visit'];
        break;
      case 'wellness':
        visitCode = awvDone || r.chance(0.7) ? 'G0439' : 'G0438';
        awvDone = true;
        [duration, reason, typeDisplay] = [40, 'Medicare annual wellness visit', 'Annual wellness visit'];
        break;
      case 'chronic':
        visitCode = r.weighted(E_M.chronic);
        [duration, reason, typeDisplay] = [visitCode === '99215' ? 40 : 25, 'Follow-up of chronic conditions', 'Office visit, established patient'];
        break;
      default:
        visitCode = r.weighted(E_M.established);
        [duration, reason, typeDisplay] = [visitCode <= '99213' ? 15 : 25, 'Sick visit', 'Office visit, established patient'];
    }
    if (visit.kind === 'new' && r.chance(0.4) && ageNow >= 1) visitCode = bandNew;

    const encounterId = sink.add('encounters', {
      patientId,
      providerId: provider,
      locationId: location.id,
      startsAt,
      endsAt: cal.at(day, minutes + duration),
      durationMinutes: duration,
      status: 'finished',
      encounterClass: 'AMB',
      typeSystem: procedureCodeSystem(visitCode)!,
      typeCode: visitCode,
      typeDisplay,
      reason,
      reasonSystem: null,
      reasonCode: null,
      isNewPatient: visit.kind === 'new',
      followUpWeeks: visit.kind === 'chronic' ? Math.round(followUp / 7) : null,
      sourceSystem: null,
      sourceId: null,
    });
    sink.add('appointments', appointment(day, minutes, duration, provider, reason, 'kept'));
    const noShowRate = plan === 'medicaid' ? 0.13 : 0.08;
    if (r.chance(noShowRate)) sink.add('appointments', appointment(Math.max(startDay, cal.weekday(day - r.int(3, 20))), 9 * 60 + r.int(0, 28) * 15, duration, provider, reason, 'no-show'));
    if (r.chance(0.09)) sink.add('appointments', appointment(Math.max(startDay, cal.weekday(day - r.int(2, 15))), 9 * 60 + r.int(0, 28) * 15, duration, provider, reason, 'cancelled'));

    // Diagnoses in claim order.
    const diagnoses: Coding[] = [];
    const chronicCodes = [...conditions].map((id) => (id === 'diabetes' && a1cMean > 9 ? { code: 'E11.65', display: 'Type 2 diabetes mellitus with hyperglycemia' } : CONDITIONS[id].icd10));
    if (visit.kind === 'preventive' || visit.kind === 'well-child' || visit.kind === 'wellness') {
      diagnoses.push(ageNow < 18 ? ENCOUNTER_DX.childExam : chronicCodes.length && !bpControlled ? ENCOUNTER_DX.adultExamAbnormal : ENCOUNTER_DX.adultExam);
      diagnoses.push(...chronicCodes.slice(0, 3));
    } else if (visit.kind === 'chronic' || (visit.kind === 'new' && chronicCodes.length)) {
      diagnoses.push(...chronicCodes.slice(0, 4));
    } else {
      diagnoses.push(ageNow < 8 && r.chance(0.3) ? OTITIS : r.pick(ACUTE_DIAGNOSES));
      if (chronicCodes.length && r.chance(0.3)) diagnoses.push(r.pick(chronicCodes));
    }
    const pointerOf = (code: string) => diagnoses.findIndex((d) => d.code === code) + 1 || 1;

    const charge = (code: string, pointers: number[]) =>
      sink.add('charges', {
        patientId,
        encounterId,
        providerId: provider,
        locationId: location.id,
        serviceDate: cal.date(day),
        codeSystem: procedureCodeSystem(code)!,
        code,
        modifiers: [],
        units: 1,
        amountCents: FEES[code]!,
        diagnosisPointers: pointers,
        placeOfService: location.placeOfService,
        ndcCode: null,
        status: 'unbilled',
        sourceSystem: null,
        sourceId: null,
      });

    // Vitals: BP panel with its two components, weight, height, BMI, pulse.
    const vitalsAt = cal.at(day, minutes + 5);
    const vital = (coding: Coding, value: number, unit: string, panelId: number | null = null) =>
      observation({ category: 'vital-signs', coding, at: vitalsAt, encounterId, value, unit, panelId });
    if (ageNow >= 3) {
      const [sys, dia] = has('hypertension')
        ? bpControlled
          ? [r.normal(128, 7, 108, 139), r.normal(79, 5, 62, 89)]
          : [r.normal(148, 9, 132, 185), r.normal(91, 6, 78, 115)]
        : ageNow < 18
          ? [r.normal(106, 7, 88, 124), r.normal(66, 6, 50, 80)]
          : [r.normal(118, 9, 95, 138), r.normal(75, 6, 58, 88)];
      const panel = observation({ category: 'vital-signs', coding: LOINC.bpPanel, at: vitalsAt, encounterId });
      vital(LOINC.systolic, Math.round(sys), 'mm[Hg]', panel);
      vital(LOINC.diastolic, Math.round(dia), 'mm[Hg]', panel);
    }
    const ageYears = (day - dobDay) / 365.25;
    const height = adult ? heightCm : childHeightCm(ageYears) * r.normal(1, 0.03, 0.9, 1.1);
    const visitBmi = ageYears < 2 ? 17 : bmi + r.normal(0, 0.4, -1.5, 1.5);
    const weight = (visitBmi * (height / 100) ** 2) * (ageYears < 2 ? 0.9 : 1);
    vital(LOINC.weight, Number(weight.toFixed(1)), 'kg');
    vital(LOINC.height, Number(height.toFixed(1)), 'cm');
    if (ageYears >= 2) vital(LOINC.bmi, Number((weight / (height / 100) ** 2).toFixed(1)), 'kg/m2');
    vital(LOINC.heartRate, Math.round(r.normal(ageYears < 2 ? 120 : ageYears < 12 ? 95 : 74, 9, 50, 160)), '/min');

    // Labs, ordered and resulted the same day; one blood draw charge per visit.
    let drawn = false;
    const lab = (coding: Coding, dxCode: string | null) => {
      const orderId = sink.add('orders', {
        patientId,
        encounterId,
        providerId: provider,
        kind: 'lab',
        codeSystem: CodeSystem.loinc,
        code: coding.code,
        display: coding.display,
        status: 'completed',
        intent: 'order',
        orderedAt: startsAt,
        reason: null,
        sourceSystem: null,
        sourceId: null,
      });
      const pointer = dxCode ? pointerOf(dxCode) : 1;
      charge(coding === LOINC.a1c ? '83036' : '80061', [pointer]);
      if (!drawn) charge('36415', [pointer]);
      drawn = true;
      return orderId;
    };
    const resultAt = cal.at(day, minutes + 20);
    const diabetic = has('diabetes');
    if (adult && (diabetic ? day - lastA1c >= 80 && r.chance(0.9) : visit.kind === 'preventive' && ageNow >= 35 && r.chance(0.35))) {
      lastA1c = day;
      const orderId = lab(LOINC.a1c, diabetic ? chronicCodes.find((c) => c.code.startsWith('E11'))!.code : null);
      const value = Number(r.normal(a1cMean, 0.4, 4.2, 14).toFixed(1));
      observation({ category: 'laboratory', coding: LOINC.a1c, at: resultAt, encounterId, orderId, value, unit: '%', low: '4.0', high: '5.6', interpretation: value >= 5.7 ? 'H' : 'N' });
    }
    if (adult && day - lastLipids >= 330 && (has('hyperlipidemia') || diabetic ? r.chance(0.85) : visit.kind === 'preventive' && ageNow >= 20 && r.chance(0.4))) {
      lastLipids = day;
      const orderId = lab(LOINC.lipidPanel, has('hyperlipidemia') ? CONDITIONS.hyperlipidemia.icd10.code : null);
      const high = has('hyperlipidemia');
      const total = Math.round(r.normal(high ? 225 : 180, 25, 120, 320));
      const hdl = Math.round(r.normal(sex === 'female' ? 58 : 47, 10, 25, 95));
      const triglycerides = Math.round(r.normal(high || diabetic ? 185 : 120, 40, 45, 450));
      const ldl = Math.max(40, Math.round(total - hdl - triglycerides / 5));
      const panel = observation({ category: 'laboratory', coding: LOINC.lipidPanel, at: resultAt, encounterId, orderId });
      const result = (coding: Coding, value: number, low: string | null, highLimit: string | null, flag: string) =>
        observation({ category: 'laboratory', coding, at: resultAt, encounterId, orderId, panelId: panel, value, unit: 'mg/dL', low, high: highLimit, interpretation: flag });
      result(LOINC.cholesterol, total, null, '199', total >= 200 ? 'H' : 'N');
      result(LOINC.triglycerides, triglycerides, null, '149', triglycerides >= 150 ? 'H' : 'N');
      result(LOINC.hdl, hdl, '40', null, hdl < 40 ? 'L' : 'N');
      result(LOINC.ldl, ldl, null, '99', ldl >= 100 ? 'H' : 'N');
    }

    // Screenings: depression (PHQ-9) at checkups and depression follow-ups, tobacco status from 12.
    const checkup = visit.kind === 'preventive' || visit.kind === 'wellness' || visit.kind === 'well-child';
    if (ageNow >= 12 && (checkup || (has('depression') && visit.kind === 'chronic'))) {
      const score = Math.max(0, Math.min(27, Math.round(phqBase + r.normal(0, 2))));
      const tool = ageNow >= 18 ? LOINC.adultDepressionScreen : LOINC.adolescentDepressionScreen;
      const result = score >= 10 ? SNOMED.screenPositive : SNOMED.screenNegative;
      const at = cal.at(day, minutes + 8);
      observation({ category: 'survey', coding: tool, at, encounterId, valueCoding: result });
      observation({ category: 'survey', coding: LOINC.phq9Total, at, encounterId, value: score, unit: '{score}' });
    }
    if (smoking && (checkup || r.chance(0.3))) {
      const status = smoking === 'current' ? SNOMED.smokesDaily : smoking === 'former' ? SNOMED.exSmoker : SNOMED.neverSmoked;
      observation({ category: 'social-history', coding: LOINC.smokingStatus, at: cal.at(day, minutes + 6), encounterId, valueCoding: status });
      if (smoking === 'current' && r.chance(0.55)) {
        sink.add('procedures', {
          patientId,
          encounterId,
          providerId: provider,
          codeSystem: CodeSystem.cpt,
          code: '99406',
          display: null,
          status: 'completed',
          performedStart: cal.at(day, minutes + 10),
          performedEnd: cal.at(day, minutes + 14),
          bodySite: null,
          reasonSystem: CodeSystem.icd10cm,
          reasonCode: CONDITIONS.tobacco.icd10.code,
        });
        if (!has('tobacco')) diagnoses.push(CONDITIONS.tobacco.icd10);
        charge('99406', [pointerOf(CONDITIONS.tobacco.icd10.code)]);
      }
    }

    // Vaccines due: the child schedule, flu in season, Tdap, pneumococcal and shingles for adults.
    const given: Vaccine[] = visit.vaccines.filter(() => r.chance(0.93));
    const month = cal.month(day);
    const season = month >= 9 ? cal.year(day) : month <= 3 ? cal.year(day) - 1 : null;
    if (season !== null && ageYears >= 0.5 && !seasonsVaccinated.has(season) && r.chance(ageNow >= 65 ? 0.7 : ageNow < 18 ? 0.55 : 0.45)) {
      seasonsVaccinated.add(season);
      given.push(ageNow >= 65 ? VACCINES.fluHighDose : r.chance(0.8) ? VACCINES.fluPreservativeFree : VACCINES.flu);
    }
    if (ageNow >= 65 && !pcvDone && (visit.kind === 'wellness' || r.chance(0.2))) {
      pcvDone = true;
      given.push(VACCINES.pcv20);
    }
    if (ageNow >= 50 && zosterDoses < 2 && (zosterDoses === 1 ? r.chance(0.7) : checkup && r.chance(0.25))) {
      zosterDoses++;
      given.push(VACCINES.zoster);
    }
    if (given.length) {
      diagnoses.push(ENCOUNTER_DX.immunization);
      const pointer = diagnoses.length;
      given.forEach((vaccine, i) => {
        immunization(vaccine, day, encounterId, true, provider);
        charge(vaccine.cpt, [pointer]);
        // Medicare pays flu and pneumococcal shots with its own administration codes.
        const admin = ageNow < 18 ? '90460' : medicare && vaccine === VACCINES.pcv20 ? 'G0009' : medicare && FLU.has(vaccine) ? 'G0008' : i === 0 ? '90471' : '90472';
        charge(admin, [pointer]);
      });
    }

    diagnoses.slice(0, 12).forEach((dx, i) =>
      sink.add('encounterDiagnoses', { encounterId, position: i + 1, codeSystem: CodeSystem.icd10cm, code: dx.code, display: dx.display }),
    );
    charge(visitCode, diagnoses.slice(0, 4).map((_, i) => i + 1));
  }

  // Booked visits ahead: most people with chronic conditions, some others.
  if (deceasedDay === null && r.chance(conditions.size ? 0.55 : 0.15)) {
    const day = cal.weekday(today + r.int(1, 90));
    sink.add('appointments', appointment(Math.max(day, today + 1), 8 * 60 + r.int(0, 34) * 15, 20, pcp, conditions.size ? 'Follow-up of chronic conditions' : 'Annual physical', 'scheduled'));
  }

  function appointment(day: number, minutes: number, duration: number, providerId: number, reason: string, status: 'kept' | 'no-show' | 'cancelled' | 'scheduled') {
    const changed = status === 'kept' ? minutes + duration : status === 'no-show' ? minutes + 20 : null;
    return {
      patientId,
      providerId,
      locationId: location.id,
      startsAt: cal.at(day, minutes),
      durationMinutes: duration,
      reason,
      recallRuleCode: null,
      status,
      statusChangedAt: status === 'cancelled' ? cal.at(day - r.int(1, 3), 9 * 60) : changed === null ? null : cal.at(day, changed),
      cancelReason: status === 'cancelled' ? r.pick(['Patient request', 'Patient feeling better', 'Provider unavailable', 'Weather']) : null,
      rescheduledFromId: null,
      sourceSystem: null,
      sourceId: null,
    };
  }

  function immunization(vaccine: Vaccine, day: number, encounterId: number | null, givenHere: boolean, performerId: number | null = null) {
    const oral = vaccine === VACCINES.rotavirus;
    sink.add('immunizations', {
      patientId,
      encounterId,
      performerId,
      cvxCode: vaccine.cvx,
      display: vaccine.display,
      occurrenceDate: cal.date(day),
      status: 'completed',
      statusReasonSystem: null,
      statusReasonCode: null,
      lotNumber: givenHere ? `DM${digits(r, 6)}` : null,
      expirationDate: givenHere ? cal.date(day + r.int(90, 540)) : null,
      manufacturer: null,
      site: oral ? null : ageOn(day) < 3 ? 'Right thigh' : 'Left deltoid',
      route: oral ? 'PO' : 'IM',
      doseQuantity: givenHere ? (oral ? '1' : '0.5') : null,
      doseUnit: givenHere ? 'mL' : null,
      primarySource: givenHere,
    });
  }

  function observation(o: {
    category: 'vital-signs' | 'laboratory' | 'survey' | 'social-history' | 'imaging';
    coding: Coding;
    at: Date;
    encounterId: number | null;
    orderId?: number;
    panelId?: number | null;
    value?: number;
    unit?: string;
    valueText?: string;
    valueCoding?: Coding;
    low?: string | null;
    high?: string | null;
    interpretation?: string;
  }): number {
    return sink.add('observations', {
      patientId,
      encounterId: o.encounterId,
      orderId: o.orderId ?? null,
      panelId: o.panelId ?? null,
      category: o.category,
      codeSystem: CodeSystem.loinc,
      code: o.coding.code,
      display: o.coding.display,
      valueNumeric: o.value === undefined ? null : String(o.value),
      valueUnit: o.unit ?? null,
      valueText: o.valueText ?? o.valueCoding?.display ?? null,
      valueCodeSystem: o.valueCoding ? CodeSystem.snomed : null,
      valueCode: o.valueCoding?.code ?? null,
      referenceLow: o.low ?? null,
      referenceHigh: o.high ?? null,
      referenceText: null,
      interpretation: o.interpretation ?? null,
      effectiveAt: o.at,
      issuedAt: o.category === 'laboratory' ? o.at : null,
      status: 'final',
      sourceSystem: null,
      sourceId: null,
    });
  }
}
