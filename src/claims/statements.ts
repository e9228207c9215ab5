// Patient statements for a month: every patient who owes something at the month's end gets one, with
// their visits (what was billed, what insurance paid, what they owe), the payments they made, the
// amount due and how to pay. One PDF per patient, one print file with all of them, and a CSV (files
// 0600, spreadsheet formulas neutralised). What a patient owes comes from ar.ts, like every balance.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { idArray, queryRows } from '../db/query.js';
import { planThenApply } from '../db/transaction.js';
import type { Db, DbOrTx } from '../db/types.js';
import { PracticeError } from '../errors.js';
import { writePrivateFile } from '../files/private-file.js';
import { numberFormats, toCsv } from '../reports/format.js';
import { FONT, PdfReport } from '../reports/pdf/document.js';
import { monthLabel, parseMonth } from '../reports/periods.js';
import { practiceTimeZone } from '../practice/clock.js';
import { patientBalances, type PatientVisitBalance } from './ar.js';

export interface Statement {
  patientId: number;
  mrn: string;
  name: string;
  addressLines: string[];
  visits: (PatientVisitBalance & { services: string })[];
  payments: { paidOn: string; method: string | null; amountCents: number }[];
  chargedCents: number;
  paidCents: number;
  amountDueCents: number;
  file: string | null;
}

export interface StatementRun {
  month: string;
  statementDate: string;
  statements: Statement[];
  printFile: string | null;
  csvFile: string | null;
  dryRun: boolean;
}

interface PracticeContact {
  legal_name: string;
  phone: string | null;
  lines: string[];
}

const cents = numberFormats('en-US').money;

function statementPage(pdf: PdfReport, s: Statement, practice: PracticeContact, statementDate: string): void {
  pdf.doc.font(FONT.bold).fontSize(16).text('Patient statement');
  pdf.paragraph(`Statement date ${statementDate}. Account ${s.mrn}.`);
  pdf.paragraph([s.name, ...s.addressLines].join('\n'));
  pdf.keyFigures([
    { label: 'Amount due', value: cents(s.amountDueCents) },
    { label: 'Your share of visits', value: cents(s.chargedCents) },
    { label: 'Your payments', value: cents(s.paidCents) },
  ]);
  pdf.subheading('Visits');
  pdf.table(
    [{ header: 'Date' }, { header: 'Services', width: 2 }, { header: 'Billed', align: 'right' }, { header: 'Insurance paid', align: 'right' }, { header: 'You owe', align: 'right' }],
    s.visits.map((v) => [v.serviceDate, `${v.services}${v.insurancePending ? ' (insurance still deciding)' : ''}`, cents(v.billedCents), cents(v.insurancePaidCents), cents(v.patientCents)]),
  );
  if (s.payments.length) {
    pdf.subheading('Your payments');
    pdf.table([{ header: 'Date' }, { header: 'How' }, { header: 'Amount', align: 'right' }], s.payments.map((p) => [p.paidOn, p.method ?? '', cents(p.amountCents)]));
  }
  pdf.subheading('How to pay');
  pdf.paragraph(
    [
      `Mail a check payable to ${practice.legal_name}, with your account number ${s.mrn}, to:`,
      ...practice.lines,
      practice.phone ? `Or pay by card over the phone at ${practice.phone}, or at the front desk at your next visit.` : 'Or pay by card at the front desk at your next visit.',
      'Questions about this statement? Call us before paying; we will go through it with you.',
    ].join('\n'),
  );
}

async function practiceContact(db: DbOrTx): Promise<PracticeContact> {
  const [row] = await queryRows<{ legal_name: string; phone: string | null; a1: string | null; a2: string | null; city: string | null; state: string | null; zip: string | null }>(
    db,
    sql`select p.legal_name, p.phone, coalesce(t.address1, p.address1) as a1, case when t.id is not null then t.address2 else p.address2 end as a2,
               coalesce(t.city, p.city) as city, coalesce(t.state, p.state) as state, coalesce(t.zip, p.zip) as zip
        from practice p left join pay_to_address t on true limit 1`,
  );
  if (!row) throw new PracticeError('NO_PRACTICE', 'The practice is not set up yet, so statements have no return address.', { hint: 'Run "practice setup" first.' });
  return { legal_name: row.legal_name, phone: row.phone, lines: [row.a1, row.a2, [row.city, [row.state, row.zip].filter(Boolean).join(' ')].filter(Boolean).join(', ')].filter((l): l is string => Boolean(l)) };
}

