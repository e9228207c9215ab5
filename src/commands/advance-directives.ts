// practice advance-directives add|list|supersede|entered-in-error <mrn>: declared in src/chart/advance-directives.ts.
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { advanceDirectiveKind } from '../chart/advance-directives.js';
import { registerEntryKind } from './clinical-entry.js';

export function register(program: Command, action: ActionFactory): void {
  registerEntryKind(program, action, advanceDirectiveKind, 'advance-directives');
}
