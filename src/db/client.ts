// Opens the practice database: embedded PGlite in a data directory by default, or a PostgreSQL server
// through postgres.js when a URL is given. The only module that knows which one is in use.
import { constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { access, statfs } from 'node:fs/promises';
import { ensurePrivateFolder } from '../files/private-file.js';
import * as tables from './schema/index.js';
import { ExitCode, PracticeError } from '../errors.js';
import { DatabaseError, diskFullError } from './errors.js';
import { lockDataDir, type LockOwner } from './lock.js';
import { migrationsFolder } from './migrate.js';
import { DEFAULT_SCHEMA, MIGRATIONS_TABLE, migrationsSchema, practiceSchema, searchPath } from './practices.js';
import { redactSecrets, splitPassword } from './url.js';
import type { Backend, Db } from './types.js';
import type { PGlite } from '@electric-sql/pglite';
import type { Sql } from 'postgres';

export interface OpenOptions {
  /** postgres://... ; when absent the embedded database in dataDir is used. */
  databaseUrl?: string;
  dataDir: string;
  waitSeconds: number;
  owner: LockOwner;
  onWait?: (holder: LockOwner | undefined) => void;
  /** Apply pending migrations on open (always for the embedded database). */
  migrate?: boolean;
  /** A named practice on a PostgreSQL server (its own schema); absent: the default practice. */
  practice?: string;
}

export type DriverClient = { backend: 'pglite'; pglite: PGlite } | { backend: 'postgres'; sql: Sql };

export interface PracticeDatabase {
  db: Db;
  backend: Backend;
  /** The data directory, or the server URL without its password. */
  location: string;
  /** Raw driver access, for the few paths that need it (bulk COPY). */
  client: DriverClient;
  /** The named practice this handle serves (its schema); absent: the default practice. */
  practice?: string;
  close(): Promise<void>;
}

/**
 * Applies the migrations to the handle's practice schema. A named practice runs the same history with
 * its own record of it (in its schema) and with the search_path naming its schema first; the committed
 * files name the default schema ("public".) in foreign keys, which is dropped for a named practice so
 * everything lands in its schema.
 */
export async function runMigrations(handle: Pick<PracticeDatabase, 'db' | 'client' | 'practice'>): Promise<void> {
  const { readMigrationFiles } = await import('drizzle-orm/migrator');
  const schema = practiceSchema(handle.practice);
  const migrations = readMigrationFiles({ migrationsFolder }).map((m) =>
    schema === DEFAULT_SCHEMA ? m : { ...m, sql: m.sql.map((statement) => statement.replaceAll('"public".', '')) },
  );
  const config = { migrationsFolder, migrationsSchema: migrationsSchema(schema), migrationsTable: MIGRATIONS_TABLE };
  // What drizzle's migrate() does with the files it reads (it cannot be given them).
  const apply = () => {
    const { dialect, session } = handle.db as unknown as { dialect: { migrate(m: unknown, s: unknown, c: unknown): Promise<void> }; session: unknown };
    return dialect.migrate(migrations, session, config);
  };
  if (handle.client.backend === 'pglite') {
    // One connection: the search_path set here holds for the whole session (templates reuse it too).
    await handle.client.pglite.exec(`set search_path to ${searchPath(schema)}`);
    await apply();
  } else {
    // Two commands starting at once against a new server must not both run the same migration:
    // a session lock held on one reserved connection while the migrator runs on the pool.
    const reserved = await handle.client.sql.reserve();
    try {
      await reserved`select pg_advisory_lock(hashtext('practicekit:migrate'))`;
      await apply();
    } finally {
      await reserved`select pg_advisory_unlock(hashtext('practicekit:migrate'))`.catch(() => undefined);
      reserved.release();
    }
  }
}

/** A file every cluster has, written with the rest when PGlite creates one: its mode tells an opened-up folder. */
const CLUSTER_FILE = 'PG_VERSION';

export async function openEmbedded(options: OpenOptions): Promise<PracticeDatabase> {
  const { dataDir } = options;
  try {
    // The database files are PHI: the folder is the owner's only, and tightened if it was opened up.
    await ensurePrivateFolder(dataDir, { sentinel: CLUSTER_FILE });
    await access(dataDir, constants.W_OK);
  } catch (error) {
    throw new DatabaseError(
      'DATA_DIR_UNWRITABLE',
      `Cannot write to the practice data folder ${dataDir} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      'Choose a folder you can write to with --data-dir or PRACTICE_DATA_DIR.',
      { cause: error },
    );
  }
  const lock = await lockDataDir(dataDir, { waitSeconds: options.waitSeconds, owner: options.owner, onWait: options.onWait });
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const fresh = !existsSync(join(dataDir, CLUSTER_FILE));
    const pglite = await PGlite.create({ dataDir });
    const db = drizzle({ client: pglite, schema: tables, casing: 'snake_case' }) as unknown as Db;
    const handle: PracticeDatabase = {
      db,
      backend: 'pglite',
      location: dataDir,
      client: { backend: 'pglite', pglite },
      async close() {
        try {
          await pglite.close();
        } finally {
          await lock.release();
        }
      },
    };
    try {
      await runMigrations(handle);
      // PGlite lays out a new cluster's files 0666 whatever the umask: made 0600 once, here.
      if (fresh) await ensurePrivateFolder(dataDir, { all: true });
    } catch (error) {
      await handle.close();
      throw error;
    }
    return handle;
  } catch (error) {
    await lock.release();
    if (error instanceof DatabaseError) throw error;
    throw diskFullError(error) ?? (await fullDiskUnder(dataDir, error)) ?? new DatabaseError(
      'DB_OPEN_FAILED',
      `Cannot open the practice database in ${dataDir}.`,
      'Check the folder is a practicekit data folder and not damaged; run with --debug for details.',
      { cause: error },
    );
  }
}

// PostgreSQL needs room to start (its WAL, the startup checkpoint); PGlite then fails with no reason.
const ROOM_TO_START = 1024 * 1024;

/** The embedded database would not start and its disk is (all but) full: say that, not "damaged". */
async function fullDiskUnder(dataDir: string, cause: unknown): Promise<DatabaseError | undefined> {
  const fs = await statfs(dataDir).catch(() => undefined);
  if (!fs || fs.bavail * fs.bsize >= ROOM_TO_START) return undefined;
  return new DatabaseError('DISK_FULL', `The disk holding the practice database (${dataDir}) is full, so the database could not be opened; nothing was changed. Free some space, then run the command again.`, undefined, { cause });
}

export interface ServerOptions {
  migrate?: boolean;
  /** A named practice (its schema); absent: the default practice in public. */
  practice?: string;
  /** Create the practice's schema when it does not exist yet ("practices add"); otherwise it must exist. */
  create?: boolean;
}

export async function openServer(url: string, options: ServerOptions = {}): Promise<PracticeDatabase> {
  const schema = practiceSchema(options.practice);
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  // The password travels as an option, never inside a URL a driver message could quote.
  const { url: bare, password } = splitPassword(url);
  const sql = postgres(bare, {
    ...(password ? { pass: password } : {}),
    max: 4,
    onnotice: () => undefined,
    connect_timeout: 10,
    // JIT compiles each big report query's expressions (800+ functions for one quality measure) and cost
    // more than the query itself at 100,000 patients: 8.5 s of 24 s for CMS122, and again in every worker.
    // search_path: every connection sees its practice's tables, then the shared reference data.
    connection: { application_name: 'practicekit', TimeZone: 'UTC', jit: 'off', search_path: searchPath(schema) },
    // count(*) and other int8 values as numbers, as PGlite returns them.
    types: { bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
  });
  const location = redactSecrets(url);
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new DatabaseError(
      'DB_UNREACHABLE',
      `Cannot connect to the PostgreSQL server at ${location} (${code}).`,
      'Check DATABASE_URL and that the server is running and accepts connections.',
      { cause: error },
    );
  }
  if (options.practice !== undefined) {
    try {
      if (options.create) await sql`create schema if not exists ${sql(schema)}`;
      else {
        const [found] = await sql<{ present: boolean }[]>`select to_regclass(${`${migrationsSchema(schema)}.${MIGRATIONS_TABLE}`}) is not null as present`;
        if (!found?.present) {
          throw new DatabaseError(
            'PRACTICE_NOT_FOUND',
            `There is no practice "${options.practice}" on the PostgreSQL server at ${location}.`,
            `Check the name with "practice practices list", or add it with "practice practices add ${options.practice}".`,
          );
        }
      }
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      throw error;
    }
  }
  const db = drizzle({ client: sql, schema: tables, casing: 'snake_case' }) as unknown as Db;
  const handle: PracticeDatabase = {
    db,
    backend: 'postgres',
    location: options.practice === undefined ? location : `${location} (practice ${options.practice})`,
    client: { backend: 'postgres', sql },
    practice: options.practice,
    close: () => sql.end({ timeout: 5 }),
  };
  if (options.migrate) await runMigrations(handle);
  return handle;
}

export async function openPracticeDatabase(options: OpenOptions): Promise<PracticeDatabase> {
  if (options.databaseUrl) return openServer(options.databaseUrl, { migrate: options.migrate, practice: options.practice });
  if (options.practice !== undefined) {
    // The embedded database is one practice per data folder: a second practice is a second folder.
    // A usage mistake, not a failure: the option does not apply to this kind of database (exit 2).
    throw new PracticeError(
      'PRACTICE_NEEDS_SERVER',
      `--practice (or PRACTICE_NAME) chooses a practice on a PostgreSQL server; the embedded database holds one practice per data folder.`,
      { hint: `Use a data folder of its own for "${options.practice}" (--data-dir or PRACTICE_DATA_DIR) and leave out --practice, or give DATABASE_URL.`, exitCode: ExitCode.usage },
    );
  }
  return openEmbedded(options);
}
