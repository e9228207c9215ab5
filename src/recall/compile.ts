// Compiles a recall rule into one set-based query over the whole practice. Each row is a patient the rule
// applies to: when the rule's visit, test or dose was last done, and when the next one is due (null when
// nothing is due, e.g. the flu shot of this season was given or a missed visit was rebooked).
import { sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { compileMeasure, flagColumn, valueSetCodesSql } from '../measures/compile.js';
import { selectMeasures } from '../measures/run.js';
import type { CodeList, ConditionalInterval, Interval, RecallDefinition } from './definition.js';

export interface CompileContext {
  ruleId: number;
  ruleCode: string;
  /** The practice's calendar date, YYYY-MM-DD. */
  today: string;
  timeZone: string;
}

function intervalSql(i: Interval): SQL {
  return sql`make_interval(years => ${i.years ?? 0}::int, months => ${i.months ?? 0}::int, weeks => ${i.weeks ?? 0}::int, days => ${i.days ?? 0}::int)`;
}

function list(values: string[]): SQL {
  return sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
}

/** Whether (system, code) columns fall in any of the code lists. */
function codeMatch(lists: CodeList[], system: SQL, code: SQL): SQL {
  const parts = lists.map((l) => {
    const alternatives: SQL[] = [];
    if (l.codes?.length) alternatives.push(sql`${code} in (${list(l.codes)})`);
    // Prefixes are validated as letters, digits, dots and dashes, so they hold no LIKE wildcards.
    for (const prefix of l.prefixes ?? []) alternatives.push(sql`${code} like ${`${prefix}%`}`);
    const byCode = alternatives.length ? sql`(${system} = ${l.system} and (${sql.join(alternatives, sql` or `)}))` : undefined;
    const byValueSet = l.valueSet
      ? sql`(${system}, ${code}) in (${valueSetCodesSql([l.valueSet])})`
      : undefined;
    return sql.join([byCode, byValueSet].filter((p): p is SQL => p !== undefined), sql` or `);
  });
  return sql`(${sql.join(parts, sql` or `)})`;
}

function localDate(column: SQL, c: CompileContext): SQL {
  return sql`(${column} at time zone ${c.timeZone})::date`;
}

/**
 * The rule's age bounds on `on`: at least minAgeYears old, and not yet maxAgeYears + 1 (a rule "up to 18"
 * covers the whole of the 18th year, never a 19-year-old). Undefined when the rule has no bounds.
 */
export function ageBounds(d: RecallDefinition, dob: SQL, on: SQL): SQL | undefined {
  const e = d.eligibility ?? {};
  const parts: SQL[] = [];
  if (e.minAgeYears !== undefined) parts.push(sql`${dob} <= ${on} - make_interval(years => ${e.minAgeYears}::int)`);
  if (e.maxAgeYears !== undefined) parts.push(sql`${dob} > ${on} - make_interval(years => ${e.maxAgeYears + 1}::int)`);
  return parts.length ? sql`(${sql.join(parts, sql` and `)})` : undefined;
}

/** Active, living patients who meet the rule's age, sex and diagnosis conditions. */
function eligiblePatients(d: RecallDefinition, c: CompileContext): SQL {
  const today = sql`${c.today}::date`;
  const conditions: SQL[] = [sql`p.active`, sql`p.deceased_date is null`];
  const e = d.eligibility ?? {};
  const age = ageBounds(d, sql`p.dob`, today);
  if (age) conditions.push(age);
  if (e.sex) conditions.push(sql`p.sex = ${e.sex}`);
  if (e.diagnoses?.length) {
    // One set of patient ids (hashed once), not a correlated lookup per patient.
    conditions.push(sql`p.id in (
      select pr.patient_id from problems pr
      where pr.clinical_status in ('active', 'recurrence', 'relapse')
        and pr.verification_status not in ('refuted', 'entered-in-error')
        and ${codeMatch(e.diagnoses, sql`pr.code_system`, sql`pr.code`)}
      union
      select en.patient_id from encounter_diagnoses ed join encounters en on en.id = ed.encounter_id
      where en.status = 'finished' and en.starts_at >= ${today} - interval '2 years'
        and ${codeMatch(e.diagnoses, sql`ed.code_system`, sql`ed.code`)}
    )`);
  }
  return sql`select p.id, p.dob from patients p where ${sql.join(conditions, sql` and `)}`;
}

/** An appointment kept for this rule counts as done, whatever the chart recorded. */
function keptAppointments(c: CompileContext): SQL {
  return sql`select a.patient_id, ${localDate(sql`a.starts_at`, c)} as done, null::numeric as value
    from appointments a where a.status = 'kept' and a.recall_rule_code = ${c.ruleCode}`;
}

/** Events the due date counts from, per basis kind: (patient_id, done, value). */
function events(d: RecallDefinition, c: CompileContext): SQL {
  const b = d.basis;
  switch (b.kind) {
    case 'visit':
      return sql`select e.patient_id, ${localDate(sql`e.starts_at`, c)} as done, null::numeric as value
        from encounters e where e.status = 'finished'
        ${b.codes?.length ? sql`and ${codeMatch(b.codes, sql`e.type_system`, sql`e.type_code`)}` : sql``}`;
    case 'procedure':
      return sql`select pc.patient_id, ${localDate(sql`pc.performed_start`, c)} as done, null::numeric as value
        from procedures pc where pc.status = 'completed' and pc.performed_start is not null
        and ${codeMatch(b.codes, sql`pc.code_system`, sql`pc.code`)}`;
    case 'lab':
      return sql`select o.patient_id, ${localDate(sql`o.effective_at`, c)} as done, o.value_numeric as value
        from observations o where o.status in ('final', 'amended', 'corrected')
        and ${codeMatch(b.codes, sql`o.code_system`, sql`o.code`)}`;
    case 'immunization':
      return sql`select i.patient_id, i.occurrence_date as done, null::numeric as value
        from immunizations i where i.status = 'completed' and i.cvx_code in (${list(b.cvx)})`;
    default:
      throw new Error(`events() does not handle ${b.kind}`);
  }
}

function dueAfter(done: SQL, value: SQL, d: RecallDefinition): SQL {
  const base = sql`(${done} + ${intervalSql(d.interval ?? {})})::date`;
  const when = (d.intervalWhen ?? []).map((w: ConditionalInterval) => {
    const tests: SQL[] = [];
    if (w.lastValueAtLeast !== undefined) tests.push(sql`${value} >= ${w.lastValueAtLeast}`);
    if (w.lastValueBelow !== undefined) tests.push(sql`${value} < ${w.lastValueBelow}`);
    return sql`when ${sql.join(tests, sql` and `)} then (${done} + ${intervalSql(w.interval)})::date`;
  });
  return when.length ? sql`case ${sql.join(when, sql` `)} else ${base} end` : base;
}

/** The flu season the practice is in (or about to start) on `today`, and when its reminders stop. */
export function fluSeason(today: string, startMonth = 9, endMonth = 3): { start: string; next: string; remindersEnd: string } {
  const day = DateTime.fromISO(today);
  const startYear = day.month >= startMonth ? day.year : day.year - 1;
  const start = DateTime.fromObject({ year: startYear, month: startMonth, day: 1 });
  // The season ends after endMonth, in the next calendar year when it wraps around New Year.
  const endYear = endMonth < startMonth ? startYear + 1 : startYear;
  const remindersEnd = DateTime.fromObject({ year: endYear, month: endMonth, day: 1 }).plus({ months: 1 });
  return { start: start.toISODate()!, next: start.plus({ years: 1 }).toISODate()!, remindersEnd: remindersEnd.toISODate()! };
}

/**
 * select rule_id, patient_id, last_done_on, due_date for every patient the rule applies to. A due date on
 * or after the day the patient outgrows the rule's upper age bound is no due date: a childhood dose falling
 * due at 19, or a screening due after its last year, is not recalled.
 */
export function compileRecallRule(d: RecallDefinition, c: CompileContext): SQL {
  const query = compileRuleBasis(d, c);
  const max = d.eligibility?.maxAgeYears;
  if (max === undefined) return query;
  return sql`select q.rule_id, q.patient_id, q.last_done_on,
      case when q.due_date < (p.dob + make_interval(years => ${max + 1}::int))::date then q.due_date end as due_date
    from (${query}) q join patients p on p.id = q.patient_id`;
}

function compileRuleBasis(d: RecallDefinition, c: CompileContext): SQL {
  const today = sql`${c.today}::date`;
  const head = sql`with eligible as (${eligiblePatients(d, c)})`;
  const b = d.basis;
  switch (b.kind) {
    case 'visit':
    case 'procedure':
    case 'lab':
    case 'immunization': {
      const neverDone = (d.ifNeverDone ?? 'due-now') === 'due-now';
      return sql`${head},
        last as (
          select distinct on (patient_id) patient_id, done, value
          from (${events(d, c)} union all ${keptAppointments(c)}) ev
          where done <= ${today}
          order by patient_id, done desc
        )
        select ${c.ruleId}::int as rule_id, el.id as patient_id, l.done as last_done_on,
          case when l.done is null then ${today} else ${dueAfter(sql`l.done`, sql`l.value`, d)} end as due_date
        from eligible el left join last l on l.patient_id = el.id
        ${neverDone ? sql`` : sql`where l.done is not null`}`;
    }
    case 'flu-season': {
      const season = fluSeason(c.today, b.seasonStartMonth, b.seasonEndMonth);
      return sql`${head},
        last as (
          select i.patient_id, max(i.occurrence_date) as done from immunizations i
          where i.status = 'completed' and i.cvx_code in (${list(b.cvx)}) and i.occurrence_date <= ${today}
          group by i.patient_id
        )
        select ${c.ruleId}::int as rule_id, el.id as patient_id, l.done as last_done_on,
          case
            when l.done >= ${season.start}::date then ${season.next}::date
            when ${today} < ${season.remindersEnd}::date then ${season.start}::date
            else ${season.next}::date
          end as due_date
        from eligible el left join last l on l.patient_id = el.id`;
    }
    case 'immunization-schedule': {
      const ages = sql`array[${sql.join(
        b.doseAgesMonths.map((a) => sql`${a}::int`),
        sql`, `,
      )}]`;
      return sql`${head},
        given as (
          select i.patient_id, count(*)::int as doses, max(i.occurrence_date) as done from immunizations i
          where i.status = 'completed' and i.cvx_code in (${list(b.cvx)})
          group by i.patient_id
        )
        select ${c.ruleId}::int as rule_id, el.id as patient_id, g.done as last_done_on,
          -- The next dose at its scheduled age, and never sooner than four weeks after the previous one.
          greatest(
            (el.dob + make_interval(months => (${ages})[coalesce(g.doses, 0) + 1]))::date,
            coalesce(g.done + 28, el.dob)
          ) as due_date
        from eligible el left join given g on g.patient_id = el.id
        where coalesce(g.doses, 0) < ${b.doseAgesMonths.length}::int`;
    }
    case 'follow-up':
      return sql`${head},
        latest as (
          select distinct on (e.patient_id) e.patient_id, ${localDate(sql`e.starts_at`, c)} as done, e.follow_up_weeks
          from encounters e where e.status = 'finished'
          order by e.patient_id, e.starts_at desc
        )
        select ${c.ruleId}::int as rule_id, el.id as patient_id, l.done as last_done_on,
          case when l.follow_up_weeks is not null then (l.done + make_interval(weeks => l.follow_up_weeks))::date end as due_date
        from eligible el join latest l on l.patient_id = el.id`;
    case 'no-show':
      return sql`${head},
        missed as (
          select distinct on (a.patient_id) a.patient_id, a.starts_at, ${localDate(sql`a.starts_at`, c)} as day
          from appointments a where a.status = 'no-show'
          order by a.patient_id, a.starts_at desc
        ),
        rebooked as (
          select m.patient_id, min(x.at) as at from missed m
          join (
            select a.patient_id, a.starts_at as at, a.created_at from appointments a where a.status in ('scheduled', 'kept')
            union all select e.patient_id, e.starts_at, e.created_at from encounters e where e.status = 'finished'
          ) x on x.patient_id = m.patient_id and (x.at > m.starts_at or x.created_at > m.starts_at)
          group by m.patient_id
        )
        select ${c.ruleId}::int as rule_id, el.id as patient_id, ${localDate(sql`r.at`, c)} as last_done_on,
          case when r.at is null then (m.day + ${intervalSql(d.interval ?? {})})::date end as due_date
        from eligible el join missed m on m.patient_id = el.id left join rebooked r on r.patient_id = el.id`;
    case 'care-gap': {
      // The Quality area's own measure SQL for this performance year: in the denominator, not excluded, not met.
      const year = Number(c.today.slice(0, 4));
      const [measure] = selectMeasures(year, b.program ?? 'mips', [b.measure]);
      const flag = (g: number, p: Parameters<typeof flagColumn>[1]) => sql`coalesce(f.${sql.identifier(flagColumn(g, p))}, false)`;
      const gaps = measure!.groups.map(
        (_, g) => sql`(${flag(g, 'den')} and not ${flag(g, 'denex')} and not ${flag(g, 'denexcep')} and ${flag(g, 'numer')} = ${measure!.inverse})`,
      );
      const period = { start: `${year}-01-01`, end: `${year}-12-31`, timeZone: c.timeZone };
      // A gap has no "last done": it is due from the day it is first seen, which the stored recall keeps.
      return sql`${head},
        gaps as (select distinct f.patient_id from (${compileMeasure(measure!, period)}) f where ${sql.join(gaps, sql` or `)})
        select ${c.ruleId}::int as rule_id, el.id as patient_id, null::date as last_done_on, ${today} as due_date
        from eligible el join gaps g on g.patient_id = el.id`;
    }
  }
}
