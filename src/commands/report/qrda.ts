// practice report quality --format qrda3: the QRDA Category III document for a MIPS submission.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { CommandContext } from '../../cli/context.js';
import { queryRows } from '../../db/query.js';
import { UsageError } from '../../errors.js';
import type { QualityQuery } from '../../measures/run.js';
import { writePrivateFile } from '../../files/private-file.js';

export async function writeQrda(ctx: CommandContext, query: QualityQuery, options: { out?: string; force?: boolean; provider?: string }) {
  if (!options.out) throw new UsageError('A QRDA document is written to a file: add --out qrda-2026.xml.');
  if (query.program !== 'mips') throw new UsageError('QRDA Category III is for the MIPS eCQMs: leave out --program hedis.');
  const db = await ctx.db();
  const [practice] = await queryRows<{ legal_name: string; tin: string }>(db, sql`select legal_name, tin from practice limit 1`);
  const tin = query.tin ?? practice?.tin;
  if (!tin) throw new UsageError('A QRDA document names the tax id it reports for.', 'Add --tin, or set up the practice ("practice setup").');
  // A group reports the patients of the clinicians billing under its TIN.
  const scoped: QualityQuery = { ...query, tin };
  const { runQuality } = await import('../../measures/run.js');
  const { supplementalData } = await import('../../measures/supplemental.js');
  const { qrdaCategoryIII } = await import('../../reports/quality-qrda.js');
  const report = await runQuality(db, scoped);
  const measures = [];
  for (const [i, definition] of scoped.measures.entries()) {
    measures.push({ definition, result: report.measures[i]!, supplemental: await supplementalData(db, definition, scoped) });
  }
  const submitter = {
    program: options.provider ? ('MIPS_INDIV' as const) : ('MIPS_GROUP' as const),
    tin,
    npi: options.provider,
    organization: practice?.legal_name ?? `TIN ${tin}`,
  };
  const xml = qrdaCategoryIII(report.period, measures, submitter, { now: ctx.now, documentId: randomUUID(), softwareName: 'practicekit' });
  await writePrivateFile(options.out, xml, { replace: options.force });
  // Our definitions do not all carry CMS's version-specific GUIDs yet: say so, since CMS matches on them.
  const unofficial = scoped.measures.filter((m) => !m.ecqm).map((m) => m.version);
  if (unofficial.length) {
    ctx.warn(`no official eCQM version-specific id recorded for ${unofficial.join(', ')}: the document uses stand-in ids; add them to the definitions before submitting to CMS.`);
  }
  return {
    data: { file: options.out, program: submitter.program, tin, npi: options.provider ?? null, period: report.period, measures: report.measures, standInIds: unofficial },
    human: `Wrote the QRDA Category III document (${report.measures.length} measure(s), ${submitter.program}) to ${options.out}.`,
  };
}
