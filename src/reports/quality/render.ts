// Renders quality results: the summary (overall, per provider, per stratum), the per-patient detail and
// the care-gap work list, as tables for people and CSV for spreadsheets.
import type { ChalkInstance } from 'chalk';
import { toCsv } from '../format.js';
import { renderTable } from '../../text/table.js';
import type { Counts, DetailRow, MeasureResult, QualityReport } from '../../measures/run.js';

export interface SummaryLine extends Counts {
  measure: string;
  version: string;
  qualityId: string | null;
  group: string;
  /** "all", a stratum title, or the provider. */
  scope: string;
  npi: string | null;
  inverse: boolean;
}

export function formatRate(rate: number | null): string {
  return rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`;
}

/** Every rate in the report as flat lines: overall, then strata, then providers, per measure group. */
export function summaryLines(report: QualityReport): SummaryLine[] {
  const lines: SummaryLine[] = [];
  for (const m of report.measures) {
    const base = { measure: m.id, version: m.version, qualityId: m.qualityId };
    for (const g of m.groups) {
      const group = m.groups.length > 1 ? g.title : '';
      const inverse = g.inverse;
      lines.push({ ...base, inverse, group, scope: 'all patients', npi: null, ...g.overall });
      for (const s of g.strata) lines.push({ ...base, inverse, group, scope: s.title, npi: null, ...s });
      for (const p of g.providers) lines.push({ ...base, inverse, group, scope: p.provider, ...p });
    }
  }
  return lines;
}

function measureLabel(m: Pick<MeasureResult, 'id' | 'inverse'>): string {
  return m.inverse ? `${m.id} (lower is better)` : m.id;
}

export function summaryTable(report: QualityReport, chalk?: ChalkInstance): string {
  const lines = summaryLines(report);
  const table = renderTable(
    lines,
    [
      { header: 'Measure', value: (l) => (l.scope === 'all patients' ? measureLabel({ id: l.measure, inverse: l.inverse }) : '') },
      { header: 'Rate group', value: (l) => l.group },
      { header: 'For', value: (l) => (l.npi ? `${l.scope} (${l.npi})` : l.scope) },
      { header: 'IP', value: (l) => l.ip, align: 'right' },
      { header: 'DEN', value: (l) => l.den, align: 'right' },
      { header: 'DEX', value: (l) => l.denex, align: 'right' },
      { header: 'NUM', value: (l) => l.numer, align: 'right' },
      { header: 'DNX', value: (l) => l.denexcep, align: 'right' },
      { header: 'Rate', value: (l) => formatRate(l.rate), align: 'right' },
    ],
    chalk,
  );
  return `Quality measures ${report.period.start} to ${report.period.end} (${report.program.toUpperCase()})\n${table}\nIP initial population, DEN denominator, DEX exclusions, NUM numerator, DNX exceptions; rate = NUM / (DEN - DEX - DNX).`;
}

export function summaryCsv(report: QualityReport): string {
  return toCsv(
    ['measure', 'version', 'quality_id', 'rate_group', 'scope', 'npi', 'inverse', 'ip', 'den', 'denex', 'numer', 'denexcep', 'rate'],
    summaryLines(report).map((l) => [
      l.measure,
      l.version,
      l.qualityId,
      l.group,
      l.scope,
      l.npi,
      l.inverse ? 'yes' : 'no',
      l.ip,
      l.den,
      l.denex,
      l.numer,
      l.denexcep,
      l.rate === null ? '' : l.rate.toFixed(4),
    ]),
  );
}

const flag = (b: boolean) => (b ? 1 : 0);

export function detailCsv(rows: DetailRow[]): string {
  return toCsv(
    ['measure', 'rate_group', 'mrn', 'source_ids', 'provider_npi', 'ip', 'den', 'denex', 'numer', 'denexcep', 'strata', 'still_due'],
    rows.map((r) => [r.measure, r.group, r.mrn, r.sourceIds, r.providerNpi, flag(r.ip), flag(r.den), flag(r.denex), flag(r.numer), flag(r.denexcep), r.strata.join(' '), r.unmetParts.join('; ')]),
  );
}

export function detailTable(rows: DetailRow[], chalk?: ChalkInstance): string {
  return renderTable(
    rows,
    [
      { header: 'Measure', value: (r) => r.measure },
      { header: 'Group', value: (r) => r.group },
      { header: 'MRN', value: (r) => r.mrn },
      { header: 'Source id', value: (r) => r.sourceIds },
      { header: 'IP', value: (r) => flag(r.ip), align: 'right' },
      { header: 'DEN', value: (r) => flag(r.den), align: 'right' },
      { header: 'DEX', value: (r) => flag(r.denex), align: 'right' },
      { header: 'NUM', value: (r) => flag(r.numer), align: 'right' },
      { header: 'DNX', value: (r) => flag(r.denexcep), align: 'right' },
    ],
    chalk,
  );
}
