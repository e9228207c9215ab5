// Adding a practice to a PostgreSQL server: its schema, its tables (the whole migration history, run
// for that schema) and the first entry of its own audit trail. The default practice (public) must be
// up to date first: the shared reference data moves out of it on its own migration.
import { recordAudit, type AuditActor } from './audit.js';
import { openServer } from './client.js';
import { DatabaseError } from './errors.js';
import { migrationStatus } from './migrate.js';
import { checkPracticeName, listPractices } from './practices.js';

export interface AddedPractice {
  name: string;
  schema: string;
  migrationsApplied: number;
  schemaVersion: string | undefined;
}

export async function addPractice(url: string, name: string, actor: AuditActor): Promise<AddedPractice> {
  checkPracticeName(name);
  const server = await openServer(url);
  try {
    const existing = await listPractices(server.db);
    if (existing.some((p) => p.name === name)) {
      throw new DatabaseError('PRACTICE_EXISTS', `The practice "${name}" is already on this server.`, `Use it with --practice ${name} (or PRACTICE_NAME=${name}); "practice --practice ${name} db migrate" brings it up to date.`);
    }
    const defaultPractice = existing.find((p) => p.name === null);
    if (defaultPractice) {
      const status = await migrationStatus(server.db);
      if (status.pending > 0) {
        throw new DatabaseError(
          'DEFAULT_PRACTICE_NOT_MIGRATED',
          `The default practice on this server is missing ${status.pending} schema update(s); it must be up to date before another practice is added.`,
          'Run "practice db migrate" (without --practice) once, then add the practice again.',
        );
      }
    }
  } finally {
    await server.close();
  }
  const practice = await openServer(url, { practice: name, create: true, migrate: true });
  try {
    await recordAudit(practice.db, actor, { action: 'create', entity: 'practice', entityId: name });
    const status = await migrationStatus(practice.db);
    return { name, schema: name, migrationsApplied: status.applied, schemaVersion: status.latest };
  } finally {
    await practice.close();
  }
}
