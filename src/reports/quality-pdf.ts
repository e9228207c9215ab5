// The quality report as a PDF: a cover summary (rate per measure) and a bar chart of rates per provider
// per measure, drawn as vectors with pdfkit.
import PDFDocument from 'pdfkit';
import type { QualityReport } from '../measures/run.js';
import { formatRate, summaryLines } from './quality.js';

export async function renderQualityPdf(report: QualityReport, now: Date): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'LETTER', margin: 50, info: { Title: 'Quality measures', CreationDate: now } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));

  doc.fontSize(18).text('Quality measures');
  doc.fontSize(10).fillColor('#444').text(`${report.program.toUpperCase()} - ${report.period.start} to ${report.period.end}`).moveDown();
  doc.fillColor('black');
  const cols = [50, 200, 330, 370, 410, 450, 490, 530];
  const header = ['Measure', 'Group', 'DEN', 'DEX', 'NUM', 'DNX', 'Rate'];
  doc.fontSize(9).font('Helvetica-Bold');
  header.forEach((h, i) => doc.text(h, cols[i]!, doc.y, { continued: false, lineBreak: false }));
  doc.moveDown().font('Helvetica');
  for (const l of summaryLines(report).filter((l) => l.scope === 'all patients')) {
    const y = doc.y;
    const cells = [l.inverse ? `${l.measure} (lower is better)` : l.measure, l.group, l.den, l.denex, l.numer, l.denexcep, formatRate(l.rate)];
    cells.forEach((c, i) => doc.text(String(c), cols[i]!, y, { width: (cols[i + 1] ?? 580) - cols[i]! - 4, lineBreak: false }));
    doc.moveDown(0.6);
  }

  // One chart per measure group: a bar per provider, scaled 0-100 %.
  for (const m of report.measures) {
    for (const g of m.groups) {
      const bars = g.providers.filter((p) => p.rate !== null);
      if (bars.length === 0) continue;
      doc.addPage().fontSize(14).text(`${m.id} ${m.title}${m.groups.length > 1 ? ` - ${g.title}` : ''}`);
      doc.fontSize(9).fillColor('#444').text(g.inverse ? 'Lower is better.' : 'Higher is better.').fillColor('black').moveDown();
      const left = 200;
      const width = 330;
      let y = doc.y + 10;
      for (const p of bars) {
        doc.fontSize(9).text(p.provider, 50, y + 2, { width: 145, lineBreak: false, ellipsis: true });
        doc.rect(left, y, width, 14).strokeColor('#ccc').stroke();
        doc.rect(left, y, width * (p.rate ?? 0), 14).fillColor(g.inverse ? '#c0504d' : '#4f81bd').fill();
        doc.fillColor('black').text(formatRate(p.rate), left + width + 6, y + 2, { lineBreak: false });
        y += 22;
        if (y > 700) {
          doc.addPage();
          y = 60;
        }
      }
    }
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}
