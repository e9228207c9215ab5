// The monthly pack as the PDF the physicians read and as CSV; the figures come from query.ts.
import type { DbOrTx } from '../../db/types.js';
import { writePrivateFile } from '../../files/private-file.js';
import { toCsv, numberFormats, type NumberFormats } from '../format.js';
import { monthLabel } from '../periods.js';
import { PdfReport } from '../pdf/document.js';
import { addProductivitySection } from '../productivity/render.js';
import { addMipsPage } from '../mips/render.js';
import { monthlyPack, type MonthlyPack } from './query.js';

export async function monthlyPackPdf(pack: MonthlyPack, f: NumberFormats, createdAt: Date): Promise<Buffer> {
  const period = monthLabel(pack.month);
  const pdf = new PdfReport({ title: 'Monthly practice report', practiceName: pack.practiceName, period, createdAt });
  pdf.doc.font('Helvetica-Bold').fontSize(20).text(`Monthly report: ${period}`);
  pdf.paragraph(pack.practiceName);
  addProductivitySection(pdf, pack.productivity, pack.trend, f);

  pdf.newPage().heading('Quality measures');
  if (pack.quality) {
    pdf.paragraph(`Performance period ${pack.quality.from} to ${pack.quality.to} (MIPS eCQMs, all patients).`, { muted: true });
    pdf.barChart({
      title: 'Performance rate per measure (lower is better where marked)',
      items: pack.quality.rates.filter((r) => r.rate !== null).map((r) => ({ label: `${r.measure}${r.inverse ? ' (lower is better)' : ''}`, value: r.rate! * 100 })),
      formatValue: (v) => `${f.decimal(v, 1)}%`,
    });
    pdf.table(
      [{ header: 'Measure', width: 1.2 }, { header: 'Title', width: 4 }, { header: 'Met', align: 'right' }, { header: 'Eligible', align: 'right' }, { header: 'Rate', align: 'right' }],
      pack.quality.rates.map((r) => [r.measure, r.title, f.integer(r.numerator), f.integer(r.eligible), f.percent(r.rate)]),
    );
    addMipsPage(pdf, pack.quality.mips, f);
  } else {
    pdf.paragraph(pack.qualityNote ?? 'Quality rates are not available.', { muted: true });
  }

  pdf.heading('Recall activity');
  pdf.keyFigures([
    { label: 'Recalls opened', value: f.integer(pack.recall.opened) },
    { label: 'Recalls closed', value: f.integer(pack.recall.closed) },
    { label: 'Open now', value: f.integer(pack.recall.openNow) },
    { label: 'Overdue at month end', value: f.integer(pack.recall.overdueAtMonthEnd) },
  ]);
  if (pack.recall.trackingBegan) {
    pdf.paragraph(`Recall tracking began on ${pack.recall.trackingBegan}: the recalls found by its first run count as opened this month.`, { muted: true });
  }
  if (pack.recall.reminders.length > 0) {
    pdf.table(
      [{ header: 'Reminder channel', width: 2 }, { header: 'Reminders sent', align: 'right' }, { header: 'Recalls in them', align: 'right' }, { header: 'Failed', align: 'right' }, { header: 'Skipped', align: 'right' }, { header: 'Pending', align: 'right' }],
      pack.recall.reminders.map((r) => [r.channel, f.integer(r.sent), f.integer(r.recallsSent), f.integer(r.failed), f.integer(r.skipped), f.integer(r.pending)]),
    );
  } else {
    pdf.paragraph('No reminders were sent this month.', { muted: true });
  }

  const c = pack.claims;
  pdf.heading('Claims and accounts receivable');
  pdf.keyFigures([
    { label: 'Claims sent', value: f.integer(c.submitted) },
    { label: 'Claims decided by payers', value: f.integer(c.decided) },
    { label: 'Denial rate', value: f.percent(c.denialRate), note: `${f.integer(c.denied)} claim(s), ${f.money(c.deniedCents)}` },
    { label: 'Owed by payers', value: f.money(c.openBalanceCents) },
  ]);
  pdf.barChart({ title: 'Accounts receivable by age (days), balance owed by payers', items: c.aging.map((a) => ({ label: `${a.bucket} days`, value: a.balanceCents / 100 })), formatValue: (v) => f.money(Math.round(v * 100)) });
  pdf.table(
    [{ header: 'Age (days)' }, { header: 'Claims', align: 'right' }, { header: 'Balance', align: 'right' }],
    c.aging.map((a) => [a.bucket, f.integer(a.claims), f.money(a.balanceCents)]),
  );
  pdf.subheading('Top denial reasons');
  if (c.topDenialReasons.length > 0) {
    pdf.table(
      [{ header: 'Reason (CARC)' }, { header: 'Meaning', width: 3 }, { header: 'Claims', align: 'right' }, { header: 'Amount', align: 'right' }],
      c.topDenialReasons.map((r) => [`${r.groupCode ? `${r.groupCode}-` : ''}${r.carcCode}`, r.meaning, f.integer(r.claims), f.money(r.amountCents)]),
    );
  } else {
    pdf.paragraph('No denials this month.', { muted: true });
  }
  pdf.subheading('Audit trail');
  pdf.paragraph(
    pack.auditHead
      ? `Chain head when this pack was made: ${pack.auditHead}. Keep this page: "practice audit verify --head ${pack.auditHead}" shows whether any entry up to it was removed or changed since.`
      : 'The audit trail was empty when this pack was made.',
    { muted: true },
  );
  return pdf.finish();
}

