// The open recalls, for the front desk or a spreadsheet: who is due for what, and when they were last reminded.
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/query.js';
import type { DbOrTx } from '../db/types.js';
import { NotFoundError } from '../errors.js';
import { practiceInfo, practiceToday } from '../practice/clock.js';

export interface RecallListFilter {
  now: Date;
  /** Due on or before today + this many days. */
  dueWithinDays?: number;
  /** Only recalls whose due date has passed. */
  overdue?: boolean;
  rule?: string;
}

export type RecallListRow = {
  recallId: number;
  mrn: string;
  lastName: string;
  firstName: string;
  rule: string;
  ruleName: string;
  dueDate: string;
  lastDoneOn: string | null;
  reminders: number;
  lastReminder: string | null;
  lastChannel: string | null;
};

export async function listRecalls(db: DbOrTx, filter: RecallListFilter): Promise<{ today: string; recalls: RecallListRow[] }> {
  const { timeZone } = await practiceInfo(db);
  const today = practiceToday(filter.now, timeZone);
  if (filter.rule) {
    const known = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from recall_rules where code = ${filter.rule}`);
    if (!known[0]?.n) throw new NotFoundError(`The recall rule "${filter.rule}"`, 'See the rule codes with "practice recall rules list".');
  }
  const conditions = [sql`r.status = 'open'`];
  if (filter.overdue) conditions.push(sql`r.due_date < ${today}::date`);
  if (filter.dueWithinDays !== undefined) conditions.push(sql`r.due_date <= ${today}::date + ${filter.dueWithinDays}::int`);
  if (filter.rule) conditions.push(sql`rr.code = ${filter.rule}`);
  const recalls = await queryRows<RecallListRow>(
    db,
    sql`select r.id as "recallId", p.mrn, p.last_name as "lastName", p.first_name as "firstName", rr.code as rule, rr.name as "ruleName",
        r.due_date::text as "dueDate", r.last_done_on::text as "lastDoneOn",
        coalesce(g.reminders, 0) as reminders, g.last_reminder as "lastReminder", g.last_channel as "lastChannel"
      from recalls r
      join recall_rules rr on rr.id = r.rule_id
      join patients p on p.id = r.patient_id
      left join lateral (
        select count(*)::int as reminders, (max(l.sent_at) at time zone ${timeZone})::date::text as last_reminder,
          (array_agg(l.channel order by l.sent_at desc))[1] as last_channel
        from reminder_log l where l.recall_id = r.id and l.status = 'sent'
      ) g on true
      where ${sql.join(conditions, sql` and `)}
      order by r.due_date, p.last_name, p.first_name, r.id`,
  );
  return { today, recalls };
}
