// CMS117v14 Childhood Immunization Status (MIPS Q240): every antigen by the 2nd birthday.
import { CodeSystem } from '../../../codes/systems.js';
import { ageAtEnd, all, any, code, MP, not, snomed, union, vs, type Concept, type Criterion, type MeasureDefinition, type MeasureGroup, type Window } from '../../definition.js';
import { cpt, hospice, VS } from '../../library.js';

const V = '2.16.840.1.113883.3.464.1003';
const byBirthday = (from: string): Window => ({ from: { at: 'birth', offset: from }, to: { at: 'birth', offset: '2 years' } });
const from42Days = byBirthday('42 days');
const fromBirth = byBirthday('0 days');
const secondYear = byBirthday('1 year');

const doses = (count: number, window: Window, immunizations?: Concept, procedures?: Concept): Criterion => ({
  doses: { count, window, immunizations, procedures },
});
// A history condition (disease or anaphylaxis) starting between birth and the 2nd birthday.
const history = (concept: Concept, categories?: string[]): Criterion => ({
  condition: { concept, timing: 'startsIn', window: fromBirth, categories },
});
const vaccine = (name: string, immunizationOid: string, procedureOid: string) => ({
  imm: vs(`${name} Vaccine`, immunizationOid),
  proc: vs(`${name} Vaccine Administered`, procedureOid),
});

const dtap = vaccine('DTaP', `${V}.196.12.1214`, `${V}.110.12.1022`);
const ipv = vaccine('IPV', `${V}.196.12.1219`, `${V}.110.12.1045`);
const mmr = vaccine('MMR', `${V}.196.12.1224`, `${V}.110.12.1031`);
const hib3 = vaccine('Hib 3 dose', `${V}.110.12.1083`, `${V}.110.12.1084`);
const hib4 = vaccine('Hib 4 dose', `${V}.110.12.1085`, `${V}.110.12.1086`);
const hepB = vaccine('Hepatitis B', `${V}.196.12.1216`, `${V}.110.12.1042`);
const vzv = vaccine('Varicella', `${V}.196.12.1170`, `${V}.110.12.1040`);
const pcv = vaccine('Pneumococcal Conjugate', `${V}.196.12.1221`, `${V}.110.12.1046`);
const hepA = vaccine('Hepatitis A', `${V}.196.12.1215`, `${V}.110.12.1041`);
const rota3 = vaccine('Rotavirus 3 dose', `${V}.196.12.1223`, `${V}.110.12.1047`);
const rota2 = { imm: code('Rotavirus 2 dose (CVX 119)', CodeSystem.cvx, '119'), proc: vs('Rotavirus 2 dose Administered', `${V}.110.12.1048`) };
const flu = vaccine('Child Influenza', `${V}.196.12.1218`, `${V}.110.12.1044`);
const laiv = vaccine('Influenza LAIV', `${V}.110.12.1087`, `${V}.110.12.1088`);
const hibAny = { imm: union('Hib Vaccine', hib3.imm, hib4.imm), proc: union('Hib Vaccine Administered', hib3.proc, hib4.proc) };
const rotaAny = { imm: union('Rotavirus Vaccine', rota3.imm, rota2.imm), proc: union('Rotavirus Vaccine Administered', rota3.proc, rota2.proc) };

const newbornHepB: Criterion = {
  procedure: { concept: code('Newborn hepatitis B dose', CodeSystem.icd10pcs, '3E0234Z'), timing: 'startsIn', window: { from: { at: 'birth' }, to: { at: 'birth', offset: '7 days' } } },
};

