// Every top-level command, with the one line `practice --help` shows. Modules load only when their
// command runs, so help and usage errors stay fast and never open the database.
import type { Command } from 'commander';
import type { ActionFactory } from './main.js';

export interface CommandModule {
  register(program: Command, action: ActionFactory): void;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const commandEntries: CommandEntry[] = [

  { name: 'db', summary: 'migrate the database and show its status', load: () => import('../commands/db.js') },
];