/** The pack as rows of section, item, measure and value: one CSV a spreadsheet can pivot. */
export function monthlyPackCsv(pack: MonthlyPack): string {
  const rows: unknown[][] = [];
  const add = (section: string, item: string, measure: string, value: unknown) => rows.push([pack.month, section, item, measure, value]);
  const t = pack.productivity.totals.month;
  for (const [k, v] of Object.entries(t)) add('productivity', 'practice total', k, v);
  for (const g of pack.productivity.groups) {
    add('productivity', g.label, 'workRvu', g.periods.month.workRvu);
    add('productivity', g.label, 'totalRvu', g.periods.month.totalRvu);
    add('productivity', g.label, 'visits', g.periods.month.visits);
  }
  for (const m of pack.productivity.missingRvus) add('missing RVUs', m.modifier ? `${m.code}-${m.modifier}` : m.code, 'chargeLines', m.chargeLines);
  for (const p of pack.trend) add('trend', p.month, 'workRvu', p.workRvu);
  for (const r of pack.quality?.rates ?? []) add('quality', r.measure, 'rate', r.rate);
  for (const [k, v] of Object.entries(pack.recall)) if (typeof v === 'number') add('recall', 'all', k, v);
  for (const r of pack.recall.reminders) for (const s of ['sent', 'recallsSent', 'failed', 'skipped', 'pending'] as const) add('reminders', r.channel, s, r[s]);
  for (const a of pack.claims.aging) add('ar aging', a.bucket, 'balanceCents', a.balanceCents);
  for (const k of ['submitted', 'decided', 'denied', 'denialRate', 'deniedCents', 'openBalanceCents'] as const) add('claims', 'all', k, pack.claims[k]);
  for (const r of pack.claims.topDenialReasons) add('denial reasons', r.carcCode, 'claims', r.claims);
  add('audit', 'chain', 'head', pack.auditHead);
  return toCsv(['month', 'section', 'item', 'measure', 'value'], rows);
}

/**
 * Builds the month's pack and writes it as a PDF readable by its owner only; for `practice demo` and
 * cron jobs. Returns the path and the pack's figures.
 */
export async function writeMonthlyPack(
  db: DbOrTx,
  options: { month: string; out: string; locale?: string; now: Date },
): Promise<{ file: string; month: string; pack: MonthlyPack }> {
  const pack = await monthlyPack(db, { month: options.month });
  await writePrivateFile(options.out, await monthlyPackPdf(pack, numberFormats(options.locale ?? 'en-US'), options.now));
  return { file: options.out, month: options.month, pack };
}
