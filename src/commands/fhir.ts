// practice fhir export <mrn> [--out file] | export --all [--since DATE] --out dir | validate <file>
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { outputFileOption } from '../cli/out-format.js';
import { renderTable } from '../cli/output.js';
import { ExitCode, UsageError } from '../errors.js';
import type { Recipient } from '../fhir/recorded-export.js';

interface ExportOptions {
  all?: boolean;
  since?: string;
  out?: string;
  replace?: boolean;
  force?: boolean;
  recipient?: string;
  purpose?: string;
}

/** An export for someone outside the practice is a disclosure: it needs both who gets it and why. */
function recipientOf(options: ExportOptions): Recipient | undefined {
  const recipient = options.recipient?.trim();
  const purpose = options.purpose?.trim();
  if (!recipient && !purpose) return undefined;
  if (!recipient || !purpose) throw new UsageError('An export to someone outside the practice needs both --recipient and --purpose (the accounting of disclosures lists them).', 'For example: --recipient "Dr. Ana Ruiz, Cardiology Associates" --purpose "treatment".');
  return { recipient, purpose };
}

export function register(program: Command, action: ActionFactory): void {
  const fhir = program.command('fhir').description('exchange records as FHIR R4 (US Core): export, bulk export, validate');

  outputFileOption(fhir.command('export [mrn]'), '--out <path>', 'file for the bundle (default: print it), or folder for --all')
    .description("one patient's full record as a FHIR R4 Bundle, or with --all the whole practice as Bulk Data NDJSON")
    .option('--all', 'export every patient: one NDJSON file per resource type (FHIR Bulk Data)')
    .option('--since <date>', 'with --all: only records changed on or after this date (from midnight, practice time) or date and time')
    .option('--replace', 'with --all: replace the NDJSON files an earlier export left in the folder')
    .option('--recipient <who>', 'for an export to someone outside the practice: who receives it (recorded as a disclosure)')
    .option('--purpose <why>', 'with --recipient: why it is disclosed, e.g. treatment, a patient request, a legal order')
    .addHelpText(
      'after',
      `
Examples:
  practice fhir export 100234 --out chart-100234.json
  practice fhir export --all --out export/
  practice fhir export --all --since 2026-01-01 --out export-changes/
  practice fhir export --all --out export/ --replace      (nightly, into the same folder)
  practice fhir export 100234 --out chart.json --recipient "Dr. Ana Ruiz, Cardiology Associates" --purpose treatment

Files are readable by you only: they hold patient records.`,
    )
    .action(
      action(async (ctx, mrn: string | undefined, options: ExportOptions) => {
        const { exportPatient, exportPractice, exportSince } = await import('../fhir/recorded-export.js');
        const recipient = recipientOf(options);
        const db = await ctx.db();
        const { practiceClock } = await import('../practice/clock.js');
        const since = exportSince(options.since, await practiceClock(db, ctx.now));
        if (options.all) {
          if (mrn) throw new UsageError('Give either a chart number (MRN) or --all, not both.');
          if (!options.out) throw new UsageError('--all needs --out <folder> for the NDJSON files.', 'For example: practice fhir export --all --out export/');
          const progress = await ctx.progress();
          const result = await exportPractice(
            db,
            ctx.auditActor,
            {
              outDir: resolve(ctx.io.cwd, options.out),
              since,
              replace: options.replace,
              recipient,
              onStart: (total) => progress.start(total, 'Exporting'),
              onProgress: (done) => progress.update(done),
              signal: ctx.signal,
            },
            ctx.now,
          ).finally(() => progress.stop());
          const human = result.output.length
            ? `${renderTable(result.output, [
                { header: 'Resource type', value: (o) => o.type },
                { header: 'Resources', value: (o) => o.count.toLocaleString(), align: 'right' },
                { header: 'File', value: (o) => o.file },
              ], ctx.out)}\n${result.total.toLocaleString()} resources exported.`
            : since
              ? 'Nothing changed since that date: no files written.'
              : 'The practice has no records to export yet.';
          return { data: result, human: `${human}\nAudit chain head: ${result.auditHead ?? 'none'}` };
        }
        if (since) throw new UsageError('--since only applies with --all.');
        if (options.out && !['', '.json'].includes(extname(options.out).toLowerCase())) {
          throw new UsageError(`A FHIR bundle is JSON, but --out ${options.out} is named for another format.`, `Name it like ${basename(options.out, extname(options.out))}.json.`);
        }
        if (!mrn) throw new UsageError('Give the chart number (MRN) of the patient to export, or --all.', 'For example: practice fhir export 100234 --out chart.json');
        const bundle = await exportPatient(db, ctx.auditActor, mrn, { recipient, toFile: Boolean(options.out) }, ctx.now);
        if (!options.out) return { data: bundle, human: JSON.stringify(bundle, null, 2) };
        const { writePrivateFile } = await import('../files/private-file.js');
        const file = resolve(ctx.io.cwd, options.out);
        await writePrivateFile(file, `${JSON.stringify(bundle, null, 2)}\n`, { makeFolder: true, replace: options.force });
        const resources = bundle.entry?.length ?? 0;
        return { data: { file, resources }, human: `Wrote ${resources} resources to ${file}.` };
      }),
    );

  fhir
    .command('validate <file>')
    .description('check a FHIR bundle, resource or NDJSON file against FHIR R4 and US Core; one line per problem')
    .addHelpText(
      'after',
      `
Examples:
  practice fhir validate chart-100234.json
  practice fhir validate export/Observation.ndjson --json

Exit code 1 when any problem is found.`,
    )
    .action(
      action(async (ctx, file: string) => {
        const { validateFhirFile } = await import('../fhir/validate.js');
        const result = await validateFhirFile(resolve(ctx.io.cwd, file), (await import('../cli/config.js')).jsonLimits(ctx.io.env));
        const lines = result.problems.map((p) => `${p.where}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
        const summary = result.problems.length
          ? `${result.problems.length} problem(s) in ${result.resources} resource(s).`
          : `${result.resources} resource(s) checked: valid FHIR R4 and US Core.`;
        if (result.problems.length) ctx.warn(summary);
        return {
          data: { ...result, valid: result.problems.length === 0 },
          human: result.problems.length ? lines.join('\n') : summary,
          exitCode: result.problems.length ? ExitCode.failure : ExitCode.ok,
        };
      }),
    );
}
