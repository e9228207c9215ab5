// HEDIS-style variants of the eCQMs where HEDIS differs (--program hedis). They reuse the eCQM
// primitives; NCQA licenses the HEDIS specifications, so these are labelled "HEDIS-style", not HEDIS
// rates. Health-plan enrollment is not known here: a finished visit in the year or the year before
// stands in for it.
import { CodeSystem } from '../../../codes/systems.js';
import { ageAtEnd, all, any, fromMpStart, MP, not, type CodedReading, type Criterion, type MeasureDefinition } from '../../definition.js';
import { adultOutpatientConcept, frailWithAdvancedIllness, hospice, nursingHome, palliativeCare } from '../../library.js';
import { antigenNumerator, childImmunizationExclusion, childVisit } from './cms117.js';
import { diabetes, glycemicTest } from './cms122.js';
import { breastExclusion, mammogramInLookBack } from './cms125.js';
import { colorectalExclusion, colorectalScreening } from './cms130.js';
import { bloodPressureControlled, hypertension, hypertensionExclusions } from './cms165.js';

const seenRecently: Criterion = { encounter: { concept: adultOutpatientConcept, window: fromMpStart('-1 year') } };
const diedThisYear: Criterion = { deceased: { window: MP } };
const hedis = { program: 'hedis' as const, performanceYear: 2026, inverse: false };

const latestGlycemic = (test: { below: number } | { missingOrAbove: number }): Criterion => ({ latestObservation: { concept: glycemicTest, window: MP, test } });

export const gsd: MeasureDefinition = {
  ...hedis,
  id: 'GSD',
  version: 'HEDIS-style GSD MY2026',
  title: 'Glycemic Status Assessment for Patients With Diabetes (HEDIS-style)',
  description: 'Patients 18-75 with diabetes in the year or the year before: last glycemic status < 8% and > 9%.',
  gap: 'HbA1c/GMI test this year, result below 8%',
  groups: [
    {
      id: 'GSD_LT8',
      title: 'Glycemic status < 8%',
      initialPopulation: all(ageAtEnd(18, 75), { condition: { concept: diabetes, timing: 'overlaps', window: fromMpStart('-1 year') } }),
      exclusion: any(hospice, palliativeCare, frailWithAdvancedIllness(66), nursingHome),
      numerator: latestGlycemic({ below: 8 }),
    },
    {
      id: 'GSD_GT9',
      title: 'Glycemic status > 9% (lower is better)',
      inverse: true,
      initialPopulation: all(ageAtEnd(18, 75), { condition: { concept: diabetes, timing: 'overlaps', window: fromMpStart('-1 year') } }),
      exclusion: any(hospice, palliativeCare, frailWithAdvancedIllness(66), nursingHome),
      numerator: any(latestGlycemic({ missingOrAbove: 9 }), not({ observation: { concept: glycemicTest, timing: 'endsIn', window: MP } })),
    },
  ],
};

export const bcsE: MeasureDefinition = {
  ...hedis,
  id: 'BCS-E',
  version: 'HEDIS-style BCS-E MY2026',
  title: 'Breast Cancer Screening (HEDIS-style, ECDS)',
  description: 'Women 40-74 with a mammogram between 1 October two years before the year and its end.',
  gap: 'mammogram (due every 27 months)',
  groups: [{ id: 'BCS-E', title: 'Mammogram in the last 27 months', initialPopulation: all(ageAtEnd(40, 74), { female: true }, seenRecently), exclusion: breastExclusion, numerator: mammogramInLookBack }],
  strata: [
    { id: 'Age 40-49', title: 'Age 40-49', criterion: ageAtEnd(40, 49) },
    { id: 'Age 50-64', title: 'Age 50-64', criterion: ageAtEnd(50, 64) },
    { id: 'Age 65-74', title: 'Age 65-74', criterion: ageAtEnd(65, 74) },
  ],
};

