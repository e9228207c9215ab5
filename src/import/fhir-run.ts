// practice import <bundle.json|dir> --format fhir: one item per resource, written in batches.
import { basename, relative } from 'node:path';
import type { Db } from '../db/types.js';
import type { ImportItem } from './engine.js';
import type { JsonLimits } from '../text/json.js';
import { checkFhirInputSize, fhirItems, readFhirInput } from './fhir.js';
import { RejectWriter } from './rejects.js';
import { practiceClock } from '../practice/clock.js';
import { fingerprint, runImport, summarise, type ImportOptions, type ImportSummary } from './run.js';


export async function importFhir(db: Db, input: string, options: ImportOptions & { limits?: JsonLimits }): Promise<ImportSummary> {
  await checkFhirInputSize(input, options.limits);
  const rejects = new RejectWriter(options.rejectFile ?? `${input.replace(/[\\/]+$/, '')}.rejects.csv`, ['resource']);
  const batchSize = options.batchSize;
  const ignored: string[] = [];
  const { today, zone } = await practiceClock(db, options.now);
  async function* batches(): AsyncGenerator<ImportItem[]> {
    let batch: ImportItem[] = [];
    for await (const unit of readFhirInput(input, ignored, options.limits)) {
      batch.push(...fhirItems(unit, options.source, { today, zone, dates: { form: 'machine' } }));
      // Whole folders per batch: a patient's resources land together, patients before what points to them.
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
  let done = 0;
  options.progress.start(undefined, 'Importing FHIR resources');
  const summary = await runImport(db, batches(), {
    fileName: basename(input),
    fileSha256: await fingerprint(input),
    kind: 'fhir',
    format: 'fhir',
    actor: options.actor,
    sourceSystem: options.source,
    dryRun: options.dryRun,
    rejectFile: rejects.path,
    signal: options.signal,
    onBatch: async (items, results) => {
      await rejects.addResults(items.map(() => []), items.map((i) => i.where), results);
      done += items.length;
      options.progress.update(done);
    },
  });
  return summarise('fhir', options.dryRun, { ...summary, runIds: summary.runId === null ? [] : [summary.runId] }, rejects, { ignoredFiles: ignored.map((f) => relative(input, f)) });
}
