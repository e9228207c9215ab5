// One history entry, one answer (issue #22): a table of good and bad values goes through every path that
// records a patient's past illnesses, surgeries, family and social history (`history <type> add`, a CSV history
// row, a FHIR Condition in the past illness category, FamilyMemberHistory, social-history Observation or
// Procedure), and every path accepts or refuses it alike, in the declaration's words, and stores the same
// values. The CLI names the field by its option ("--relation: ..."); an import gives the reason as is.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/query.js';
import { patients } from '../../src/db/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { describeEachBackend } from '../helpers/db.js';
import { NOW, seedPractice } from '../chart/setup.js';
import { coding, FUTURE, ICD10, reasonsBy } from './paths.js';

type Path = 'cli' | 'csv' | 'fhir';
type Json = Record<string, any>;

interface Case {
  name: string;
  /** The reason every path gives, as an import words it (a pattern where it is long), or 'accepted'. */
  answer: RegExp | 'accepted';
  /** What an accepted entry is stored as (columns as text), on every path. */
  stored?: Record<string, string | null>;
  /** After "history": the type's command and its options. */
  cli?: string[];
  csv?: Record<string, string>;
  /** The FHIR resource, less its id, patient reference and note. */
  fhir?: Json;
}

const SNOMED = 'http://snomed.info/sct';
const CPT = 'http://www.ama-assn.org/go/cpt';
const LOINC = 'http://loinc.org';
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const pastIllness = (fields: Json) => ({ resourceType: 'Condition', category: [coding(LOINC, '11348-0')], ...fields });
const family = (fields: Json) => ({ resourceType: 'FamilyMemberHistory', status: 'completed', ...fields });
// A Procedure the patient asserts is surgical history as told (one done here is a procedure).
const surgery = (fields: Json) => ({ resourceType: 'Procedure', status: 'completed', asserter: { reference: 'Patient/his-fhir' }, ...fields });
const social = (fields: Json) => ({ resourceType: 'Observation', status: 'final', category: [coding('http://terminology.hl7.org/CodeSystem/observation-category', 'social-history')], code: coding(LOINC, '29762-2'), ...fields });
const RELATIVES = 'mother, father, parent, sister, brother, sibling, half-sister, half-brother, daughter, son, child, grandmother, grandfather, maternal-grandmother, maternal-grandfather, paternal-grandmother, paternal-grandfather, aunt, uncle, cousin, niece, nephew';

