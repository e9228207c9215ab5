// The rule set a practice starts with (loaded into recall_rules by "recall rules add --defaults", or by the
// first refresh of an empty rule table). Plain data in the same format as a rules file; edit the copies
// in the database, not this list. Codes only, never CPT descriptors.

/** CVX codes of seasonal influenza vaccines (inactivated, recombinant and live). */
const fluCvx = ['88', '135', '140', '141', '144', '149', '150', '153', '155', '158', '161', '166', '168', '171', '185', '186', '197', '205'];

export const defaultRecallRules: unknown[] = [
  {
    code: 'annual-wellness',
    name: 'Yearly preventive visit',
    spacingDays: 21,
    definition: {
      visitLabel: 'yearly check-up',
      basis: {
        kind: 'visit',
        codes: [
          { system: 'cpt', codes: ['99381', '99382', '99383', '99384', '99385', '99386', '99387', '99391', '99392', '99393', '99394', '99395', '99396', '99397'] },
          { system: 'hcpcs', codes: ['G0402', 'G0438', 'G0439'] },
        ],
      },
      interval: { months: 12 },
      remindDaysBefore: 14,
    },
  },
  {
    code: 'diabetes-a1c',
    name: 'HbA1c for patients with diabetes',
    spacingDays: 14,
    definition: {
      visitLabel: 'lab test',
      eligibility: { minAgeYears: 18, diagnoses: [{ system: 'icd-10-cm', prefixes: ['E10', 'E11', 'E13'] }] },
      basis: { kind: 'lab', codes: [{ system: 'loinc', codes: ['4548-4', '4549-2', '17856-6'] }] },
      interval: { months: 6 },
      intervalWhen: [{ lastValueAtLeast: 8, interval: { months: 3 } }],
      remindDaysBefore: 7,
    },
  },
  {
    code: 'mammogram',
    name: 'Screening mammogram every 2 years',
    spacingDays: 30,
    definition: {
      visitLabel: 'screening appointment',
      eligibility: { sex: 'female', minAgeYears: 50, maxAgeYears: 74 },
      basis: {
        kind: 'procedure',
        codes: [
          { system: 'cpt', codes: ['77065', '77066', '77067'] },
          { system: 'hcpcs', codes: ['G0202', 'G0204', 'G0206'] },
        ],
      },
      interval: { years: 2 },
      remindDaysBefore: 30,
    },
  },
  {
    code: 'flu-vaccine',
    name: 'Flu vaccine each season',
    spacingDays: 21,
    definition: {
      visitLabel: 'flu shot',
      eligibility: { minAgeYears: 1 },
      basis: { kind: 'flu-season', cvx: fluCvx, seasonStartMonth: 9, seasonEndMonth: 3 },
      remindDaysBefore: 0,
    },
  },
  {
    code: 'follow-up',
    name: 'Return visit the provider asked for',
    spacingDays: 7,
    definition: { visitLabel: 'follow-up visit', basis: { kind: 'follow-up' }, remindDaysBefore: 14 },
  },
  {
    code: 'no-show',
    name: 'Rebook after a missed appointment',
    spacingDays: 7,
    definition: { visitLabel: 'missed appointment', basis: { kind: 'no-show' }, interval: { days: 1 }, remindDaysBefore: 0 },
  },
  {
    code: 'childhood-mmr',
    name: 'Childhood MMR doses',
    spacingDays: 14,
    definition: {
      visitLabel: 'child vaccination visit',
      eligibility: { maxAgeYears: 18 },
      basis: { kind: 'immunization-schedule', cvx: ['3', '03', '94'], doseAgesMonths: [12, 48] },
      remindDaysBefore: 14,
    },
  },
  {
    code: 'childhood-dtap',
    name: 'Childhood DTaP doses',
    spacingDays: 14,
    definition: {
      visitLabel: 'child vaccination visit',
      eligibility: { maxAgeYears: 6 },
      basis: { kind: 'immunization-schedule', cvx: ['1', '01', '20', '106', '107', '110', '120', '130', '146'], doseAgesMonths: [2, 4, 6, 15, 48] },
      remindDaysBefore: 14,
    },
  },
  {
    code: 'childhood-polio',
    name: 'Childhood polio (IPV) doses',
    spacingDays: 14,
    definition: {
      visitLabel: 'child vaccination visit',
      eligibility: { maxAgeYears: 17 },
      basis: { kind: 'immunization-schedule', cvx: ['10', '89', '110', '120', '130', '146'], doseAgesMonths: [2, 4, 6, 48] },
      remindDaysBefore: 14,
    },
  },
  {
    code: 'childhood-hepb',
    name: 'Childhood hepatitis B doses',
    spacingDays: 14,
    definition: {
      visitLabel: 'child vaccination visit',
      eligibility: { maxAgeYears: 18 },
      basis: { kind: 'immunization-schedule', cvx: ['8', '08', '45', '110', '146'], doseAgesMonths: [0, 1, 6] },
      remindDaysBefore: 14,
    },
  },
  {
    code: 'childhood-varicella',
    name: 'Childhood chickenpox doses',
    spacingDays: 14,
    definition: {
      visitLabel: 'child vaccination visit',
      eligibility: { maxAgeYears: 18 },
      basis: { kind: 'immunization-schedule', cvx: ['21', '94'], doseAgesMonths: [12, 48] },
      remindDaysBefore: 14,
    },
  },
];
