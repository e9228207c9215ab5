// CMS122v14 Diabetes: Glycemic Status Assessment > 9% (MIPS Q001). Inverse: lower is better.
import { ageAtEnd, all, any, loinc, MP, union, vs, type MeasureDefinition } from '../../definition.js';
import { cpt, hcpcs, olderAdultExclusions, VS } from '../../library.js';

const qualifyingVisit = union(
  'CMS122 qualifying visit',
  VS.officeVisit,
  VS.annualWellness,
  VS.preventive18Established,
  VS.preventive18Initial,
  VS.homeHealth,
  VS.nutrition,
  VS.telephone,
  cpt('Medical nutrition therapy (CPT)', '97802', '97803', '97804'),
  hcpcs('Medical nutrition therapy (HCPCS)', 'G0270', 'G0271'),
);
export const diabetes = vs('Diabetes', '2.16.840.1.113883.3.464.1003.103.12.1001');
export const glycemicTest = union('Glycemic status test', vs('HbA1c Laboratory Test', '2.16.840.1.113883.3.464.1003.198.12.1013'), loinc('GMI', '97506-0'));
export const diabetesPatient = all(
  ageAtEnd(18, 75),
  { encounter: { concept: qualifyingVisit, window: MP } },
  { condition: { concept: diabetes, categories: ['encounter-diagnosis'], timing: 'overlaps' } },
);

export const cms122: MeasureDefinition = {
  id: 'CMS122',
  program: 'mips',
  version: 'CMS122v14',
  performanceYear: 2026,
  title: 'Diabetes: Glycemic Status Assessment > 9%',
  qualityId: '001',
  inverse: true,
  description: 'Patients 18-75 with diabetes whose most recent glycemic status (HbA1c or GMI) in the year is > 9% or missing.',
  gap: 'HbA1c/GMI test this year with a result of 9% or less',
  groups: [
    {
      id: 'Group_1',
      title: 'Glycemic status > 9%',
      initialPopulation: diabetesPatient,
      exclusion: any(...olderAdultExclusions),
      // Poor control: no test, or the latest day's lowest result is > 9% or has no value.
      numerator: any(
        { latestObservation: { concept: glycemicTest, window: MP, test: { missingOrAbove: 9 } } },
        { not: { observation: { concept: glycemicTest, timing: 'endsIn', window: MP } } },
      ),
    },
  ],
};
