// One record kind, one answer (issue #22): a table of good and bad values per kind goes through every
// path that records it (the CLI command, a CSV import row, a FHIR resource, a Synthea row where the kind
// exists), and every path accepts or refuses it alike, in the same words. The CLI puts its option before
// the reason ("--icd10: ..."); an import gives the reason alone, without its final full stop.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { patients } from '../../src/db/schema/index.js';
import { queryRows } from '../../src/db/query.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { NOW, seedPractice } from '../chart/setup.js';
import { coding, CVX, FUTURE, ICD10, NDC, reasonsBy, RXNORM } from './paths.js';

type Path = 'cli' | 'csv' | 'fhir' | 'synthea';
type Json = Record<string, any>;

interface Case {
  name: string;
  /** The reason every path gives (a pattern, to keep the table readable), or 'accepted'. */
  answer: RegExp | 'accepted';
  /** What an accepted record is stored as, on every path. */
  stored?: Record<string, unknown>;
  /** Options after "<command> add <chart number>", and the option the CLI names in its message. */
  cli?: { args: string[]; option?: string };
  /** The CSV row's cells by column. */
  csv?: Record<string, string>;
  /** The FHIR resource, less its id and patient reference. */
  fhir?: Json;
  /** The Synthea row's cells by column. */
  synthea?: Record<string, string>;
}

interface Kind {
  command: string;
  table: string;
  csvKind: string;
  fhirPatientField: 'subject' | 'patient';
  syntheaFile?: string;
  cases: Case[];
}

const active = { clinicalStatus: coding('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active') };

