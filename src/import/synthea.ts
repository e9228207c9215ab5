// practice import <dir> --format synthea: the classic Synthea CSV export. Columns are found by header name,
// so 2.x, 3.0 and 3.2+ files (added, renamed or missing columns; no claims files) all import. Files are
// written in dependency order (patients, visits, then the rest), each as its own import run.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkAllergy } from '../records/allergy.js';
import { checkEncounter, visitColumns, type VisitContext } from '../records/encounter.js';
import { checkImmunization } from '../records/immunization.js';
import { checkMedication } from '../records/medication.js';
import { checkObservationValue } from '../records/observation.js';
import { checkProblem } from '../records/problem.js';
import { checkCoverage } from '../records/coverage.js';
import { asReason, notANumber, type Checked, type RecordContext, valuesOrReasons } from '../records/record.js';
import { vitalByLoinc } from '../records/vital.js';
import { practiceClock } from '../practice/clock.js';
import { CodeSystem, normalizeCodeSystem } from '../codes/systems.js';
import type { Db } from '../db/types.js';
import { readIsoDate } from '../dates.js';
import { PracticeError } from '../errors.js';
import { checkCsvReadable, readCsv, sniffCsv } from './csv.js';
import { tooLong } from './fields.js';
import { checkPatient, importedPatient } from '../records/patient.js';
import { emptyCounts, type BucketCounts, type ImportItem } from './engine.js';
import { RejectWriter } from './rejects.js';
import { fingerprint, runImport, summarise, type ImportOptions, type ImportSummary } from './run.js';
import type { ClinicalRecord, ClinicalTarget } from './writer.js';


type Get = (column: string, ...older: string[]) => string;

interface FileMapper {
  file: string;
  build: (get: Get, item: ImportItem, source: string, payers: Map<string, string>, context: VisitContext) => void;
}

/** A record checked by its kind's declaration (src/records/): its values, or its problems as the row's reasons. */
const checked = <T>(item: ImportItem, result: Checked<T>): T | undefined => valuesOrReasons(result, item.problems);

/**
 * The most characters a Synthea cell may hold: its longest (a description, an address) are a few hundred.
 * A longer cell rejects its row, named by its column, before anything is built from it.
 */
const CELL_LIMIT = 1_000;

const day = (value: string) => readIsoDate(value) ?? null;
const instant = (value: string) => (value ? (value.length === 10 ? `${value}T00:00:00Z` : value) : null);
const keyOf = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);
const vitalLoinc = new Set(['8480-6', '8462-4', '29463-7', '8302-2', '39156-5', '8310-5', '8867-4', '9279-1', '59408-5', '72514-3', '8287-5', '9843-4', '59576-9', '77606-2', '2708-6']);
const observationCategories = new Set(['vital-signs', 'laboratory', 'survey', 'social-history', 'exam', 'imaging', 'procedure', 'therapy', 'activity']);

function record(item: ImportItem, source: string, target: ClinicalTarget, sourceId: string, patient: string, encounter: string, values: Record<string, unknown>): void {
  const r: ClinicalRecord = { target, sourceSystem: source, sourceId, patient: { system: source, value: patient }, encounter: encounter || undefined, values };
  item.records.push(r);
}

/** The patient's fields Synthea's patients.csv holds (src/records/patient.ts): a re-import sets each. */
const SYNTHEA_PATIENT_FIELDS = ['middleName', 'suffix', 'race', 'ethnicity', 'address1', 'city', 'state', 'zip', 'deceasedDate'] as const;