export const colE: MeasureDefinition = {
  ...hedis,
  id: 'COL-E',
  version: 'HEDIS-style COL-E MY2026',
  title: 'Colorectal Cancer Screening (HEDIS-style, ECDS)',
  description: 'Adults 46-75 with a current colorectal cancer screening.',
  gap: 'colorectal cancer screening',
  groups: [{ id: 'COL-E', title: 'Colorectal cancer screening up to date', initialPopulation: all(ageAtEnd(46, 75), seenRecently), exclusion: colorectalExclusion, numerator: colorectalScreening }],
  strata: [
    { id: 'Age 46-49', title: 'Age 46-49', criterion: ageAtEnd(46, 49) },
    { id: 'Age 50-75', title: 'Age 50-75', criterion: ageAtEnd(50, 75) },
  ],
};

// CPT II result codes stand for a reading inside the range they name (3074F: systolic < 130, ...).
const cptII = (code: string, component: CodedReading['component'], value: number): CodedReading => ({ system: CodeSystem.cpt, code, component, value });
const BP_RESULT_CODES: CodedReading[] = [
  cptII('3074F', 'systolic', 129),
  cptII('3075F', 'systolic', 139),
  cptII('3077F', 'systolic', 140),
  cptII('3078F', 'diastolic', 79),
  cptII('3079F', 'diastolic', 89),
  cptII('3080F', 'diastolic', 90),
];

export const cbp: MeasureDefinition = {
  ...hedis,
  id: 'CBP',
  version: 'HEDIS-style CBP MY2026',
  title: 'Controlling High Blood Pressure (HEDIS-style)',
  description: 'Patients 18-85 with hypertension diagnosed at two outpatient visits (the year before through June) whose last blood pressure of the year is below 140/90.',
  gap: 'blood pressure reading below 140/90 this year',
  groups: [
    {
      id: 'CBP',
      title: 'Blood pressure below 140/90',
      initialPopulation: all(ageAtEnd(18, 85), {
        // Claims-style case finding: two visit days with the diagnosis, not a problem-list onset.
        diagnosedVisits: { diagnosis: hypertension, visitTypes: adultOutpatientConcept, window: { from: { at: 'mpStart', offset: '-1 year' }, to: { at: 'mpStart', offset: '6 months -1 day' } }, minDays: 2 },
      }),
      exclusion: any(...hypertensionExclusions, diedThisYear),
      numerator: { bloodPressure: { ...bloodPressureControlled, codedReadings: BP_RESULT_CODES } },
    },
  ],
};

const combination3 = ['dtap', 'ipv', 'mmr', 'hib', 'hepB', 'vzv', 'pcv'] as const;
const combination7 = [...combination3, 'hepA', 'rotavirus'] as const;
const combination10 = [...combination7, 'influenza'] as const;
const turningTwo = all(ageAtEnd(2, 2), { encounter: { concept: childVisit, window: fromMpStart('-1 year') } });

export const cisE: MeasureDefinition = {
  ...hedis,
  id: 'CIS-E',
  version: 'HEDIS-style CIS-E MY2026',
  title: 'Childhood Immunization Status (HEDIS-style, ECDS)',
  description: 'Children turning 2 in the year, vaccinated by their 2nd birthday: Combination 3, 7 and 10.',
  gap: 'childhood vaccines due by the 2nd birthday (DTaP 4, IPV 3, MMR 1, Hib 3, HepB 3, VZV 1, PCV 4; HepA 1, RV 2-3; flu 2)',
  groups: [
    { id: 'CIS-E_COMBO3', title: 'Combination 3 (DTaP, IPV, MMR, Hib, HepB, VZV, PCV)', ...antigenNumerator(combination3) },
    { id: 'CIS-E_COMBO7', title: 'Combination 7 (Combination 3, HepA, rotavirus)', ...antigenNumerator(combination7) },
    { id: 'CIS-E_COMBO10', title: 'Combination 10 (Combination 7, influenza)', ...antigenNumerator(combination10) },
  ].map((g) => ({ ...g, initialPopulation: turningTwo, exclusion: any(childImmunizationExclusion, diedThisYear) })),
};

export const hedisMeasures = [gsd, bcsE, colE, cbp, cisE];
