// The MIPS estimate as a terminal table and a PDF page; the scoring is in query.ts.
import type { ChalkInstance } from 'chalk';
import { renderTable } from '../../text/table.js';
import type { NumberFormats } from '../format.js';
import type { PdfReport } from '../pdf/document.js';
import { formatRate } from '../quality/render.js';
import { MIPS_2026_RULES, type GapStep, type MipsEstimate } from './query.js';

const fixed = (n: number, digits = 2) => n.toFixed(digits);

/** The command that lists a measure's open care gaps, for the same period and provider. */
export function careGapCommand(estimate: Pick<MipsEstimate, 'period'>, measure: string, npi?: string): string {
  const year = estimate.period.start.slice(0, 4);
  const period = estimate.period.start === `${year}-01-01` && estimate.period.end === `${year}-12-31` ? year : `${estimate.period.start}..${estimate.period.end}`;
  const command = `practice report care-gaps --measure ${measure} --period ${period}`;
  return npi ? `${command} --provider ${npi}` : command;
}

/** "close 4 gaps: +1.20 points (+2.0 on the category)" */
function stepText(step: GapStep | null, current: number): string {
  if (!step) return '';
  return `close ${step.gaps}: +${fixed(step.points - current)} pts (+${fixed(step.categoryGain, 1)} category)`;
}

export function mipsTable(estimate: MipsEstimate, npi: string | undefined, chalk?: ChalkInstance): string {
  const rows = renderTable(
    estimate.measures,
    [
      { header: 'Measure', value: (m) => `${m.scored ? '* ' : '  '}${m.measure} (Q${m.qualityId})${m.inverse ? ' lower is better' : ''}` },
      { header: 'Cases', value: (m) => m.cases, align: 'right' },
      { header: 'Rate', value: (m) => formatRate(m.rate), align: 'right' },
      { header: 'Decile', value: (m) => m.decile ?? '', align: 'right' },
      { header: 'Points', value: (m) => fixed(m.points), align: 'right' },
      { header: 'Basis', value: (m) => m.basis },
      { header: 'Open gaps', value: (m) => m.gaps, align: 'right' },
      { header: 'Next decile', value: (m) => stepText(m.nextDecile, m.points) },
      { header: 'All gaps closed', value: (m) => stepText(m.allGaps, m.points) },
    ],
    chalk,
  );
  const c = estimate.category;
  const who = estimate.provider ? ` for ${estimate.provider}` : '';
  const lines = [
    `MIPS quality estimate ${estimate.period.start} to ${estimate.period.end}${who}`,
    rows,
    `* one of the ${MIPS_2026_RULES.requiredMeasures} measures scored.`,
    `Quality category: ${fixed(c.points)} of ${c.possible} points${c.bonus ? ` + ${c.bonus} small-practice bonus` : ''} = ${fixed(c.percent, 1)}%, ` +
      `${fixed(c.finalScorePoints, 1)} of the ${MIPS_2026_RULES.categoryWeight * 100} final-score points.`,
  ];
  const worth = [...estimate.measures].filter((m) => m.nextDecile && m.nextDecile.categoryGain > 0).sort((a, b) => b.nextDecile!.categoryGain / b.nextDecile!.gaps - a.nextDecile!.categoryGain / a.nextDecile!.gaps);
  if (worth.length) {
    lines.push('Gaps most worth closing (category points per gap):');
    for (const m of worth) lines.push(`  ${m.measure}: close ${m.nextDecile!.gaps} gap(s) to gain ${fixed(m.nextDecile!.points - m.points)} points (+${fixed(m.nextDecile!.categoryGain, 1)} on the category): ${careGapCommand(estimate, m.measure, npi)}`);
  }
  lines.push(...estimate.notes);
  return lines.join('\n');
}

/** The MIPS estimate as a page of a PDF report (the monthly pack). */
export function addMipsPage(pdf: PdfReport, estimate: MipsEstimate, f: NumberFormats): void {
  const c = estimate.category;
  pdf.newPage().heading('MIPS quality estimate');
  pdf.paragraph(`Performance period ${estimate.period.start} to ${estimate.period.end}, eCQMs, all patients.`, { muted: true });
  pdf.keyFigures([
    { label: 'Quality category score', value: `${f.decimal(c.percent, 1)}%`, note: `${f.decimal(c.points, 2)} of ${c.possible} points${c.bonus ? ` + ${c.bonus} bonus` : ''}` },
    { label: 'Final-score points', value: f.decimal(c.finalScorePoints, 1), note: `of ${MIPS_2026_RULES.categoryWeight * 100}` },
  ]);
  pdf.table(
    [{ header: 'Measure', width: 1.4 }, { header: 'Cases', align: 'right' }, { header: 'Rate', align: 'right' }, { header: 'Decile', align: 'right' }, { header: 'Points', align: 'right' }, { header: 'Basis', width: 2 }, { header: 'Next decile', width: 2.6 }],
    estimate.measures.map((m) => [
      `${m.scored ? '* ' : ''}${m.measure}`,
      f.integer(m.cases),
      f.percent(m.rate),
      m.decile === null ? '' : String(m.decile),
      f.decimal(m.points, 2),
      m.basis,
      m.nextDecile ? `close ${m.nextDecile.gaps} gap(s): +${f.decimal(m.nextDecile.categoryGain, 1)} category` : '',
    ]),
  );
  pdf.paragraph(`* scored. The care-gap lists: ${careGapCommand(estimate, '<measure>')}.`, { muted: true });
  for (const note of estimate.notes) pdf.paragraph(note, { muted: true });
}
