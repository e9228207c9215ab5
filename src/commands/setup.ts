// practice setup: the practice, its locations, providers, payers and clearinghouse, from a file, options
// or (on a terminal, with neither) a wizard.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { PracticeError, UsageError } from '../errors.js';
import { clearinghouseKind, practiceKind } from '../practice/entities.js';
import type { SetupDocument, SetupSummary } from '../practice/setup.js';
import { formatBytes, parseJsonWithin } from '../text/json.js';
import { jsonLimits } from '../cli/config.js';
import { addFieldOptions } from './practice-directory.js';

async function readSetupFile(cwd: string, path: string, env: NodeJS.ProcessEnv): Promise<SetupDocument> {
  const limits = jsonLimits(env);
  let text: string;
  try {
    const file = resolve(cwd, path);
    const size = (await stat(file)).size;
    if (size > limits.maxFileBytes) {
      throw new PracticeError('FILE_TOO_BIG', `The set-up file ${path} is ${formatBytes(size)}, more than the ${formatBytes(limits.maxFileBytes)} limit; nothing was saved.`, {
        hint: 'See fixtures/practice/practice.json for the expected shape.',
      });
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof PracticeError) throw error;
    throw new PracticeError('FILE_UNREADABLE', `Cannot read the set-up file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, {
      hint: 'Check the path; see fixtures/practice/practice.json for an example.',
    });
  }
  const parsed = parseJsonWithin(text, limits.maxDepth);
  const problem = 'problem' in parsed ? parsed.problem : !parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value) ? 'is JSON but not an object of settings' : undefined;
  if (problem) {
    throw new PracticeError('FILE_NOT_JSON', `The set-up file ${path} ${problem}; nothing was saved.`, {
      hint: 'See fixtures/practice/practice.json for the expected shape.',
    });
  }
  return (parsed as { value: SetupDocument }).value;
}

function describeSummary(summary: SetupSummary): string {
  const would = summary.dryRun ? 'would be ' : '';
  const lines = [summary.practice === 'unchanged' ? 'The practice details are unchanged.' : `The practice ${summary.dryRun ? 'would be' : 'was'} ${summary.practice}.`];
  for (const name of ['locations', 'providers', 'payers', 'clearinghouses'] as const) {
    const { created, updated } = summary[name];
    if (created || updated) lines.push(`${name[0]!.toUpperCase()}${name.slice(1)}: ${created} ${would}added, ${updated} ${would}updated.`);
  }
  if (summary.dryRun) lines.push('Dry run: nothing was saved.');
  return lines.join('\n');
}

export function register(program: Command, action: ActionFactory): void {
  const setup = program
    .command('setup')
    .description('record the practice, its locations, providers, payers and clearinghouse (rerun to edit)')
    .option('--from <file>', 'a practice.json set-up file (see fixtures/practice/practice.json)')
    .option('--dry-run', 'check everything and show what would change, without saving');
  const readPractice = addFieldOptions(setup, practiceKind.fields);
  const readClearinghouse = addFieldOptions(setup, clearinghouseKind.fields, 'clearinghouse-');
  setup.addHelpText(
    'after',
    `
Without --from or options, on a terminal, a wizard asks for everything.
Options override the practice details in the file; --clearinghouse-* options add or edit one clearinghouse.

Examples:
  practice setup --from practice.json
  practice setup --legal-name "Main Street Family Medicine PC" --tin 12-3456789 --billing-npi 1234567893 --state NY --time-zone America/New_York
  practice setup --clearinghouse-name "Acme Claims" --clearinghouse-sender-id PK12345 --clearinghouse-receiver-id ACMECLAIMS
  practice setup --from practice.json --dry-run`,
  );

  setup.action(
    action(async (ctx, options: Record<string, unknown> & { from?: string; dryRun?: boolean }) => {
      const practiceFields = readPractice(options);
      const clearinghouseFields = readClearinghouse(options);
      const flagsGiven = Object.keys(practiceFields).length + Object.keys(clearinghouseFields).length > 0;
      const db = await ctx.db();
      const { currentSetup, runSetup } = await import('../practice/setup.js');
      let doc: SetupDocument;
      if (options.from) {
        doc = await readSetupFile(ctx.io.cwd, options.from, ctx.io.env);
      } else if (flagsGiven) {
        doc = {};
      } else if (ctx.io.stdinIsTTY) {
        const { askSetup } = await import('../practice/wizard.js');
        ctx.info('Setting up the practice. Press Enter to keep a value shown in brackets.');
        doc = await askSetup(ctx.prompter, await currentSetup(db));
      } else {
        throw new UsageError('Nothing to set up: there is no terminal to ask on.', 'Give --from practice.json, or the practice details as options (see "practice setup --help").');
      }
      if (Object.keys(practiceFields).length > 0 && typeof doc === 'object' && doc !== null) {
        doc.practice = { ...(doc.practice ?? {}), ...practiceFields };
      }
      if (Object.keys(clearinghouseFields).length > 0 && typeof doc === 'object' && doc !== null) {
        doc.clearinghouses = [...(doc.clearinghouses ?? []), clearinghouseFields];
      }
      const summary = await runSetup(db, ctx.auditActor, doc, { dryRun: options.dryRun });
      return { data: summary, human: describeSummary(summary) };
    }),
  );
}
