// The format of a written file follows its name: --out x.pdf, x.csv or x.json picks the format when
// --format is not given, and a name that contradicts an explicit --format is a usage error (a table
// of text inside x.pdf opens as a broken file). One rule for every command that writes files. And the
// options that name an output file are declared here, with --force: a file already there is refused
// (a usage error, before any work) unless --force says to replace it.
import { statSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/** The formats a file name's extension stands for, the first being the one it picks. */
const FORMATS_BY_EXTENSION: Record<string, string[]> = {
  '.pdf': ['pdf'],
  '.csv': ['csv'],
  '.json': ['json', 'qpp'],
  '.xml': ['qrda3'],
};

/** The format for options.format given options.out, or a UsageError; undefined out: the format as given. */
export function formatForOut(out: string | undefined, format: string, explicit: boolean, choices: readonly string[]): string {
  if (!out) return format;
  const extension = extname(out).toLowerCase();
  const implied = (FORMATS_BY_EXTENSION[extension] ?? []).filter((f) => choices.includes(f));
  if (implied.length === 0) {
    if (extension in FORMATS_BY_EXTENSION) {
      throw new UsageError(`This command does not write ${extension.slice(1).toUpperCase()} files (--out ${out}).`, `It writes ${choices.join(', ')}: name the file for one of them, like report.${choices.find((c) => c !== 'table') ?? 'txt'}.`);
    }
    return format;
  }
  if (explicit && !implied.includes(format)) {
    throw new UsageError(`--out ${out} is a ${extension.slice(1).toUpperCase()} file name, but --format ${format} was asked for.`, `Use --format ${implied[0]}, or name the file for ${format} (like report.${format === 'table' ? 'txt' : format}).`);
  }
  return explicit ? format : implied[0]!;
}

/**
 * Makes --out pick --format from its extension on this command (a hook, before the action runs).
 * The option names are the command's own: --out and --format.
 */
export function formatFromOut(command: Command): Command {
  return command.hook('preAction', (_root, action) => {
    const options = action.opts<{ out?: string; format?: string }>();
    const formatOption = action.options.find((o) => o.long === '--format');
    if (!formatOption || options.format === undefined) return;
    const explicit = action.getOptionValueSource('format') === 'cli';
    action.setOptionValue('format', formatForOut(options.out, options.format, explicit, formatOption.argChoices ?? []));
  });
}

/** An option that always writes a PDF (--pdf <file>) refuses a file name for another format. */
export function checkPdfName(path: string, option: string): void {
  const extension = extname(path).toLowerCase();
  if (extension && extension !== '.pdf') throw new UsageError(`${option} writes a PDF, but ${path} is named as a ${extension.slice(1).toUpperCase()} file.`, `Name it like ${path.slice(0, -extension.length)}.pdf.`);
}

/** The output-file options declared on each command, checked by one hook per command. */
const outputFlags = new WeakMap<Command, string[]>();

function isExistingFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Declares an option naming a file the command writes (like "--out <file>" or "--pdf <file>"), and --force
 * to replace it. Without --force an existing file is refused before the action runs; the writer refuses
 * too (a file that appears meanwhile is never overwritten): pass `replace: options.force` to it.
 */
export function outputFileOption(command: Command, flags: string, description: string): Command {
  const long = flags.split(/[ ,]+/).find((f) => f.startsWith('--'))!;
  command.option(flags, description);
  const known = outputFlags.get(command);
  if (known) {
    known.push(long);
    return command;
  }
  outputFlags.set(command, [long]);
  return command.option('--force', 'replace an output file that already exists').hook('preAction', (_root, action) => {
    const options = action.opts<Record<string, unknown>>();
    if (options.force) return;
    for (const flag of outputFlags.get(action) ?? []) {
      const option = action.options.find((o) => o.long === flag);
      const value = option ? options[option.attributeName()] : undefined;
      if (typeof value === 'string' && isExistingFile(value)) {
        throw new UsageError(`${flag} ${value}: that file already exists.`, 'Add --force to replace it, or give another file name.');
      }
    }
  });
}
