// practice providers list|add|edit|deactivate|reactivate
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { providerKind } from '../practice/entities.js';
import { registerDirectory } from './practice-directory.js';

export function register(program: Command, action: ActionFactory): void {
  registerDirectory(program, action, providerKind, {
    description: 'the clinicians who see patients and bill under their own NPI',
    title: (r) => `${[r.firstName, r.lastName].join(' ')}${r.credentials ? `, ${r.credentials}` : ''} (NPI ${r.npi})`,
    columns: [
      { header: 'NPI', value: (r) => r.npi },
      { header: 'Name', value: (r) => `${r.lastName}, ${r.firstName}` },
      { header: 'Credentials', value: (r) => r.credentials },
      { header: 'Taxonomy', value: (r) => r.taxonomyCode },
    ],
    examples: `  practice providers add --npi 1234567893 --first-name Ana --last-name Ruiz --credentials MD --taxonomy-code 207Q00000X
  practice providers edit 1234567893 --default-location MAIN
  practice providers deactivate 1234567893
  practice providers reactivate 1234567893
  practice providers list --all --json`,
  });
}
