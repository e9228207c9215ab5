// A printable chart summary (pdfkit). It holds PHI, so the file is readable by its owner only.
import { createWriteStream } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { once } from 'node:events';
import PDFDocument from 'pdfkit';
import type { Section } from './sections.js';

export async function writeSectionsPdf(path: string, heading: string, sections: Section[], printedAt: string): Promise<void> {
  const doc = new PDFDocument({ size: 'LETTER', margin: 54, info: { Title: heading, Creator: 'practicekit' } });
  const out = createWriteStream(path, { mode: 0o600 });
  doc.pipe(out);
  doc.font('Helvetica-Bold').fontSize(16).text(heading);
  doc.font('Helvetica').fontSize(8).fillColor('#555').text(`Printed ${printedAt}. Confidential patient information.`).fillColor('black');
  for (const [index, section] of sections.entries()) {
    doc.moveDown(index === 0 ? 0.8 : 0.6);
    doc.font('Helvetica-Bold').fontSize(index === 0 ? 13 : 11).text(section.title);
    doc.font('Helvetica').fontSize(10);
    for (const line of section.lines) doc.text(line, { indent: 10 });
  }
  doc.end();
  await once(out, 'finish');
  // An existing file keeps its old mode on open: set it explicitly.
  await chmod(path, 0o600);
}
