// The quality report as a PDF: a cover summary (rate per measure with its benchmark decile), a bar
// chart of rates per provider per measure, and a page per measure with its populations and the rate
// by month (year to date), drawn as vectors with pdfkit.
import { DateTime } from 'luxon';
import type { Counts, TrendPoint } from '../../measures/run.js';
import { PdfReport } from '../pdf/document.js';
import { BENCHMARK_SOURCE, type BenchmarkedGroup, type BenchmarkedReport } from './benchmarks.js';
import { formatRate } from './render.js';

const count = (n: number) => n.toLocaleString('en-US');
const populationCells = (c: Counts) => [count(c.ip), count(c.den), count(c.denex), count(c.numer), count(c.denexcep), formatRate(c.rate)];
const POPULATION_COLUMNS = [
  { header: 'IP', align: 'right' as const },
  { header: 'DEN', align: 'right' as const },
  { header: 'DEX', align: 'right' as const },
  { header: 'NUM', align: 'right' as const },
  { header: 'DNX', align: 'right' as const },
  { header: 'Rate', align: 'right' as const },
];

function decileCell(g: BenchmarkedGroup): string {
  if (g.decile === null) return '-';
  return g.benchmark?.scored === false ? `${g.decile}*` : String(g.decile);
}

const monthName = (month: string) => DateTime.fromISO(`${month}-01`).toFormat('LLL yyyy');

export async function renderQualityPdf(report: BenchmarkedReport, options: { now: Date; practiceName: string }): Promise<Buffer> {
  const period = `${report.period.start} to ${report.period.end}`;
  const pdf = new PdfReport({ title: `Quality measures (${report.program.toUpperCase()})`, practiceName: options.practiceName, period, createdAt: options.now });
  const groupLabel = (m: { groups: unknown[] }, g: BenchmarkedGroup) => (m.groups.length > 1 ? g.title : '');

  // Cover: one line per rate, with its benchmark decile.
  pdf.heading('Quality measures: summary');
  const scope = [report.tin ? `TIN ${report.tin}` : '', report.provider ? `provider ${report.provider}` : ''].filter(Boolean).join(', ');
  pdf.paragraph(`${report.program.toUpperCase()} measures, ${period}${scope ? ` (${scope})` : ''}. Rate = NUM / (DEN - DEX - DNX).`, { muted: true });
  pdf.table(
    [{ header: 'Measure', width: 2.6 }, { header: 'Rate group', width: 2.4 }, ...POPULATION_COLUMNS.slice(1).map((c) => ({ ...c, width: 0.9 })), { header: 'Decile', width: 0.8, align: 'right' }],
    report.measures.flatMap((m) =>
      m.groups.map((g) => [`${m.id} ${m.title}${g.inverse ? ' (lower is better)' : ''}`, groupLabel(m, g), ...populationCells(g.overall).slice(1), decileCell(g)]),
    ),
  );
  pdf.paragraph('IP initial population, DEN denominator, DEX exclusions, NUM numerator, DNX exceptions. Decile 10 is the best.', { muted: true });
  pdf.paragraph(BENCHMARK_SOURCE, { muted: true });

  // Rates per provider per measure, on a 0-100 % scale so bars compare across measures.
  pdf.newPage().heading('Rates per provider');
  for (const m of report.measures) {
    for (const g of m.groups) providerBars(pdf, `${m.id}${groupLabel(m, g) ? ` - ${groupLabel(m, g)}` : ''}${g.inverse ? ' (lower is better)' : ''}`, g);
  }

  // A page per measure: populations overall, per stratum and per provider; the rate by month.
  for (const m of report.measures) {
    pdf.newPage().heading(`${m.id} (${m.version}) ${m.title}`);
    if (m.inverse) pdf.paragraph('Inverse measure: lower is better.', { muted: true });
    for (const g of m.groups) {
      if (m.groups.length > 1) pdf.subheading(g.title);
      pdf.table(
        [{ header: 'For', width: 3 }, ...POPULATION_COLUMNS],
        [
          ['All patients', ...populationCells(g.overall)],
          ...g.strata.map((s) => [s.title, ...populationCells(s)]),
          ...g.providers.map((p) => [p.npi ? `${p.provider} (${p.npi})` : p.provider, ...populationCells(p)]),
        ],
      );
      trend(pdf, g.trend, g.inverse);
    }
  }
  return pdf.finish();
}

function providerBars(pdf: PdfReport, title: string, g: BenchmarkedGroup): void {
  pdf.barChart({ title, items: g.providers.map((p) => ({ label: p.provider, value: p.rate })), max: 1, formatValue: formatRate, empty: 'No patients in the initial population.' });
}

function trend(pdf: PdfReport, points: TrendPoint[], inverse: boolean): void {
  if (points.length === 0) return;
  pdf.lineChart({
    title: `Rate by month, year to date${inverse ? ' (lower is better)' : ''}`,
    labels: points.map((p) => DateTime.fromISO(`${p.month}-01`).toFormat('LLL')),
    // A month without cases yet has no rate: drawn at 0, shown as n/a in the table.
    series: [{ name: 'Rate', values: points.map((p) => (p.rate ?? 0) * 100) }],
    formatValue: (v) => `${v.toFixed(0)}%`,
    height: 110,
  });
  pdf.table(
    [{ header: 'Month', width: 1.4 }, { header: 'Through', width: 1.4 }, ...POPULATION_COLUMNS],
    points.map((p) => [monthName(p.month), p.through, ...populationCells(p)]),
    { fontSize: 8 },
  );
}
