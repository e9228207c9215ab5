// What the quality documents need beyond the measure results (src/measures/run.ts): the practice's
// name and tax id, and for QRDA each measure's supplemental data (src/measures/supplemental.ts).
import { practice } from '../../db/schema/index.js';
import type { DbOrTx } from '../../db/types.js';
import { UsageError } from '../../errors.js';
import { runQuality, type QualityQuery, type QualityReport } from '../../measures/run.js';
import { supplementalData } from '../../measures/supplemental.js';
import type { QrdaMeasure, QrdaSubmitter } from './render-qrda.js';

export async function practiceName(db: DbOrTx): Promise<string> {
  const [row] = await db.select({ name: practice.legalName }).from(practice).limit(1);
  return row?.name ?? 'Medical practice';
}

export interface QrdaReport {
  report: QualityReport;
  measures: QrdaMeasure[];
  submitter: QrdaSubmitter;
}

/** The QRDA Category III contents: a group (the TIN) or one clinician under it (provider, an NPI). */
export async function qrdaReport(db: DbOrTx, query: QualityQuery, options: { provider?: string } = {}): Promise<QrdaReport> {
  const [row] = await db.select({ legalName: practice.legalName, tin: practice.tin }).from(practice).limit(1);
  const tin = query.tin ?? row?.tin;
  if (!tin) throw new UsageError('A QRDA document names the tax id it reports for.', 'Add --tin, or set up the practice ("practice setup").');
  // A group reports the patients of the clinicians billing under its TIN.
  const scoped: QualityQuery = { ...query, tin };
  const report = await runQuality(db, scoped);
  const measures: QrdaMeasure[] = [];
  for (const [i, definition] of scoped.measures.entries()) {
    measures.push({ definition, result: report.measures[i]!, supplemental: await supplementalData(db, definition, scoped) });
  }
  const submitter: QrdaSubmitter = {
    program: options.provider ? 'MIPS_INDIV' : 'MIPS_GROUP',
    tin,
    npi: options.provider,
    organization: row?.legalName ?? `TIN ${tin}`,
  };
  return { report, measures, submitter };
}
