// practice locations list|add|edit|deactivate|reactivate
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { locationKind } from '../practice/entities.js';
import { registerDirectory } from './practice-directory.js';

export function register(program: Command, action: ActionFactory): void {
  registerDirectory(program, action, locationKind, {
    description: 'the places the practice sees patients, with their place-of-service codes',
    title: (r) => `location ${r.code} (${r.name})`,
    columns: [
      { header: 'Code', value: (r) => r.code },
      { header: 'Name', value: (r) => r.name },
      { header: 'POS', value: (r) => r.placeOfService },
      { header: 'City', value: (r) => [r.city, r.state].filter(Boolean).join(', ') },
    ],
    examples: `  practice locations add --code MAIN --name "Main Street Office" --place-of-service 11 --state NY --zip 12345
  practice locations edit MAIN --phone 555-010-0100
  practice locations deactivate OLD
  practice locations reactivate OLD
  practice locations list --all`,
  });
}
