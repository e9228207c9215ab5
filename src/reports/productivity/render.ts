// The productivity report as a terminal table, CSV (one row per group and period) and PDF section.
import type { ChalkInstance } from 'chalk';
import { dollarsNumber } from '../../money.js';
import { renderTable } from '../../text/table.js';
import { toCsv, type NumberFormats } from '../format.js';
import { PERIOD_LABELS, monthLabel } from '../periods.js';
import { PdfReport } from '../pdf/document.js';
import type { PeriodMetrics, ProductivityGroup, ProductivityReport, TrendPoint } from './query.js';

const GROUP_HEADER = { provider: 'Provider', location: 'Location', cpt: 'Code' } as const;

type Row = { label: string; npi?: string; periods: Record<string, PeriodMetrics>; total?: boolean };

function rowsOf(report: ProductivityReport): Row[] {
  return [...report.groups, { label: 'Practice total', periods: report.totals, total: true }];
}

const visitText = (m: PeriodMetrics, f: NumberFormats) =>
  m.visits === null ? '-' : `${f.integer(m.visits)} (${f.integer(m.newPatientVisits)}/${f.integer(m.establishedPatientVisits)})`;

export function productivityTable(report: ProductivityReport, f: NumberFormats, chalk?: ChalkInstance): string {
  const rows = rowsOf(report);
  const lines: string[] = [
    `${report.practiceName}: productivity for ${monthLabel(report.month)}${report.providerNpi ? ` (provider NPI ${report.providerNpi})` : ''}`,
    '',
    renderTable<Row>(
      rows,
      [
        { header: GROUP_HEADER[report.by], value: (r) => (r.total && chalk ? chalk.bold(r.label) : r.label) },
        { header: 'Work RVUs', value: (r) => f.decimal(r.periods.month!.workRvu), align: 'right' },
        { header: 'vs prev. month', value: (r) => f.change(r.periods.month!.workRvu, r.periods.previousMonth!.workRvu), align: 'right' },
        { header: 'vs last year', value: (r) => f.change(r.periods.month!.workRvu, r.periods.sameMonthLastYear!.workRvu), align: 'right' },
        { header: 'YTD work RVUs', value: (r) => f.decimal(r.periods.yearToDate!.workRvu), align: 'right' },
        { header: 'Total RVUs', value: (r) => f.decimal(r.periods.month!.totalRvu), align: 'right' },
        { header: 'Visits (new/est.)', value: (r) => visitText(r.periods.month!, f), align: 'right' },
        { header: 'Patients', value: (r) => f.integer(r.periods.month!.patientsSeen), align: 'right' },
        { header: 'Min/patient', value: (r) => f.decimal(r.periods.month!.averageMinutesPerPatient, 1), align: 'right' },
        { header: 'No-show', value: (r) => f.percent(r.periods.month!.noShowRate), align: 'right' },
        { header: 'Charges', value: (r) => f.money(r.periods.month!.chargesCents), align: 'right' },
        { header: 'Payments', value: (r) => f.money(r.periods.month!.paymentsCents), align: 'right' },
        { header: 'Adjustments', value: (r) => f.money(r.periods.month!.adjustmentsCents), align: 'right' },
        { header: 'Collection', value: (r) => f.percent(r.periods.month!.collectionRate), align: 'right' },
      ],
      chalk,
    ),
  ];
  if (report.statusCodes.length > 0) {
    lines.push(
      '',
      'Charge lines by RVU status:',
      renderTable(
        report.statusCodes,
        [
          { header: 'Status', value: (s) => s.status },
          { header: 'Meaning', value: (s) => s.meaning },
          { header: 'Lines', value: (s) => f.integer(s.chargeLines), align: 'right' },
          { header: 'Units', value: (s) => f.integer(s.units), align: 'right' },
          { header: 'Work RVUs', value: (s) => (s.status === 'missing' ? 'not counted' : f.decimal(s.workRvu)), align: 'right' },
        ],
        chalk,
      ),
    );
  }
  if (report.missingRvus.length > 0) {
    lines.push(
      '',
      'Codes without RVUs (not counted):',
      renderTable(
        report.missingRvus,
        [
          { header: 'Code', value: (m) => (m.modifier ? `${m.code}-${m.modifier}` : m.code) },
          { header: 'RVU year', value: (m) => m.year },
          { header: 'Lines', value: (m) => f.integer(m.chargeLines), align: 'right' },
          { header: 'Units', value: (m) => f.integer(m.units), align: 'right' },
        ],
        chalk,
      ),
    );
  }
  if (report.notes.length > 0) lines.push('', ...report.notes.map((n) => `Note: ${n}`));
  return lines.join('\n');
}