const cases: Case[] = [
  {
    name: 'a past illness coded in ICD-10-CM without its dot, dated as each source writes dates',
    answer: 'accepted',
    stored: { kind: 'past-illness', description: 'Pneumonia', code_system: ICD10, code: 'J18.9', onset_date: '2019-01-01' },
    cli: ['medical', '--condition', 'Pneumonia', '--icd10', 'j189', '--date', '1/1/2019'],
    csv: { kind: 'PMH', description: 'Pneumonia', code: 'j189', onset_date: '1/1/2019' },
    fhir: pastIllness({ code: { ...coding(ICD10, 'j189'), text: 'Pneumonia' }, onsetDateTime: '2019-01-01' }),
  },
  {
    name: 'a relative in the words people write',
    answer: 'accepted',
    stored: { kind: 'family', description: 'Breast cancer', relation: 'maternal-grandmother', onset_age: '52' },
    cli: ['family', '--relation', 'Maternal Grandmother', '--condition', 'Breast cancer', '--onset-age', '52'],
    fhir: family({ relationship: coding(ROLE, 'MGRMTH'), condition: [{ code: { text: 'Breast cancer' }, onsetAge: { value: 52, unit: 'a', code: 'a' } }] }),
  },
  {
    name: 'a relative as a CSV writes it',
    answer: 'accepted',
    stored: { kind: 'family', description: 'Diabetes', relation: 'paternal-grandfather', onset_age: null },
    cli: ['family', '--relation', 'paternal_grandfather', '--condition', 'Diabetes'],
    csv: { kind: 'FH', description: 'Diabetes', relation: 'Paternal grandfather' },
    fhir: family({ relationship: { text: 'Paternal grandfather' }, condition: [{ code: { text: 'Diabetes' } }] }),
  },
  {
    name: 'a relative who is not one the practice records',
    answer: new RegExp(`^the relative must be one of: ${RELATIVES}$`),
    cli: ['family', '--relation', 'neighbour', '--condition', 'Asthma'],
    csv: { kind: 'family', description: 'Asthma', relation: 'neighbour' },
    fhir: family({ relationship: { text: 'neighbour' }, condition: [{ code: { text: 'Asthma' } }] }),
  },
  {
    name: 'a family history entry that names no relative',
    answer: /^the relative is missing$/,
    cli: ['family', '--condition', 'Glaucoma'],
    csv: { kind: 'FHx', description: 'Glaucoma' },
    fhir: family({ condition: [{ code: { text: 'Glaucoma' } }] }),
  },
  {
    name: 'an age at onset no one lives to',
    answer: /^the age at onset must be an age in whole years \(0 to 130\)$/,
    cli: ['family', '--relation', 'mother', '--condition', 'Stroke', '--onset-age', '200'],
    fhir: family({ relationship: coding(ROLE, 'MTH'), condition: [{ code: { text: 'Stroke' }, onsetAge: { value: 200, unit: 'a', code: 'a' } }] }),
  },
  {
    name: 'an illness dated in the future',
    answer: /^the date is in the future$/,
    cli: ['medical', '--condition', 'Measles', '--date', FUTURE],
    csv: { kind: 'medical', description: 'Measles', onset_date: FUTURE },
    fhir: pastIllness({ code: { text: 'Measles' }, onsetDateTime: FUTURE }),
  },
  {
    name: 'an ICD-10-CM category header',
    answer: /^E11 is an ICD-10-CM category, not a billable code; choose a billable code: E11\.00/,
    cli: ['medical', '--condition', 'Diabetes', '--icd10', 'E11'],
    csv: { kind: 'PMH', description: 'Diabetes', code: 'E11' },
    fhir: pastIllness({ code: { ...coding(ICD10, 'E11'), text: 'Diabetes' } }),
  },
  {
    name: 'a past illness with no name',
    answer: /^the illness is missing$/,
    cli: ['medical', '--icd10', 'J18.9'],
    csv: { kind: 'PMH', code: 'J18.9' },
    fhir: pastIllness({ code: { coding: [] } }),
  },
  {
    name: 'a surgery coded in CPT',
    answer: 'accepted',
    stored: { kind: 'surgery', description: 'Appendectomy', code_system: CPT, code: '44950', onset_date: '2015-06-01' },
    cli: ['surgical', '--procedure', 'Appendectomy', '--cpt', '44950', '--date', '2015-06-01'],
    csv: { kind: 'PSH', description: 'Appendectomy', code: '44950', onset_date: '2015-06-01' },
    fhir: surgery({ code: { ...coding(CPT, '44950'), text: 'Appendectomy' }, performedDateTime: '2015-06-01' }),
  },
  {
    name: 'a surgery coded in SNOMED CT',
    answer: 'accepted',
    stored: { kind: 'surgery', description: 'Cholecystectomy', code_system: SNOMED, code: '38102005' },
    cli: ['surgical', '--procedure', 'Cholecystectomy', '--snomed', '38102005'],
    csv: { kind: 'surgical', description: 'Cholecystectomy', code: '38102005', code_system: 'SNOMED' },
    fhir: surgery({ code: { ...coding(SNOMED, '38102005'), text: 'Cholecystectomy' } }),
  },
  {
    name: 'a SNOMED CT code too short to be one',
    answer: /^"1234" is not a SNOMED CT code \(6 to 18 digits\)$/,
    cli: ['surgical', '--procedure', 'Tonsillectomy', '--snomed', '1234'],
    csv: { kind: 'PSH', description: 'Tonsillectomy', code: '1234', code_system: 'SNOMED' },
    fhir: surgery({ code: { ...coding(SNOMED, '1234'), text: 'Tonsillectomy' } }),
  },
  {
    name: 'social history told in words, since a date',
    answer: 'accepted',
    stored: { kind: 'social', description: 'Works night shifts', onset_date: '2015-03-01' },
    cli: ['social', '--text', 'Works night shifts', '--since', '2015-03-01'],
    csv: { kind: 'SH', description: 'Works night shifts', onset_date: '3/1/2015' },
    fhir: social({ valueString: 'Works night shifts', effectiveDateTime: '2015-03-01' }),
  },
  {
    name: 'social history since a day ahead',
    answer: /^the date is in the future$/,
    cli: ['social', '--text', 'Runs marathons', '--since', FUTURE],
    csv: { kind: 'social', description: 'Runs marathons', onset_date: FUTURE },
    fhir: social({ valueString: 'Runs marathons', effectiveDateTime: FUTURE }),
  },
  {
    name: 'a history type that is not one',
    answer: /^the history type must be one of: past-illness, surgery, family, social$/,
    csv: { kind: 'allergy', description: 'Penicillin' },
  },
];

/** A CLI refusal as an import words it: the option taken off the front, no full stop. */
function asReason(issue: { path?: string; message: string }): string {
  const option = issue.path ?? '';
  const text = issue.message.startsWith(`${option}: `) ? issue.message.slice(option.length + 2) : `(not named by its option): ${issue.message}`;
  return text.replace(/\.$/, '');
}

const fhirId = (row: string[]) => /\/(case-[0-9]+)\)/.exec(row.join(' '))?.[1];
/** What identifies a case's entry on a path: its note. */
const tag = (path: Path, i: number) => `${path.toUpperCase()}${i}`;
const CSV_COLUMNS = ['chart_number', 'record_id', 'kind', 'description', 'code', 'code_system', 'relation', 'onset_date', 'note'];

