// practice payers list|add|edit|deactivate|reactivate
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { payerKind } from '../practice/entities.js';
import { registerDirectory } from './practice-directory.js';

export function register(program: Command, action: ActionFactory): void {
  registerDirectory(program, action, payerKind, {
    description: 'the insurers the practice bills, with their clearinghouse payer ids',
    title: (r) => `payer ${r.name} (${r.payerId})`,
    columns: [
      { header: 'Payer id', value: (r) => r.payerId },
      { header: 'Name', value: (r) => r.name },
      { header: 'Filing', value: (r) => r.claimFilingIndicator },
      { header: 'Timely filing', value: (r) => `${r.timelyFilingDays} days`, align: 'right' },
    ],
    examples: `  practice payers add --payer-id 12345 --name "Medicare Part B" --claim-filing-indicator MB --timely-filing-days 365
  practice payers edit 12345 --phone 555-010-0199
  practice payers deactivate 12345
  practice payers reactivate 12345
  practice payers list --json`,
  });
}