const kinds: Kind[] = [
  {
    command: 'problems',
    table: 'problems',
    csvKind: 'problems',
    fhirPatientField: 'subject',
    syntheaFile: 'conditions.csv',
    cases: [
      { name: 'a billable ICD-10-CM code', answer: 'accepted', stored: { code: 'I10' }, cli: { args: ['--icd10', 'I10'] }, csv: { code: 'I10' }, fhir: { ...active, code: coding(ICD10, 'I10') }, synthea: { CODE: 'I10', SYSTEM: 'ICD-10-CM' } },
      { name: 'a lower-case code without its dot', answer: 'accepted', stored: { code: 'E11.9' }, cli: { args: ['--icd10', 'e119'] }, csv: { code: 'e119', code_system: 'ICD-10-CM' }, fhir: { ...active, code: coding(ICD10, 'e119') }, synthea: { CODE: 'e119', SYSTEM: 'ICD-10-CM' } },
      { name: 'an ICD-10-CM category header', answer: /^E11 is an ICD-10-CM category, not a billable code; choose a billable code: E11\.00/, cli: { args: ['--icd10', 'E11'], option: '--icd10' }, csv: { code: 'E11' }, fhir: { ...active, code: coding(ICD10, 'E11') }, synthea: { CODE: 'E11', SYSTEM: 'ICD-10-CM' } },
      { name: 'a code that is not ICD-10-CM', answer: /^"1234X" is not an ICD-10-CM code \(e\.g\. E11\.9\)\.$/, cli: { args: ['--icd10', '1234X'], option: '--icd10' }, csv: { code: '1234X', code_system: 'ICD-10-CM' }, fhir: { ...active, code: coding(ICD10, '1234X') }, synthea: { CODE: '1234X', SYSTEM: 'ICD-10-CM' } },
      { name: 'an onset in the future', answer: /^the onset date is in the future\.$/, cli: { args: ['--icd10', 'I10', '--onset', FUTURE], option: '--onset' }, csv: { code: 'I10', onset_date: FUTURE }, fhir: { ...active, code: coding(ICD10, 'I10'), onsetDateTime: FUTURE }, synthea: { CODE: 'I10', SYSTEM: 'ICD-10-CM', START: FUTURE } },
      { name: 'no code', answer: /^the diagnosis code is missing\.$/, cli: { args: ['--name', 'Hypertension'], option: '--icd10' }, csv: { description: 'Hypertension' }, fhir: { ...active, code: { text: 'Hypertension' } }, synthea: { DESCRIPTION: 'Hypertension', SYSTEM: 'ICD-10-CM' } },
      { name: 'a status that is not one', answer: /^the status must be one of: active, recurrence, relapse, inactive, remission, resolved\.$/, cli: { args: ['--icd10', 'I10', '--status', 'sometimes'], option: '--status' }, csv: { code: 'I10', status: 'sometimes' }, fhir: { clinicalStatus: coding('http://terminology.hl7.org/CodeSystem/condition-clinical', 'sometimes'), code: coding(ICD10, 'I10') } },
    ],
  },
  {
    command: 'medications',
    table: 'medications',
    csvKind: 'medications',
    fhirPatientField: 'subject',
    syntheaFile: 'medications.csv',
    cases: [
      { name: 'an RxNorm concept', answer: 'accepted', stored: { rxnorm_code: '860975' }, cli: { args: ['--name', 'metformin 500 MG Oral Tablet', '--rxnorm', '860975'] }, csv: { drug_name: 'metformin 500 MG Oral Tablet', rxnorm: '860975' }, fhir: { status: 'active', intent: 'order', medicationCodeableConcept: coding(RXNORM, '860975', 'metformin 500 MG Oral Tablet') }, synthea: { CODE: '860975', DESCRIPTION: 'metformin 500 MG Oral Tablet' } },
      { name: 'an RxNorm code with letters', answer: /^"86O975" is not an RxNorm concept id \(digits only, e\.g\. 860975\)\.$/, cli: { args: ['--name', 'metformin', '--rxnorm', '86O975'], option: '--rxnorm' }, csv: { drug_name: 'metformin', rxnorm: '86O975' }, fhir: { status: 'active', intent: 'order', medicationCodeableConcept: coding(RXNORM, '86O975', 'metformin') }, synthea: { CODE: '86O975', DESCRIPTION: 'metformin' } },
      { name: 'an NDC that is not one', answer: /^"12-34" is not an NDC: give the 10-digit form with its hyphens/, cli: { args: ['--name', 'metformin', '--ndc', '12-34'], option: '--ndc' }, csv: { drug_name: 'metformin', ndc: '12-34' }, fhir: { status: 'active', intent: 'order', medicationCodeableConcept: coding(NDC, '12-34', 'metformin') } },
      { name: 'no drug code', answer: /^the medication has no RxNorm or NDC code\.$/, cli: { args: ['--name', 'metformin'], option: '--rxnorm' }, csv: { drug_name: 'metformin' }, fhir: { status: 'active', intent: 'order', medicationCodeableConcept: { text: 'metformin' } }, synthea: { DESCRIPTION: 'metformin' } },
      { name: 'a dose below zero', answer: /^the dose must be a number \(0 or more\)\.$/, cli: { args: ['--name', 'metformin', '--rxnorm', '860975', '--dose=-500', '--unit', 'mg'], option: '--dose' }, csv: { drug_name: 'metformin', rxnorm: '860975', dose: '-500 mg' }, fhir: { status: 'active', intent: 'order', medicationCodeableConcept: coding(RXNORM, '860975', 'metformin'), dosageInstruction: [{ doseAndRate: [{ doseQuantity: { value: -500, unit: 'mg' } }] }] } },
      { name: 'stopped before it was started', answer: /^the medication was stopped before it was started\.$/, csv: { drug_name: 'metformin', rxnorm: '860975', start_date: '2025-05-01', stop_date: '2025-04-01' }, fhir: { resourceType: 'MedicationStatement', status: 'completed', medicationCodeableConcept: coding(RXNORM, '860975', 'metformin'), effectivePeriod: { start: '2025-05-01', end: '2025-04-01' } }, synthea: { CODE: '860975', DESCRIPTION: 'metformin', START: '2025-05-01', STOP: '2025-04-01' } },
      { name: 'a status that is not one', answer: /^the status must be one of: active, on-hold, cancelled, completed, entered-in-error, stopped, draft, unknown\.$/, csv: { drug_name: 'metformin', rxnorm: '860975', status: 'paused' }, fhir: { status: 'paused', intent: 'order', medicationCodeableConcept: coding(RXNORM, '860975', 'metformin') } },
    ],
  },
  {
    command: 'allergies',
    table: 'allergies',
    csvKind: 'allergies',
    fhirPatientField: 'patient',
    syntheaFile: 'allergies.csv',
    cases: [
      { name: 'a substance with its severity', answer: 'accepted', stored: { substance: 'Penicillin', severity: 'moderate' }, cli: { args: ['--substance', 'Penicillin', '--severity', 'moderate'] }, csv: { substance: 'Penicillin', severity: 'moderate' }, fhir: { code: { text: 'Penicillin' }, reaction: [{ manifestation: [{ text: 'hives' }], severity: 'moderate' }] }, synthea: { DESCRIPTION: 'Penicillin', SEVERITY1: 'MODERATE' } },
      { name: 'a severity in capitals', answer: 'accepted', stored: { substance: 'Latex', severity: 'severe' }, cli: { args: ['--substance', 'Latex', '--severity', 'SEVERE'] }, csv: { substance: 'Latex', severity: 'SEVERE' }, fhir: { code: { text: 'Latex' }, reaction: [{ manifestation: [{ text: 'hives' }], severity: 'SEVERE' }] }, synthea: { DESCRIPTION: 'Latex', SEVERITY1: 'SEVERE' } },
      { name: 'a severity that is not one', answer: /^the severity must be one of: mild, moderate, severe\.$/, cli: { args: ['--substance', 'Peanuts', '--severity', 'awful'], option: '--severity' }, csv: { substance: 'Peanuts', severity: 'awful' }, fhir: { code: { text: 'Peanuts' }, reaction: [{ manifestation: [{ text: 'hives' }], severity: 'awful' }] }, synthea: { DESCRIPTION: 'Peanuts', SEVERITY1: 'AWFUL' } },
      { name: 'an RxNorm code with letters', answer: /^"7O618" is not an RxNorm concept id \(digits only, e\.g\. 860975\)\.$/, cli: { args: ['--substance', 'Penicillin', '--rxnorm', '7O618'], option: '--rxnorm' }, csv: { substance: 'Penicillin', code: '7O618', code_system: 'RxNorm' }, fhir: { code: coding(RXNORM, '7O618', 'Penicillin') }, synthea: { DESCRIPTION: 'Penicillin', CODE: '7O618', SYSTEM: 'RxNorm' } },
      { name: 'an onset in the future', answer: /^the onset date is in the future\.$/, cli: { args: ['--substance', 'Sulfa', '--onset', FUTURE], option: '--onset' }, csv: { substance: 'Sulfa', onset_date: FUTURE }, fhir: { code: { text: 'Sulfa' }, onsetDateTime: FUTURE }, synthea: { DESCRIPTION: 'Sulfa', START: FUTURE } },
      { name: 'no substance', answer: /^the allergy names no substance\.$/, cli: { args: ['--severity', 'mild'], option: '--substance' }, csv: { severity: 'mild' }, fhir: { reaction: [{ manifestation: [{ text: 'hives' }], severity: 'mild' }] }, synthea: { SEVERITY1: 'MILD' } },
      { name: 'a category that is not one', answer: /^the category must be one of: medication, food, environment, biologic\.$/, cli: { args: ['--substance', 'Oak pollen', '--category', 'plant'], option: '--category' }, csv: { substance: 'Oak pollen', category: 'plant' }, fhir: { code: { text: 'Oak pollen' }, category: ['plant'] }, synthea: { DESCRIPTION: 'Oak pollen', CATEGORY: 'plant' } },
    ],
  },
  {
    command: 'immunizations',
    table: 'immunizations',
    csvKind: 'immunizations',
    fhirPatientField: 'patient',
    syntheaFile: 'immunizations.csv',
    cases: [
      { name: 'a CVX code', answer: 'accepted', stored: { cvx_code: '140', occurrence_date: '2025-10-02' }, cli: { args: ['--cvx', '140', '--date', '2025-10-02'] }, csv: { cvx: '140', date: '2025-10-02' }, fhir: { status: 'completed', vaccineCode: coding(CVX, '140'), occurrenceDateTime: '2025-10-02' }, synthea: { CODE: '140', DATE: '2025-10-02' } },
      { name: 'a one-digit CVX code', answer: 'accepted', stored: { cvx_code: '08' }, cli: { args: ['--cvx', '8', '--date', '2025-10-03'] }, csv: { cvx: '8', date: '2025-10-03' }, fhir: { status: 'completed', vaccineCode: coding(CVX, '8'), occurrenceDateTime: '2025-10-03' }, synthea: { CODE: '8', DATE: '2025-10-03' } },
      { name: 'CVX 555', answer: /^CVX 555 is not in the CDC's CVX vaccine code table\.$/, cli: { args: ['--cvx', '555', '--date', '2025-10-02'], option: '--cvx' }, csv: { cvx: '555', date: '2025-10-02' }, fhir: { status: 'completed', vaccineCode: coding(CVX, '555'), occurrenceDateTime: '2025-10-02' }, synthea: { CODE: '555', DATE: '2025-10-02' } },
      { name: 'a CVX code with letters', answer: /^"14O" is not a CVX vaccine code \(1 to 3 digits, e\.g\. 140\)\.$/, cli: { args: ['--cvx', '14O', '--date', '2025-10-02'], option: '--cvx' }, csv: { cvx: '14O', date: '2025-10-02' }, fhir: { status: 'completed', vaccineCode: coding(CVX, '14O'), occurrenceDateTime: '2025-10-02' }, synthea: { CODE: '14O', DATE: '2025-10-02' } },
      { name: 'given in the future', answer: /^the date given is in the future\.$/, cli: { args: ['--cvx', '140', '--date', FUTURE], option: '--date' }, csv: { cvx: '140', date: FUTURE }, fhir: { status: 'completed', vaccineCode: coding(CVX, '140'), occurrenceDateTime: FUTURE }, synthea: { CODE: '140', DATE: FUTURE } },
      { name: 'no vaccine code', answer: /^the immunization has no CVX vaccine code\.$/, cli: { args: ['--name', 'flu shot', '--date', '2025-10-02'], option: '--cvx' }, csv: { vaccine: 'flu shot', date: '2025-10-02' }, fhir: { status: 'completed', vaccineCode: { text: 'flu shot' }, occurrenceDateTime: '2025-10-02' }, synthea: { DESCRIPTION: 'flu shot', DATE: '2025-10-02' } },
      { name: 'from a lot that had expired', answer: /^the lot had expired when the vaccine was given/, cli: { args: ['--cvx', '140', '--date', '2025-10-02', '--expires', '2025-09-30'], option: '--expires' }, csv: { cvx: '140', date: '2025-10-02', expiration_date: '2025-09-30' }, fhir: { status: 'completed', vaccineCode: coding(CVX, '140'), occurrenceDateTime: '2025-10-02', expirationDate: '2025-09-30' } },
    ],
  },
];

const fhirTypes: Record<string, string> = { problems: 'Condition', medications: 'MedicationRequest', allergies: 'AllergyIntolerance', immunizations: 'Immunization' };
const syntheaColumns: Record<string, string[]> = {
  'conditions.csv': ['START', 'STOP', 'PATIENT', 'ENCOUNTER', 'SYSTEM', 'CODE', 'DESCRIPTION'],
  'medications.csv': ['START', 'STOP', 'PATIENT', 'PAYER', 'ENCOUNTER', 'CODE', 'DESCRIPTION'],
  'allergies.csv': ['START', 'STOP', 'PATIENT', 'ENCOUNTER', 'CODE', 'SYSTEM', 'DESCRIPTION', 'TYPE', 'CATEGORY', 'REACTION1', 'DESCRIPTION1', 'SEVERITY1'],
  'immunizations.csv': ['DATE', 'PATIENT', 'ENCOUNTER', 'CODE', 'DESCRIPTION'],
};
/** The chart each path records on, so what a path stored is read back from its own patient. */
const chartOf = (kind: Kind, path: Path) => `${kind.command.slice(0, 3).toUpperCase()}-${path}`;

describeEachBackend('one record kind, one answer on every path', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW, cwd: dir });
  /** Per kind and path: each case's answer, "accepted" or the reason given. */
  const answers = new Map<string, Map<Path, string>>();
  const answer = (kind: Kind, c: Case, path: Path, value: string) => {
    const key = `${kind.command}: ${c.name}`;
    if (!answers.has(key)) answers.set(key, new Map());
    answers.get(key)!.set(path, value);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-cross-path-'));
    await seedPractice(t.db);
    const charts = kinds.flatMap((kind) => (['cli', 'csv'] as Path[]).map((path) => chartOf(kind, path)));
    await t.db.insert(patients).values(charts.map((mrn) => ({ mrn, firstName: 'Rowan', lastName: 'Test', dob: '1970-01-15', searchName: `test rowan ${mrn}` })));

    for (const kind of kinds) {
      // The CLI: one command per case.
      for (const c of kind.cases.filter((c) => c.cli)) {
        const run = await cli([kind.command, 'add', chartOf(kind, 'cli'), ...c.cli!.args, '--json']);
        if (run.code === 0) answer(kind, c, 'cli', 'accepted');
        else {
          const message: string = run.json().error.message;
          const prefix = `${c.cli!.option}: `;
          answer(kind, c, 'cli', message.startsWith(prefix) && message.endsWith('.') ? message.slice(prefix.length) : `(not in the form "${prefix}reason."): ${message}`);
        }
      }

      // The CSV import: one row per case, keyed by its record id.
      const csvCases = kind.cases.filter((c) => c.csv);
      const columns = ['chart_number', 'record_id', ...new Set(csvCases.flatMap((c) => Object.keys(c.csv!)))];
      const csvFile = join(dir, `${kind.csvKind}.csv`);
      writeFileSync(csvFile, stringify([columns, ...csvCases.map((c, i) => columns.map((col) => (col === 'chart_number' ? chartOf(kind, 'csv') : col === 'record_id' ? `case-${i}` : (c.csv![col] ?? ''))))]));
      const csvRejects = join(dir, `${kind.csvKind}.rejects.csv`);
      const csvRun = await cli(['import', csvFile, '--kind', kind.csvKind, '--reject-file', csvRejects, '--json']);
      expect(csvRun.code, csvRun.stderr).toBeLessThanOrEqual(3);
      const csvReasons = reasonsBy(csvRejects, (row, header) => row[header.indexOf('record_id')]);
      csvCases.forEach((c, i) => answer(kind, c, 'csv', csvReasons.get(`case-${i}`) ?? 'accepted'));

      // The FHIR import: one bundle, one resource per case.
      const fhirCases = kind.cases.filter((c) => c.fhir);
      const patientId = chartOf(kind, 'fhir');
      const bundle = {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          { resource: { resourceType: 'Patient', id: patientId, name: [{ family: 'Test', given: ['Fern'] }], birthDate: '1970-01-15', gender: 'female' } },
          ...fhirCases.map((c, i) => ({ resource: { resourceType: fhirTypes[kind.command], ...c.fhir, id: `case-${i}`, [kind.fhirPatientField]: { reference: `Patient/${patientId}` } } })),
        ],
      };
      const fhirFile = join(dir, `${kind.command}.json`);
      writeFileSync(fhirFile, JSON.stringify(bundle));
      const fhirRejects = join(dir, `${kind.command}.fhir-rejects.csv`);
      const fhirRun = await cli(['import', fhirFile, '--format', 'fhir', '--reject-file', fhirRejects, '--json']);
      expect(fhirRun.code, fhirRun.stderr).toBeLessThanOrEqual(3);
      const fhirReasons = reasonsBy(fhirRejects, (row) => /\/(case-[0-9]+)\)/.exec(row.join(' '))?.[1]);
      fhirCases.forEach((c, i) => answer(kind, c, 'fhir', fhirReasons.get(`case-${i}`) ?? 'accepted'));

      // The Synthea import: a folder with the patient and the kind's file, one row per case.
      if (kind.syntheaFile) {
        const syntheaCases = kind.cases.filter((c) => c.synthea);
        const folder = mkdtempSync(join(dir, `synthea-${kind.command}-`));
        const patient = chartOf(kind, 'synthea');
        writeFileSync(join(folder, 'patients.csv'), `Id,BIRTHDATE,DEATHDATE,FIRST,LAST,GENDER\n${patient},1970-01-15,,Sage,Test,F\n`);
        const header = syntheaColumns[kind.syntheaFile]!;
        // A day of its own per row: Synthea rows are keyed by patient, code and start.
        const row = (c: Case, i: number) => header.map((col) => (col === 'PATIENT' ? patient : (c.synthea![col] ?? (col === 'START' || col === 'DATE' ? `2025-01-${10 + i}` : ''))));
        writeFileSync(join(folder, kind.syntheaFile), stringify([header, ...syntheaCases.map(row)]));
        const syntheaRejects = join(dir, `${kind.command}.synthea-rejects.csv`);
        const syntheaRun = await cli(['import', folder, '--format', 'synthea', '--reject-file', syntheaRejects, '--json']);
        expect(syntheaRun.code, syntheaRun.stderr).toBeLessThanOrEqual(3);
        // Columns: file, the row as read, its row number (the header is row 1), the reason.
        const syntheaReasons = reasonsBy(syntheaRejects, (r) => (r[0] === kind.syntheaFile ? r.at(-2) : undefined));
        syntheaCases.forEach((c, i) => answer(kind, c, 'synthea', syntheaReasons.get(String(i + 2)) ?? 'accepted'));
      }
    }
  });

  for (const kind of kinds) {
    describe(kind.command, () => {
      for (const c of kind.cases) {
        it(`${c.name}: ${c.answer === 'accepted' ? 'accepted' : 'refused'} alike on every path`, async () => {
          const given = answers.get(`${kind.command}: ${c.name}`)!;
          const paths = (['cli', 'csv', 'fhir', 'synthea'] as Path[]).filter((p) => (p === 'synthea' ? kind.syntheaFile && c.synthea : c[p]));
          expect([...given.keys()].sort()).toEqual([...paths].sort());
          if (c.answer === 'accepted') {
            expect(Object.fromEntries(given)).toEqual(Object.fromEntries(paths.map((p) => [p, 'accepted'])));
            for (const path of paths) {
              const columns = Object.keys(c.stored!);
              const rows = await queryRows<Record<string, unknown>>(
                t.db,
                sql`select ${sql.raw(columns.map((col) => `t.${col}::text as ${col}`).join(', '))} from ${sql.identifier(kind.table)} t join patients p on p.id = t.patient_id where p.mrn = ${chartOf(kind, path)} or p.id in (select patient_id from patient_identifiers where value = ${chartOf(kind, path)})`,
              );
              expect(rows, `${path} stores it as the others do`).toContainEqual(c.stored);
            }
            return;
          }
          // The CLI's reason is a sentence; an import's the same without its final full stop.
          const reasons = Object.fromEntries(paths.map((p) => [p, p === 'cli' ? given.get(p)!.replace(/\.$/, '') : given.get(p)!]));
          const first = reasons[paths[0]!]!;
          expect(`${first}.`).toMatch(c.answer);
          expect(reasons).toEqual(Object.fromEntries(paths.map((p) => [p, first])));
        });
      }
    });
  }
});
