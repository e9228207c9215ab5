// One visit as it happens: the kept appointment (and the odd no-show or cancellation before it), the
// encounter with its visit code (new-patient codes 99202-99205 or preventive 9938x on a first visit),
// diagnoses in claim order, vitals, labs with their charges, depression and tobacco screening, the
// vaccines due, and the charge lines with diagnosis pointers.
import { CodeSystem } from '../codes/systems.js';
import { ACUTE_DIAGNOSES, CONDITIONS, E_M, ENCOUNTER_DX, LOINC, OTITIS, PREVENTIVE, SNOMED, VACCINES, type Coding, type Vaccine } from './catalog.js';
import type { PlannedVisit } from './life.js';
import { BMI, VITAL_SIGNS, bodyMassIndex } from '../records/vital.js';
import { childHeightCm, type Person } from './person.js';
import type { Registration } from './registration.js';

const vitalSign = (option: string) => VITAL_SIGNS.find((v) => v.option === option)!;
const [WEIGHT, HEIGHT, PULSE] = [vitalSign('weight'), vitalSign('height'), vitalSign('pulse')];
const FLU = new Set<Vaccine>([VACCINES.flu, VACCINES.fluPreservativeFree, VACCINES.fluHighDose]);

/** What carries over from visit to visit: when labs were last drawn, which vaccines are done. */
export interface VisitMemory {
  seasonsVaccinated: Set<number>;
  lastA1c: number;
  lastLipids: number;
  awvDone: boolean;
  pcvDone: boolean;
  zosterDoses: number;
}

export const freshMemory = (pcvDone: boolean): VisitMemory => ({ seasonsVaccinated: new Set(), lastA1c: -Infinity, lastLipids: -Infinity, awvDone: false, pcvDone, zosterDoses: 0 });

interface VisitType {
  code: string;
  duration: number;
  reason: string;
  display: string;
}

function visitType(visit: PlannedVisit, ageNow: number, memory: VisitMemory, reg: Registration): VisitType {
  const { r } = reg.chart;
  const [bandNew, bandEstablished] = (PREVENTIVE.find(([upper]) => ageNow < upper) ?? PREVENTIVE.at(-1)!).slice(1) as [string, string];
  switch (visit.kind) {
    case 'new':
      // A first visit is a new-patient office visit, or a new-patient preventive visit.
      if (r.chance(0.4) && ageNow >= 1) return { code: bandNew, duration: 40, reason: 'New patient visit', display: 'Preventive medicine visit, new patient' };
      return { code: r.weighted(E_M.newPatient), duration: 40, reason: 'New patient visit', display: 'Office visit, new patient' };
    case 'well-child':
    case 'preventive':
      return { code: bandEstablished, duration: 30, reason: visit.kind === 'well-child' ? 'Well-child check' : 'Annual physical', display: 'Preventive medicine visit' };
    case 'wellness': {
      const code = memory.awvDone || r.chance(0.7) ? 'G0439' : 'G0438';
      memory.awvDone = true;
      return { code, duration: 40, reason: 'Medicare annual wellness visit', display: 'Annual wellness visit' };
    }
    case 'chronic': {
      const code = r.weighted(E_M.chronic);
      return { code, duration: code === '99215' ? 40 : 25, reason: 'Follow-up of chronic conditions', display: 'Office visit, established patient' };
    }
    default: {
      const code = r.weighted(E_M.established);
      return { code, duration: code <= '99213' ? 15 : 25, reason: 'Sick visit', display: 'Office visit, established patient' };
    }
  }
}

