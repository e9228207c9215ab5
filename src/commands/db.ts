// practice db migrate | status | roles | citus-sql
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { renderFields, renderTable } from '../cli/output.js';

export function register(program: Command, action: ActionFactory): void {
  const db = program.command('db').description('migrate the database, show its status, set up PostgreSQL roles');

  db.command('migrate')
    .description('apply the schema updates this version needs (the embedded database does this itself)')
    .addHelpText('after', '\nExamples:\n  practice db migrate\n  practice db migrate --json')
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
    .addHelpText('after', '\nExamples:\n  practice db status\n  practice db status --json')
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

  db.command('roles')
    .description('PostgreSQL: the SQL that makes an owner role and an application role that may only add to the audit trail')
    .option('--owner <role>', 'the role that owns the tables and runs "db migrate"', 'practice_owner')
    .option('--app <role>', 'the role the practice\'s commands connect as', 'practice_app')
    .option('--apply', 'run the SQL now (connected as a superuser or the database owner)')
    .addHelpText(
      'after',
      `
Examples:
  practice db roles --owner practice_owner --app practice_app > roles.sql
  DATABASE_URL=postgres://admin@db/practice practice db roles > roles.sql     (read it, then psql -f roles.sql)
  DATABASE_URL=postgres://admin@db/practice practice db roles --apply

Then set both passwords (psql: \\password practice_app), run "db migrate" as the owner and everything
else as the application role. See SECURITY.md, "Audit trail".`,
    )
    .action(
      action(async (ctx, options: { owner: string; app: string; apply?: boolean }) => {
        const handle = await ctx.database({ allowPendingMigrations: true });
        if (handle.backend !== 'postgres') {
          const { UsageError } = await import('../errors.js');
          throw new UsageError('Database roles are for a PostgreSQL server; the embedded database is reached only through its data folder.', 'Give DATABASE_URL (or --database-url) of the server to set up.');
        }
        const { planRoles, applyRoles } = await import('../audit/roles.js');
        const plan = await planRoles(handle.db, { owner: options.owner, app: options.app });
        if (options.apply) {
          await applyRoles(handle.db, plan);
          ctx.info(`Applied ${plan.statements.length} statements: "${options.owner}" owns the tables, "${options.app}" may only add to and read the audit trail.`);
          ctx.info(`Set their passwords (psql: \\password ${options.app}), run "practice db migrate" as ${options.owner} and the practice's commands as ${options.app}.`);
        }
        return { data: { applied: Boolean(options.apply), owner: options.owner, app: options.app, statements: plan.text }, human: plan.text.join('\n') };
      }),
    );
  db.command('citus-sql')
    .description('PostgreSQL: the SQL that puts the practices on a Citus cluster (each practice a distributed schema)')
    .option('--apply', 'run the SQL now, on the Citus coordinator (as the owner of the tables)')
    .addHelpText(
      'after',
      `
Examples:
  practice db citus-sql > citus.sql     (DATABASE_URL=postgres://owner@coordinator/practices; read it, then psql -f citus.sql)
  practice db citus-sql --apply

Each named practice becomes a distributed schema, the shared reference data reference tables; the default
practice (public) stays on the coordinator. Run it again after adding practices: it prints only what is
left to do. See docs/citus.md.`,
    )
    .action(
      action(async (ctx, options: { apply?: boolean }) => {
        const handle = await ctx.database({ allowPendingMigrations: true });
        if (handle.backend !== 'postgres') {
          const { UsageError } = await import('../errors.js');
          throw new UsageError('Citus is for a PostgreSQL server; the embedded database holds one practice in its data folder.', 'Give DATABASE_URL (or --database-url) of the Citus coordinator.');
        }
        const { planCitusSetup, applyCitusSetup } = await import('../db/citus.js');
        const plan = await planCitusSetup(handle.db);
        if (plan.defaultPracticeInUse) ctx.info('The default practice (public schema) holds patients: Citus never distributes public, so it stays on the coordinator.');
        if (options.apply) {
          await applyCitusSetup(handle.db, plan);
          ctx.info(`Applied ${plan.statements.length} statements: ${plan.practiceSchemas.length} practice(s) distributed, ${plan.referenceTables.length} reference table(s).`);
        }
        const { database, practiceSchemas, referenceTables, defaultPracticeInUse, citusInstalled, text } = plan;
        return {
          data: { applied: Boolean(options.apply), database, practiceSchemas, referenceTables, defaultPracticeInUse, citusInstalled, statements: text },
          human: text.join('\n'),
        };
      }),
    );
}
