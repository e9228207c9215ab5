// Where settings come from: flag > environment > default. Credentials only from the environment.
import { userInfo } from 'node:os';
import envPaths from 'env-paths';
import { urlHasPassword } from '../db/url.js';
import { UsageError } from '../errors.js';
import { defaultJsonLimits, type JsonLimits } from '../text/json.js';

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
  // A password on argv is visible to every user of the machine (ps) and kept in shell history.
  if (options.databaseUrl && urlHasPassword(options.databaseUrl)) {
    throw new UsageError(
      'A password in --database-url is visible to other users and kept in shell history, so it is refused.',
      'Put the whole URL in the DATABASE_URL environment variable, or the password in PGPASSWORD (or ~/.pgpass), and give --database-url without it.',
    );
  }
  const databaseUrl = options.databaseUrl ?? (env.DATABASE_URL || undefined);
  if (databaseUrl && !/^postgres(ql)?:\/\/[^\s]*$/i.test(databaseUrl)) {
    // Never quoted back: it may hold a password.
    throw new UsageError(`${options.databaseUrl ? '--database-url' : 'DATABASE_URL'} is not a PostgreSQL URL.`, 'Use the form postgres://user@host:5432/dbname.');
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
    databaseUrl,
    actor: options.user ?? env.PRACTICE_USER ?? osUser(),
    waitSeconds,
    practice: options.practice ?? (env.PRACTICE_NAME || undefined),
  };
}

/** Size limits for untrusted JSON, in MB from the environment (PRACTICE_JSON_MAX_MB, PRACTICE_NDJSON_LINE_MAX_MB). */
export function jsonLimits(env: NodeJS.ProcessEnv): JsonLimits {
  const mb = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a number of megabytes above zero.`);
    return Math.floor(n * 1024 * 1024);
  };
  return { ...defaultJsonLimits, maxFileBytes: mb('PRACTICE_JSON_MAX_MB', defaultJsonLimits.maxFileBytes), maxLineBytes: mb('PRACTICE_NDJSON_LINE_MAX_MB', defaultJsonLimits.maxLineBytes) };
}