export function recordVisit(person: Person, reg: Registration, visit: PlannedVisit, memory: VisitMemory, followUpDays: number): void {
  const { chart } = reg;
  const { r, cal, sink, patientId } = chart;
  const has = (id: keyof typeof CONDITIONS) => person.conditions.has(id);
  const day = visit.day;
  const ageNow = chart.ageOn(day);
  const provider = r.chance(0.8) ? reg.pcp : r.pick(reg.providers).id;
  const minutes = 8 * 60 + r.int(0, 34) * 15;
  const startsAt = cal.at(day, minutes);
  const type = visitType(visit, ageNow, memory, reg);

  // The visit is written once it is over (its diagnoses are known then); its records point at the id it will have.
  const encounterId = sink.peek('encounters');
  chart.appointment(day, minutes, type.duration, provider, type.reason, 'kept');
  const noShowRate = reg.plan === 'medicaid' ? 0.13 : 0.08;
  if (r.chance(noShowRate)) chart.appointment(Math.max(reg.startDay, cal.weekday(day - r.int(3, 20))), 9 * 60 + r.int(0, 28) * 15, type.duration, provider, type.reason, 'no-show');
  if (r.chance(0.09)) chart.appointment(Math.max(reg.startDay, cal.weekday(day - r.int(2, 15))), 9 * 60 + r.int(0, 28) * 15, type.duration, provider, type.reason, 'cancelled');

  // Diagnoses in claim order.
  const diagnoses: Coding[] = [];
  const chronicCodes = [...person.conditions].map((id) => (id === 'diabetes' && person.a1cMean > 9 ? { code: 'E11.65', display: 'Type 2 diabetes mellitus with hyperglycemia' } : CONDITIONS[id].icd10));
  const checkup = visit.kind === 'preventive' || visit.kind === 'wellness' || visit.kind === 'well-child';
  if (checkup) {
    diagnoses.push(ageNow < 18 ? ENCOUNTER_DX.childExam : chronicCodes.length && !person.bpControlled ? ENCOUNTER_DX.adultExamAbnormal : ENCOUNTER_DX.adultExam);
    diagnoses.push(...chronicCodes.slice(0, 3));
  } else if (visit.kind === 'chronic' || (visit.kind === 'new' && chronicCodes.length)) {
    diagnoses.push(...chronicCodes.slice(0, 4));
  } else {
    diagnoses.push(ageNow < 8 && r.chance(0.3) ? OTITIS : r.pick(ACUTE_DIAGNOSES));
    if (chronicCodes.length && r.chance(0.3)) diagnoses.push(r.pick(chronicCodes));
  }
  const pointerOf = (code: string) => diagnoses.findIndex((d) => d.code === code) + 1 || 1;
  const billed = { encounterId, providerId: provider, day, placeOfService: reg.placeOfService };
  // Charge lines are entered once the visit's diagnoses are all listed: each points at one of them.
  const lines: [code: string, pointers: number[]][] = [];
  const charge = (code: string, pointers: number[]) => void lines.push([code, pointers]);

  // Vitals as `practice vitals add` records them: BP panel with its two components, weight, height, the
  // BMI worked out from the weight and height as recorded, pulse.
  const vitalsAt = cal.at(day, minutes + 5);
  if (ageNow >= 3) {
    const [sys, dia] = has('hypertension')
      ? person.bpControlled
        ? [r.normal(128, 7, 108, 139), r.normal(79, 5, 62, 89)]
        : [r.normal(148, 9, 132, 185), r.normal(91, 6, 78, 115)]
      : ageNow < 18
        ? [r.normal(106, 7, 88, 124), r.normal(66, 6, 50, 80)]
        : [r.normal(118, 9, 95, 138), r.normal(75, 6, 58, 88)];
    chart.bloodPressure(Math.round(sys), Math.round(dia), vitalsAt, encounterId);
  }
  const ageYears = (day - person.dobDay) / 365.25;
  const height = person.adult ? person.heightCm : childHeightCm(ageYears) * r.normal(1, 0.03, 0.9, 1.1);
  const visitBmi = ageYears < 2 ? 17 : person.bmi + r.normal(0, 0.4, -1.5, 1.5);
  const weight = visitBmi * (height / 100) ** 2 * (ageYears < 2 ? 0.9 : 1);
  const weightKg = Number(weight.toFixed(1));
  const heightCm = Number(height.toFixed(1));
  chart.vital(WEIGHT, weightKg, vitalsAt, encounterId);
  chart.vital(HEIGHT, heightCm, vitalsAt, encounterId);
  if (ageYears >= 2) chart.vital(BMI, bodyMassIndex(weightKg, heightCm), vitalsAt, encounterId);
  chart.vital(PULSE, Math.round(r.normal(ageYears < 2 ? 120 : ageYears < 12 ? 95 : 74, 9, 50, 160)), vitalsAt, encounterId);

  // Labs, ordered and resulted the same day, in the declared tests' units; one blood draw charge per visit.
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
  if (person.adult && (diabetic ? day - memory.lastA1c >= 80 && r.chance(0.9) : visit.kind === 'preventive' && ageNow >= 35 && r.chance(0.35))) {
    memory.lastA1c = day;
    const orderId = lab(LOINC.a1c, diabetic ? chronicCodes.find((c) => c.code.startsWith('E11'))!.code : null);
    const value = Number(r.normal(person.a1cMean, 0.4, 4.2, 14).toFixed(1));
    chart.labResult({ coding: LOINC.a1c, at: resultAt, encounterId, orderId, value, low: '4.0', high: '5.6', interpretation: value >= 5.7 ? 'H' : 'N' });
  }
  if (person.adult && day - memory.lastLipids >= 330 && (has('hyperlipidemia') || diabetic ? r.chance(0.85) : visit.kind === 'preventive' && ageNow >= 20 && r.chance(0.4))) {
    memory.lastLipids = day;
    const orderId = lab(LOINC.lipidPanel, has('hyperlipidemia') ? CONDITIONS.hyperlipidemia.icd10.code : null);
    const high = has('hyperlipidemia');
    const total = Math.round(r.normal(high ? 225 : 180, 25, 120, 320));
    const hdl = Math.round(r.normal(person.sex === 'female' ? 58 : 47, 10, 25, 95));
    const triglycerides = Math.round(r.normal(high || diabetic ? 185 : 120, 40, 45, 450));
    const ldl = Math.max(40, Math.round(total - hdl - triglycerides / 5));
    const panel = chart.labPanel(LOINC.lipidPanel, resultAt, encounterId, orderId);
    const result = (coding: Coding, value: number, low: string | null, highLimit: string | null, flag: string) =>
      chart.labResult({ coding, at: resultAt, encounterId, orderId, panelId: panel, value, low, high: highLimit, interpretation: flag });
    result(LOINC.cholesterol, total, null, '199', total >= 200 ? 'H' : 'N');
    result(LOINC.triglycerides, triglycerides, null, '149', triglycerides >= 150 ? 'H' : 'N');
    result(LOINC.hdl, hdl, '40', null, hdl < 40 ? 'L' : 'N');
    result(LOINC.ldl, ldl, null, '99', ldl >= 100 ? 'H' : 'N');
  }

  // Screenings: depression (PHQ-9) at checkups and depression follow-ups, tobacco status from 12.
  if (ageNow >= 12 && (checkup || (has('depression') && visit.kind === 'chronic'))) {
    const score = Math.max(0, Math.min(27, Math.round(person.phqBase + r.normal(0, 2))));
    const tool = ageNow >= 18 ? LOINC.adultDepressionScreen : LOINC.adolescentDepressionScreen;
    const at = cal.at(day, minutes + 8);
    chart.observation({ category: 'survey', coding: tool, at, encounterId, valueCoding: score >= 10 ? SNOMED.screenPositive : SNOMED.screenNegative });
    chart.observation({ category: 'survey', coding: LOINC.phq9Total, at, encounterId, value: score, unit: '{score}' });
  }
  if (person.smoking && (checkup || r.chance(0.3))) {
    const status = person.smoking === 'current' ? SNOMED.smokesDaily : person.smoking === 'former' ? SNOMED.exSmoker : SNOMED.neverSmoked;
    chart.observation({ category: 'social-history', coding: LOINC.smokingStatus, at: cal.at(day, minutes + 6), encounterId, valueCoding: status });
    if (person.smoking === 'current' && r.chance(0.55)) {
      chart.procedure({
        encounterId,
        providerId: provider,
        codeSystem: CodeSystem.cpt,
        code: '99406',
        display: null,
        start: cal.at(day, minutes + 10),
        end: cal.at(day, minutes + 14),
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
  if (season !== null && ageYears >= 0.5 && !memory.seasonsVaccinated.has(season) && r.chance(ageNow >= 65 ? 0.7 : ageNow < 18 ? 0.55 : 0.45)) {
    memory.seasonsVaccinated.add(season);
    given.push(ageNow >= 65 ? VACCINES.fluHighDose : r.chance(0.8) ? VACCINES.fluPreservativeFree : VACCINES.flu);
  }
  if (ageNow >= 65 && !memory.pcvDone && (visit.kind === 'wellness' || r.chance(0.2))) {
    memory.pcvDone = true;
    given.push(VACCINES.pcv20);
  }
  if (ageNow >= 50 && memory.zosterDoses < 2 && (memory.zosterDoses === 1 ? r.chance(0.7) : checkup && r.chance(0.25))) {
    memory.zosterDoses++;
    given.push(VACCINES.zoster);
  }
  if (given.length) {
    diagnoses.push(ENCOUNTER_DX.immunization);
    const pointer = diagnoses.length;
    given.forEach((vaccine, i) => {
      chart.immunization(vaccine, day, encounterId, true, provider);
      charge(vaccine.cpt, [pointer]);
      // Medicare pays flu and pneumococcal shots with its own administration codes.
      const admin = ageNow < 18 ? '90460' : reg.medicare && vaccine === VACCINES.pcv20 ? 'G0009' : reg.medicare && FLU.has(vaccine) ? 'G0008' : i === 0 ? '90471' : '90472';
      charge(admin, [pointer]);
    });
  }

  const listed = diagnoses.slice(0, 12);
  chart.visit({ id: encounterId, providerId: provider, startsAt, durationMinutes: type.duration, placeOfService: reg.placeOfService, type, reason: type.reason, diagnoses: listed, isNewPatient: visit.kind === 'new', followUpWeeks: visit.kind === 'chronic' ? Math.round(followUpDays / 7) : null });
  charge(type.code, listed.slice(0, 4).map((_, i) => i + 1));
  for (const [code, pointers] of lines) chart.charge(billed, code, pointers, listed.length);
}