const dollars = (cents: number | null) => (cents === null ? null : dollarsNumber(cents));

export const PRODUCTIVITY_CSV_HEADER = [
  'group_by', 'group_key', 'group_label', 'npi', 'period', 'period_start', 'period_end',
  'work_rvu', 'total_rvu', 'payment_estimate', 'charge_lines', 'units', 'missing_rvu_lines',
  'visits', 'new_patient_visits', 'established_patient_visits', 'patients_seen', 'total_minutes', 'average_minutes_per_patient',
  'kept_appointments', 'no_shows', 'no_show_rate', 'charges', 'payments', 'adjustments', 'collection_rate',
];

/** One row per group and period, plus the practice total; money in dollars, rates as fractions. */
export function productivityCsv(report: ProductivityReport): string {
  const rows: unknown[][] = [];
  for (const row of rowsOf(report)) {
    const group = row as Row & Partial<ProductivityGroup>;
    for (const period of report.periods) {
      const m = row.periods[period.name]!;
      rows.push([
        report.by, row.total ? 'total' : (group.key ?? ''), row.label, row.npi ?? '', period.name, period.from, period.to,
        m.workRvu, m.totalRvu, dollars(m.paymentEstimateCents), m.chargeLines, m.units, m.missingRvuLines,
        m.visits, m.newPatientVisits, m.establishedPatientVisits, m.patientsSeen, m.totalMinutes, m.averageMinutesPerPatient,
        m.keptAppointments, m.noShows, m.noShowRate, dollars(m.chargesCents), dollars(m.paymentsCents), dollars(m.adjustmentsCents), m.collectionRate,
      ]);
    }
  }
  return toCsv(PRODUCTIVITY_CSV_HEADER, rows);
}