/** Each antigen met by the 2nd birthday (doses, or the disease or an anaphylaxis on record); HEDIS CIS-E combines them. */
export const antigens = {
  dtap: any(
    doses(4, from42Days, dtap.imm, dtap.proc),
    history(vs('Anaphylactic Reaction to DTaP Vaccine', `${V}.199.12.1031`)),
    history(vs('Encephalitis Due to DTP Vaccine', `${V}.1164`)),
  ),
  ipv: any(doses(3, from42Days, ipv.imm, ipv.proc), history(snomed('Anaphylaxis to polio vaccine', '471321000124106'))),
  mmr: any(
    doses(1, secondYear, mmr.imm, mmr.proc),
    history(snomed('Anaphylaxis to MMR vaccine', '471331000124109')),
    // The CQL reads measles history from visit diagnoses only.
    all(
      history(vs('Measles', `${V}.110.12.1053`), ['encounter-diagnosis']),
      history(vs('Mumps', `${V}.110.12.1032`)),
      history(vs('Rubella', `${V}.110.12.1037`)),
    ),
  ),
  hib: any(
    all(doses(3, from42Days, hibAny.imm, hibAny.proc), not(doses(1, from42Days, hib4.imm, hib4.proc))),
    doses(4, from42Days, hibAny.imm, hibAny.proc),
    history(snomed('Anaphylaxis to Hib vaccine', '433621000124101')),
  ),
  hepB: any(
    doses(3, fromBirth, hepB.imm, hepB.proc),
    all(newbornHepB, doses(2, fromBirth, hepB.imm, hepB.proc)),
    history(snomed('Anaphylaxis to hepatitis B vaccine', '428321000124101')),
    history(vs('Hepatitis B', `${V}.110.12.1025`)),
  ),
  vzv: any(doses(1, secondYear, vzv.imm, vzv.proc), history(vs('Varicella Zoster', `${V}.110.12.1039`)), history(snomed('Anaphylaxis to varicella vaccine', '471341000124104'))),
  pcv: any(doses(4, from42Days, pcv.imm, pcv.proc), history(snomed('Anaphylaxis to pneumococcal vaccine', '471141000124102'))),
  hepA: any(doses(1, secondYear, hepA.imm, hepA.proc), history(vs('Hepatitis A', `${V}.110.12.1024`)), history(snomed('Anaphylaxis to hepatitis A vaccine', '471311000124103'))),
  rotavirus: any(
    all(doses(2, from42Days, rotaAny.imm, rotaAny.proc), not(doses(1, from42Days, rota3.imm, rota3.proc))),
    doses(3, from42Days, rotaAny.imm, rotaAny.proc),
    history(snomed('Anaphylaxis to rotavirus vaccine', '428331000124103')),
  ),
  influenza: any(
    doses(2, byBirthday('180 days'), flu.imm, flu.proc),
    all(doses(1, byBirthday('2 years'), laiv.imm, laiv.proc), doses(1, byBirthday('180 days'), flu.imm, flu.proc)),
    history(snomed('Anaphylaxis to influenza vaccine', '471361000124100')),
  ),
} satisfies Record<string, Criterion>;

type Antigen = keyof typeof antigens;
const antigenLabels: Record<Antigen, string> = {
  dtap: 'DTaP 4 doses',
  ipv: 'polio (IPV) 3 doses',
  mmr: 'MMR 1 dose',
  hib: 'Hib 3-4 doses',
  hepB: 'hepatitis B 3 doses',
  vzv: 'varicella 1 dose',
  pcv: 'pneumococcal (PCV) 4 doses',
  hepA: 'hepatitis A 1 dose',
  rotavirus: 'rotavirus 2-3 doses',
  influenza: 'flu 2 doses',
};

/** A numerator of antigens, so a child's care gap names the vaccines that child still lacks. */
export const antigenNumerator = (names: readonly Antigen[]): Pick<MeasureGroup, 'numerator' | 'numeratorParts'> => ({
  numerator: all(...names.map((name) => antigens[name])),
  numeratorParts: {
    lead: 'childhood vaccines still due by the 2nd birthday',
    parts: names.map((name) => ({ label: antigenLabels[name], criterion: antigens[name] })),
  },
});

/** Hospice, or an immunocompromising condition or intussusception by the 2nd birthday. */
export const childImmunizationExclusion: Criterion = any(
  hospice,
  history(
    union(
      'Immunocompromising conditions',
      vs('Severe Combined Immunodeficiency', `${V}.120.12.1007`),
      vs('Disorders of the Immune System', `${V}.120.12.1001`),
      vs('HIV', `${V}.120.12.1003`),
      vs('Malignant Neoplasm of Lymphatic and Hematopoietic Tissue', `${V}.108.12.1009`),
      vs('Intussusception', `${V}.199.12.1056`),
    ),
  ),
);

/** The visits CMS117 counts: office, home, pediatric preventive, virtual, telephone, 99211. */
export const childVisit: Concept = union(
  'CMS117 qualifying visit',
  VS.officeVisit,
  VS.homeHealth,
  VS.preventive017Established,
  VS.preventive017Initial,
  VS.virtual,
  VS.telephone,
  cpt('Office visit, minimal (99211)', '99211'),
);

export const cms117: MeasureDefinition = {
  id: 'CMS117',
  program: 'mips',
  version: 'CMS117v14',
  performanceYear: 2026,
  title: 'Childhood Immunization Status',
  qualityId: '240',
  inverse: false,
  description: 'Children turning 2 with DTaP, IPV, MMR, Hib, HepB, VZV, PCV, HepA, rotavirus and influenza doses by their 2nd birthday.',
  gap: 'childhood vaccines due by the 2nd birthday (DTaP 4, IPV 3, MMR 1, Hib 3-4, HepB 3, VZV 1, PCV 4, HepA 1, RV 2-3, flu 2)',
  groups: [
    {
      id: 'Group_1',
      title: 'All childhood vaccines by age 2',
      initialPopulation: all(ageAtEnd(2, 2), { encounter: { concept: childVisit, window: MP } }),
      exclusion: childImmunizationExclusion,
      ...antigenNumerator(Object.keys(antigens) as Antigen[]),
    },
  ],
};
