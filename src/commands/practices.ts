// practice practices list | add NAME: the practices on one PostgreSQL server, each in its own schema.
import type { Command } from 'commander';
import type { ActionFactory, CommandContext } from '../cli/context.js';
import { renderTable } from '../cli/output.js';

async function serverUrl(ctx: CommandContext): Promise<string> {
  const { UsageError } = await import('../errors.js');
  if (!ctx.config.databaseUrl) {
    throw new UsageError(
      'Several practices share a PostgreSQL server; the embedded database holds one practice per data folder.',
      'Give DATABASE_URL (or --database-url) of the server, or use a data folder per practice (--data-dir).',
    );
  }
  return ctx.config.databaseUrl;
}

export function register(program: Command, action: ActionFactory): void {
  const practices = program
    .command('practices')
    .description('PostgreSQL: list the practices on the server, or add one (its own schema and tables)')
    .addHelpText(
      'after',
      `
Examples:
  DATABASE_URL=postgres://owner@db/practices practice practices add northside
  DATABASE_URL=postgres://owner@db/practices practice practices list
  PRACTICE_NAME=northside practice patients find --name smith     (or --practice northside)

Without --practice a command uses the default practice (the public schema). See the README,
"Several practices on one server".`,
    );

  practices
    .command('list')
    .description('the practices on the server, with their schema version and number of patients')
    .addHelpText('after', '\nExample:\n  practice practices list --json     (DATABASE_URL=postgres://owner@db/practices)')
    .action(
      action(async (ctx) => {
        const url = await serverUrl(ctx);
        const { practicesOnServer } = await import('../practice/server.js');
        const list = await practicesOnServer(url);
        const human = list.length
          ? renderTable(list, [
              { header: 'Practice', value: (p) => p.name ?? '(default)' },
              { header: 'Schema', value: (p) => p.schema },
              { header: 'Patients', value: (p) => (p.patients === null ? '' : p.patients.toLocaleString()), align: 'right' },
              { header: 'Schema updates', value: (p) => (p.migrationsPending ? `${p.migrationsPending} pending: run "practice${p.name ? ` --practice ${p.name}` : ''} db migrate"` : 'up to date') },
            ], ctx.out)
          : 'No practices on this server yet. Add one with "practice practices add <name>", or run "practice db migrate" for the default practice.';
        return { data: { practices: list }, human };
      }),
    );

  practices
    .command('add <name>')
    .description('create the practice\'s schema on the server and its tables (lower-case letters, digits, _)')
    .addHelpText('after', '\nExample:\n  practice practices add northside     (DATABASE_URL=postgres://owner@db/practices)')
    .action(
      action(async (ctx, name: string) => {
        const url = await serverUrl(ctx);
        const { addPractice } = await import('../db/practice-admin.js');
        const added = await addPractice(url, name, ctx.auditActor);
        ctx.info(`Use it with --practice ${added.name} or PRACTICE_NAME=${added.name}.`);
        return { data: added, human: `Added the practice "${added.name}" (schema ${added.schema}, at ${added.schemaVersion}).` };
      }),
    );
}
