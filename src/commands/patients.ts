// practice patients find | show | add | edit | duplicates | merge | deactivate | deceased
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { checkPdfName, outputFileOption } from '../cli/out-format.js';
import type { CommandContext } from '../cli/context.js';
import { renderTable } from '../cli/output.js';
import { findDuplicateCandidates } from '../chart/duplicates.js';
import { fullName, patientByMrn, type PatientRow } from '../chart/lookup.js';
import { mergePatients } from '../chart/merge.js';
import { recordChartRead } from '../db/audit.js';
import { addPatient, deactivatePatient, POSSIBLE_DUPLICATE, editPatient, countPatientMatches, findPatients, PATIENT_FIELD_LABELS, recordDeath, validatePatientFields, type PatientFields } from '../chart/patients.js';
import { writeSectionsPdf } from '../chart/pdf.js';
import { summarySections } from '../chart/sections.js';
import { chartSummary } from '../chart/summary.js';
import { formatLocal, requireDate } from '../chart/time.js';
import { practiceClock } from '../practice/clock.js';
import { PracticeError, UsageError, ValidationError } from '../errors.js';
import { PATIENT_FIELDS, type PatientField } from '../records/patient.js';
import { byOption, type RecordField } from '../records/record.js';

/** The fields the form on a terminal asks when registering (editing asks every field that has an option). */
const ASKED = new Set<PatientField>(['firstName', 'lastName', 'dob', 'sex', 'phoneMobile', 'email', 'address1', 'city', 'state', 'zip']);

// Option → field, from the patient's declaration; its order is the order of the form on a terminal.
const FIELD_OPTIONS = Object.entries(PATIENT_FIELDS).flatMap(([field, { option }]: [string, RecordField]) => (option ? [{ field: field as keyof PatientFields, option }] : []));

