// Builds a fresh commander program per run, runs one command and returns its exit code.
// Only bin/practice.js touches process; everything here is driven through CliIo.
import { Command, CommanderError, Option } from 'commander';
import { diskFullError } from '../db/errors.js';
import { ExitCode, PracticeError, ValidationError } from '../errors.js';
import { debugDetails, shownError } from './diagnostics.js';
import { resolveConfig, type GlobalOptions } from './config.js';
import { CommandContext, type CliIo, type CommandResult } from './context.js';
import { makeChalk } from './color.js';
import { commandEntries } from './registry.js';
import { toJson } from './output.js';

export type { ActionFactory, CommandHandler } from './context.js';
import type { ActionFactory } from './context.js';

const GLOBAL_OPTIONS_WITH_VALUES = new Set(['--data-dir', '--database-url', '--practice', '--user', '--wait']);

const VERSION = '0.1.0';

/** The first word that is not a global option: the command whose module must be loaded. */
function requestedCommand(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv[i + 1];
    if (arg.startsWith('-')) {
      if (GLOBAL_OPTIONS_WITH_VALUES.has(arg)) i++;
      continue;
    }
    return arg;
  }
  return undefined;
}

/** "practice patients add --dob --first": the command and option names, never values (PHI). */
function describeInvocation(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  const flags = command.options
    .filter((o) => command.getOptionValueSource(o.attributeName()) === 'cli')
    .map((o) => o.long ?? o.short ?? '');
  return [...names, ...flags].join(' ');
}

export function defaultIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
  };
}

/** The program with its global options and help: the root of the command tree (commands are added by main). */
export function createProgram(): Command {
  return new Command('practice')
    .description('Run the administrative side of a medical practice on its own database.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'print results as one JSON document on stdout')
    .option('-q, --quiet', 'print only results and warnings')
    .option('--data-dir <dir>', 'embedded database folder (env PRACTICE_DATA_DIR)')
    .addOption(new Option('--database-url <url>', 'PostgreSQL server to use instead (prefer env DATABASE_URL; no passwords here)'))
    .option('--practice <name>', 'which practice on a PostgreSQL server serving several (env PRACTICE_NAME)')
    .option('--user <name>', 'who is acting, for the audit trail (env PRACTICE_USER; default: your login)')
    .option('--wait <seconds>', 'how long to wait for a database another command is using (default 60)')
    .option('--no-color', 'never colour the output (NO_COLOR is honoured too)')
    .option('--color', 'colour the output even when it is not a terminal')
    .option('--debug', 'show technical details of errors')
    .addHelpText(
      'after',
      `
Examples:
  practice demo                          create a fictional practice and its monthly report
  practice db status                     where the database is and what it holds
  DATABASE_URL=postgres://... practice db migrate
                                         use a PostgreSQL server instead of the embedded database

Exit codes: 0 done, 1 failed, 2 usage error, 3 finished with rejected or failed items.`,
    );
}

export async function main(argv: string[], overrides: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = { ...defaultIo(), ...overrides };
  const errChalk = makeChalk({ isTTY: io.stderrIsTTY, env: io.env, flag: argv.includes('--no-color') ? false : undefined });
  let context: CommandContext | undefined;
  let result: CommandResult | undefined;
  const wantsJson = argv.includes('--json');
  const debug = argv.includes('--debug');

  const program = createProgram()
    .showHelpAfterError('(run with --help to see the options)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHasColors: () => makeChalk({ isTTY: io.stdoutIsTTY, env: io.env }).level > 0,
      getErrHasColors: () => errChalk.level > 0,
      outputError: (text, write) => write(errChalk.red(text)),
    });

  const action: ActionFactory = (handler) => async (...args: unknown[]) => {
    if (!context) throw new Error('command context missing');
    result = (await handler(context, ...args)) ?? undefined;
  };

  program.hook('preAction', (_root, actionCommand) => {
    const globals = actionCommand.optsWithGlobals() as GlobalOptions;
    const colorGiven = program.getOptionValueSource('color') === 'cli';
    context = new CommandContext(io, resolveConfig(globals, io.env, colorGiven), describeInvocation(actionCommand));
  });

  const requested = requestedCommand(argv);
  for (const entry of commandEntries) {
    if (entry.name === requested) {
      (await entry.load()).register(program, action);
    } else {
      program.command(entry.name).description(entry.summary);
    }
  }
  // Every subcommand inherits the overrides so its usage errors come back as exceptions too.
  const applyOverrides = (command: Command) => {
    command.exitOverride().showHelpAfterError('(run with --help to see the options)');
    command.configureOutput(program.configureOutput());
    command.commands.forEach(applyOverrides);
  };
  program.commands.forEach(applyOverrides);

  try {
    await program.parseAsync(argv, { from: 'user' });
    const finished = result as CommandResult | undefined;
    if (finished) context?.print(finished);
    return finished?.exitCode ?? ExitCode.ok;
  } catch (error) {
    return reportError(error, io, errChalk, wantsJson, debug);
  } finally {
    await context?.close();
  }
}

function reportError(error: unknown, io: CliIo, chalk: ReturnType<typeof makeChalk>, json: boolean, debug: boolean): number {
  if (error instanceof CommanderError) {
    if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return ExitCode.ok;
    // commander already printed its message; usage errors are 2, not commander's default 1.
    return ExitCode.usage;
  }
  // A full disk says so in one line, from whichever layer met it first.
  if (!(error instanceof PracticeError)) error = diskFullError(error) ?? error;
  const { code, message, hint, exitCode, issues } = shownError(error);
  if (json) io.stdout.write(`${toJson({ ok: false, error: { code, message, hint, issues } })}\n`);
  // A summary of its own ("1 file problem(s); ...") still needs the problems under it; a lone problem
  // that is the message itself is not repeated.
  const listed = error instanceof ValidationError && !(error.issues.length === 1 && error.issues[0]!.message === message) ? error.issues : [];
  // The default summary of several problems already joins them; on a terminal they are listed instead.
  const headline = listed.length && message.startsWith(`${listed.length} problems: `) ? `${listed.length} problems:` : message;
  io.stderr.write(`${chalk.red('error:')} ${headline}\n`);
  // Each problem after where it is (an option, a column); one that already begins with its option is not prefixed again.
  // After its option a sentence continues, so its capital goes ("--payer: the payer ...").
  const after = (path: string, message: string) => `${path}: ${/^[A-Z][a-z]/.test(message) ? message.charAt(0).toLowerCase() + message.slice(1) : message}`;
  for (const issue of listed) io.stderr.write(`  - ${issue.path && !issue.message.startsWith(issue.path) ? after(issue.path, issue.message) : issue.message}\n`);
  if (hint) io.stderr.write(`${chalk.dim(hint)}\n`);
  if (debug) io.stderr.write(debugDetails(error));
  return exitCode;
}
