// CMS130v14 Colorectal Cancer Screening (MIPS Q113).
import { ageAtEnd, all, any, fromMpStart, vs, type MeasureDefinition } from '../../definition.js';
import { adultOutpatientVisit, olderAdultExclusions } from '../../library.js';

const V = '2.16.840.1.113883.3.464.1003';
const byPeriodEnd = { to: { at: 'mpEnd' as const } };

export const colorectalExclusion = any(
  olderAdultExclusions[0]!,
  { condition: { concept: vs('Malignant Neoplasm of Colon', `${V}.108.12.1001`), timing: 'startsBy', window: byPeriodEnd } },
  { procedure: { concept: vs('Total Colectomy', `${V}.198.12.1019`), timing: 'endsBy', window: byPeriodEnd } },
  ...olderAdultExclusions.slice(1),
);

export const colorectalScreening = any(
  { observation: { concept: vs('Fecal Occult Blood Test (FOBT)', `${V}.198.12.1011`), timing: 'endsIn', requireValue: true } },
  { observation: { concept: vs('sDNA FIT Test', `${V}.108.12.1039`), timing: 'endsIn', window: fromMpStart('-2 years'), requireValue: true } },
  { procedure: { concept: vs('Flexible Sigmoidoscopy', `${V}.198.12.1010`), timing: 'endsIn', window: fromMpStart('-4 years') } },
  { observation: { concept: vs('CT Colonography', `${V}.108.12.1038`), timing: 'endsIn', window: fromMpStart('-4 years'), category: 'imaging' } },
  { procedure: { concept: vs('Colonoscopy', `${V}.108.12.1020`), timing: 'endsIn', window: fromMpStart('-9 years') } },
);

export const cms130: MeasureDefinition = {
  id: 'CMS130',
  program: 'mips',
  version: 'CMS130v14',
  performanceYear: 2026,
  title: 'Colorectal Cancer Screening',
  qualityId: '113',
  inverse: false,
  description: 'Adults 46-75 with a current colorectal cancer screening (FOBT, sDNA-FIT, sigmoidoscopy, CT colonography or colonoscopy).',
  gap: 'colorectal cancer screening (FOBT this year, sDNA-FIT within 3 years, colonoscopy within 10)',
  groups: [
    {
      id: 'Group_1',
      title: 'Colorectal cancer screening up to date',
      initialPopulation: all(ageAtEnd(46, 75), adultOutpatientVisit),
      exclusion: colorectalExclusion,
      numerator: colorectalScreening,
    },
  ],
  strata: [
    { id: 'Stratification_1_1', title: 'Age 46-49', criterion: ageAtEnd(46, 49) },
    { id: 'Stratification_1_2', title: 'Age 50-75', criterion: ageAtEnd(50, 75) },
  ],
};