/** The files we store, in the order they must be written; the others are listed as not imported. */
const mappers: FileMapper[] = [
  {
    file: 'patients.csv',
    build(get, item, source, _payers, context) {
      const id = get('Id');
      if (!id) return void item.problems.push('the patient has no Id');
      const patient = checked(
        item,
        checkPatient(
          {
            mrn: id,
            firstName: get('FIRST'),
            middleName: get('MIDDLE'),
            lastName: get('LAST'),
            suffix: get('SUFFIX'),
            dob: get('BIRTHDATE'),
            sex: get('GENDER'),
            race: get('RACE'),
            ethnicity: get('ETHNICITY'),
            address1: get('ADDRESS'),
            city: get('CITY'),
            state: get('STATE'),
            zip: get('ZIP'),
            deceasedDate: get('DEATHDATE'),
          },
          context,
          { creating: true },
        ),
      );
      if (!patient) return;
      item.patients.push({ key: { system: source, value: id }, mrn: id, values: importedPatient(patient, SYNTHEA_PATIENT_FIELDS) });
    },
  },
  {
    file: 'encounters.csv',
    build(get, item, source, _payers, context) {
      if (!get('Id')) return void item.problems.push('the visit has no Id');
      const visit = checked(
        item,
        checkEncounter(
          {
            startsAt: get('START'),
            endsAt: get('STOP'),
            encounterClass: get('ENCOUNTERCLASS'),
            // Synthea codes its visits and their reasons in SNOMED CT.
            type: { code: get('CODE'), codeSystem: CodeSystem.snomed, display: get('DESCRIPTION') },
            reason: { code: get('REASONCODE'), codeSystem: CodeSystem.snomed, text: get('REASONDESCRIPTION') },
          },
          context,
        ),
      );
      if (!visit) return;
      const columns = visitColumns(visit);
      record(item, source, 'encounters', get('Id'), get('PATIENT'), '', { ...columns, startsAt: columns.startsAt.toISOString(), endsAt: columns.endsAt?.toISOString() ?? null });
    },
  },
  {
    file: 'payer_transitions.csv',
    build(get, item, source, payers, context) {
      const payer = get('PAYER');
      if (!payer || payers.get(payer) === 'NO_INSURANCE') return void (item.skip = true);
      const from = get('START_DATE', 'START_YEAR');
      const to = get('END_DATE', 'END_YEAR');
      const coverage = checked(
        item,
        checkCoverage(
          {
            payer,
            memberId: get('MEMBERID') || 'unknown',
            relationship: get('PLAN_OWNERSHIP', 'OWNERSHIP') || undefined,
            plan: payers.get(payer),
            // 2.x gives years only: the whole year.
            start: /^[0-9]{4}$/.test(from) ? `${from}-01-01` : from,
            end: /^[0-9]{4}$/.test(to) ? `${to}-12-31` : to,
          },
          context,
          { creating: true },
        ),
      );
      if (!coverage) return;
      item.payers = [{ sourceId: payer, name: payers.get(payer) ?? 'Unknown payer' }];
      record(item, source, 'coverages', keyOf(get('PATIENT'), payer, day(from) ?? ''), get('PATIENT'), '', { ...coverage });
    },
  },
  {
    file: 'conditions.csv',
    build(get, item, source, _payers, context) {
      // Synthea's conditions are SNOMED CT unless its SYSTEM column (3.x) says otherwise.
      const problem = checked(item, checkProblem({ code: get('CODE'), codeSystem: get('SYSTEM') || CodeSystem.snomed, display: get('DESCRIPTION'), onsetDate: get('START'), abatementDate: get('STOP') }, context));
      if (!problem) return;
      record(item, source, 'problems', keyOf(get('PATIENT'), get('ENCOUNTER'), get('CODE'), get('START')), get('PATIENT'), get('ENCOUNTER'), { ...problem });
    },
  },
  {
    file: 'medications.csv',
    build(get, item, source, _payers, context) {
      // Synthea's medications are RxNorm concepts.
      const medication = checked(item, checkMedication({ rxnorm: get('CODE'), display: get('DESCRIPTION'), startDate: get('START'), stopDate: get('STOP') }, context));
      if (!medication) return;
      record(item, source, 'medications', keyOf(get('PATIENT'), get('ENCOUNTER'), get('CODE'), get('START'), get('STOP')), get('PATIENT'), get('ENCOUNTER'), {
        ...medication,
        // Synthea's medications are prescriptions written at its encounters.
        kind: 'request',
        intent: 'order',
      });
    },
  },
  {
    file: 'allergies.csv',
    build(get, item, source, _payers, context) {
      // Synthea 2.x has no CATEGORY, SYSTEM or reaction columns: SNOMED CT substances.
      const allergy = checked(
        item,
        checkAllergy(
          { substance: get('DESCRIPTION') || get('CODE'), code: get('CODE'), codeSystem: get('SYSTEM') || CodeSystem.snomed, category: get('CATEGORY'), reaction: get('DESCRIPTION1'), severity: get('SEVERITY1'), status: get('STOP') ? 'inactive' : 'active', onsetDate: get('START') },
          context,
        ),
      );
      if (!allergy) return;
      record(item, source, 'allergies', keyOf(get('PATIENT'), get('CODE'), get('START')), get('PATIENT'), '', { ...allergy });
    },
  },
  {
    file: 'immunizations.csv',
    build(get, item, source, _payers, context) {
      const immunization = checked(item, checkImmunization({ cvx: get('CODE'), display: get('DESCRIPTION'), occurrenceDate: get('DATE') }, context));
      if (!immunization) return;
      record(item, source, 'immunizations', keyOf(get('PATIENT'), get('ENCOUNTER'), get('CODE'), get('DATE')), get('PATIENT'), get('ENCOUNTER'), { ...immunization });
    },
  },
  {
    file: 'observations.csv',
    build(get, item, source) {
      const code = get('CODE');
      // Synthea's own QALY/DALY/QOLS rows are not clinical observations.
      if (!/^[0-9]{1,7}-[0-9]$/.test(code)) return void (item.skip = true);
      const given = get('CATEGORY');
      const numeric = get('TYPE') ? get('TYPE') === 'numeric' : /^-?[0-9]+(\.[0-9]+)?$/.test(get('VALUE'));
      const unit = get('UNITS') && get('UNITS') !== 'null' ? get('UNITS') : null;
      // A numeric row whose value is not a number is worded as a CSV cell or a FHIR value that is not one.
      if (numeric && get('VALUE') && !/^-?[0-9]+(\.[0-9]+)?$/.test(get('VALUE'))) return void item.problems.push(asReason(notANumber(vitalByLoinc(code)?.display ?? 'the value')));
      // Synthea writes metric units; a reading without one is taken as metric too.
      const checked = numeric && get('VALUE') ? checkObservationValue(code, Number(get('VALUE')), unit, 'metric') : { value: null, unit };
      if ('problem' in checked) return void item.problems.push(asReason(checked.problem));
      record(item, source, 'observations', keyOf(get('PATIENT'), get('ENCOUNTER'), code, get('DATE'), get('VALUE')), get('PATIENT'), get('ENCOUNTER'), {
        category: observationCategories.has(given) ? given : vitalLoinc.has(code) ? 'vital-signs' : 'laboratory',
        codeSystem: CodeSystem.loinc,
        code,
        display: get('DESCRIPTION') || null,
        valueNumeric: checked.value,
        valueUnit: checked.unit,
        valueText: numeric ? null : get('VALUE') || null,
        effectiveAt: instant(get('DATE')),
      });
    },
  },
  {
    file: 'procedures.csv',
    build(get, item, source) {
      const start = get('START', 'DATE');
      record(item, source, 'procedures', keyOf(get('PATIENT'), get('ENCOUNTER'), get('CODE'), start), get('PATIENT'), get('ENCOUNTER'), {
        codeSystem: get('SYSTEM') ? normalizeCodeSystem(get('SYSTEM')) : CodeSystem.snomed,
        code: get('CODE'),
        display: get('DESCRIPTION') || null,
        performedStart: instant(start),
        performedEnd: get('STOP') && get('STOP') >= start ? instant(get('STOP')) : null,
        reasonSystem: get('REASONCODE') ? CodeSystem.snomed : null,
        reasonCode: get('REASONCODE') || null,
      });
    },
  },
];

