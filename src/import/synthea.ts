// placeholder
import type { Progress } from '../cli/progress.js';
import type { AuditActor } from '../db/audit.js';
import type { Db } from '../db/types.js';
import type { ImportSummary } from '../commands/import.js';
export async function importSynthea(_db: Db, _input: string, _options: { actor: AuditActor; source: string; dryRun: boolean; batchSize: number; progress: Progress; rejectFile?: string }): Promise<ImportSummary> {
  throw new Error('not yet');
}
