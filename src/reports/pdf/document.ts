// The one PDF base of practicekit, over pdfkit: the page set-up, fonts and metadata every PDF shares, page
// numbers on every page, writing a document to a private file; and a small report layer on top: a titled
// document with the practice name, the period and "Page n of N" on every page, headings, paragraphs, key
// figures, tables that break across pages, and vector bar and line charts (paths, not images).
import { finished } from 'node:stream/promises';
import PDFDocument from 'pdfkit';
import { withPrivateFile, type PrivateFileOptions } from '../../files/private-file.js';

/** The standard PDF fonts every practicekit PDF uses (no font files to ship, Latin-1 text: see pdfText). */
export const FONT = { regular: 'Helvetica', bold: 'Helvetica-Bold' } as const;

export interface PdfSetup {
  title: string;
  author?: string;
  /** Fixed creation date keeps the file identical between runs of the same data. */
  createdAt?: Date;
  layout?: 'portrait' | 'landscape';
  margins: { top: number; bottom: number; left: number; right: number };
  /** False for documents that add each page themselves (letters). */
  autoFirstPage?: boolean;
}

/** A US Letter document with practicekit's metadata; pages stay buffered so numbers can be added at the end. */
export function createPdf(setup: PdfSetup): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    size: 'LETTER',
    layout: setup.layout ?? 'portrait',
    margins: setup.margins,
    autoFirstPage: setup.autoFirstPage ?? true,
    bufferPages: true,
    info: {
      Title: pdfText(setup.title),
      ...(setup.author ? { Author: pdfText(setup.author) } : {}),
      Creator: 'practicekit',
      CreationDate: setup.createdAt ?? new Date(),
    },
  });
  doc.font(FONT.regular);
  return doc;
}

/**
 * Draws on every page once the content is laid out (header, footer, "Page n of N"): `draw` gets the page
 * number from 1 and the page count, with the margins lifted so text there does not start a new page.
 */
export function stampPages(doc: PDFKit.PDFDocument, draw: (page: number, pages: number, margins: PDFKit.PDFPage['margins']) => void): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const saved = { ...doc.page.margins };
    doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 };
    draw(i - range.start + 1, range.count, saved);
    doc.page.margins = saved;
  }
}

/** "Page n of N" (after an optional line of text) at the foot of every page. */
export function pageNumbers(doc: PDFKit.PDFDocument, options: { text?: string; fontSize?: number; fromBottom?: number } = {}): void {
  stampPages(doc, (page, pages, margins) => {
    const width = doc.page.width - margins.left - margins.right;
    const y = doc.page.height - (options.fromBottom ?? margins.bottom / 2 + 4);
    doc.font(FONT.regular).fontSize(options.fontSize ?? 8).fillColor(MUTED);
    if (options.text) doc.text(pdfText(options.text), margins.left, y, { width: width * 0.8, lineBreak: false, ellipsis: true });
    doc.text(`Page ${page} of ${pages}`, margins.left + width * 0.8, y, { width: width * 0.2, align: 'right', lineBreak: false });
    doc.fillColor(TEXT);
  });
}

/** Ends the document into a private file (0600, whole or not at all). Returns the path. */
export async function writePdfFile(doc: PDFKit.PDFDocument, path: string, options: PrivateFileOptions = {}): Promise<string> {
  await withPrivateFile(path, options, async (file) => {
    const written = finished(file.stream);
    doc.pipe(file.stream);
    doc.end();
    await written;
  });
  return path;
}

export interface PdfReportOptions {
  /** Shown in the header of every page, e.g. "Monthly practice report". */
  title: string;
  practiceName: string;
  /** The period the report covers, e.g. "October 2026"; on every page. */
  period: string;
  /** Fixed creation date keeps the file identical between runs of the same data. */
  createdAt?: Date;
}

export interface PdfColumn {
  header: string;
  /** Share of the text width (weights; defaults to 1). */
  width?: number;
  align?: 'left' | 'right';
}

export interface BarChartOptions {
  title: string;
  /** A null value has no bar (nothing to measure yet) and prints as n/a. */
  items: { label: string; value: number | null }[];
  /** Text printed at the end of each bar, e.g. "123.45". */
  formatValue?: (value: number) => string;
  /** The value of a full-width bar, for a fixed scale (1 for rates); default the largest value. */
  max?: number;
  /** What to print when there are no items. */
  empty?: string;
}

