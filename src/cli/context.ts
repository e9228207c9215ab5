// What a command gets to work with: streams, settings, the database (opened once, on first use),
// colour, progress, prompts and the audit actor. Built by main(); tests build it through main() too.
import type { Readable, Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';
import type { AuditActor } from '../db/audit.js';
import type { PracticeDatabase } from '../db/client.js';
import type { Db } from '../db/types.js';
import { PracticeError, UsageError } from '../errors.js';
import { makeChalk } from './color.js';
import type { ResolvedConfig } from './config.js';
import { toJson } from './output.js';
import { createProgress, type Progress } from './progress.js';
import { inquirerPrompter, refusingPrompter, type Prompter } from './prompt.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now: () => Date;
  /** An already open database (tests); main() then neither opens nor closes one. */
  database?: PracticeDatabase;
  /** Scripted answers (tests); otherwise inquirer on a TTY. */
  prompter?: Prompter;
  /** Aborted on Ctrl-C or SIGTERM (reason: 'SIGINT' or 'SIGTERM'): long work checks it between batches,
   * so what is saved stays consistent. */
  signal?: AbortSignal;
}

export interface CommandResult<T = unknown> {
  /** The result document printed with --json. */
  data: T;
  /** What a person sees on stdout without --json. */
  human?: string;
  exitCode?: number;
}

export interface DatabaseRequest {
  /** db migrate / db status may open a server database whose migrations are not applied yet. */
  allowPendingMigrations?: boolean;
}

export class CommandContext {
  readonly out: ChalkInstance;
  readonly err: ChalkInstance;
  readonly prompter: Prompter;
  private opened?: Promise<PracticeDatabase>;

  constructor(
    readonly io: CliIo,
    readonly config: ResolvedConfig,
    /** The command path and the option names used (never their values): what the audit log records. */
    readonly commandLine: string,
  ) {
    this.out = makeChalk({ isTTY: io.stdoutIsTTY, env: io.env, flag: config.color });
    this.err = makeChalk({ isTTY: io.stderrIsTTY, env: io.env, flag: config.color });
    this.prompter = io.prompter ?? (io.stdinIsTTY ? inquirerPrompter(io.stderr) : refusingPrompter('Give the value as an option, or --yes to confirm.'));
  }

  get json(): boolean {
    return this.config.json;
  }

  get now(): Date {
    return this.io.now();
  }

  /** Aborted on Ctrl-C or SIGTERM (reason: the signal's name): pass it to long work in its options. */
  get signal(): AbortSignal | undefined {
    return this.io.signal;
  }

  get auditActor(): AuditActor {
    return { actor: this.config.actor, command: this.commandLine };
  }

  /** A line of information on stderr (hidden by --quiet). */
  info(message: string): void {
    if (!this.config.quiet) this.io.stderr.write(`${message}\n`);
  }

  /** A warning on stderr: shown even with --quiet, since it may need action. */
  warn(message: string): void {
    this.io.stderr.write(`${this.err.yellow('warning:')} ${message}\n`);
  }

  /** Progress bar on stderr when it is a TTY and neither --json nor --quiet is set. */
  progress(): Promise<Progress> {
    return createProgress(this.io.stderrIsTTY && !this.config.json && !this.config.quiet, this.io.stderr);
  }

  /** Confirms a destructive step: --yes answers; without a TTY and without --yes it is refused. */
  async confirm(message: string, yes: boolean | undefined): Promise<boolean> {
    if (yes) return true;
    if (!this.io.stdinIsTTY && !this.io.prompter) {
      throw new UsageError(`"${message}" needs a confirmation and there is no terminal to ask on.`, 'Run it again with --yes.');
    }
    return this.prompter.confirm(message, { default: false });
  }

  async database(request: DatabaseRequest = {}): Promise<PracticeDatabase> {
    if (this.io.database) return this.io.database;
    this.opened ??= this.openDatabase(request);
    return this.opened;
  }

  async db(request: DatabaseRequest = {}): Promise<Db> {
    return (await this.database(request)).db;
  }

  private async openDatabase(request: DatabaseRequest): Promise<PracticeDatabase> {
    const { openPracticeDatabase } = await import('../db/client.js');
    const handle = await openPracticeDatabase({
      databaseUrl: this.config.databaseUrl,
      dataDir: this.config.dataDir,
      waitSeconds: this.config.waitSeconds,
      practice: this.config.practice,
      owner: { pid: process.pid, user: this.config.actor, command: this.commandLine, since: new Date().toISOString() },
      onWait: (holder) => {
        if (this.io.stderrIsTTY) {
          this.io.stderr.write(`Waiting for the practice database: it is in use by ${holder ? `"${holder.command}" (process ${holder.pid})` : 'another command'}...\n`);
        }
      },
    });
    if (handle.backend === 'postgres' && !request.allowPendingMigrations) {
      const { migrationStatus } = await import('../db/migrate.js');
      const status = await migrationStatus(handle.db);
      if (status.pending > 0) {
        await handle.close();
        throw new PracticeError('DB_NOT_MIGRATED', `The database at ${handle.location} is missing ${status.pending} schema update(s).`, {
          hint: 'Run "practice db migrate" once, then try again.',
        });
      }
    }
    return handle;
  }

  async close(): Promise<void> {
    if (this.opened && !this.io.database) {
      const handle = await this.opened.catch(() => undefined);
      await handle?.close();
    }
  }

  print(result: CommandResult): void {
    if (this.json) this.io.stdout.write(`${toJson(result.data)}\n`);
    else if (result.human !== undefined && result.human !== '') this.io.stdout.write(`${result.human}\n`);
  }
}

export type CommandHandler = (ctx: CommandContext, ...args: any[]) => Promise<CommandResult | void>;
/** Wraps a command's handler; the handler receives the context, then commander's arguments. */
export type ActionFactory = (handler: CommandHandler) => (...args: any[]) => Promise<void>;
