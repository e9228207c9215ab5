// CMS2v15 Preventive Care and Screening: Screening for Depression and Follow-Up Plan (MIPS Q134).
import { ageAtStart, all, any, loinc, MP, not, snomed, union, vs, type Criterion, type EncounterSpec, type MeasureDefinition } from '../../definition.js';
import { VS } from '../../library.js';

const R = '2.16.840.1.113883.3.526.3';
const qualifyingVisit: EncounterSpec = {
  concept: union('CMS2 qualifying visit', vs('Encounter to Screen for Depression', '2.16.840.1.113883.3.600.1916'), vs('Physical Therapy Evaluation', `${R}.1022`), VS.telephone),
  window: MP,
};
const adolescentTool = loinc('Adolescent depression screening', '73831-0');
const adultTool = loinc('Adult depression screening', '73832-8');
const negative = snomed('Depression screening negative', '428171000124102');
const positive = snomed('Depression screening positive', '428181000124104');
// Screenings count within 14 days on or before a qualifying visit.
const near = { encounter: qualifyingVisit, fromDays: -14, toDays: 0 };

const followUp = (who: 'Adult' | 'Adolescent', referral: string, procedure: string, meds: string): Criterion =>
  any(
    { order: { concept: vs(`Referral for ${who} Depression`, referral), window: MP } },
    { procedure: { concept: vs(`Follow Up for ${who} Depression`, procedure), timing: 'startsIn', window: MP } },
    { medication: { concept: vs(`${who} Depression Medications`, meds), match: 'authoredIn', window: MP } },
  );
const screenedWell = (tool: typeof adultTool, plan: Criterion): Criterion =>
  any(
    { latestObservation: { concept: tool, window: MP, nearEncounter: near, test: { valueIn: negative } } },
    all({ latestObservation: { concept: tool, window: MP, nearEncounter: near, test: { valueIn: positive } } }, plan),
  );
const adult = screenedWell(adultTool, followUp('Adult', `${R}.1571`, `${R}.1568`, `${R}.1566`));
const adolescent = screenedWell(adolescentTool, followUp('Adolescent', `${R}.1570`, `${R}.1569`, `${R}.1567`));

const declined = (tool: typeof adultTool): Criterion =>
  all(
    { notDone: { concept: tool, reasons: union('Screening declined or medical reason', snomed('Depression screening declined', '720834000'), VS.medicalReason), sameDayAs: qualifyingVisit } },
    not({ observation: { concept: tool, timing: 'during', window: MP, requireValue: true, nearEncounter: near } }),
  );

export const cms2: MeasureDefinition = {
  id: 'CMS2',
  program: 'mips',
  version: 'CMS2v15',
  performanceYear: 2026,
  title: 'Preventive Care and Screening: Screening for Depression and Follow-Up Plan',
  qualityId: '134',
  inverse: false,
  description: 'Patients 12 and older screened for depression at a visit, with a follow-up plan when positive.',
  gap: 'depression screening (PHQ) at a visit, and a follow-up plan if positive',
  groups: [
    {
      id: 'Group_1',
      title: 'Screened for depression, follow-up when positive',
      initialPopulation: all(ageAtStart(12), { encounter: qualifyingVisit }),
      exclusion: {
        condition: { concept: vs('Bipolar Disorder', '2.16.840.1.113883.3.67.1.101.1.128'), categories: ['problem-list-item', 'health-concern'], timing: 'startsBy', window: { to: { at: 'mpEnd', offset: '-1 day' } }, anyVerification: true },
      },
      numerator: any(all(ageAtStart(12, 16), adolescent), all(ageAtStart(17, 17), any(adolescent, adult)), all(ageAtStart(18), adult)),
      exception: any(all(ageAtStart(12, 17), declined(adolescentTool)), all(ageAtStart(17), declined(adultTool))),
    },
  ],
};
