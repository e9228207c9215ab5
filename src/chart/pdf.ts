// A printable chart summary. It holds PHI: written through the private file writer (0600, whole or not at all).
import type { PrivateFileOptions } from '../files/private-file.js';
import { createPdf, FONT, pageNumbers, pdfText, writePdfFile } from '../reports/pdf/document.js';
import type { Section } from './sections.js';

export async function writeSectionsPdf(path: string, heading: string, sections: Section[], printedAt: string, options: PrivateFileOptions = {}): Promise<void> {
  const margin = 54;
  const doc = createPdf({ title: heading, margins: { top: margin, bottom: margin, left: margin, right: margin } });
  doc.font(FONT.bold).fontSize(16).text(pdfText(heading));
  doc.font(FONT.regular).fontSize(8).fillColor('#555').text(pdfText(`Printed ${printedAt}. Confidential patient information.`)).fillColor('black');
  for (const [index, section] of sections.entries()) {
    doc.moveDown(index === 0 ? 0.8 : 0.6);
    doc.font(FONT.bold).fontSize(index === 0 ? 13 : 11).text(pdfText(section.title));
    doc.font(FONT.regular).fontSize(10);
    for (const line of section.lines) doc.text(pdfText(line), { indent: 10 });
  }
  pageNumbers(doc, { text: `${heading} - printed ${printedAt} - confidential patient information` });
  await writePdfFile(doc, path, options);
}