/** The productivity pages: key figures, wRVU bars per group, the trend line and the detail table. */
export function addProductivitySection(pdf: PdfReport, report: ProductivityReport, trend: TrendPoint[] | null, f: NumberFormats): void {
  const m = report.totals.month;
  const prev = report.totals.previousMonth;
  const lastYear = report.totals.sameMonthLastYear;
  pdf.heading('Productivity');
  pdf.keyFigures([
    { label: 'Work RVUs', value: f.decimal(m.workRvu), note: `${f.change(m.workRvu, prev.workRvu)} vs previous month` },
    { label: 'Total RVUs', value: f.decimal(m.totalRvu), note: `${f.change(m.totalRvu, lastYear.totalRvu)} vs same month last year` },
    { label: 'Visits', value: f.integer(m.visits), note: `${f.integer(m.newPatientVisits)} new, ${f.integer(m.establishedPatientVisits)} established` },
    { label: 'Patients seen', value: f.integer(m.patientsSeen), note: `no-show rate ${f.percent(m.noShowRate)}` },
    { label: 'Year to date wRVUs', value: f.decimal(report.totals.yearToDate.workRvu), note: `estimate ${f.money(report.totals.yearToDate.paymentEstimateCents)}` },
  ]);
  pdf.barChart({
    title: `Work RVUs per ${report.by === 'cpt' ? 'code' : report.by}, ${monthLabel(report.month)}`,
    items: report.groups.map((g) => ({ label: g.label, value: g.periods.month.workRvu })),
    formatValue: (v) => f.decimal(v),
  });
  if (trend) {
    pdf.lineChart({
      title: 'Work RVUs per month, last 12 months',
      labels: trend.map((t) => t.month.slice(2).replace('-', '/')),
      series: [{ name: 'Work RVUs', values: trend.map((t) => t.workRvu) }, { name: 'Total RVUs', values: trend.map((t) => t.totalRvu) }],
      formatValue: (v) => f.decimal(v, 0),
    });
  }
  pdf.subheading(`${GROUP_HEADER[report.by]} detail, ${monthLabel(report.month)}`);
  pdf.table(
    [
      { header: GROUP_HEADER[report.by], width: 1.7 },
      { header: 'Work RVUs', align: 'right', width: 1.2 },
      { header: 'vs prev.', align: 'right', width: 1.05 },
      { header: 'vs last yr', align: 'right', width: 1.05 },
      { header: 'Total RVUs', align: 'right', width: 1.2 },
      { header: 'Visits (new/est.)', align: 'right', width: 1.4 },
      { header: 'Patients', align: 'right', width: 1.0 },
      { header: 'Min/pt', align: 'right', width: 0.8 },
      { header: 'No-show', align: 'right', width: 0.9 },
      { header: 'Charges', align: 'right', width: 1.4 },
      { header: 'Payments', align: 'right', width: 1.4 },
      { header: 'Coll.', align: 'right', width: 0.8 },
    ],
    rowsOf(report).map((r) => {
      const x = r.periods.month!;
      return [
        r.label, f.decimal(x.workRvu), f.change(x.workRvu, r.periods.previousMonth!.workRvu), f.change(x.workRvu, r.periods.sameMonthLastYear!.workRvu),
        f.decimal(x.totalRvu), visitText(x, f), f.integer(x.patientsSeen), f.decimal(x.averageMinutesPerPatient, 1), f.percent(x.noShowRate),
        f.dollars(x.chargesCents), f.dollars(x.paymentsCents), f.percent(x.collectionRate),
      ];
    }),
    { fontSize: 7 },
  );
  pdf.subheading('Comparison periods (practice total)');
  pdf.table(
    [{ header: 'Period', width: 1.6 }, { header: 'From' }, { header: 'Work RVUs', align: 'right' }, { header: 'Total RVUs', align: 'right' }, { header: 'Visits', align: 'right' }, { header: 'Charges', align: 'right' }, { header: 'Payments', align: 'right' }, { header: 'Adjustments', align: 'right' }],
    report.periods.map((p) => {
      const x = report.totals[p.name];
      return [PERIOD_LABELS[p.name], p.from, f.decimal(x.workRvu), f.decimal(x.totalRvu), f.integer(x.visits), f.money(x.chargesCents), f.money(x.paymentsCents), f.money(x.adjustmentsCents)];
    }),
  );
  if (report.statusCodes.length > 0) {
    pdf.subheading('Charge lines by RVU status');
    pdf.table(
      [{ header: 'Status' }, { header: 'Meaning', width: 4 }, { header: 'Lines', align: 'right' }, { header: 'Work RVUs', align: 'right' }],
      report.statusCodes.map((s) => [s.status, s.meaning, f.integer(s.chargeLines), s.status === 'missing' ? 'not counted' : f.decimal(s.workRvu)]),
    );
  }
  if (report.missingRvus.length > 0) {
    pdf.subheading('Codes without RVUs (not counted)');
    pdf.table(
      [{ header: 'Code' }, { header: 'RVU year' }, { header: 'Lines', align: 'right' }, { header: 'Units', align: 'right' }],
      report.missingRvus.map((x) => [x.modifier ? `${x.code}-${x.modifier}` : x.code, String(x.year), f.integer(x.chargeLines), f.integer(x.units)]),
    );
  }
  for (const note of report.notes) pdf.paragraph(note, { muted: true });
}

export async function productivityPdf(report: ProductivityReport, trend: TrendPoint[], f: NumberFormats, createdAt: Date): Promise<Buffer> {
  const pdf = new PdfReport({ title: 'Productivity report', practiceName: report.practiceName, period: monthLabel(report.month), createdAt });
  addProductivitySection(pdf, report, trend, f);
  return pdf.finish();
}
