// practice db migrate | status
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/main.js';
import { renderFields, renderTable } from '../cli/output.js';

export function register(program: Command, action: ActionFactory): void {
  const db = program.command('db').description('migrate the database and show its status');

  db.command('migrate')
    .description('apply the schema updates this version needs (the embedded database does this itself)')
    .action(
      action(async (ctx) => {
        const handle = await ctx.database({ allowPendingMigrations: true });
        const { runMigrations } = await import('../db/client.js');
        const { migrationStatus } = await import('../db/migrate.js');
        const before = await migrationStatus(handle.db);
        await runMigrations(handle);
        const after = await migrationStatus(handle.db);
        const applied = after.applied - before.applied;
        return {
          data: { backend: handle.backend, location: handle.location, applied, schemaVersion: after.latest },
          human: applied > 0 ? `Applied ${applied} schema update(s); the database is at ${after.latest}.` : `The database is up to date (${after.latest}).`,
        };
      }),
    );

  db.command('status')
    .description('backend, location, schema version and row counts per table')
    .action(
      action(async (ctx) => {
        const handle = await ctx.database({ allowPendingMigrations: true });
        const { databaseStatus } = await import('../db/status.js');
        const status = await databaseStatus(handle.db);
        const data = {
          backend: handle.backend,
          location: handle.location,
          schemaVersion: status.migrations.latest ?? null,
          migrationsApplied: status.migrations.applied,
          migrationsPending: status.migrations.pending,
          rowCounts: status.rowCounts,
        };
        const nonEmpty = Object.entries(status.rowCounts).filter(([, n]) => n > 0);
        const human = [
          renderFields([
            ['Database', handle.backend === 'pglite' ? 'embedded (PGlite)' : 'PostgreSQL server'],
            ['Location', handle.location],
            ['Schema', `${status.migrations.latest ?? 'none'}${status.migrations.pending ? ` (${status.migrations.pending} update(s) pending: run "practice db migrate")` : ''}`],
          ]),
          nonEmpty.length
            ? renderTable(nonEmpty, [
                { header: 'Table', value: ([name]) => name },
                { header: 'Rows', value: ([, n]) => n.toLocaleString(), align: 'right' },
              ], ctx.out)
            : 'All tables are empty. Try "practice demo" or "practice setup".',
        ].join('\n\n');
        return { data, human };
      }),
    );
}
