// The reference data the toolkit ships in reference/ (see reference/README.md): where its files are,
// whichever way the code runs (src/ under the tests, dist/ when installed), and who loads it.
import { fileURLToPath } from 'node:url';
import type { AuditActor } from './db/audit.js';

/** src/ and dist/ both sit one level below the package root, beside reference/. */
export function referenceFile(name: string): string {
  return fileURLToPath(new URL(`../reference/${name}`, import.meta.url));
}

/** The audit log's actor for data the toolkit loads on its own, on first use. */
export const BUNDLED_REFERENCE_ACTOR: AuditActor = { actor: 'practicekit', command: 'bundled reference data' };
