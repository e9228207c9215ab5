// The printable monthly MAR grid surveyors expect, the audit trail of one chart, and the product list.
import { readFile } from 'node:fs/promises';
import { and, asc, eq, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { parse } from 'csv-parse/sync';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { administrationOrders, administrations, ndcProducts } from '../db/schema/index.js';
import type { Db, DbOrTx } from '../db/types.js';
import { normalizeNdc } from '../codes/ndc.js';
import { normalizeRxnorm } from '../codes/drug-codes.js';
import { ValidationError, type Issue } from '../errors.js';
import { practiceTimeZone } from '../practice/clock.js';
import type { PrivateFileOptions } from '../files/private-file.js';
import { materialiseDoses, patientByMrn } from './orders.js';

export interface MarGrid {
  patient: { mrn: string; name: string; dob: string };
  month: string;
  days: number;
  rows: { medication: string; detail: string; time: string; cells: string[] }[];
  /** What the outcome codes in the cells mean. */
  codes: typeof CELL_CODE;
}

// Outcome codes are digits, as on paper MARs, so they can never be read as a nurse's initials (a refusal
// charted "R" looked like a dose given by Rita).
export const CELL_CODE = { refused: '1', held: '2', 'not-available': '3', missed: '4' } as const;
export const CELL_LEGEND = 'Initials = given by.  1 refused  2 held  3 not available  4 missed (nothing recorded).';

export function initials(name: string): string {
  const parts = name.split(/[\s._-]+/).filter(Boolean);
  return parts.map((p) => p[0]!.toUpperCase()).join('').slice(0, 3) || '?';
}

/** One row per order and time of day; a cell per day: initials when given, else an outcome code (CELL_CODE). */
export async function marGrid(db: DbOrTx, mrn: string, month: string, now: Date): Promise<MarGrid> {
  const patient = await patientByMrn(db, mrn);
  const zone = await practiceTimeZone(db);
  const start = DateTime.fromISO(`${month}-01`, { zone });
  if (!start.isValid) throw new ValidationError([{ code: 'MONTH', path: '--month', message: `"${month}" is not a month; write it as YYYY-MM.` }]);
  const end = start.plus({ months: 1 });
  await materialiseDoses(db, DateTime.min(end, DateTime.fromJSDate(now, { zone })).toJSDate());
  const doses = await queryRows<{ order_id: number; display: string; dose: string; dose_unit: string; route: string; schedule_text: string; scheduled_at: string | null; status: string | null; performed_by: string | null; occurred_at: string | null; window_minutes: number }>(
    db,
    sql`select o.id as order_id, o.display, o.dose::text as dose, o.dose_unit, o.route, o.schedule_text, o.window_minutes,
               d.scheduled_at::text as scheduled_at, s.status, s.performed_by, s.occurred_at::text as occurred_at
        from ${administrationOrders} o
        left join scheduled_doses d on d.order_id = o.id and d.scheduled_at >= ${start.toISO()}::timestamptz and d.scheduled_at < ${end.toISO()}::timestamptz
        left join (select a.* from ${administrations} a where a.status not in ('rejected', 'entered-in-error')
                   and not exists (select 1 from ${administrations} c where c.corrects_id = a.id)) s
          on (s.dose_id = d.id) or (d.id is null and s.order_id = o.id and s.dose_id is null
              and s.occurred_at >= ${start.toISO()}::timestamptz and s.occurred_at < ${end.toISO()}::timestamptz)
        where o.patient_id = ${patient.id}
        order by o.display, o.id`,
  );
  const rows = new Map<string, MarGrid['rows'][number]>();
  for (const dose of doses) {
    const at = dose.scheduled_at ?? dose.occurred_at;
    if (!at) continue;
    const local = DateTime.fromJSDate(new Date(at), { zone });
    const time = dose.scheduled_at ? local.toFormat('HH:mm') : 'PRN';
    const key = `${dose.order_id}|${time}`;
    if (!rows.has(key)) {
      rows.set(key, {
        medication: dose.display,
        detail: `${Number(dose.dose)} ${dose.dose_unit} ${dose.route} ${dose.schedule_text}`,
        time,
        cells: Array.from({ length: start.daysInMonth! }, () => ''),
      });
    }
    const cells = rows.get(key)!.cells;
    const day = local.day - 1;
    let mark = '';
    if (dose.status === 'given') mark = initials(dose.performed_by ?? '');
    else if (dose.status) mark = CELL_CODE[dose.status as keyof typeof CELL_CODE] ?? '';
    else if (dose.scheduled_at && new Date(dose.scheduled_at).getTime() + dose.window_minutes * 60_000 < now.getTime()) mark = CELL_CODE.missed;
    cells[day] = cells[day] ? `${cells[day]}/${mark}` : mark;
  }
  return {
    patient: { mrn: patient.mrn, name: `${patient.lastName}, ${patient.firstName}`, dob: patient.dob },
    month,
    days: start.daysInMonth!,
    codes: CELL_CODE,
    rows: [...rows.values()].sort((a, b) => a.medication.localeCompare(b.medication) || a.time.localeCompare(b.time)),
  };
}

/** The month's grid as a landscape PDF, written privately (see src/files/private-file.ts). */
export async function writeMarPdf(grid: MarGrid, practiceName: string, path: string, options: PrivateFileOptions = {}): Promise<string> {
  const { createPdf, FONT, pageNumbers, pdfText, writePdfFile } = await import('../reports/pdf/document.js');
  const left = 28;
  const doc = createPdf({ title: `MAR ${grid.month}`, author: practiceName, layout: 'landscape', margins: { top: left, bottom: left, left, right: left } });
  const labelWidth = 190;
  const timeWidth = 34;
  const cellWidth = (doc.page.width - 2 * left - labelWidth - timeWidth) / grid.days;
  const rowHeight = 22;
  const header = () => {
    doc.font(FONT.bold).fontSize(12).text(`Medication Administration Record - ${grid.month}`, left, 24);
    doc.font(FONT.regular).fontSize(9).text(pdfText(`${practiceName}    Patient: ${grid.patient.name}    Chart: ${grid.patient.mrn}    DOB: ${grid.patient.dob}`), left, 40);
    let x = left + labelWidth + timeWidth;
    const y = 58;
    doc.font(FONT.bold).fontSize(7).text('Medication', left + 2, y + 4).text('Time', left + labelWidth + 2, y + 4);
    for (let d = 1; d <= grid.days; d++, x += cellWidth) doc.text(String(d), x, y + 4, { width: cellWidth, align: 'center' });
    doc.rect(left, y, doc.page.width - 2 * left, 16).stroke();
    return y + 16;
  };
  let y = header();
  for (const row of grid.rows) {
    if (y + rowHeight > doc.page.height - 50) {
      doc.addPage();
      y = header();
    }
    doc.font(FONT.bold).fontSize(7).text(pdfText(row.medication), left + 2, y + 2, { width: labelWidth - 4, height: 9, ellipsis: true });
    doc.font(FONT.regular).fontSize(6).text(pdfText(row.detail), left + 2, y + 11, { width: labelWidth - 4, height: 8, ellipsis: true });
    doc.fontSize(7).text(row.time, left + labelWidth + 2, y + 7);
    let x = left + labelWidth + timeWidth;
    for (const cell of row.cells) {
      doc.rect(x, y, cellWidth, rowHeight).stroke();
      if (cell) doc.fontSize(6).text(pdfText(cell), x, y + 8, { width: cellWidth, align: 'center' });
      x += cellWidth;
    }
    doc.rect(left, y, labelWidth + timeWidth, rowHeight).stroke();
    y += rowHeight;
  }
  if (grid.rows.length === 0) doc.font(FONT.regular).fontSize(10).text('No medication administration orders in this month.', left, y + 10);
  pageNumbers(doc, { text: CELL_LEGEND, fontSize: 7, fromBottom: 36 });
  return writePdfFile(doc, path, options);
}

export async function administrationTrail(db: DbOrTx, mrn: string) {
  const patient = await patientByMrn(db, mrn);
  const entries = await db
    .select({
      id: administrations.id,
      occurredAt: administrations.occurredAt,
      recordedAt: administrations.createdAt,
      status: administrations.status,
      performedBy: administrations.performedBy,
      medication: administrationOrders.display,
      doseId: administrations.doseId,
      lotNumber: administrations.lotNumber,
      reason: administrations.reason,
      overrideReason: administrations.overrideReason,
      correctsId: administrations.correctsId,
    })
    .from(administrations)
    .leftJoin(administrationOrders, eq(administrationOrders.id, administrations.orderId))
    .where(eq(administrations.patientId, patient.id))
    .orderBy(asc(administrations.createdAt), asc(administrations.id));
  const orders = await db
    .select({ id: administrationOrders.id, medication: administrationOrders.display, schedule: administrationOrders.scheduleText, createdAt: administrationOrders.createdAt, status: administrationOrders.status })
    .from(administrationOrders)
    .where(and(eq(administrationOrders.patientId, patient.id)))
    .orderBy(asc(administrationOrders.createdAt));
  return { mrn: patient.mrn, orders, entries };
}

/** Loads the NDC product list (CSV: ndc, rxnorm[, display, route, strength, unit]); rows upsert by NDC. */
export async function loadProducts(db: Db, who: AuditActor, file: string) {
  const records = parse(await readFile(file), { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), bom: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const issues: Issue[] = [];
  const rows = records.flatMap((r, i) => {
    const ndc = normalizeNdc(r.ndc ?? '');
    const rxnorm = normalizeRxnorm(r.rxnorm ?? '');
    if (!ndc || !rxnorm) {
      issues.push({ code: 'PRODUCT_ROW', path: `row ${i + 2}`, message: `row ${i + 2}: ${!ndc ? 'the NDC is not a hyphenated 10-digit or an 11-digit NDC' : 'the RxNorm code is not a number'}` });
      return [];
    }
    return [{ ndc11: ndc, rxnormCode: rxnorm, display: r.display || null, route: r.route ? r.route.toUpperCase() : null, strength: r.strength || null, strengthUnit: r.unit || null }];
  });
  if (issues.length) throw new ValidationError(issues, `${issues.length} row(s) of the product list are not usable; nothing was loaded.`);
  return db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += 1000) {
      await tx
        .insert(ndcProducts)
        .values(rows.slice(i, i + 1000))
        .onConflictDoUpdate({
          target: ndcProducts.ndc11,
          set: { rxnormCode: sql`excluded.rxnorm_code`, display: sql`excluded.display`, route: sql`excluded.route`, strength: sql`excluded.strength`, strengthUnit: sql`excluded.strength_unit`, updatedAt: sql`now()` },
        });
    }
    await recordAudit(tx, who, { action: 'load', entity: 'ndc_products', details: { rows: rows.length } });
    return { loaded: rows.length };
  });
}
