// practice allergies add|list <mrn>: declared in src/chart/entries.ts, shaped by clinical-entry.ts.
import { entryCommand } from './clinical-entry.js';

export const register = entryCommand('allergies');
