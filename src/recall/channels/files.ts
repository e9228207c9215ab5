// The two channels that produce a file for the front desk: one PDF of letters (address blocks placed
// for #10 double-window envelopes) and a call list CSV. Both hold PHI: written through the private file
// writer (0600, whole or not at all), never over a file already there.
import { writePrivateFile } from '../../files/private-file.js';
import { createPdf, FONT, pdfText, writePdfFile } from '../../reports/pdf/document.js';
import { toCsv } from '../../text/csv.js';

const POINTS_PER_INCH = 72;
const inch = (n: number) => n * POINTS_PER_INCH;

// Letter-size page folded in three: the return block shows through the upper window, the recipient
// block through the lower one (#10 window: 4.5" x 1.125", 7/8" from the left edge).
const RETURN_BLOCK = { x: inch(0.625), y: inch(0.5), width: inch(3.25) };
const RECIPIENT_BLOCK = { x: inch(0.875), y: inch(2.125), width: inch(4), height: inch(1) };
const BODY_TOP = inch(3.75);

export interface Letter {
  addressLines: string[];
  date: string;
  body: string;
}

export async function writeLetters(path: string, letters: Letter[], sender: { name: string; addressLines: string[] }): Promise<void> {
  const doc = createPdf({ title: 'Recall letters', author: sender.name, autoFirstPage: false, margins: { top: inch(0.5), bottom: inch(0.5), left: inch(0.875), right: inch(0.875) } });
  for (const letter of letters) {
    doc.addPage();
    doc.font(FONT.bold).fontSize(10).text(pdfText(sender.name), RETURN_BLOCK.x, RETURN_BLOCK.y, { width: RETURN_BLOCK.width });
    doc.font(FONT.regular).text(pdfText(sender.addressLines.join('\n')), { width: RETURN_BLOCK.width });
    doc.fontSize(11).text(pdfText(letter.addressLines.join('\n')), RECIPIENT_BLOCK.x, RECIPIENT_BLOCK.y, { width: RECIPIENT_BLOCK.width, height: RECIPIENT_BLOCK.height, lineGap: 1 });
    doc.text(pdfText(letter.date), doc.page.margins.left, BODY_TOP);
    doc.moveDown();
    doc.text(pdfText(letter.body), { width: doc.page.width - doc.page.margins.left - doc.page.margins.right, lineGap: 2 });
  }
  // Exclusive: letters already on disk (and perhaps being printed) are never overwritten.
  await writePdfFile(doc, path, { replace: false });
}

export interface CallListRow {
  mrn: string;
  lastName: string;
  firstName: string;
  phone: string;
  recall: string;
  dueDate: string;
  attempt: number;
}

export async function writeCallList(path: string, rows: CallListRow[]): Promise<void> {
  const header = ['MRN', 'Last name', 'First name', 'Phone', 'Recall', 'Due date', 'Attempt'];
  // Exclusive create: a call list already on disk (and perhaps being worked) is never overwritten.
  await writePrivateFile(path, toCsv(header, rows.map((r) => [r.mrn, r.lastName, r.firstName, r.phone, r.recall, r.dueDate, r.attempt])), { replace: false });
}
