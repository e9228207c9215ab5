// What a patient brings to the chart before the practice's visits: the problem list (some coded in
// SNOMED CT the way other EHRs send them), the medications for it, allergies, and screenings done
// elsewhere (mammograms, colonoscopies, an old Tdap, a child's shots from before the chart's first visit).
import { CodeSystem } from '../codes/systems.js';
import type { ALLERGY_CRITICALITIES, ALLERGY_SEVERITIES, ALLERGY_STATUSES } from '../records/allergy.js';
import type { MEDICATION_STATUSES } from '../records/medication.js';
import type { PROBLEM_STATUSES } from '../records/problem.js';
import { ALLERGIES, CONDITIONS, LOINC, SNOMED, VACCINES, WELL_CHILD, type VocabularyCode } from './catalog.js';
import type { Person } from './person.js';
import type { Registration } from './registration.js';

// The declarations' own words (src/records/), typed so a word they do not have cannot be written.
const active: VocabularyCode<typeof PROBLEM_STATUSES> & VocabularyCode<typeof ALLERGY_STATUSES> = 'active';
const taking: VocabularyCode<typeof MEDICATION_STATUSES> = 'active';
const stoppedStatus: VocabularyCode<typeof MEDICATION_STATUSES> = 'stopped';
const [low, high]: VocabularyCode<typeof ALLERGY_CRITICALITIES>[] = ['low', 'high'];
const SEVERITY_MIX: [VocabularyCode<typeof ALLERGY_SEVERITIES>, number][] = [['mild', 50], ['moderate', 40], ['severe', 10]];

export function recordHistory(person: Person, reg: Registration, historyDays: number): void {
  const { chart } = reg;
  const { r, cal, sink, patientId } = chart;
  const today = cal.today;
  const { dobDay, age, sex, adult } = person;
  const onsetDay = (id: string) => Math.max(dobDay + 365, reg.startDay - r.int(90, id === 'asthma' ? 4000 : 3000));

  for (const id of person.conditions) {
    const condition = CONDITIONS[id];
    const since = Math.min(onsetDay(id), reg.startDay);
    const useSnomed = condition.snomed !== undefined && r.chance(0.25);
    const coding = useSnomed ? condition.snomed! : condition.icd10;
    chart.problem({ code: coding.code, codeSystem: useSnomed ? CodeSystem.snomed : CodeSystem.icd10cm, display: coding.display, status: active, onsetDate: cal.date(since) }, cal.date(Math.max(since, reg.startDay - 400)));
    for (const [drug, share] of condition.drugs) {
      if (!r.chance(share)) continue;
      const start = Math.min(since + r.int(0, 60), reg.lastDay);
      const stopped = r.chance(0.1) ? Math.min(reg.lastDay, start + r.int(30, 700)) : null;
      chart.medication(
        {
          rxnorm: drug.rxnorm,
          display: drug.display,
          dose: drug.dose,
          doseUnit: drug.doseUnit,
          route: drug.route,
          frequency: drug.frequency,
          startDate: cal.date(start),
          stopDate: stopped === null ? undefined : cal.date(stopped),
          quantity: drug.quantity,
          refills: r.int(0, 5),
          status: stopped === null ? taking : stoppedStatus,
        },
        reg.pcp,
      );
    }
  }

  for (const allergy of ALLERGIES) {
    if (!r.chance(allergy.share)) continue;
    chart.allergy(
      {
        substance: allergy.substance,
        codeSystem: allergy.system,
        code: allergy.code,
        category: allergy.category,
        criticality: allergy.category === 'environment' ? low : high,
        reaction: allergy.reaction,
        severity: r.weighted(SEVERITY_MIX),
        status: active,
      },
      cal.date(reg.startDay),
    );
  }

  if (sex === 'female' && age >= 42 && age <= 74 && r.chance(0.72)) {
    const day = cal.weekday(today - r.int(20, r.chance(0.85) ? historyDays : 1000));
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
    chart.observation({ category: 'imaging', coding: LOINC.mammogram, at: cal.at(day, 10 * 60), encounterId: null, valueText: impression });
  }
  if (age >= 46 && age <= 75 && r.chance(0.58)) {
    const day = cal.weekday(today - r.int(30, 9 * 365));
    const snomed = r.chance(0.4);
    chart.procedure({
      encounterId: null,
      providerId: null,
      codeSystem: snomed ? CodeSystem.snomed : CodeSystem.cpt,
      code: snomed ? SNOMED.colonoscopy.code : '45378',
      display: snomed ? SNOMED.colonoscopy.display : null,
      start: cal.at(day, 9 * 60),
      end: cal.at(day, 10 * 60),
    });
  }
  if (adult && r.chance(0.4)) {
    const day = today - r.int(historyDays, 3600);
    if (day > dobDay + 18 * 365) chart.immunization(VACCINES.tdap, day, null, false);
  }
  if (age < 6) recordEarlierChildhoodShots(person, reg);
}

/**
 * The shots of the CDC schedule that fell before the patient's first visit in this record: given at
 * another practice (a new patient brings the record: reported, not given here) or here before the
 * years the record holds (kept with their lots). Flu in each season after six months, two doses in the
 * first, as the schedule asks of a child under nine.
 */
function recordEarlierChildhoodShots(person: Person, reg: Registration): void {
  const { chart } = reg;
  const { r, cal } = chart;
  const givenHere = !reg.isNew;
  for (const [months, vaccines] of WELL_CHILD) {
    // The birth-dose of a child born on a Saturday is given on the Monday, not the Friday before.
    const scheduled = cal.weekday(person.dobDay + Math.round(months * 30.44) + r.int(0, 10));
    const day = scheduled < person.dobDay ? scheduled + 3 : scheduled;
    if (day >= reg.startDay || !r.chance(0.93)) continue;
    for (const vaccine of vaccines) if (r.chance(0.95)) chart.immunization(vaccine, day, null, givenHere);
  }
  let firstSeason = true;
  for (let year = cal.year(person.dobDay); ; year++) {
    const seasonStart = cal.weekday(cal.dayOf(year, 9, 15) + r.int(0, 45));
    if (seasonStart >= reg.startDay) break;
    if (seasonStart < person.dobDay + 183 || !r.chance(0.6)) continue;
    chart.immunization(VACCINES.fluPreservativeFree, seasonStart, null, givenHere);
    if (firstSeason && seasonStart + 28 < reg.startDay && r.chance(0.75)) chart.immunization(VACCINES.fluPreservativeFree, seasonStart + 28, null, givenHere);
    firstSeason = false;
  }
}
