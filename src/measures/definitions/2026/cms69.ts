// CMS69v14 Preventive Care and Screening: BMI Screening and Follow-Up Plan (MIPS Q128).
import { any, all, loinc, MP, not, union, vs, type Criterion, type EncounterSpec, type MeasureDefinition } from '../../definition.js';
import { hospice, palliativeCare, VS } from '../../library.js';

const U = '2.16.840.1.113883.3.600.1';
const R = '2.16.840.1.113883.3.526.3';
// In person (not a virtual class), the patient 18 or older when it started.
const qualifyingVisit: EncounterSpec = {
  concept: vs('Encounter to Evaluate BMI', `${U}.1751`),
  window: MP,
  excludeClasses: ['VR'],
  minAgeAtStart: 18,
};
const bmi = loinc('BMI', '39156-5');
const pregnancy = vs('Pregnancy or Other Related Diagnoses', `${U}.1623`);
const referrals = vs('Referrals Where Weight Assessment May Occur', `${U}.1527`);
const aboveFollowUp = vs('Follow Up for Above Normal BMI', `${U}.1525`);
const belowFollowUp = vs('Follow Up for Below Normal BMI', `${U}.1528`);
const aboveMeds = vs('Medications for Above Normal BMI', `${R}.1561`);
const belowMeds = vs('Medications for Below Normal BMI', `${R}.1562`);

const reading = (value: { min?: number; below?: number }): Criterion => ({
  observation: { concept: bmi, timing: 'during', window: MP, value: { above: 0, ...value } },
});
const high = reading({ min: 25 });
const low = reading({ below: 18.5 });
// A follow-up plan in the period: ordered (service or medication) or done (the CQL puts no status filter on it).
const followUp = (plan: typeof aboveFollowUp, meds: typeof aboveMeds): Criterion =>
  any(
    { order: { concept: union(`${plan.name} or referral`, plan, referrals), window: MP, statuses: ['draft', 'active', 'on-hold', 'revoked', 'completed', 'unknown'] } },
    { medication: { concept: meds, match: 'authoredIn', window: MP } },
    { procedure: { concept: plan, timing: 'startsIn', window: MP, statuses: ['preparation', 'in-progress', 'on-hold', 'stopped', 'completed', 'unknown'] } },
  );

export const cms69: MeasureDefinition = {
  id: 'CMS69',
  program: 'mips',
  version: 'CMS69v14',
  performanceYear: 2026,
  title: 'Preventive Care and Screening: BMI Screening and Follow-Up Plan',
  qualityId: '128',
  inverse: false,
  description: 'Adults with a BMI documented this year, and a follow-up plan when it is outside 18.5-25.',
  gap: 'BMI this year, and a follow-up plan if it is not normal',
  groups: [
    {
      id: 'Group_1',
      title: 'BMI documented with follow-up when abnormal',
      initialPopulation: { encounter: qualifyingVisit },
      exclusion: any(
        hospice,
        palliativeCare,
        { condition: { concept: pregnancy, timing: 'overlaps' } },
        { observation: { concept: loinc('Pregnancy status', '82810-3'), timing: 'overlaps', valueIn: pregnancy } },
      ),
      numerator: any(
        all(reading({ min: 18.5, below: 25 }), not(high), not(low)),
        all(high, followUp(aboveFollowUp, aboveMeds)),
        all(low, followUp(belowFollowUp, belowMeds)),
      ),
      exception: any(
        { notDone: { concept: bmi, reasons: union('Patient declined or medical reason', VS.patientDeclined, VS.medicalReason), sameDayAs: qualifyingVisit } },
        {
          notDone: {
            concept: union('BMI follow-up plans', aboveFollowUp, belowFollowUp, referrals, aboveMeds, belowMeds),
            reasons: VS.medicalReason,
            sameDayAs: qualifyingVisit,
          },
        },
      ),
    },
  ],
};
