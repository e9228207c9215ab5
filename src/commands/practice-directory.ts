// Shared by `practice providers|locations|payers`: the list/add/edit/deactivate subcommands and the
// options built from the field list in src/practice/entities.ts (also used by `practice setup`).
import { Option, type Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { renderTable, type Column } from '../cli/output.js';
import type { Row } from '../practice/directory.js';
import { kebab, type EntityKind, type FieldSpec } from '../practice/entities.js';

/** Adds one option per field (`--first-name <name>`); returns how to read them back as a field map. */
export function addFieldOptions(command: Command, fields: FieldSpec[], prefix = ''): (options: Record<string, unknown>) => Record<string, unknown> {
  const byAttribute = new Map<string, string>();
  for (const field of fields) {
    const option = new Option(`--${prefix}${kebab(field.key)} <${field.placeholder}>`, field.label);
    command.addOption(option);
    byAttribute.set(option.attributeName(), field.key);
  }
  return (options) => {
    const values: Record<string, unknown> = {};
    for (const [attribute, key] of byAttribute) if (options[attribute] !== undefined) values[key] = options[attribute];
    return values;
  };
}

export interface DirectoryConfig {
  description: string;
  /** "Dr Jane Smith (NPI 1234567893)": how one record is named in messages. */
  title: (row: Row) => string;
  columns: Column<Row>[];
  /** One line per subcommand at least: the group's help shows them all, each leaf's help its own. */
  examples: string;
}

function leafExamples(config: DirectoryConfig, plural: string, sub: string): string {
  const lines = config.examples.split('\n').filter((line) => line.trim().startsWith(`practice ${plural} ${sub}`));
  return `\nExamples:\n${lines.join('\n')}`;
}

export function registerDirectory(program: Command, action: ActionFactory, kind: EntityKind, config: DirectoryConfig): void {
  const keyOption = kebab(kind.key);
  const group = program
    .command(kind.plural)
    .description(config.description)
    .addHelpText('after', `\nExamples:\n${config.examples}`);

  group
    .command('list')
    .description(`list the active ${kind.plural}`)
    .option('--all', `include deactivated ${kind.plural}`)
    .addHelpText('after', leafExamples(config, kind.plural, 'list'))
    .action(
      action(async (ctx, options: { all?: boolean }) => {
        const { listEntries } = await import('../practice/directory.js');
        const rows = await listEntries(await ctx.db(), kind, { includeInactive: options.all });
        const columns = options.all ? [...config.columns, { header: 'Active', value: (r: Row) => (r.active ? 'yes' : 'no') }] : config.columns;
        return {
          data: { [kind.plural]: rows },
          human: rows.length ? renderTable(rows, columns, ctx.out) : `No ${kind.plural} recorded yet. Add one with "practice ${kind.plural} add".`,
        };
      }),
    );

  const add = group.command('add').description(`record a new ${kind.name}`).addHelpText('after', leafExamples(config, kind.plural, 'add'));
  const readAdd = addFieldOptions(add, kind.fields);
  add.action(
    action(async (ctx, options: Record<string, unknown>) => {
      const { addEntry } = await import('../practice/directory.js');
      const row = await addEntry(await ctx.db(), ctx.auditActor, kind, readAdd(options));
      return { data: { [kind.name]: row }, human: `Added ${config.title(row)}.` };
    }),
  );

  const edit = group
    .command('edit')
    .description(`change a ${kind.name}'s details (only the options given change)`)
    .argument(`<${keyOption}>`, `the ${kind.name} to change`)
    .addHelpText('after', leafExamples(config, kind.plural, 'edit'));
  const readEdit = addFieldOptions(edit, kind.fields);
  edit.action(
    action(async (ctx, key: string, options: Record<string, unknown>) => {
      const { editEntry } = await import('../practice/directory.js');
      const row = await editEntry(await ctx.db(), ctx.auditActor, kind, key, readEdit(options));
      return { data: { [kind.name]: row }, human: `Updated ${config.title(row)}.` };
    }),
  );

  for (const active of [false, true]) {
    group
      .command(active ? 'reactivate' : 'deactivate')
      .description(active ? `make a deactivated ${kind.name} active again` : `stop using a ${kind.name} (its history is kept)`)
      .argument(`<${keyOption}>`, `the ${kind.name}`)
      .addHelpText('after', leafExamples(config, kind.plural, active ? 'reactivate' : 'deactivate'))
      .action(
        action(async (ctx, key: string) => {
          const { setActive } = await import('../practice/directory.js');
          const { row, changed } = await setActive(await ctx.db(), ctx.auditActor, kind, key, active);
          const state = active ? 'active' : 'deactivated';
          return { data: { [kind.name]: row, changed }, human: changed ? `${config.title(row)} is now ${state}.` : `${config.title(row)} was already ${state}.` };
        }),
      );
  }
}
