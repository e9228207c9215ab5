// practice encounters add | list, and the fee schedule that prices their charges (encounters fees set | list)
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { renderTable } from '../cli/output.js';
import { addEncounter, listEncounters, listFees, setFee } from '../chart/encounters.js';
import { formatDollars } from '../money.js';
import { parseSoap } from '../chart/soap.js';
import { formatLocal } from '../chart/time.js';
import { practiceClock } from '../practice/clock.js';
import { CHARGE_FIELDS, ENCOUNTER_FIELDS } from '../records/encounter.js';
import { readNoteText } from './clinical-entry.js';

// The visit's and its charge lines' options, from their declarations (src/records/encounter.ts).
const [visit, line] = [ENCOUNTER_FIELDS, CHARGE_FIELDS];

export function register(program: Command, action: ActionFactory): void {
  const encounters = program.command('encounters').description('record visits with their charges, diagnoses and SOAP note');

  encounters
    .command('add')
    .description('record a visit: diagnoses in claim order, one charge per procedure code with diagnosis pointers, and the note')
    .argument('<mrn>', 'chart number')
    .requiredOption(visit.providerNpi.option.flags, visit.providerNpi.option.description)
    .option(visit.startsAt.option.flags, visit.startsAt.option.description, 'today')
    .requiredOption(line.code.option.flags, line.code.option.description)
    .requiredOption(visit.diagnoses.option.flags, visit.diagnoses.option.description)
    .option(visit.durationMinutes.option.flags, visit.durationMinutes.option.description)
    .option('--location <code>', 'location code (default: the provider\'s)')
    .option(line.modifiers.option.flags, line.modifiers.option.description)
    .option(line.amount.option.flags, line.amount.option.description)
    .option('--note-file <file>', 'SOAP note with S:, O:, A:, P: sections (on a terminal an editor opens when omitted)')
    .option('--no-note', 'record no note')
    .addHelpText('after', '\nExample:\n  practice encounters add C100 --provider 1234567893 --date 2026-03-10 --cpt 99214:25@1,2,36415@1 --dx E11.9,I10 --duration 25 --note-file visit.txt')
    .action(
      action(async (ctx, mrn: string, options: { provider: string; date: string; cpt: string; dx: string; duration?: string; location?: string; modifiers?: string; amount?: string; noteFile?: string; note: boolean }) => {
        const db = await ctx.db();
        const clock = await practiceClock(db, ctx.now);
        const text = options.note ? readNoteText(ctx, options.noteFile) : undefined;
        const note = text === undefined ? undefined : parseSoap(text);
        const result = await addEncounter(
          db,
          ctx.auditActor,
          { mrn, providerNpi: options.provider, when: options.date, cpt: options.cpt, dx: options.dx, durationMinutes: options.duration, locationCode: options.location, modifiers: options.modifiers, amount: options.amount, note },
          clock,
        );
        if (!note) ctx.info('No note was recorded with this visit.');
        const human = [
          `Recorded the visit of ${result.serviceDate} with ${result.diagnoses.length} diagnosis code(s)${result.noteId ? ' and its note' : ''}.`,
          renderTable(result.charges, [
            { header: 'Code', value: (c) => c.code },
            { header: 'Modifiers', value: (c) => c.modifiers.join(' ') },
            { header: 'Pointers', value: (c) => c.diagnosisPointers.join(',') },
            { header: 'Amount', value: (c) => formatDollars(c.amountCents), align: 'right' },
          ], ctx.out),
        ].join('\n');
        return { data: result, human };
      }),
    );

  encounters
    .command('list')
    .description('a patient\'s visits with diagnoses and charges')
    .argument('<mrn>', 'chart number')
    .addHelpText('after', '\nExamples:\n  practice encounters list C100\n  practice encounters list C100 --json')
    .action(
      action(async (ctx, mrn: string) => {
        const db = await ctx.db();
        const { zone } = await practiceClock(db, ctx.now);
        const rows = await listEncounters(db, mrn);
        const { patientByMrn } = await import('../chart/lookup.js');
        const { recordChartRead } = await import('../db/audit.js');
        await recordChartRead(db, ctx.auditActor, (await patientByMrn(db, mrn)).id, 'encounters', { entries: rows.length });
        const human = rows.length
          ? renderTable(rows, [
              { header: 'When', value: (r) => formatLocal(r.startsAt, zone) },
              { header: 'Provider', value: (r) => r.provider },
              { header: 'Type', value: (r) => r.type },
              { header: 'Diagnoses', value: (r) => r.diagnoses.join(', ') },
              { header: 'Charges', value: (r) => r.charges.map((c) => `${c.code} ${formatDollars(c.amountCents)}`).join(', ') },
            ], ctx.out)
          : 'No visits recorded.';
        return { data: { count: rows.length, encounters: rows }, human };
      }),
    );

  const fees = encounters.command('fees').description('the practice\'s fee schedule: what each procedure code is charged');
  fees
    .command('set')
    .description('set the fee for a procedure code')
    .argument('<code>', 'CPT or HCPCS code')
    .argument('<amount>', 'amount in dollars, e.g. 125.00')
    .addHelpText('after', '\nExample:\n  practice encounters fees set 99214 125.00')
    .action(
      action(async (ctx, code: string, amount: string) => {
        const row = await setFee(await ctx.db(), ctx.auditActor, code, amount);
        return { data: { code: row.code, amountCents: row.amountCents }, human: `The fee for ${row.code} is now ${formatDollars(row.amountCents)}.` };
      }),
    );
  fees
    .command('list')
    .description('the fee schedule')
    .addHelpText('after', '\nExamples:\n  practice encounters fees list\n  practice encounters fees list --json')
    .action(
      action(async (ctx) => {
        const rows = await listFees(await ctx.db());
        const human = rows.length
          ? renderTable(rows, [
              { header: 'Code', value: (r) => r.code },
              { header: 'Fee', value: (r) => formatDollars(r.amountCents), align: 'right' },
            ], ctx.out)
          : 'No fees are set yet: practice encounters fees set 99214 125.00';
        return { data: { count: rows.length, fees: rows }, human };
      }),
    );
}
