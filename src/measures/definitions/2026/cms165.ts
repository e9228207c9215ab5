// CMS165v14 Controlling High Blood Pressure (MIPS Q236).
import { ageAtEnd, all, any, MP, union, vs, type BloodPressureSpec, type Criterion, type MeasureDefinition } from '../../definition.js';
import { adultOutpatientVisit, frailty, frailWithAdvancedIllness, hospice, nursingHome, palliativeCare, VS } from '../../library.js';

export const hypertension = vs('Essential Hypertension', '2.16.840.1.113883.3.464.1003.104.12.1011');
const kidneyConditions = union(
  'Pregnancy or end stage kidney disease',
  vs('Pregnancy', '2.16.840.1.113883.3.526.3.378'),
  vs('End Stage Renal Disease', '2.16.840.1.113883.3.526.3.353'),
  vs('Kidney Transplant Recipient', '2.16.840.1.113883.3.464.1003.109.12.1029'),
  vs('Chronic Kidney Disease, Stage 5', '2.16.840.1.113883.3.526.3.1002'),
);
const kidneyProcedures = union(
  'Kidney transplant or dialysis',
  vs('Kidney Transplant', '2.16.840.1.113883.3.464.1003.109.12.1012'),
  vs('Dialysis Services', '2.16.840.1.113883.3.464.1003.109.12.1013'),
);
const esrdMonthly = vs('ESRD Monthly Outpatient Services', '2.16.840.1.113883.3.464.1003.109.12.1014');

export const hypertensionPatient = all(
  ageAtEnd(18, 85),
  // Span overlapping the first six months of the period.
  { condition: { concept: hypertension, timing: 'overlaps', window: { from: { at: 'mpStart' }, to: { at: 'mpStart', offset: '6 months -1 day' } } } },
  adultOutpatientVisit,
);

/** Hospice, pregnancy or kidney failure, frailty (66-80 with advanced illness, 81+ alone), nursing home, palliative care. */
export const hypertensionExclusions: Criterion[] = [
  hospice,
  { condition: { concept: kidneyConditions, timing: 'overlaps' } },
  { procedure: { concept: kidneyProcedures, timing: 'endsBy', window: { to: { at: 'mpEnd' } } } },
  { encounter: { concept: esrdMonthly, timing: 'startsBy', window: { to: { at: 'mpEnd' } } } },
  frailWithAdvancedIllness(66, 80),
  all(ageAtEnd(81), frailty),
  nursingHome,
  palliativeCare,
];

/** The most recent day's lowest readings in the period are below 140/90, outside acute stays. */
export const bloodPressureControlled: BloodPressureSpec = {
  window: MP,
  systolicBelow: 140,
  diastolicBelow: 90,
  acuteEncounters: union('Inpatient or emergency visit', VS.inpatient, VS.emergency),
  acuteClasses: ['EMER', 'IMP', 'ACUTE', 'NONAC', 'PRENC', 'SS'],
};

export const cms165: MeasureDefinition = {
  id: 'CMS165',
  program: 'mips',
  version: 'CMS165v14',
  performanceYear: 2026,
  title: 'Controlling High Blood Pressure',
  qualityId: '236',
  inverse: false,
  description: 'Patients 18-85 with hypertension whose most recent blood pressure in the year is below 140/90 mmHg.',
  gap: 'blood pressure reading below 140/90 this year',
  groups: [
    {
      id: 'Group_1',
      title: 'Blood pressure below 140/90',
      initialPopulation: hypertensionPatient,
      exclusion: any(...hypertensionExclusions),
      numerator: { bloodPressure: bloodPressureControlled },
    },
  ],
};
