// practice fhir export <mrn> [--out file] | export --all [--since DATE] --out dir | validate <file>
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import type { ActionFactory } from '../cli/context.js';
import { outputFileOption } from '../cli/out-format.js';
import { renderTable } from '../cli/output.js';
import { recordAudit, recordDisclosure, type Disclosure } from '../db/audit.js';
import { parseDate } from '../chart/time.js';
import { badDate, ExitCode, mistake, UsageError } from '../errors.js';

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
function disclosureOf(options: ExportOptions): Omit<Disclosure, 'what'> | undefined {
  const recipient = options.recipient?.trim();
  const purpose = options.purpose?.trim();
  if (!recipient && !purpose) return undefined;
  if (!recipient || !purpose) throw new UsageError('An export to someone outside the practice needs both --recipient and --purpose (the accounting of disclosures lists them).', 'For example: --recipient "Dr. Ana Ruiz, Cardiology Associates" --purpose "treatment".');
  return { recipient, purpose };
}

/** "3 Condition, 1 Patient": what left, by kind and count, never the contents. */
function resourceSummary(counts: { type: string; count: number }[]): string {
  return counts.map((c) => `${c.count} ${c.type}`).join(', ');
}

function parseSince(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  // A date (2026-03-01, 3/1/2026) or an ISO date and time (2026-03-01T09:30Z), read as UTC.
  const day = parseDate(value);
  const parsed = day ? DateTime.fromISO(day, { zone: 'utc' }) : DateTime.fromISO(value, { zone: 'utc' });
  if (!parsed.isValid) throw mistake(badDate('--since'));
  return parsed.toJSDate();
}

export function register(program: Command, action: ActionFactory): void {
  const fhir = program.command('fhir').description('exchange records as FHIR R4 (US Core): export, bulk export, validate');

  outputFileOption(fhir.command('export [mrn]'), '--out <path>', 'file for the bundle (default: print it), or folder for --all')
    .description("one patient's full record as a FHIR R4 Bundle, or with --all the whole practice as Bulk Data NDJSON")
    .option('--all', 'export every patient: one NDJSON file per resource type (FHIR Bulk Data)')
    .option('--since <date>', 'with --all: only records changed on or after this date')
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
        const since = parseSince(options.since);
        const disclosure = disclosureOf(options);
        const db = await ctx.db();
        if (options.all) {
          if (mrn) throw new UsageError('Give either a chart number (MRN) or --all, not both.');
          if (!options.out) throw new UsageError('--all needs --out <folder> for the NDJSON files.', 'For example: practice fhir export --all --out export/');
          const { bulkExport } = await import('../fhir/export.js');
          const progress = await ctx.progress();
          const result = await bulkExport(
            db,
            {
              outDir: resolve(ctx.io.cwd, options.out),
              since,
              replace: options.replace,
              onStart: (total) => progress.start(total, 'Exporting'),
              onProgress: (done) => progress.update(done),
              signal: ctx.signal,
            },
            ctx.now,
          ).finally(() => progress.stop());
          // Disclosures of records are audited like changes: who exported what, never the contents.
          const details = { format: 'fhir-bulk-ndjson', resources: result.total, since: result.since };
          if (disclosure) await recordDisclosure(db, ctx.auditActor, null, { ...disclosure, what: `FHIR bulk export: ${resourceSummary(result.output)}` }, details);
          else await recordAudit(db, ctx.auditActor, { action: 'export', entity: 'practice', details });
          // The export's manifest (this result, in the Bulk Data shape) carries the audit chain's head: a copy
          // kept outside the database. Not a file in the folder: a folder import reads every .json there.
          const { chainHead } = await import('../audit/chain.js');
          const auditHead = (await chainHead(db))?.head ?? null;
          const human = result.output.length
            ? `${renderTable(result.output, [
                { header: 'Resource type', value: (o) => o.type },
                { header: 'Resources', value: (o) => o.count.toLocaleString(), align: 'right' },
                { header: 'File', value: (o) => o.file },
              ], ctx.out)}\n${result.total.toLocaleString()} resources exported.`
            : since
              ? 'Nothing changed since that date: no files written.'
              : 'The practice has no records to export yet.';
          return { data: { ...result, auditHead }, human: `${human}\nAudit chain head: ${auditHead ?? 'none'}` };
        }
        if (since) throw new UsageError('--since only applies with --all.');
        if (options.out && !['', '.json'].includes(extname(options.out).toLowerCase())) {
          throw new UsageError(`A FHIR bundle is JSON, but --out ${options.out} is named for another format.`, `Name it like ${basename(options.out, extname(options.out))}.json.`);
        }
        if (!mrn) throw new UsageError('Give the chart number (MRN) of the patient to export, or --all.', 'For example: practice fhir export 100234 --out chart.json');
        const { patientByMrn } = await import('../chart/lookup.js');
        const { patientBundle } = await import('../fhir/export.js');
        const patient = await patientByMrn(db, mrn);
        const bundle = await patientBundle(db, patient.id, ctx.now);
        const details = { format: 'fhir-bundle', resources: bundle.entry?.length ?? 0, toFile: Boolean(options.out) };
        if (disclosure) {
          const counts = new Map<string, number>();
          for (const e of bundle.entry ?? []) if (e.resource) counts.set(e.resource.resourceType, (counts.get(e.resource.resourceType) ?? 0) + 1);
          const what = `FHIR bundle: ${resourceSummary([...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => ({ type, count })))}`;
          await recordDisclosure(db, ctx.auditActor, patient.id, { ...disclosure, what }, details);
        } else {
          await recordAudit(db, ctx.auditActor, { action: 'export', entity: 'patients', entityId: patient.id, details });
        }
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