describeEachBackend('one history entry, one answer on every path', (t) => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { database: t.handle, now: NOW, cwd: dir });
  const answers = new Map<string, Map<Path, string>>();
  const answer = (c: Case, path: Path, value: string) => {
    if (!answers.has(c.name)) answers.set(c.name, new Map());
    answers.get(c.name)!.set(path, value);
  };
  /** An import's answers per case: the reject file's reason by the case's record id, else accepted. */
  const importAnswers = async (path: Path, args: string[], key: (row: string[], header: string[]) => string | undefined) => {
    const rejects = join(dir, `history.${path}-rejects.csv`);
    const run = await cli([...args, '--reject-file', rejects, '--json']);
    expect(run.code, run.stderr).toBeLessThanOrEqual(3);
    const reasons = reasonsBy(rejects, key);
    for (const [i, c] of cases.entries()) if (c[path]) answer(c, path, reasons.get(`case-${i}`) ?? 'accepted');
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-cross-path-history-'));
    await seedPractice(t.db);
    await t.db.insert(patients).values(['cli', 'csv'].map((p) => ({ mrn: `HIS-${p}`, firstName: 'Hazel', lastName: 'History', dob: '1950-01-15', searchName: 'history hazel' })));

    for (const [i, c] of cases.entries()) {
      if (!c.cli) continue;
      const [type, ...options] = c.cli;
      const run = await cli(['history', type!, 'add', 'HIS-cli', ...options, '--note', tag('cli', i), '--json']);
      if (run.code === 0) answer(c, 'cli', 'accepted');
      else {
        const { message, issues } = run.json().error as { message: string; issues?: { path?: string; message: string }[] };
        answer(c, 'cli', (issues?.length ? issues : [{ message }]).map(asReason).join('; '));
      }
    }

    const csvRows = [...cases.entries()].filter(([, c]) => c.csv).map(([i, c]) => CSV_COLUMNS.map((col) => ({ chart_number: 'HIS-csv', record_id: `case-${i}`, note: tag('csv', i), ...c.csv })[col] ?? ''));
    writeFileSync(join(dir, 'history.csv'), stringify([CSV_COLUMNS, ...csvRows]));
    await importAnswers('csv', ['import', 'history.csv', '--kind', 'history'], (row, header) => row[header.indexOf('record_id')]);

    const fhirPatient = { resource: { resourceType: 'Patient', id: 'his-fhir', name: [{ family: 'History', given: ['Holly'] }], birthDate: '1950-01-15', gender: 'female' } };
    const resources = [...cases.entries()].filter(([, c]) => c.fhir).map(([i, c]) => {
      const who = c.fhir!.resourceType === 'FamilyMemberHistory' ? 'patient' : 'subject';
      return { resource: { ...c.fhir, id: `case-${i}`, [who]: { reference: 'Patient/his-fhir' }, note: [{ text: tag('fhir', i) }] } };
    });
    writeFileSync(join(dir, 'history.json'), JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [fhirPatient, ...resources] }));
    await importAnswers('fhir', ['import', 'history.json', '--format', 'fhir'], fhirId);
  }, 120_000);

  describe('history', () => {
    for (const [i, c] of cases.entries()) {
      it(`${c.name}: ${c.answer === 'accepted' ? 'accepted' : 'refused'} alike on every path`, async () => {
        const paths = (['cli', 'csv', 'fhir'] as Path[]).filter((p) => c[p]);
        const given = answers.get(c.name)!;
        expect([...given.keys()]).toEqual(paths);
        for (const path of paths) {
          if (c.answer === 'accepted') expect(given.get(path), path).toBe('accepted');
          else expect(given.get(path), path).toMatch(c.answer);
          const columns = Object.keys(c.stored ?? { id: '' });
          const rows = await queryRows<Record<string, string>>(t.db, sql`select ${sql.raw(columns.map((col) => `${col}::text as ${col}`).join(', '))} from medical_history where note = ${tag(path, i)}`);
          if (c.answer === 'accepted') expect(rows, `${path} stores it as the others do`).toEqual([c.stored]);
          else expect(rows, `${path} stores nothing for a refused entry`).toEqual([]);
        }
      });
    }
  });

  it('sends history out as FHIR that validates and comes back as the same entries', async () => {
    const file = join(dir, 'history-export.json');
    const exported = await cli(['fhir', 'export', 'HIS-cli', '--out', file]);
    expect(exported.code, exported.stderr).toBe(0);
    const check = await runCli(['fhir', 'validate', file], { database: t.handle });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const bundle = JSON.parse(readFileSync(file, 'utf8'));
    const types = bundle.entry.map((e: Json) => e.resource.resourceType);
    expect(types.filter((type: string) => ['FamilyMemberHistory', 'Procedure'].includes(type)).sort()).toEqual(['FamilyMemberHistory', 'FamilyMemberHistory', 'Procedure', 'Procedure']);
    const back = await cli(['import', file, '--format', 'fhir', '--source', 'roundtrip', '--json']);
    expect(back.code, back.stderr).toBe(0);
    const columns = sql`kind, description, code_system, code, relation, onset_date::text as onset_date, onset_age, note`;
    const original = await queryRows(t.db, sql`select ${columns} from medical_history where note like 'CLI%' and source_system is null order by note`);
    expect(original).toHaveLength(cases.filter((c) => c.cli && c.answer === 'accepted').length);
    expect(await queryRows(t.db, sql`select ${columns} from medical_history where source_system = 'roundtrip' order by note`)).toEqual(original);
  });
});
