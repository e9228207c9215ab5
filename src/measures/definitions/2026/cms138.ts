// CMS138v14 Tobacco Use: Screening and Cessation Intervention (MIPS Q226): three rates.
import { CodeSystem } from '../../../codes/systems.js';
import { ageAtStart, all, any, code, fromMpStart, loinc, MP, union, vs, type Criterion, type MeasureDefinition } from '../../definition.js';
import { cpt, hospice, VS } from '../../library.js';

const R = '2.16.840.1.113883.3.526.3';
const qualifyingVisit = union(
  'CMS138 qualifying visit',
  VS.officeVisit,
  VS.homeHealth,
  vs('Occupational Therapy Evaluation', `${R}.1011`),
  vs('Ophthalmological Services', `${R}.1285`),
  vs('Physical Therapy Evaluation', `${R}.1022`),
  vs('Psych Visit Diagnostic Evaluation', `${R}.1492`),
  vs('Psych Visit Psychotherapy', `${R}.1496`),
  vs('Psychoanalysis', `${R}.1141`),
  vs('Speech and Hearing Evaluation', `${R}.1530`),
  VS.telephone,
  VS.virtual,
  cpt('Health behavior assessment', '96156', '96158'),
);
const preventiveVisit = union(
  'CMS138 preventive visit',
  VS.annualWellness,
  VS.preventive18Established,
  VS.preventive18Initial,
  VS.preventive017Established,
  VS.preventive017Initial,
  vs('Preventive Care Services Individual Counseling', '2.16.840.1.113883.3.464.1003.101.12.1026'),
  vs('Preventive Care Services Group Counseling', '2.16.840.1.113883.3.464.1003.101.12.1027'),
  VS.nutrition,
  cpt('Preventive visit (direct codes)', '99429', '99024'),
);
const smokingStatus = loinc('Smoking status', '72166-2', '39240-7');
const tobaccoUser = vs('Tobacco User', `${R}.1170`);
const tobaccoNonUser = vs('Tobacco Non User', `${R}.1189`);
const cessationDrugs = vs('Tobacco Use Cessation Pharmacotherapy', `${R}.1190`);
const lastSixMonths = fromMpStart('-6 months');

// The most recent smoking-status observation (status final) in the period says...
const lastScreeningSays = (valueIn: typeof tobaccoUser): Criterion => ({
  latestObservation: { concept: smokingStatus, window: MP, statuses: ['final'], by: 'time', test: { valueIn } },
});
const isUser = lastScreeningSays(tobaccoUser);
const isNonUser = lastScreeningSays(tobaccoNonUser);

const cessationIntervention = any(
  { procedure: { concept: vs('Tobacco Use Cessation Counseling', `${R}.509`), timing: 'during', window: lastSixMonths } },
  { condition: { concept: code('Tobacco abuse counseling', CodeSystem.icd10cm, 'Z71.6'), timing: 'startsIn', window: lastSixMonths } },
  { medication: { concept: cessationDrugs, match: 'authoredIn', window: lastSixMonths } },
  { medication: { concept: cessationDrugs, match: 'activeWithin', window: lastSixMonths } },
);

const initialPopulation = all(
  ageAtStart(12),
  any({ encounter: { concept: qualifyingVisit, window: MP, minCount: 2 } }, { encounter: { concept: preventiveVisit, window: MP } }),
);

export const cms138: MeasureDefinition = {
  id: 'CMS138',
  program: 'mips',
  version: 'CMS138v14',
  performanceYear: 2026,
  title: 'Tobacco Use: Screening and Cessation Intervention',
  qualityId: '226',
  inverse: false,
  description: 'Patients 12 and older screened for tobacco use, and tobacco users given a cessation intervention.',
  gap: 'tobacco use screening, and cessation counselling or medication for users',
  groups: [
    {
      id: 'Group_1',
      title: 'Screened for tobacco use',
      initialPopulation,
      exclusion: hospice,
      numerator: any(isUser, isNonUser),
    },
    {
      id: 'Group_2',
      title: 'Tobacco users given cessation help',
      initialPopulation,
      denominator: isUser,
      exclusion: hospice,
      numerator: cessationIntervention,
    },
    {
      id: 'Group_3',
      title: 'Screened, and helped if a user (combined)',
      initialPopulation,
      exclusion: hospice,
      numerator: any(isNonUser, all(isUser, cessationIntervention)),
    },
  ],
};
