// HEDIS-style variants of the eCQMs where HEDIS differs (--program hedis). They reuse the eCQM
// primitives; NCQA licenses the HEDIS specifications, so these are labelled "HEDIS-style", not HEDIS
// rates. Health-plan enrollment is not known here: a finished visit in the year or the year before
// stands in for it.
import { ageAtEnd, all, any, fromMpStart, MP, not, vs, type Criterion, type MeasureDefinition } from '../../definition.js';
import { frailWithAdvancedIllness, hospice, nursingHome, palliativeCare } from '../../library.js';
import { breastExclusion, mammogramInLookBack } from './cms125.js';
import { colorectalExclusion, colorectalScreening } from './cms130.js';
import { diabetes, glycemicTest } from './cms122.js';

const seenRecently: Criterion = {
  encounter: { concept: vs('Outpatient visit', '2.16.840.1.113883.3.464.1003.101.12.1001', '2.16.840.1.113883.3.526.3.1240', '2.16.840.1.113883.3.464.1003.101.12.1025', '2.16.840.1.113883.3.464.1003.101.12.1023', '2.16.840.1.113883.3.464.1003.101.12.1080', '2.16.840.1.113883.3.464.1003.101.12.1089'), window: fromMpStart('-1 year') },
};
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

export const hedisMeasures = [gsd, bcsE, colE];
