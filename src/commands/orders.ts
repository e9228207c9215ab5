// practice orders add|list|complete|revoke|entered-in-error <mrn>: declared in src/chart/orders.ts.
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { orderKind } from '../chart/orders.js';
import { registerEntryKind } from './clinical-entry.js';

export function register(program: Command, action: ActionFactory): void {
  registerEntryKind(program, action, orderKind, 'orders');
}
