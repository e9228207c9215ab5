// Recomputes every active rule's due list for the whole practice in SQL and brings the stored recalls in
// line: opens new ones, moves due dates, closes those whose visit or test happened or that no longer apply.
import { sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../db/audit.js';
import { queryRows } from '../db/query.js';
import { planThenApply } from '../db/transaction.js';
import type { Db, Tx } from '../db/types.js';
import { compileRecallRule } from './compile.js';
import { practiceInfo, practiceToday } from '../practice/clock.js';
import { addRecallRules, defaultRules, listRecallRules } from './rules.js';

export interface RuleRefresh {
  rule: string;
  opened: number;
  moved: number;
  completed: number;
  noLongerDue: number;
  open: number;
  overdue: number;
}

export interface RefreshResult {
  today: string;
  dryRun: boolean;
  defaultsLoaded: boolean;
  rules: RuleRefresh[];
  /** Open recalls closed because their rule was disabled. */
  cancelled: number;
}

type Counted = { rule_id: number; n: number };

async function countByRule(tx: Tx, query: ReturnType<typeof sql>): Promise<Map<number, number>> {
  const rows = await queryRows<Counted>(tx, sql`with changed as (${query}) select rule_id, count(*)::int as n from changed group by rule_id`);
  return new Map(rows.map((r) => [r.rule_id, r.n]));
}

export async function refreshRecalls(db: Db, actor: AuditActor, options: { now: Date; dryRun?: boolean }): Promise<RefreshResult> {
  return planThenApply(db, Boolean(options.dryRun), async (tx) => {
    let defaultsLoaded = false;
    if ((await listRecallRules(tx)).length === 0) {
      await addRecallRules(tx, actor, defaultRules(), { skipExisting: true });
      defaultsLoaded = true;
    }
    const rules = await listRecallRules(tx, { activeOnly: true });
    const { timeZone } = await practiceInfo(tx);
    const today = practiceToday(options.now, timeZone);
    const now = sql`${options.now.toISOString()}::timestamptz`;

    await tx.execute(sql`create temp table recall_due (rule_id int not null, patient_id int not null, last_done_on date, due_date date) on commit drop`);
    for (const rule of rules) {
      await tx.execute(sql`insert into recall_due ${compileRecallRule(rule.definition, { ruleId: rule.id, ruleCode: rule.code, today, timeZone })}`);
    }
    await tx.execute(sql`create index on recall_due (rule_id, patient_id)`);
    await tx.execute(sql`analyze recall_due`);
    const activeIds = rules.length ? sql`(${sql.join(rules.map((r) => sql`${r.id}::int`), sql`, `)})` : sql`(null::int)`;

    const completed = await countByRule(
      tx,
      sql`update recalls r set status = 'closed', closed_at = ${now}, closed_reason = 'completed', updated_at = ${now}
        from recall_due d
        where r.status = 'open' and d.rule_id = r.rule_id and d.patient_id = r.patient_id
          and d.last_done_on is not null and (r.last_done_on is null or d.last_done_on > r.last_done_on)
        returning r.rule_id`,
    );
    const noLongerDue = await countByRule(
      tx,
      sql`update recalls r set status = 'closed', closed_at = ${now}, closed_reason = 'no longer due', updated_at = ${now}
        where r.status = 'open' and r.rule_id in ${activeIds}
          and not exists (select 1 from recall_due d where d.rule_id = r.rule_id and d.patient_id = r.patient_id and d.due_date is not null)
        returning r.rule_id`,
    );
    const cancelledRows = await queryRows<{ n: number }>(
      tx,
      sql`with c as (update recalls set status = 'cancelled', closed_at = ${now}, closed_reason = 'rule disabled', updated_at = ${now}
        where status = 'open' and rule_id not in ${activeIds} returning id) select count(*)::int as n from c`,
    );
    // A recall never done keeps the due date it was first given, so it does not slide forward every day.
    const moved = await countByRule(
      tx,
      sql`update recalls r set due_date = d.due_date, last_done_on = d.last_done_on, updated_at = ${now}
        from recall_due d
        where r.status = 'open' and d.rule_id = r.rule_id and d.patient_id = r.patient_id and d.due_date is not null
          and (r.due_date <> d.due_date or r.last_done_on is distinct from d.last_done_on)
          and not (r.last_done_on is null and d.last_done_on is null)
        returning r.rule_id`,
    );
    const opened = await countByRule(
      tx,
      sql`insert into recalls (patient_id, rule_id, due_date, last_done_on, created_at, updated_at)
        select d.patient_id, d.rule_id, d.due_date, d.last_done_on, ${now}, ${now} from recall_due d
        where d.due_date is not null
        -- The open-recall unique index skips patients who already have one (a not-exists test here
        -- would rescan the rows this same statement inserts).
        on conflict (patient_id, rule_id) where status = 'open' do nothing
        returning rule_id`,
    );
    const totals = await queryRows<{ rule_id: number; open: number; overdue: number }>(
      tx,
      sql`select rule_id, count(*)::int as open, (count(*) filter (where due_date < ${today}::date))::int as overdue
        from recalls where status = 'open' group by rule_id`,
    );
    const totalsByRule = new Map(totals.map((t) => [t.rule_id, t]));
    const perRule: RuleRefresh[] = rules.map((r) => ({
      rule: r.code,
      opened: opened.get(r.id) ?? 0,
      moved: moved.get(r.id) ?? 0,
      completed: completed.get(r.id) ?? 0,
      noLongerDue: noLongerDue.get(r.id) ?? 0,
      open: totalsByRule.get(r.id)?.open ?? 0,
      overdue: totalsByRule.get(r.id)?.overdue ?? 0,
    }));
    const cancelled = cancelledRows[0]?.n ?? 0;
    await recordAudit(tx, actor, {
      action: 'refresh',
      entity: 'recalls',
      details: {
        today,
        cancelled,
        rules: Object.fromEntries(perRule.map(({ rule, opened, moved, completed, noLongerDue }) => [rule, { opened, moved, completed, noLongerDue }])),
      },
    });
    return { today, dryRun: Boolean(options.dryRun), defaultsLoaded, rules: perRule, cancelled };
  });
}
