// practice valueset import <file|dir...>
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { renderTable } from '../cli/output.js';
import { UsageError } from '../errors.js';

export function register(program: Command, action: ActionFactory): void {
  const valueset = program.command('valueset').description('load the code lists (value sets) quality measures use');

  valueset
    .command('import')
    .description('load VSAC/FHIR ValueSet expansions (.json) or CSV files of OID, code system, code')
    .argument('<paths...>', 'value set files or folders of them')
    .option('--year <year>', 'the performance year these expansions are for (default: the newest year with measures)')
    .option('--dry-run', 'read and check the files, show what would be loaded, change nothing')
    .addHelpText(
      'after',
      `
Examples:
  practice valueset import ./valuesets ./valuesets-supplement
  practice valueset import my-codes.csv        (columns: OID, code system, code[, display])
  practice valueset import ./valuesets-2027 --year 2027

Each load is for one performance year, and that year's measures read only its expansions: loading
2027's leaves 2026's in place. A value set given again with the same version gains the new codes (an
expansion cut at 1000 codes and its complete copy can be loaded one after the other); a new version
becomes the year's expansion. A file without a version (CSV) is stored as version <year>.`,
    )
    .action(
      action(async (ctx, paths: string[], options: { dryRun?: boolean; year?: string }) => {
        const { importValueSets } = await import('../measures/valuesets.js');
        if (options.year !== undefined && !/^\d{4}$/.test(options.year)) throw new UsageError(`--year must be a year like 2026, not "${options.year}".`);
        const year = options.year === undefined ? undefined : Number(options.year);
        const result = await importValueSets(await ctx.db(), ctx.auditActor, paths, { dryRun: options.dryRun, year, limits: (await import('../cli/config.js')).jsonLimits(ctx.io.env) });
        for (const oid of result.incomplete) {
          ctx.warn(`value set ${oid} is incomplete (the expansion was cut short); load its complete copy too.`);
        }
        const codes = result.valueSets.reduce((n, s) => n + s.codes, 0);
        const table = renderTable(
          result.valueSets,
          [
            { header: 'OID', value: (s) => s.oid },
            { header: 'Name', value: (s) => s.name ?? '' },
            { header: 'Version', value: (s) => s.version ?? '' },
            { header: 'Codes', value: (s) => s.codes, align: 'right' },
            { header: result.dryRun ? 'Would be' : 'Done', value: (s) => s.action },
          ],
          ctx.out,
        );
        const summary = `${result.dryRun ? 'Would load' : 'Loaded'} ${result.valueSets.length} value set(s), ${codes.toLocaleString()} code(s), from ${result.files} file(s), for ${result.year}.`;
        return { data: result, human: `${table}\n${summary}` };
      }),
    );
}
