// Where settings come from: flag > environment > default. Credentials only from the environment.
import { userInfo } from 'node:os';
import envPaths from 'env-paths';
import { UsageError } from '../errors.js';

export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
  color?: boolean;
  dataDir?: string;
  databaseUrl?: string;
  user?: string;
  wait?: string;
  practice?: string;
}

export interface ResolvedConfig {
  json: boolean;
  quiet: boolean;
  debug: boolean;
  color: boolean | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  actor: string;
  waitSeconds: number;
  /** A named practice on a PostgreSQL server; undefined: the default practice. */
  practice: string | undefined;
}

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.XDG_DATA_HOME) return `${env.XDG_DATA_HOME}/practicekit`;
  return envPaths('practicekit', { suffix: '' }).data;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function resolveConfig(options: GlobalOptions, env: NodeJS.ProcessEnv, colorFlagGiven: boolean): ResolvedConfig {
  if (options.databaseUrl) {
    let hasPassword = false;
    try {
      hasPassword = new URL(options.databaseUrl).password !== '';
    } catch {
      throw new UsageError('--database-url is not a valid URL.', 'Use the form postgres://user@host:5432/dbname.');
    }
    if (hasPassword) {
      throw new UsageError(
        'A password on the command line is visible to other users and kept in shell history, so it is refused.',
        'Put the URL in the DATABASE_URL environment variable instead (or use ~/.pgpass).',
      );
    }
  }
  const waitText = options.wait ?? env.PRACTICE_WAIT ?? '60';
  const waitSeconds = Number(waitText);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
    throw new UsageError(`--wait must be a number of seconds, not "${waitText}".`);
  }
  return {
    json: Boolean(options.json),
    quiet: Boolean(options.quiet),
    debug: Boolean(options.debug),
    color: colorFlagGiven ? options.color : undefined,
    dataDir: options.dataDir ?? env.PRACTICE_DATA_DIR ?? defaultDataDir(env),
    databaseUrl: options.databaseUrl ?? (env.DATABASE_URL || undefined),
    actor: options.user ?? env.PRACTICE_USER ?? osUser(),
    waitSeconds,
    practice: options.practice ?? (env.PRACTICE_NAME || undefined),
  };
}