/** Who gets a statement and what it says, and (with outDir) the files it goes in. */
async function planStatements(db: DbOrTx, options: { month: string; outDir?: string }): Promise<{ run: StatementRun; patientIds: number[] }> {
  const statementDate = parseMonth(options.month).endOf('month').toISODate()!;
  const timeZone = await practiceTimeZone(db);
  const owing = (await patientBalances(db, { asOf: statementDate, timeZone })).filter((b) => b.balanceCents > 0);
  const ids = owing.map((b) => b.patientId);
  const idList = idArray(ids);
  const people = await queryRows<{ id: number; mrn: string; first_name: string; last_name: string; address1: string | null; address2: string | null; city: string | null; state: string | null; zip: string | null }>(
    db,
    sql`select id, mrn, first_name, last_name, address1, address2, city, state, zip from patients where id = any(${idList})`,
  );
  const services = await queryRows<{ claim_id: number; services: string }>(
    db,
    sql`select claim_id, string_agg(code || case when cardinality(modifiers) > 0 then '-' || array_to_string(modifiers, '-') else '' end, ', ' order by line_number) as services
        from claim_lines where claim_id in (select id from claims where patient_id = any(${idList})) group by claim_id`,
  );
  const patientPayments = await queryRows<{ patient_id: number; paid_on: string; method: string | null; amount_cents: number }>(
    db,
    sql`select patient_id, paid_on::text as paid_on, method, amount_cents from payments
        where source = 'patient' and patient_id = any(${idList}) and paid_on <= ${statementDate}::date order by paid_on, id`,
  );
  const person = new Map(people.map((p) => [p.id, p]));
  const serviceText = new Map(services.map((s) => [s.claim_id, s.services]));
  const inOut = (name: string) => (options.outDir && owing.length ? join(options.outDir, name) : null);
  const statements: Statement[] = owing.map((b) => {
    const p = person.get(b.patientId)!;
    return {
      patientId: b.patientId,
      mrn: p.mrn,
      name: `${p.first_name} ${p.last_name}`,
      addressLines: [p.address1, p.address2, [p.city, [p.state, p.zip].filter(Boolean).join(' ')].filter(Boolean).join(', ')].filter((l): l is string => Boolean(l)),
      visits: b.visits.filter((v) => v.patientCents !== 0 || v.insurancePending).map((v) => ({ ...v, services: serviceText.get(v.claimId) ?? '' })),
      payments: patientPayments.filter((x) => x.patient_id === b.patientId).map((x) => ({ paidOn: x.paid_on, method: x.method, amountCents: x.amount_cents })),
      chargedCents: b.chargedCents,
      paidCents: b.paidCents,
      amountDueCents: b.balanceCents,
      file: inOut(`statement-${options.month}-${p.mrn.replace(/[^A-Za-z0-9_-]/g, '_')}.pdf`),
    };
  });
  return {
    run: { month: options.month, statementDate, statements, printFile: inOut(`statements-${options.month}-print.pdf`), csvFile: inOut(`statements-${options.month}.csv`), dryRun: false },
    patientIds: ids,
  };
}

/** Writes the planned files (each whole, 0600) and audits the read; a failure removes what this run wrote. */
async function writeStatementFiles(db: DbOrTx, actor: AuditActor, run: StatementRun, patientIds: number[], now: Date): Promise<void> {
  if (run.statements.length === 0) return;
  if (!run.printFile || !run.csvFile) throw new PracticeError('NO_OUT', 'Say where to write the statements with --out <dir>.');
  const practice = await practiceContact(db);
  const pdfOptions = { title: 'Patient statement', practiceName: practice.legal_name, period: monthLabel(run.month), createdAt: now };
  const written: string[] = [];
  try {
    const print = new PdfReport(pdfOptions);
    for (const [i, s] of run.statements.entries()) {
      const one = new PdfReport(pdfOptions);
      statementPage(one, s, practice, run.statementDate);
      await writePrivateFile(s.file!, await one.finish());
      written.push(s.file!);
      if (i > 0) print.newPage();
      statementPage(print, s, practice, run.statementDate);
    }
    await writePrivateFile(run.printFile, await print.finish());
    written.push(run.printFile);
    await writePrivateFile(
      run.csvFile,
      toCsv(
        ['month', 'mrn', 'name', 'address', 'visits', 'patient_share_cents', 'payments_cents', 'amount_due_cents'],
        run.statements.map((s) => [run.month, s.mrn, s.name, s.addressLines.join(', '), s.visits.length, s.chargedCents, s.paidCents, s.amountDueCents]),
      ),
    );
    written.push(run.csvFile);
    // Writing a statement reads each patient's account: audited, ids and counts only.
    await recordAudit(db, actor, { action: 'statements', entity: 'patients', details: { month: run.month, statements: run.statements.length, patientIds } });
  } catch (error) {
    // Half a month's statements would be mailed as if complete: none, and the rerun writes them all.
    await Promise.all(written.map((f) => rm(f, { force: true }).catch(() => undefined)));
    throw error;
  }
}

/**
 * Statements for everyone who owes at the end of the month. The dry run runs the same planning (file
 * names included, with outDir) and writes nothing.
 */
export async function writeStatements(db: Db, actor: AuditActor, options: { month: string; outDir?: string; dryRun?: boolean; now: Date }): Promise<StatementRun> {
  const dryRun = Boolean(options.dryRun);
  const { run } = await planThenApply(db, dryRun, (tx) => planStatements(tx, options), (tx, planned) => writeStatementFiles(tx, actor, planned.run, planned.patientIds, options.now));
  return { ...run, dryRun };
}
