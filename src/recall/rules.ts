// Recall rules in the database: list, add (from a file or the shipped defaults), edit and disable.
import { asc, eq, inArray } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { recallRules } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { defaultRecallRules } from './default-rules.js';
import { parseRecallRule, parseRecallRules, type RecallDefinition, type RecallRuleInput } from './definition.js';

export interface StoredRecallRule {
  id: number;
  code: string;
  name: string;
  spacingDays: number;
  active: boolean;
  definition: RecallDefinition;
}

export async function listRecallRules(db: DbOrTx, options: { activeOnly?: boolean } = {}): Promise<StoredRecallRule[]> {
  const rows = await db
    .select({ id: recallRules.id, code: recallRules.code, name: recallRules.name, spacingDays: recallRules.spacingDays, active: recallRules.active, definition: recallRules.definition })
    .from(recallRules)
    .where(options.activeOnly ? eq(recallRules.active, true) : undefined)
    .orderBy(asc(recallRules.code));
  return rows.map((r) => ({ ...r, definition: r.definition as RecallDefinition }));
}

/** Adds rules; with skipExisting (the defaults) codes already present are left as the practice edited them. */
export async function addRecallRules(db: DbOrTx, actor: AuditActor, rules: RecallRuleInput[], options: { skipExisting?: boolean } = {}): Promise<{ added: string[]; kept: string[] }> {
  return db.transaction(async (tx) => {
    const existing = rules.length
      ? (await tx.select({ code: recallRules.code }).from(recallRules).where(inArray(recallRules.code, rules.map((r) => r.code)))).map((r) => r.code)
      : [];
    if (existing.length && !options.skipExisting) {
      throw new ValidationError(
        existing.map((code) => ({ code: 'RECALL_RULE_EXISTS', path: code, message: `A recall rule "${code}" already exists: change it with "practice recall rules edit ${code}"` })),
      );
    }
    const fresh = rules.filter((r) => !existing.includes(r.code));
    if (fresh.length) {
      const inserted = await tx
        .insert(recallRules)
        .values(fresh.map((r) => ({ code: r.code, name: r.name, definition: r.definition, spacingDays: r.spacingDays ?? 14, active: r.active ?? true })))
        .returning({ id: recallRules.id, code: recallRules.code });
      await recordAudit(tx, actor, inserted.map((r) => ({ action: 'insert', entity: 'recall_rules', entityId: r.id, details: { code: r.code } })));
    }
    return { added: fresh.map((r) => r.code), kept: existing };
  });
}

export function defaultRules(): RecallRuleInput[] {
  return parseRecallRules(defaultRecallRules);
}

export interface RecallRuleChanges {
  name?: string;
  spacingDays?: number;
  active?: boolean;
  /** A whole new rule (from a file) whose code must match. */
  replacement?: unknown;
}

export async function editRecallRule(db: DbOrTx, actor: AuditActor, code: string, changes: RecallRuleChanges): Promise<StoredRecallRule> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(recallRules).where(eq(recallRules.code, code));
    if (!current) throw new NotFoundError(`The recall rule "${code}"`, 'See the rule codes with "practice recall rules list".');
    const merged = {
      code,
      name: changes.name ?? current.name,
      spacingDays: changes.spacingDays ?? current.spacingDays,
      active: changes.active ?? current.active,
      definition: current.definition,
      ...(changes.replacement && typeof changes.replacement === 'object' ? (changes.replacement as object) : {}),
    };
    const rule = parseRecallRule(merged);
    if (rule.code !== code) throw new ValidationError([{ code: 'RECALL_RULE', path: 'code', message: `The file is for rule "${rule.code}", not "${code}".` }]);
    const fields = Object.keys(changes).filter((k) => changes[k as keyof RecallRuleChanges] !== undefined);
    await tx
      .update(recallRules)
      .set({ name: rule.name, spacingDays: rule.spacingDays ?? current.spacingDays, active: rule.active ?? current.active, definition: rule.definition, updatedAt: new Date() })
      .where(eq(recallRules.id, current.id));
    await recordAudit(tx, actor, { action: 'update', entity: 'recall_rules', entityId: current.id, details: { code, fields } });
    return { id: current.id, code, name: rule.name, spacingDays: rule.spacingDays ?? current.spacingDays, active: rule.active ?? current.active, definition: rule.definition };
  });
}