export interface LineChartOptions {
  title: string;
  /** X axis labels, one per point. */
  labels: string[];
  series: { name: string; values: number[] }[];
  formatValue?: (value: number) => string;
  height?: number;
}

const MARGIN = 54;
const HEADER_BAND = 30;
const COLORS = ['#1f5f8b', '#d9822b', '#3a9b5c', '#8e44ad', '#c0392b', '#7f8c8d'];
const TEXT = '#222222';
const MUTED = '#666666';
const GRID = '#d0d0d0';

/** The standard PDF fonts only encode Latin-1: anything else would print as garbage. */
export function pdfText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return (
    String(value)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
      .replace(/[\u2018\u2019]/g, "'")
      .replace(/[\u201c\u201d]/g, '"')
      .replace(/[\u2013\u2014]/g, '-')
      .replace(/[^\n\u0020-\u00ff]/g, '?')
  );
}

export class PdfReport {
  readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;

  constructor(private readonly options: PdfReportOptions) {
    this.doc = createPdf({
      title: `${options.title} - ${options.period}`,
      author: options.practiceName,
      createdAt: options.createdAt,
      margins: { top: MARGIN + HEADER_BAND, bottom: MARGIN + 10, left: MARGIN, right: MARGIN },
    });
    this.doc.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    this.done = new Promise((resolve, reject) => {
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
    this.doc.font(FONT.regular).fontSize(10).fillColor(TEXT);
  }

  private get left(): number {
    return this.doc.page.margins.left;
  }

  get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensureSpace(height: number): this {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
    return this;
  }

  newPage(): this {
    this.doc.addPage();
    return this;
  }

  heading(text: string): this {
    this.ensureSpace(60);
    this.doc.moveDown(0.5).font(FONT.bold).fontSize(15).fillColor(TEXT).text(pdfText(text), this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.3).font(FONT.regular).fontSize(10);
    return this;
  }

  subheading(text: string): this {
    this.ensureSpace(40);
    this.doc.moveDown(0.4).font(FONT.bold).fontSize(11.5).fillColor(TEXT).text(pdfText(text), this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.2).font(FONT.regular).fontSize(10);
    return this;
  }

  paragraph(text: string, options: { muted?: boolean } = {}): this {
    this.ensureSpace(24);
    this.doc.font(FONT.regular).fontSize(options.muted ? 9 : 10).fillColor(options.muted ? MUTED : TEXT).text(pdfText(text), this.left, this.doc.y, { width: this.width });
    this.doc.fillColor(TEXT).moveDown(0.3);
    return this;
  }

  /** A row of boxed figures ("Work RVUs 1,234.5 / +3.2% vs previous month"). */
  keyFigures(items: { label: string; value: string; note?: string }[]): this {
    if (items.length === 0) return this;
    const gap = 8;
    const boxWidth = (this.width - gap * (items.length - 1)) / items.length;
    const height = 52;
    this.ensureSpace(height + 10);
    const top = this.doc.y;
    items.forEach((item, i) => {
      const x = this.left + i * (boxWidth + gap);
      this.doc.roundedRect(x, top, boxWidth, height, 4).lineWidth(0.8).strokeColor(GRID).stroke();
      this.doc.font(FONT.regular).fontSize(8).fillColor(MUTED).text(pdfText(item.label), x + 6, top + 6, { width: boxWidth - 12, lineBreak: false, ellipsis: true });
      this.doc.font(FONT.bold).fontSize(14).fillColor(TEXT).text(pdfText(item.value), x + 6, top + 18, { width: boxWidth - 12, lineBreak: false, ellipsis: true });
      if (item.note) this.doc.font(FONT.regular).fontSize(7.5).fillColor(MUTED).text(pdfText(item.note), x + 6, top + 37, { width: boxWidth - 12, lineBreak: false, ellipsis: true });
    });
    this.doc.fillColor(TEXT).font(FONT.regular).fontSize(10);
    this.doc.x = this.left;
    this.doc.y = top + height + 10;
    return this;
  }

  /** A table; rows that do not fit continue on the next page under a repeated header. */
  table(columns: PdfColumn[], rows: string[][], options: { fontSize?: number } = {}): this {
    const fontSize = options.fontSize ?? 8.5;
    const totalWeight = columns.reduce((n, c) => n + (c.width ?? 1), 0);
    const widths = columns.map((c) => ((c.width ?? 1) / totalWeight) * this.width);
    const padding = 3;
    const rowHeight = (cells: string[], bold: boolean) => {
      this.doc.font(bold ? FONT.bold : FONT.regular).fontSize(fontSize);
      return Math.max(...cells.map((cell, i) => this.doc.heightOfString(pdfText(cell), { width: widths[i]! - padding * 2 }))) + padding * 2;
    };
    const drawRow = (cells: string[], bold: boolean, shade: boolean) => {
      const height = rowHeight(cells, bold);
      const top = this.doc.y;
      if (shade) this.doc.rect(this.left, top, this.width, height).fillColor(bold ? '#e8eef3' : '#f6f6f6').fill();
      let x = this.left;
      cells.forEach((cell, i) => {
        this.doc
          .font(bold ? FONT.bold : FONT.regular)
          .fontSize(fontSize)
          .fillColor(TEXT)
          .text(pdfText(cell), x + padding, top + padding, { width: widths[i]! - padding * 2, align: columns[i]!.align ?? 'left' });
        x += widths[i]!;
      });
      this.doc.y = top + height;
    };
    const header = columns.map((c) => c.header);
    this.ensureSpace(rowHeight(header, true) + 16);
    drawRow(header, true, true);
    rows.forEach((row, index) => {
      if (this.doc.y + rowHeight(row, false) > this.bottom) {
        this.doc.addPage();
        drawRow(header, true, true);
      }
      drawRow(row, false, index % 2 === 1);
    });
    this.doc.x = this.left;
    this.doc.font(FONT.regular).fontSize(10).moveDown(0.6);
    return this;
  }

  /** Horizontal bars, one per item, with the value printed at the end of each bar. */
  barChart(options: BarChartOptions): this {
    const format = options.formatValue ?? ((v: number) => String(v));
    const barHeight = 14;
    const gap = 6;
    const labelWidth = Math.min(170, this.width * 0.35);
    const valueWidth = 70;
    const plotWidth = this.width - labelWidth - valueWidth;
    const height = 22 + Math.max(1, options.items.length) * (barHeight + gap);
    this.ensureSpace(Math.min(height, 400));
    this.doc.font(FONT.bold).fontSize(10).fillColor(TEXT).text(pdfText(options.title), this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.3);
    if (options.items.length === 0) return this.paragraph(options.empty ?? 'No data for this period.', { muted: true });
    const max = options.max ?? (Math.max(...options.items.map((i) => i.value ?? 0), 0) || 1);
    options.items.forEach((item, i) => {
      if (this.doc.y + barHeight + gap > this.bottom) this.doc.addPage();
      const top = this.doc.y;
      const x = this.left + labelWidth;
      const length = Math.max(0, ((item.value ?? 0) / max) * plotWidth);
      this.doc.font(FONT.regular).fontSize(8.5).fillColor(TEXT).text(pdfText(item.label), this.left, top + 3, { width: labelWidth - 6, lineBreak: false, ellipsis: true });
      // On a fixed scale the full width is drawn too, so a bar reads as a share of it.
      if (options.max !== undefined) this.doc.rect(x, top, plotWidth, barHeight).lineWidth(0.5).strokeColor(GRID).stroke();
      if (item.value !== null) this.doc.rect(x, top, length, barHeight).fillColor(COLORS[i % COLORS.length]!).fill();
      this.doc.fillColor(TEXT).font(FONT.regular).fontSize(8.5).text(pdfText(item.value === null ? 'n/a' : format(item.value)), x + length + 4, top + 3, { width: valueWidth, lineBreak: false });
      this.doc.y = top + barHeight + gap;
    });
    this.doc.x = this.left;
    this.doc.moveDown(0.6);
    return this;
  }

  /** One or more lines over labelled points, with a light grid and the axis range. */
  lineChart(options: LineChartOptions): this {
    const format = options.formatValue ?? ((v: number) => String(v));
    const plotHeight = options.height ?? 150;
    const axisWidth = 50;
    const legendHeight = options.series.length > 1 ? 14 : 0;
    this.ensureSpace(plotHeight + 60 + legendHeight);
    this.doc.font(FONT.bold).fontSize(10).fillColor(TEXT).text(pdfText(options.title), this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.4);
    const top = this.doc.y;
    const x0 = this.left + axisWidth;
    const plotWidth = this.width - axisWidth - 10;
    const all = options.series.flatMap((s) => s.values);
    const max = Math.max(...all, 0) || 1;
    const steps = 4;
    for (let s = 0; s <= steps; s++) {
      const y = top + plotHeight - (s / steps) * plotHeight;
      this.doc.moveTo(x0, y).lineTo(x0 + plotWidth, y).lineWidth(0.5).strokeColor(GRID).stroke();
      this.doc.font(FONT.regular).fontSize(7).fillColor(MUTED).text(pdfText(format((max * s) / steps)), this.left, y - 4, { width: axisWidth - 6, align: 'right', lineBreak: false });
    }
    const n = options.labels.length;
    const xAt = (i: number) => x0 + (n <= 1 ? plotWidth / 2 : (i / (n - 1)) * plotWidth);
    const yAt = (v: number) => top + plotHeight - (v / max) * plotHeight;
    options.labels.forEach((label, i) => {
      this.doc.font(FONT.regular).fontSize(7).fillColor(MUTED).text(pdfText(label), xAt(i) - 20, top + plotHeight + 4, { width: 40, align: 'center', lineBreak: false });
    });
    options.series.forEach((series, si) => {
      const color = COLORS[si % COLORS.length]!;
      series.values.forEach((v, i) => (i === 0 ? this.doc.moveTo(xAt(i), yAt(v)) : this.doc.lineTo(xAt(i), yAt(v))));
      this.doc.lineWidth(1.6).strokeColor(color).stroke();
      series.values.forEach((v, i) => this.doc.circle(xAt(i), yAt(v), 2).fillColor(color).fill());
    });
    let y = top + plotHeight + 18;
    if (legendHeight) {
      let x = x0;
      options.series.forEach((series, si) => {
        this.doc.rect(x, y + 2, 8, 8).fillColor(COLORS[si % COLORS.length]!).fill();
        this.doc.font(FONT.regular).fontSize(8).fillColor(TEXT).text(pdfText(series.name), x + 12, y + 1, { lineBreak: false });
        x += 24 + this.doc.widthOfString(pdfText(series.name));
      });
      y += legendHeight;
    }
    this.doc.fillColor(TEXT).strokeColor(TEXT).lineWidth(1);
    this.doc.x = this.left;
    this.doc.y = y + 6;
    return this;
  }

  /** Draws the header and footer on every page, closes the document and returns its bytes. */
  async finish(): Promise<Buffer> {
    stampPages(this.doc, (page, pages, margins) => {
      const width = this.doc.page.width - margins.left - margins.right;
      this.doc.font(FONT.bold).fontSize(9).fillColor(TEXT).text(pdfText(this.options.practiceName), margins.left, MARGIN - 18, { width: width * 0.6, lineBreak: false, ellipsis: true });
      this.doc.font(FONT.regular).fontSize(9).fillColor(MUTED).text(pdfText(`${this.options.title} - ${this.options.period}`), margins.left + width * 0.4, MARGIN - 18, { width: width * 0.6, align: 'right', lineBreak: false });
      this.doc.moveTo(margins.left, MARGIN - 4).lineTo(margins.left + width, MARGIN - 4).lineWidth(0.5).strokeColor(GRID).stroke();
      const footerY = this.doc.page.height - MARGIN + 14;
      this.doc.font(FONT.regular).fontSize(8).fillColor(MUTED).text(pdfText(`${this.options.practiceName} - ${this.options.period}`), margins.left, footerY, { width: width * 0.7, lineBreak: false, ellipsis: true });
      this.doc.text(`Page ${page} of ${pages}`, margins.left + width * 0.7, footerY, { width: width * 0.3, align: 'right', lineBreak: false });
    });
    this.doc.end();
    return this.done;
  }
}
