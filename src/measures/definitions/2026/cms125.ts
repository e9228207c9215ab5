// CMS125v14 Breast Cancer Screening (MIPS Q112).
import { ageAtEnd, all, any, snomed, vs, type Criterion, type MeasureDefinition } from '../../definition.js';
import { adultOutpatientVisit, olderAdultExclusions } from '../../library.js';

const V = '2.16.840.1.113883.3.464.1003';
const byPeriodEnd = { to: { at: 'mpEnd' as const } };
const right = snomed('Right', '24028007');
const left = snomed('Left', '7771000');
const unspecifiedSide = vs('Unilateral Mastectomy, Unspecified Laterality', `${V}.198.12.1071`);

const side = (procedureOid: string, statusPostOid: string, laterality: typeof right): Criterion =>
  any(
    { procedure: { concept: vs(`Unilateral Mastectomy ${laterality.name}`, procedureOid), timing: 'endsBy', window: byPeriodEnd } },
    { condition: { concept: vs(`Status Post ${laterality.name} Mastectomy`, statusPostOid), timing: 'startsBy', window: byPeriodEnd } },
    { condition: { concept: unspecifiedSide, timing: 'startsBy', window: byPeriodEnd, bodySite: laterality } },
  );

export const mammography = vs('Mammography', `${V}.108.12.1018`);

export const breastExclusion: Criterion = any(
  olderAdultExclusions[0]!,
  { procedure: { concept: vs('Bilateral Mastectomy', `${V}.198.12.1005`), timing: 'endsBy', window: byPeriodEnd } },
  { condition: { concept: vs('History of bilateral mastectomy', `${V}.198.12.1068`), timing: 'startsBy', window: byPeriodEnd } },
  all(side(`${V}.198.12.1134`, `${V}.198.12.1070`, right), side(`${V}.198.12.1133`, `${V}.198.12.1069`, left)),
  ...olderAdultExclusions.slice(1),
);

export const mammogramInLookBack: Criterion = {
  observation: {
    concept: mammography,
    category: 'imaging',
    timing: 'endsIn',
    window: { from: { at: 'mpStart', offset: '-15 months' }, to: { at: 'mpEnd' } },
  },
};

export const cms125: MeasureDefinition = {
  id: 'CMS125',
  program: 'mips',
  version: 'CMS125v14',
  performanceYear: 2026,
  title: 'Breast Cancer Screening',
  qualityId: '112',
  inverse: false,
  description: 'Women 42-74 with a mammogram between 1 October two years before the period and its end.',
  gap: 'mammogram (due every 27 months)',
  groups: [
    {
      id: 'Group_1',
      title: 'Mammogram in the last 27 months',
      initialPopulation: all(ageAtEnd(42, 74), { female: true }, adultOutpatientVisit),
      exclusion: breastExclusion,
      numerator: mammogramInLookBack,
    },
  ],
  strata: [
    { id: 'Stratification_1_1', title: 'Age 42-51', criterion: ageAtEnd(42, 51) },
    { id: 'Stratification_1_2', title: 'Age 52-74', criterion: ageAtEnd(52, 74) },
  ],
};
