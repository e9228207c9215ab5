// practice mar order|due|give|record|correct|missed|report|audit|products: the eMAR.
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import type { ActionFactory } from '../cli/context.js';
import { checkPdfName, outputFileOption } from '../cli/out-format.js';
import type { CommandContext } from '../cli/context.js';
import { renderTable } from '../cli/output.js';
import { UsageError, ValidationError } from '../errors.js';

/** "60m", "2h", "1d", or a bare number of minutes. */
export function parseDurationMinutes(text: string, option: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(m|min|h|d)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${option} takes a duration such as 30m, 2h or 1d, not "${text}".`);
  const value = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  return Math.round(unit === 'h' ? value * 60 : unit === 'd' ? value * 1440 : value);
}

/** An ISO date-time, or HH:MM today, in the practice's time zone. */
async function parseTime(ctx: CommandContext, text: string | undefined, option: string): Promise<Date> {
  if (!text) return ctx.now;
  const { practiceTimeZone } = await import('../practice/clock.js');
  const zone = await practiceTimeZone(await ctx.db());
  const today = DateTime.fromJSDate(ctx.now, { zone });
  const clock = /^([01]?[0-9]|2[0-3]):([0-5][0-9])$/.exec(text.trim());
  const parsed = clock ? today.set({ hour: Number(clock[1]), minute: Number(clock[2]), second: 0, millisecond: 0 }) : DateTime.fromISO(text.trim(), { zone });
  if (!parsed.isValid) throw new UsageError(`${option} takes a time such as 08:00 or 2026-10-05T08:00, not "${text}".`);
  return parsed.toJSDate();
}

function positiveWhole(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${option} takes a whole number above zero, not "${text}".`);
  return n;
}

function localTime(iso: string, zone: string): string {
  return DateTime.fromJSDate(new Date(iso), { zone }).toFormat('yyyy-MM-dd HH:mm');
}

