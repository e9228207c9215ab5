// The practices on one PostgreSQL server, each with how far its schema is behind this version.
import { openServer } from '../db/client.js';
import { migrationFiles } from '../db/migrate.js';
import { listPractices, type PracticeSummary } from '../db/practices.js';

export interface PracticeOnServer extends PracticeSummary {
  /** Schema updates this version has that the practice has not had yet. */
  migrationsPending: number;
}

export async function practicesOnServer(url: string): Promise<PracticeOnServer[]> {
  const server = await openServer(url);
  try {
    const total = migrationFiles().length;
    return (await listPractices(server.db)).map((p) => ({ ...p, migrationsPending: Math.max(0, total - p.migrationsApplied) }));
  } finally {
    await server.close();
  }
}