function optionKey(flags: string): string {
  return flags.split(' ')[0]!.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function addFieldOptions(command: Command): Command {
  for (const { option } of FIELD_OPTIONS) command.option(option.flags, option.description);
  return command;
}

function fieldsFromOptions(options: Record<string, string | undefined>): PatientFields {
  const fields: PatientFields = {};
  for (const { field, option } of FIELD_OPTIONS) {
    const value = options[optionKey(option.flags)];
    if (value !== undefined) fields[field] = value;
  }
  return fields;
}

/** The form a front-desk user fills in on a terminal; each answer is checked as it is typed. */
async function askPatientFields(ctx: CommandContext, today: string, current?: PatientRow): Promise<PatientFields> {
  const fields: PatientFields = {};
  for (const { field } of FIELD_OPTIONS) {
    if (!ASKED.has(field) && !current) continue;
    const existing = current ? (current[field as keyof PatientRow] as string | null) : undefined;
    const answer = await ctx.prompter.input(`${PATIENT_FIELD_LABELS[field][0]!.toUpperCase()}${PATIENT_FIELD_LABELS[field].slice(1)}`, {
      default: existing ?? undefined,
      validate: (value) => {
        if (value.trim() === '' && !['firstName', 'lastName', 'dob'].includes(field)) return true;
        try {
          validatePatientFields({ [field]: value }, today, { creating: false });
          return true;
        } catch (error) {
          if (error instanceof ValidationError) return error.message;
          throw error;
        }
      },
    });
    if (answer.trim() !== '' || existing) fields[field] = answer;
  }
  return fields;
}

/** A refusal of the patient's details as typed: each problem after the option the user typed ("--dob: ..."). */
function byTypedOption(error: unknown): unknown {
  return error instanceof ValidationError ? new ValidationError(byOption(error.issues, PATIENT_FIELDS)) : error;
}

function patientRow(p: PatientRow) {
  return { mrn: p.mrn, firstName: p.firstName, lastName: p.lastName, dob: p.dob, sex: p.sex, phone: p.phoneMobile ?? p.phoneHome, active: p.active, deceasedDate: p.deceasedDate };
}

export function register(program: Command, action: ActionFactory): void {
  const patients = program.command('patients').description('look up, register and correct patients');

  patients
    .command('find')
    .alias('search')
    .description('find patients by name (any order, accents optional), chart number, date of birth or phone')
    .argument('<text...>', 'what to look for, e.g. "garcia, maria" or 1980-04-23')
    .option('--all', 'include inactive and deceased patients')
    .option('--limit <n>', 'show at most this many (default 50)')
    .addHelpText('after', '\nExamples:\n  practice patients find garcia maria\n  practice patients find 4/23/1980')
    .action(
      action(async (ctx, words: string[], options: { all?: boolean; limit?: string }) => {
        const db = await ctx.db();
        const { today } = await practiceClock(db, ctx.now);
        const limit = options.limit === undefined ? 50 : Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a whole number of patients, e.g. --limit 200.');
        // One more than shown tells whether the list was cut short, so the user is told rather than misled.
        const matched = await findPatients(db, words.join(' '), { today, includeInactive: options.all, limit: limit + 1 });
        const found = matched.slice(0, limit);
        const total = matched.length > limit ? await countPatientMatches(db, words.join(' '), { today, includeInactive: options.all }) : found.length;
        if (total > limit) ctx.warn(`Showing ${limit} of ${total}; narrow the search or use --limit.`);
        await recordChartRead(db, ctx.auditActor, found.map((p) => p.id), 'search-result', { matches: found.length });
        const data = { count: found.length, total, patients: found.map(patientRow) };
        const human = found.length
          ? renderTable(found, [
              { header: 'MRN', value: (p) => p.mrn },
              { header: 'Name', value: (p) => `${p.lastName}, ${p.firstName}` },
              { header: 'Born', value: (p) => p.dob },
              { header: 'Sex', value: (p) => p.sex },
              { header: 'Phone', value: (p) => p.phoneMobile ?? p.phoneHome ?? '' },
              { header: 'Status', value: (p) => (p.deceasedDate ? 'deceased' : p.active ? 'active' : 'inactive') },
            ], ctx.out)
          : `No patient matches.${options.all ? '' : ' (Add --all to include inactive patients.)'}`;
        return { data, human };
      }),
    );

  outputFileOption(patients.command('show'), '--pdf <file>', 'also write a printable PDF (readable by you only)')
    .description('the chart summary: demographics, insurance, problems, medications, allergies, vitals, immunizations, labs, appointments, recalls')
    .argument('<mrn>', 'chart number')
    .addHelpText('after', '\nExamples:\n  practice patients show P000001\n  practice patients show P000001 --pdf chart.pdf')
    .action(
      action(async (ctx, mrn: string, options: { pdf?: string; force?: boolean }) => {
        if (options.pdf) checkPdfName(options.pdf, '--pdf');
        const db = await ctx.db();
        const { zone, today } = await practiceClock(db, ctx.now);
        const patient = await patientByMrn(db, mrn);
        const { careGapsForPatient } = await import('../measures/gaps.js');
        const summary = await chartSummary(db, patient, { now: ctx.now, today, careGaps: careGapsForPatient });
        const sections = summarySections(summary, zone);
        await recordChartRead(db, ctx.auditActor, patient.id, options.pdf ? 'chart-summary+pdf' : 'chart-summary');
        if (options.pdf) {
          const file = resolve(ctx.io.cwd, options.pdf);
          await writeSectionsPdf(file, 'Chart summary', sections, formatLocal(ctx.now, zone), { replace: options.force });
          ctx.info(`Wrote the chart summary to ${file}.`);
        }
        const human = sections.map((s, i) => `${i === 0 ? ctx.out.bold(s.title) : ctx.out.bold.underline(s.title)}\n${s.lines.map((l) => `  ${l}`).join('\n')}`).join('\n\n');
        return { data: summary, human };
      }),
    );

  addFieldOptions(
    patients
      .command('add')
      .description('register a patient (a form on a terminal when no option is given)')
      .option('--not-a-duplicate', 'a different person from the patient already registered with the same name and date of birth')
      .addHelpText('after', '\nExample:\n  practice patients add --first Maria --last Garcia --dob 1980-04-23 --sex F --phone "(555) 201-3344" --state MA --zip 02134'),
  ).action(
    action(async (ctx, options: Record<string, string> & { notADuplicate?: boolean }) => {
      const db = await ctx.db();
      const { today } = await practiceClock(db, ctx.now);
      let fields = fieldsFromOptions(options);
      const asked = Object.keys(fields).length === 0;
      if (asked) {
        if (!ctx.io.stdinIsTTY && !ctx.io.prompter) throw new UsageError('Give the patient\'s details as options (at least --first, --last and --dob).', 'See "practice patients add --help".');
        fields = await askPatientFields(ctx, today);
      }
      const patient = await addPatient(db, ctx.auditActor, fields, today, { notADuplicate: options.notADuplicate }).catch(async (error: unknown) => {
        if (!asked) throw byTypedOption(error);
        // On the form, the answers are not lost to the doubt: it is asked there and then.
        if (!(error instanceof PracticeError) || error.code !== POSSIBLE_DUPLICATE) throw error;
        ctx.warn(error.message.replace(': nothing was registered.', '.'));
        if (!(await ctx.prompter.confirm('Is this a different person (register a new chart)?', { default: false }))) throw error;
        return addPatient(db, ctx.auditActor, fields, today, { notADuplicate: true });
      });
      return { data: { created: patientRow(patient) }, human: `Registered ${fullName(patient)} with chart number ${patient.mrn}.` };
    }),
  );

  addFieldOptions(
    patients
      .command('edit')
      .description('correct a patient\'s details (a form on a terminal when no option is given; "" clears a field)')
      .argument('<mrn>', 'chart number')
      .addHelpText('after', '\nExamples:\n  practice patients edit P000001 --phone 555-201-3344\n  practice patients edit P000001 --address "12 Elm St" --address2 ""'),
  ).action(
    action(async (ctx, mrn: string, options: Record<string, string>) => {
      const db = await ctx.db();
      const { today } = await practiceClock(db, ctx.now);
      let fields = fieldsFromOptions(options);
      const asked = Object.keys(fields).length === 0;
      if (asked) {
        if (!ctx.io.stdinIsTTY && !ctx.io.prompter) throw new UsageError('Give the fields to change as options, e.g. --phone 555-201-3344.', 'See "practice patients edit --help".');
        fields = await askPatientFields(ctx, today, await patientByMrn(db, mrn));
      }
      const { patient, changed } = await editPatient(db, ctx.auditActor, mrn, fields, today).catch((error: unknown) => {
        throw asked ? error : byTypedOption(error);
      });
      return {
        data: { mrn: patient.mrn, changed },
        human: changed.length ? `Updated ${changed.map((f) => PATIENT_FIELD_LABELS[f as keyof PatientFields] ?? f).join(', ')}.` : 'Nothing to change: the chart already says that.',
      };
    }),
  );

  patients
    .command('duplicates')
    .description('pairs of charts that may be the same person, with a score and the reasons')
    .option('--min-score <n>', 'lowest score to list (0-100)', '70')
    .option('--all', 'include inactive patients')
    .addHelpText('after', '\nExamples:\n  practice patients duplicates\n  practice patients duplicates --min-score 85 --json')
    .action(
      action(async (ctx, options: { minScore: string; all?: boolean }) => {
        const minScore = Number(options.minScore);
        if (!Number.isFinite(minScore) || minScore < 0 || minScore > 100) throw new UsageError('--min-score must be a number from 0 to 100.');
        const db = await ctx.db();
        const pairs = await findDuplicateCandidates(db, { minScore, includeInactive: options.all });
        await recordChartRead(db, ctx.auditActor, { mrns: pairs.flatMap((p) => [p.a.mrn, p.b.mrn]) }, 'duplicate-candidates', { pairs: pairs.length });
        const human = pairs.length
          ? `${renderTable(pairs, [
              { header: 'Score', value: (p) => p.score, align: 'right' },
              { header: 'Chart A', value: (p) => `${p.a.mrn}  ${p.a.lastName}, ${p.a.firstName}  ${p.a.dob}` },
              { header: 'Chart B', value: (p) => `${p.b.mrn}  ${p.b.lastName}, ${p.b.firstName}  ${p.b.dob}` },
              { header: 'Why', value: (p) => p.reasons.join('; ') },
            ], ctx.out)}\nCheck each pair, then: practice patients merge <chart to keep> <duplicate> --dry-run`
          : 'No likely duplicates found.';
        return { data: { count: pairs.length, pairs }, human };
      }),
    );

  patients
    .command('merge')
    .description('move everything from a duplicate chart into the one kept, and deactivate the duplicate')
    .argument('<keep>', 'chart number to keep')
    .argument('<drop>', 'chart number of the duplicate')
    .option('--dry-run', 'show what would move, change nothing')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  practice patients merge P000001 P000042 --dry-run\n  practice patients merge P000001 P000042 --yes')
    .action(
      action(async (ctx, keep: string, drop: string, options: { dryRun?: boolean; yes?: boolean }) => {
        const db = await ctx.db();
        if (!options.dryRun && !(await ctx.confirm('Merge the duplicate chart into the kept one? This moves every record.', options.yes))) {
          return { data: { merged: false }, human: 'Nothing was merged.' };
        }
        const plan = await mergePatients(db, ctx.auditActor, keep, drop, { dryRun: Boolean(options.dryRun) });
        const rows = Object.entries(plan.moves);
        const lines = [
          rows.length ? renderTable(rows, [
            { header: 'Records', value: ([table]) => table.replace(/_/g, ' ') },
            { header: 'Moving', value: ([, ids]) => ids.length, align: 'right' },
          ], ctx.out) : 'The duplicate chart has no records to move.',
          ...(plan.recallsCancelled.length ? [`${plan.recallsCancelled.length} open recall(s) of the duplicate are already open on the kept chart and ${options.dryRun ? 'would be' : 'were'} cancelled.`] : []),
          ...(plan.consentsFolded.length ? [`${plan.consentsFolded.length} contact consent(s) ${options.dryRun ? 'would be' : 'were'} folded into the kept chart (an opt-out is kept).`] : []),
          options.dryRun ? 'Dry run: nothing was changed.' : 'Merged. The duplicate chart is now inactive; the audit log lists every moved record.',
        ];
        return { data: { merged: !options.dryRun, dryRun: Boolean(options.dryRun), ...plan }, human: lines.join('\n') };
      }),
    );

  patients
    .command('deactivate')
    .description('mark a patient inactive (left the practice); the chart is kept')
    .argument('<mrn>', 'chart number')
    .addHelpText('after', '\nExamples:\n  practice patients deactivate P000001')
    .action(
      action(async (ctx, mrn: string) => {
        const patient = await deactivatePatient(await ctx.db(), ctx.auditActor, mrn);
        return { data: { mrn: patient.mrn, active: patient.active }, human: 'The patient is now inactive.' };
      }),
    );

  patients
    .command('deceased')
    .description('record a patient\'s death (also makes the chart inactive, which stops recalls)')
    .argument('<mrn>', 'chart number')
    .requiredOption('--date <date>', 'date of death')
    .addHelpText('after', '\nExamples:\n  practice patients deceased P000001 --date 2026-11-30')
    .action(
      action(async (ctx, mrn: string, options: { date: string }) => {
        const db = await ctx.db();
        const { today } = await practiceClock(db, ctx.now);
        const patient = await recordDeath(db, ctx.auditActor, mrn, requireDate('--date', options.date, today), today);
        return { data: { mrn: patient.mrn, deceasedDate: patient.deceasedDate, active: patient.active }, human: 'The death is recorded and the chart is inactive.' };
      }),
    );
}
