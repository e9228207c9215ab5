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
  { name: 'setup', summary: 'record the practice, locations, providers, payers and clearinghouse', load: () => import('../commands/setup.js') },
  { name: 'providers', summary: 'list, add, edit or deactivate providers', load: () => import('../commands/providers.js') },
  { name: 'locations', summary: 'list, add, edit or deactivate locations', load: () => import('../commands/locations.js') },
  { name: 'payers', summary: 'list, add, edit or deactivate payers', load: () => import('../commands/payers.js') },
  { name: 'patients', summary: 'find, show (chart summary, PDF), add, edit, merge duplicates, deactivate patients', load: () => import('../commands/patients.js') },
];
