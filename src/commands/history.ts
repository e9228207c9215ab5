// practice history medical|family|social|surgical|smoking add|list|entered-in-error <mrn>: declared in
// src/chart/history.ts, shaped like every chart entry by clinical-entry.ts.
import type { Command } from 'commander';
import type { ActionFactory } from '../cli/context.js';
import { HISTORY_KINDS } from '../chart/history.js';
import { registerEntryKind } from './clinical-entry.js';

export function register(program: Command, action: ActionFactory): void {
  const history = program.command('history').description("a patient's past medical, family, social and surgical history, and smoking status");
  for (const kind of HISTORY_KINDS) registerEntryKind(history, action, kind, `history ${kind.command}`);
}
