// practice insurance add|edit|end|list <mrn>: the patient's coverages, which claims are built from.
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { renderTable } from '../cli/output.js';
import { addCoverage, editCoverage, endCoverage, listCoverages, type CoverageInput } from '../chart/insurance.js';
import { patientByMrn } from '../chart/lookup.js';
import { practiceClock } from '../practice/clock.js';
import { recordChartRead } from '../db/audit.js';
import { UsageError } from '../errors.js';
import { COVERAGE_FIELDS } from '../records/coverage.js';
import type { RecordField } from '../records/record.js';

/** The coverage's options, from its declaration; adding, the fields a coverage needs say so. */
function coverageOptions(command: Command, adding: boolean): Command {
  for (const { option, required } of Object.values(COVERAGE_FIELDS) as RecordField[]) {
    if (option) command.option(option.flags, adding && required ? `${option.description} (required)` : option.description);
  }
  return command;
}

function coverageId(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`The coverage id is a whole number (from "practice insurance list <chart number> --all"), not "${value}".`);
  return id;
}

export function register(program: Command, action: ActionFactory): void {
  const insurance = program.command('insurance').description("a patient's insurance: payer, member id, group, subscriber, primary/secondary order, dates");

  coverageOptions(insurance.command('add').description('record an insurance coverage').argument('<mrn>', 'chart number'), true)
    .addHelpText(
      'after',
      `
Examples:
  practice insurance add C100 --payer 12345 --member-id XJH123456789 --group G-42 --start 2026-01-01
  practice insurance add C100 --payer "Acme Health" --member-id A987 --order secondary --relationship spouse \\
      --subscriber-first Marge --subscriber-last Simpson --subscriber-dob 1958-03-19 --subscriber-sex female`,
    )
    .action(
      action(async (ctx, mrn: string, options: CoverageInput) => {
        const db = await ctx.db();
        const { today } = await practiceClock(db, ctx.now);
        const added = await addCoverage(db, ctx.auditActor, mrn, options, today);
        return { data: added, human: `Recorded coverage ${added.id}.` };
      }),
    );

  coverageOptions(insurance.command('edit').description('correct or update a coverage (only the options given change)').argument('<mrn>', 'chart number').argument('<id>', 'the coverage id (from "insurance list")'), false)
    .addHelpText('after', '\nExample:\n  practice insurance edit C100 7 --group G-43 --plan "Silver HMO"')
    .action(
      action(async (ctx, mrn: string, id: string, options: CoverageInput) => {
        const db = await ctx.db();
        const { today } = await practiceClock(db, ctx.now);
        const edited = await editCoverage(db, ctx.auditActor, mrn, coverageId(id), options, today);
        return { data: edited, human: `Coverage ${edited.id} updated (${edited.fields.join(', ')}).` };
      }),
    );

  insurance
    .command('end')
    .description('end a coverage on a date (kept on file: visits before then still bill it)')
    .argument('<mrn>', 'chart number')
    .argument('<id>', 'the coverage id (from "insurance list")')
    .option('--date <date>', 'its last day in force (default today)')
    .addHelpText('after', '\nExample:\n  practice insurance end C100 7 --date 2026-06-30')
    .action(
      action(async (ctx, mrn: string, id: string, options: { date?: string }) => {
        const db = await ctx.db();
        const { today } = await practiceClock(db, ctx.now);
        const ended = await endCoverage(db, ctx.auditActor, mrn, coverageId(id), options.date, today);
        return { data: ended, human: `Coverage ${ended.id} ends on ${ended.effectiveTo}.` };
      }),
    );

  insurance
    .command('list')
    .description("list a patient's coverages in payer order (in force and future; --all for ended ones too)")
    .argument('<mrn>', 'chart number')
    .option('--all', 'include ended and inactive coverages')
    .addHelpText('after', '\nExample:\n  practice insurance list C100 --all --json')
    .action(
      action(async (ctx, mrn: string, options: { all?: boolean }) => {
        const db = await ctx.db();
        const { today } = await practiceClock(db, ctx.now);
        const patient = await patientByMrn(db, mrn);
        const rows = await listCoverages(db, patient.id, today, Boolean(options.all));
        await recordChartRead(db, ctx.auditActor, patient.id, 'insurance', { entries: rows.length });
        const human = rows.length
          ? renderTable(
              rows,
              [
                { header: 'Id', value: (r) => r.id },
                { header: 'Order', value: (r) => r.order },
                { header: 'Payer', value: (r) => r.payer },
                { header: 'Member id', value: (r) => r.memberId },
                { header: 'Group', value: (r) => r.groupNumber },
                { header: 'Patient is', value: (r) => r.relationship },
                { header: 'Subscriber', value: (r) => (r.subscriber ? [r.subscriber.firstName, r.subscriber.lastName].filter(Boolean).join(' ') : '') },
                { header: 'From', value: (r) => r.effectiveFrom },
                { header: 'To', value: (r) => r.effectiveTo },
                { header: 'Status', value: (r) => r.state },
              ],
              ctx.out,
            )
          : options.all ? 'No insurance recorded.' : 'No insurance in force (see --all for ended coverages).';
        return { data: { count: rows.length, coverages: rows }, human };
      }),
    );
}