export function register(program: Command, action: ActionFactory): void {
  const mar = program
    .command('mar')
    .description('eMAR: scheduled medication administration with barcode checks')
    .addHelpText('after', '\nExamples:\n  practice mar order 10023 --med 860975 --dose 500 --unit mg --route PO --schedule "BID 08:00,20:00"\n  practice mar due --window 60m\n  practice mar give --patient-scan MRN:10023 --med-scan "(01)00300090123456(17)271231(10)LOT7"\n  practice mar missed --since 24h');

  mar
    .command('order <mrn>')
    .description('write an administration order with its schedule')
    .requiredOption('--med <code>', 'RxNorm code, or NDC (0002-7510-01 or 11 digits)')
    .requiredOption('--dose <amount>', 'amount per dose, e.g. 500')
    .requiredOption('--unit <unit>', 'dose unit, e.g. mg, mL, tab')
    .requiredOption('--route <route>', 'route, e.g. PO, IV, IM, SC, TOP')
    .option('--schedule <text>', 'DAILY, BID, TID, QID with optional times ("BID 08:00,20:00"), times alone, or Q6H')
    .option('--prn', 'as needed (with --max-per-day, and optionally --schedule Q4H for a minimum interval)')
    .option('--max-per-day <n>', 'most as-needed doses in 24 hours')
    .option('--name <text>', 'medication name to show on the MAR')
    .option('--start <time>', 'first dose from (default now)')
    .option('--stop <time>', 'no doses after')
    .option('--location <code>', 'unit or wing where it is given')
    .option('--prescriber <npi>', 'ordering provider NPI')
    .option('--window <duration>', 'how early or late a dose counts as on time', '60m')
    .option('--override <reason>', 'order it despite a serious allergy match, for this recorded clinical reason')
    .addHelpText('after', '\nExample:\n  practice mar order 10023 --med 860975 --name "metformin 500 mg tablet" --dose 500 --unit mg --route PO --schedule "BID 08:00,20:00"')
    .action(
      action(async (ctx, mrn: string, opts) => {
        if (!opts.schedule && !opts.prn) throw new UsageError('Give --schedule (e.g. "BID 08:00,20:00") or --prn.');
        const schedule = opts.prn ? `PRN${opts.schedule ? ` ${opts.schedule}` : ''}` : opts.schedule;
        const { createAdministrationOrder } = await import('../mar/orders.js');
        const dose = Number(opts.dose);
        const { order, warnings } = await createAdministrationOrder(await ctx.db(), ctx.auditActor, {
          mrn,
          medication: opts.med,
          name: opts.name,
          dose,
          unit: opts.unit,
          route: opts.route,
          schedule,
          prnMaxPerDay: opts.maxPerDay === undefined ? undefined : Number(opts.maxPerDay),
          startsAt: await parseTime(ctx, opts.start, '--start'),
          stopsAt: opts.stop ? await parseTime(ctx, opts.stop, '--stop') : undefined,
          locationCode: opts.location,
          orderedByNpi: opts.prescriber,
          windowMinutes: parseDurationMinutes(opts.window, '--window'),
          override: opts.override,
        });
        for (const warning of warnings) ctx.warn(warning);
        return {
          data: { orderId: order.id, medication: order.display, schedule: order.scheduleText, kind: order.scheduleKind, times: order.scheduleTimes, warnings },
          human: `Order ${order.id} written: ${order.display} ${Number(order.dose)} ${order.doseUnit} ${order.route} ${order.scheduleText}.`,
        };
      }),
    );

  mar
    .command('due')
    .description('doses due now (or at --at), per patient')
    .option('--at <time>', 'the time to look at (HH:MM today or ISO date-time)')
    .option('--window <duration>', 'how far before and after', '60m')
    .option('--location <code>', 'only this unit or wing')
    .addHelpText('after', '\nExample:\n  practice mar due --at 08:00 --window 60m --location WEST')
    .action(
      action(async (ctx, opts) => {
        const { dueDoses } = await import('../mar/administer.js');
        const { practiceTimeZone } = await import('../practice/clock.js');
        const db = await ctx.db();
        const at = await parseTime(ctx, opts.at, '--at');
        const doses = await dueDoses(db, at, parseDurationMinutes(opts.window, '--window'), opts.location);
        const { recordChartRead } = await import('../db/audit.js');
        await recordChartRead(db, ctx.auditActor, { mrns: doses.map((d) => d.mrn) }, 'mar-due', { doses: doses.length });
        const zone = await practiceTimeZone(db);
        return {
          data: { at: DateTime.fromJSDate(at, { zone }).toISO({ suppressMilliseconds: true }), timeZone: zone, doses },
          human: doses.length
            ? renderTable(doses, [
                { header: 'Dose id', value: (d) => d.doseId, align: 'right' },
                { header: 'Chart', value: (d) => d.mrn },
                { header: 'Patient', value: (d) => d.patientName },
                { header: 'Medication', value: (d) => d.medication },
                { header: 'Dose', value: (d) => `${d.dose} ${d.route}` },
                { header: 'Due', value: (d) => localTime(d.scheduledAt, zone) },
                { header: 'Location', value: (d) => d.location ?? '' },
              ], ctx.out)
            : 'No doses due in this window.',
        };
      }),
    );

  mar
    .command('give')
    .description('give a dose: scan the wristband and the product, checked against the five rights')
    .requiredOption('--patient-scan <barcode>', 'the wristband barcode')
    .requiredOption('--med-scan <barcode>', 'the product barcode (GS1 DataMatrix/GS1-128, UPC, or NDC)')
    .option('--patient <mrn>', 'the chart open on screen: the wristband must match it')
    .option('--dose <amount>', 'amount given, e.g. 500 or 500mg (default: --units x the scanned strength)')
    .option('--units <n>', 'how many of the scanned units are given, e.g. 2 tablets (default 1)')
    .option('--order <id>', 'the order this dose is for, when the scan fits more than one (the stop lists them)')
    .option('--route <route>', 'route given (checked against the order)')
    .option('--by <name>', 'who gives it (default: --user)')
    .option('--override <reason>', 'give outside the time window or despite an allergy match, for this recorded reason')
    .addHelpText('after', '\nExamples:\n  practice mar give --patient-scan MRN:10023 --med-scan "(01)00300090123456(17)271231(10)LOT7"\n  practice mar give --patient-scan MRN:10023 --med-scan 0002-7510-01 --units 2 --order 14')
    .action(
      action(async (ctx, opts) => {
        let dose: number | undefined;
        let unit: string | undefined;
        if (opts.dose !== undefined) {
          const m = /^([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)?$/.exec(String(opts.dose).trim());
          if (!m) throw new UsageError(`--dose takes an amount such as 500 or 500mg, not "${opts.dose}".`);
          dose = Number(m[1]);
          unit = m[2];
        }
        const { giveDose } = await import('../mar/administer.js');
        const result = await giveDose(await ctx.db(), ctx.auditActor, {
          patientScan: opts.patientScan,
          medScan: opts.medScan,
          expectedMrn: opts.patient,
          dose,
          unit,
          units: opts.units === undefined ? undefined : positiveWhole(opts.units, '--units'),
          orderId: opts.order === undefined ? undefined : positiveWhole(opts.order, '--order'),
          route: opts.route,
          by: opts.by ?? ctx.config.actor,
          override: opts.override,
          at: ctx.now,
        });
        for (const warning of result.warnings) ctx.warn(warning);
        if (result.outcome === 'rejected') {
          throw new ValidationError(result.problems, `Stop: ${result.problems.map((p) => p.message).join(' ')} (attempt ${result.administrationId} logged)`);
        }
        return {
          data: result,
          human: `Given: ${result.order!.display} ${Number(result.order!.dose)} ${result.order!.doseUnit} ${result.order!.route}${result.withinWindow === false ? ' (outside the window, override recorded)' : ''}. Record ${result.administrationId}.`,
        };
      }),
    );

  mar
    .command('record <mrn>')
    .description('record a dose outcome that is not a scan: refused, held, not available')
    .requiredOption('--dose-id <id>', 'the dose (from "mar due")')
    .requiredOption('--status <status>', 'given | refused | held | not-available')
    .option('--reason <text>', 'why (required unless given)')
    .option('--by <name>', 'who records it (default: --user)')
    .addHelpText('after', '\nExample:\n  practice mar record 10023 --dose-id 412 --status refused --reason "nauseous"')
    .action(
      action(async (ctx, mrn: string, opts) => {
        const { recordDoseOutcome, RECORDED_STATUSES } = await import('../mar/administer.js');
        if (!(RECORDED_STATUSES as readonly string[]).includes(opts.status)) throw new UsageError(`--status is one of ${RECORDED_STATUSES.join(', ')}.`);
        const row = await recordDoseOutcome(await ctx.db(), ctx.auditActor, { mrn, doseId: Number(opts.doseId), status: opts.status, reason: opts.reason, by: opts.by ?? ctx.config.actor, at: ctx.now });
        return { data: { administrationId: row.id, status: row.status }, human: `Dose ${opts.doseId} recorded as ${row.status} (record ${row.id}).` };
      }),
    );

  mar
    .command('correct <administration-id>')
    .description('correct a record: a new entry that references the old one (the old one is kept)')
    .requiredOption('--status <status>', 'given | refused | held | not-available | entered-in-error')
    .requiredOption('--reason <text>', 'why the record is corrected')
    .option('--by <name>', 'who corrects it (default: --user)')
    .addHelpText('after', '\nExample:\n  practice mar correct 88 --status entered-in-error --reason "charted on the wrong patient"')
    .action(
      action(async (ctx, id: string, opts) => {
        const { correctAdministration, RECORDED_STATUSES } = await import('../mar/administer.js');
        if (![...RECORDED_STATUSES, 'entered-in-error'].includes(opts.status)) throw new UsageError(`--status is one of ${RECORDED_STATUSES.join(', ')}, entered-in-error.`);
        const row = await correctAdministration(await ctx.db(), ctx.auditActor, { administrationId: Number(id), status: opts.status, reason: opts.reason, by: opts.by ?? ctx.config.actor, at: ctx.now });
        return { data: { administrationId: row.id, corrects: row.correctsId, status: row.status }, human: `Record ${row.correctsId} corrected by record ${row.id} (${row.status}).` };
      }),
    );

  mar
    .command('missed')
    .description('doses past their window with nothing recorded (exit 3 when any, for cron alerts)')
    .option('--since <duration>', 'how far back to look', '24h')
    .option('--notify <channel>', 'also send the list by email (PRACTICE_SMTP_URL, to PRACTICE_MAR_ALERT_TO)')
    .addHelpText('after', '\nExample:\n  practice mar missed --since 24h --notify email')
    .action(
      action(async (ctx, opts) => {
        const { missedDoses } = await import('../mar/administer.js');
        const { practiceTimeZone } = await import('../practice/clock.js');
        const db = await ctx.db();
        const missed = await missedDoses(db, ctx.now, parseDurationMinutes(opts.since, '--since') / 60);
        const zone = await practiceTimeZone(db);
        let notified = false;
        if (opts.notify) {
          if (opts.notify !== 'email') throw new UsageError('--notify supports email.');
          const url = ctx.io.env.PRACTICE_SMTP_URL;
          const to = ctx.io.env.PRACTICE_MAR_ALERT_TO;
          if (!url || !to) throw new UsageError('--notify email needs PRACTICE_SMTP_URL and PRACTICE_MAR_ALERT_TO in the environment.');
          if (missed.length > 0) {
            const { emailTransport } = await import('../recall/channels/email.js');
            const transport = emailTransport({ url, from: ctx.io.env.PRACTICE_SMTP_FROM ?? to });
            // Minimum necessary: counts and dose ids per unit; names stay in the eMAR.
            const body = [`${missed.length} dose(s) passed their window with nothing recorded:`, ...missed.map((d) => `- dose ${d.doseId} due ${localTime(d.scheduledAt, zone)}${d.location ? ` at ${d.location}` : ''}`), '', 'Run "practice mar missed" for the details.'].join('\n');
            const delivery = await transport.send(to, { subject: `eMAR: ${missed.length} missed dose(s)`, body });
            await transport.close();
            if (!delivery.accepted) throw new UsageError(`The alert email was not accepted (${delivery.reason}).`);
            notified = true;
          }
        }
        return {
          data: { timeZone: zone, missed, notified },
          human: missed.length
            ? renderTable(missed, [
                { header: 'Dose id', value: (d) => d.doseId, align: 'right' },
                { header: 'Chart', value: (d) => d.mrn },
                { header: 'Patient', value: (d) => d.patientName },
                { header: 'Medication', value: (d) => d.medication },
                { header: 'Was due', value: (d) => localTime(d.scheduledAt, zone) },
                { header: 'Location', value: (d) => d.location ?? '' },
              ], ctx.out)
            : 'No missed doses.',
          exitCode: missed.length ? 3 : 0,
        };
      }),
    );

  outputFileOption(mar.command('report <mrn>'), '--pdf <file>', 'write the grid as a PDF (mode 0600)')
    .description('the printable monthly MAR grid (days across, times down)')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .addHelpText('after', '\nExample:\n  practice mar report 10023 --month 2026-10 --pdf mar-10023.pdf')
    .action(
      action(async (ctx, mrn: string, opts) => {
        if (opts.pdf) checkPdfName(opts.pdf, '--pdf');
        const { marGrid, writeMarPdf, CELL_LEGEND } = await import('../mar/record.js');
        const { practiceInfo } = await import('../practice/clock.js');
        const db = await ctx.db();
        const grid = await marGrid(db, mrn, opts.month, ctx.now);
        const { recordChartRead } = await import('../db/audit.js');
        await recordChartRead(db, ctx.auditActor, { mrns: [mrn] }, opts.pdf ? 'mar-grid+pdf' : 'mar-grid');
        if (opts.pdf) {
          await writeMarPdf(grid, (await practiceInfo(db)).name, opts.pdf, { replace: opts.force });
          ctx.info(`Wrote ${opts.pdf}`);
        }
        const days = Array.from({ length: grid.days }, (_, i) => i + 1);
        return {
          data: grid,
          human: opts.pdf
            ? `MAR for ${grid.month} written to ${opts.pdf}.`
            : renderTable(grid.rows, [
                { header: 'Medication', value: (r) => r.medication },
                { header: 'Time', value: (r) => r.time },
                ...days.map((d) => ({ header: String(d), value: (r: (typeof grid.rows)[number]) => r.cells[d - 1] })),
              ], ctx.out) + `\n${CELL_LEGEND}`,
        };
      }),
    );

  mar
    .command('audit <mrn>')
    .description('every administration, refused scan, override and correction, with who and when')
    .addHelpText('after', '\nExample:\n  practice mar audit 10023 --json')
    .action(
      action(async (ctx, mrn: string) => {
        const { administrationTrail } = await import('../mar/record.js');
        const { practiceTimeZone } = await import('../practice/clock.js');
        const db = await ctx.db();
        const trail = await administrationTrail(db, mrn);
        const zone = await practiceTimeZone(db);
        const { recordChartRead } = await import('../db/audit.js');
        await recordChartRead(db, ctx.auditActor, { mrns: [mrn] }, 'mar-audit', { entries: trail.entries.length });
        return {
          data: trail,
          human: renderTable(trail.entries, [
            { header: 'Record', value: (e) => e.id, align: 'right' },
            { header: 'When', value: (e) => localTime(e.occurredAt.toISOString(), zone) },
            { header: 'Medication', value: (e) => e.medication ?? '(no matching order)' },
            { header: 'Status', value: (e) => e.status },
            { header: 'By', value: (e) => e.performedBy },
            { header: 'Reason / override', value: (e) => [e.reason, e.overrideReason && `override: ${e.overrideReason}`].filter(Boolean).join('; ') },
            { header: 'Corrects', value: (e) => e.correctsId ?? '' },
          ], ctx.out),
        };
      }),
    );

  mar
    .command('products')
    .description('the NDC product list that maps scanned packages to RxNorm')
    .command('load <file>')
    .description('load a CSV with columns ndc, rxnorm and optionally display, route, strength, unit')
    .addHelpText('after', '\nExample:\n  practice mar products load pharmacy-products.csv')
    .action(
      action(async (ctx, file: string) => {
        const { loadProducts } = await import('../mar/record.js');
        const result = await loadProducts(await ctx.db(), ctx.auditActor, file);
        return { data: result, human: `Loaded ${result.loaded} product(s).` };
      }),
    );
}
