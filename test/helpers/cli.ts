// Drives the real command path in process: main(argv) with captured streams and the test's database.
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/context.js';
import type { PracticeDatabase } from '../../src/db/client.js';
import type { Prompter } from '../../src/cli/prompt.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document --json promises. */
  json<T = any>(): T;
}

export interface CliOptions {
  database?: PracticeDatabase;
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  tty?: boolean;
  prompter?: Prompter;
  now?: Date;
  cwd?: string;
  /** Aborted = the user pressed Ctrl-C. */
  signal?: AbortSignal;
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const out = collect();
  const err = collect();
  const io: Partial<CliIo> = {
    stdout: out.stream,
    stderr: err.stream,
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
    stdinIsTTY: options.tty ?? false,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PRACTICE_USER: 'test-user', ...options.env },
    cwd: options.cwd ?? process.cwd(),
    database: options.database,
    prompter: options.prompter,
    signal: options.signal,
    ...(options.now ? { now: () => options.now! } : {}),
  };
  const code = await main(args, io);
  await new Promise((resolve) => setImmediate(resolve));
  const stdout = out.text();
  const stderr = err.text();
  return {
    code,
    stdout,
    stderr,
    json() {
      try {
        return JSON.parse(stdout);
      } catch {
        throw new Error(`stdout is not one JSON document:\n${stdout}\n--- stderr:\n${stderr}`);
      }
    },
  };
}
