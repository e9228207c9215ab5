// The two channels that produce a file for the front desk: one PDF of letters (address blocks placed
// for #10 double-window envelopes) and a call list CSV. Both hold PHI: created new with mode 0600.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import PDFDocument from 'pdfkit';
import { writeFile } from 'node:fs/promises';
import { toCsv } from '../../reports/format.js';

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
  const doc = new PDFDocument({ size: 'LETTER', margins: { top: inch(0.5), bottom: inch(0.5), left: inch(0.875), right: inch(0.875) }, autoFirstPage: false, info: { Title: 'Recall letters' } });
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const failed = once(out, 'error').then(([error]) => {
    throw error;
  });
  doc.pipe(out);
  for (const letter of letters) {
    doc.addPage();
    doc.font('Helvetica-Bold').fontSize(10).text(sender.name, RETURN_BLOCK.x, RETURN_BLOCK.y, { width: RETURN_BLOCK.width });
    doc.font('Helvetica').text(sender.addressLines.join('\n'), { width: RETURN_BLOCK.width });
    doc.fontSize(11).text(letter.addressLines.join('\n'), RECIPIENT_BLOCK.x, RECIPIENT_BLOCK.y, { width: RECIPIENT_BLOCK.width, height: RECIPIENT_BLOCK.height, lineGap: 1 });
    doc.text(letter.date, doc.page.margins.left, BODY_TOP);
    doc.moveDown();
    doc.text(letter.body, { width: doc.page.width - doc.page.margins.left - doc.page.margins.right, lineGap: 2 });
  }
  doc.end();
  await Promise.race([once(out, 'finish'), failed]);
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
  await writeFile(path, toCsv(header, rows.map((r) => [r.mrn, r.lastName, r.firstName, r.phone, r.recall, r.dueDate, r.attempt])), { flag: 'wx', mode: 0o600 });
}