const notStored = ['careplans.csv', 'devices.csv', 'supplies.csv', 'imaging_studies.csv', 'organizations.csv', 'providers.csv', 'claims.csv', 'claims_transactions.csv', 'patient_expenses.csv'];

async function payerNames(dir: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const file = join(dir, 'payers.csv');
  if (!existsSync(file)) return names;
  let columns: Map<string, number> | undefined;
  for await (const { cells } of readCsv(file, await sniffCsv(file, 'payers.csv'))) {
    if (!columns) columns = new Map(cells.map((h, i) => [h.trim().toUpperCase(), i]));
    else names.set(cells[columns.get('ID')!] ?? '', cells[columns.get('NAME')!] ?? '');
  }
  return names;
}

export async function importSynthea(db: Db, dir: string, options: ImportOptions): Promise<ImportSummary> {
  if (!existsSync(join(dir, 'patients.csv'))) {
    throw new PracticeError('IMPORT_WRONG_KIND', `${basename(dir)} is not a Synthea CSV export: it has no patients.csv.`, { hint: 'Point to the csv folder Synthea wrote (output/csv).' });
  }
  // Every file is read to its end first: one that cannot be read is refused before anything is written.
  const present = mappers.filter((m) => existsSync(join(dir, m.file)));
  for (const mapper of present) {
    const path = join(dir, mapper.file);
    await checkCsvReadable(path, await sniffCsv(path, mapper.file), mapper.file);
  }
  const payers = await payerNames(dir);
  const { today, zone } = await practiceClock(db, options.now);
  const context: VisitContext = { today, zone, dates: { form: 'machine' } };
  const rejects = new RejectWriter(options.rejectFile ?? `${dir.replace(/[\\/]+$/, '')}.rejects.csv`, ['file', 'row']);
  const total = emptyCounts();
  const files: { file: string; counts: BucketCounts }[] = [];
  const runIds: number[] = [];
  let possibleDuplicates = 0;
  let done = 0;
  options.progress.start(undefined, 'Importing Synthea');
  for (const mapper of present) {
    const path = join(dir, mapper.file);
    const format = await sniffCsv(path, mapper.file);
    const rows = readCsv(path, format, mapper.file);
    const header = await rows.next();
    if (header.done) continue;
    const headers = header.value.cells.map((h) => h.trim().toUpperCase());
    const index = new Map(headers.map((h, i) => [h, i]));
    const original = new WeakMap<ImportItem, string[]>();
    async function* batches(): AsyncGenerator<ImportItem[]> {
      let batch: ImportItem[] = [];
      for await (const { cells, row } of rows) {
        const get: Get = (column, ...older) => {
          for (const name of [column, ...older]) {
            const i = index.get(name.toUpperCase());
            if (i !== undefined) return (cells[i] ?? '').trim();
          }
          return '';
        };
        const item: ImportItem = { where: String(row), patients: [], records: [], problems: [] };
        const long = cells.flatMap((cell, i) => tooLong(headers[i] || `column ${i + 1}`, cell, CELL_LIMIT) ?? []);
        if (long.length) item.problems.push(...long);
        else mapper.build(get, item, options.source, payers, context);
        original.set(item, cells);
        batch.push(item);
        if (batch.length >= options.batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    }
    const summary = await runImport(db, batches(), {
      fileName: `${basename(dir)}/${mapper.file}`,
      fileSha256: await fingerprint(path),
      kind: mapper.file.replace(/\.csv$/, ''),
      format: 'synthea',
      actor: options.actor,
      sourceSystem: options.source,
      dryRun: options.dryRun,
      signal: options.signal,
      onBatch: async (items, results) => {
        const { stringify } = await import('csv-stringify/sync');
        await rejects.addResults(items.map((i) => [mapper.file, stringify([original.get(i) ?? []]).trimEnd()]), items.map((i) => i.where), results);
        done += items.length;
        options.progress.update(done);
      },
    });
    if (summary.runId !== null) runIds.push(summary.runId);
    possibleDuplicates += summary.possibleDuplicates;
    files.push({ file: mapper.file, counts: summary.counts });
    for (const key of Object.keys(total) as (keyof BucketCounts)[]) total[key] += summary.counts[key];
  }
  const skippedFiles = notStored.filter((f) => existsSync(join(dir, f)));
  return summarise('synthea', options.dryRun, { runIds, counts: total, possibleDuplicates }, rejects, { files, ignoredFiles: skippedFiles });
}
