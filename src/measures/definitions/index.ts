// Measure definitions by performance year and program: next year's update is a new folder, not an edit.
import type { MeasureDefinition } from '../definition.js';
import { cms122 } from './2026/cms122.js';
import { cms125 } from './2026/cms125.js';
import { cms165 } from './2026/cms165.js';

export const measureDefinitions: MeasureDefinition[] = [cms122, cms165, cms125];
