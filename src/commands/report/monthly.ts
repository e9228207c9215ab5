// practice report monthly: the pack a manager hands out on the first of the month.
import type { Command } from 'commander';
import type { ActionFactory } from '../../cli/context.js';
import { renderTable } from '../../cli/output.js';
import { addMonthReportOptions, deliver, resolveMonth, terminalFormats, type MonthReportOptions } from './productivity.js';

export function registerMonthly(report: Command, action: ActionFactory): void {
  addMonthReportOptions(
    report
      .command('monthly')
      .description('the monthly pack: productivity, quality rates, recalls, claims, AR aging and denials (PDF with charts)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  practice report monthly --month 2026-10 --format pdf --out pack-2026-10.pdf
  practice report monthly --format csv --out pack.csv        (last full month)
From cron on the 1st: practice --quiet report monthly --format pdf --out /reports/pack-$(date +%Y-%m).pdf`,
    )
    .action(
      action(async (ctx, options: MonthReportOptions) => {
        const month = await resolveMonth(ctx, options);
        const { monthlyPack } = await import('../../reports/monthly/query.js');
        const { monthlyPackCsv, monthlyPackPdf } = await import('../../reports/monthly/render.js');
        const { productivityTable } = await import('../../reports/productivity/render.js');
        const pack = await monthlyPack(await ctx.db(), { month });
        const f = await terminalFormats(ctx);
        for (const note of pack.productivity.notes) ctx.info(`Note: ${note}`);
        if (pack.qualityNote) ctx.info(`Note: ${pack.qualityNote}`);
        return deliver(
          ctx,
          options,
          pack,
          async () => {
            if (options.format === 'pdf') return monthlyPackPdf(pack, f, ctx.now);
            if (options.format === 'csv') return monthlyPackCsv(pack);
            const chalk = options.out ? undefined : ctx.out;
            const c = pack.claims;
            return [
              productivityTable(pack.productivity, f, chalk),
              '',
              pack.quality
                ? renderTable(
                    pack.quality.rates,
                    [
                      { header: 'Measure', value: (r) => r.measure },
                      { header: 'Met', value: (r) => f.integer(r.numerator), align: 'right' },
                      { header: 'Eligible', value: (r) => f.integer(r.eligible), align: 'right' },
                      { header: 'Rate', value: (r) => `${f.percent(r.rate)}${r.inverse ? ' (lower is better)' : ''}`, align: 'right' },
                    ],
                    chalk,
                  )
                : `Quality: ${pack.qualityNote}`,
              '',
              `Recalls: ${f.integer(pack.recall.opened)} opened, ${f.integer(pack.recall.closed)} closed, ${f.integer(pack.recall.openNow)} open, ${f.integer(pack.recall.overdueAtMonthEnd)} overdue at month end.`,
              `Claims: ${f.integer(c.submitted)} sent, ${f.integer(c.decided)} decided, ${f.integer(c.denied)} denied (denial rate ${f.percent(c.denialRate)}).`,
              renderTable(
                c.aging,
                [
                  { header: 'AR age (days)', value: (a) => a.bucket },
                  { header: 'Claims', value: (a) => f.integer(a.claims), align: 'right' },
                  { header: 'Balance', value: (a) => f.money(a.balanceCents), align: 'right' },
                ],
                chalk,
              ),
              c.topDenialReasons.length
                ? renderTable(
                    c.topDenialReasons,
                    [
                      { header: 'Denial reason', value: (r) => `${r.groupCode ? `${r.groupCode}-` : ''}${r.carcCode} ${r.meaning}`.trim() },
                      { header: 'Claims', value: (r) => f.integer(r.claims), align: 'right' },
                      { header: 'Amount', value: (r) => f.money(r.amountCents), align: 'right' },
                    ],
                    chalk,
                  )
                : 'No denials this month.',
              `Audit chain head: ${pack.auditHead ?? 'none (the trail is empty)'}`,
            ].join('\n');
          },
          `the monthly pack for ${month}`,
        );
      }),
    );
}
