// Measure definitions by performance year and program: next year's update is a new folder, not an edit.
import type { MeasureDefinition } from '../definition.js';
import { cms117 } from './2026/cms117.js';
import { cms122 } from './2026/cms122.js';
import { cms125 } from './2026/cms125.js';
import { cms130 } from './2026/cms130.js';
import { cms138 } from './2026/cms138.js';
import { cms165 } from './2026/cms165.js';
import { cms2 } from './2026/cms2.js';
import { cms69 } from './2026/cms69.js';
import { hedisMeasures } from './2026/hedis.js';

export const measureDefinitions: MeasureDefinition[] = [cms122, cms165, cms125, cms130, cms138, cms2, cms69, cms117, ...hedisMeasures];
