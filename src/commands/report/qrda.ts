// practice report quality --format qrda3: the QRDA Category III document for a MIPS submission.
import { randomUUID } from 'node:crypto';
import type { CommandContext } from '../../cli/context.js';
import { UsageError } from '../../errors.js';
import type { QualityQuery } from '../../measures/run.js';
import { writePrivateFile } from '../../files/private-file.js';

export async function writeQrda(ctx: CommandContext, query: QualityQuery, options: { out?: string; force?: boolean; provider?: string }) {
  if (!options.out) throw new UsageError('A QRDA document is written to a file: add --out qrda-2026.xml.');
  if (query.program !== 'mips') throw new UsageError('QRDA Category III is for the MIPS eCQMs: leave out --program hedis.');
  const { qrdaReport } = await import('../../reports/quality/query.js');
  const { qrdaCategoryIII } = await import('../../reports/quality/render-qrda.js');
  const { report, measures, submitter } = await qrdaReport(await ctx.db(), query, { provider: options.provider });
  const { tin } = submitter;
  const xml = qrdaCategoryIII(report.period, measures, submitter, { now: ctx.now, documentId: randomUUID(), softwareName: 'practicekit' });
  await writePrivateFile(options.out, xml, { replace: options.force });
  // Our definitions do not all carry CMS's version-specific GUIDs yet: say so, since CMS matches on them.
  const unofficial = query.measures.filter((m) => !m.ecqm).map((m) => m.version);
  if (unofficial.length) {
    ctx.warn(`no official eCQM version-specific id recorded for ${unofficial.join(', ')}: the document uses stand-in ids; add them to the definitions before submitting to CMS.`);
  }
  return {
    data: { file: options.out, program: submitter.program, tin, npi: options.provider ?? null, period: report.period, measures: report.measures, standInIds: unofficial },
    human: `Wrote the QRDA Category III document (${report.measures.length} measure(s), ${submitter.program}) to ${options.out}.`,
  };
}
