// Compiles a measure definition into one SQL query that computes every patient's population flags in
// a single set-based pass. Each criterion becomes either an expression on the patient row or
// "patient in (set of patients)", which PostgreSQL evaluates once as a hashed subplan.
import { sql, type SQL } from 'drizzle-orm';
import { CodeSystem } from '../codes/systems.js';
import type {
  BloodPressureSpec,
  Concept,
  ConditionSpec,
  Criterion,
  DayRef,
  DiagnosedVisitsSpec,
  DosesSpec,
  EncounterSpec,
  EventSpec,
  LatestObservationSpec,
  MeasureDefinition,
  MedicationSpec,
  NotDoneSpec,
  ObservationSpec,
  OrderSpec,
  Timing,
  Window,
} from './definition.js';

export interface Period {
  start: string;
  end: string;
  /** Turns timestamps into days; the practice's own zone. */
  timeZone: string;
}

// The eCQM status rules (Status.cql): results final/amended/corrected (a measure may name others,
// e.g. smoking status final only, symptoms also preliminary); orders and medication requests active
// or completed with an intent of the order family; encounters finished; procedures and immunizations
// completed; conditions not refuted. Entered-in-error never counts anywhere.
const RESULT_STATUSES = ['final', 'amended', 'corrected'];
const ORDER_STATUSES = ['active', 'completed'];
const ORDER_INTENTS = ['order', 'original-order', 'reflex-order', 'filler-order', 'instance-order'];
const ACTIVE_CLINICAL = ['active', 'recurrence', 'relapse'];
const REFUTED = ['refuted', 'entered-in-error'];

const list = (values: readonly string[]): SQL => sql.join(values.map((v) => sql`${v}`), sql`, `);

/** What an observation criterion reads, before its value tests. */
type ObservationSource = Omit<ObservationSpec, 'valueIn' | 'requireValue' | 'value'>;

/**
 * A timestamp (never null) whose local day a timing compares. Compared as the timestamp itself, against
 * the local midnights that bound the window's days: exactly the same test, but one an index on the
 * column can serve and the planner can estimate. The day through the time zone is opaque to both: it
 * guessed a few hundred of 440,000 readings and chose nested loops.
 */
class Instant {
  constructor(readonly at: SQL) {}
}
const instant = (at: SQL) => new Instant(at);
type Moment = SQL | Instant;
const BP_COMPONENT = { systolic: '8480-6', diastolic: '8462-4' } as const;

/**
 * The (code system, code) pairs of the value sets, in the expansions the performance year names.
 * Recall rules pass no year: they read the newest year that has the OID.
 */
export function valueSetCodesSql(oids: readonly string[], year?: number): SQL {
  const expansions =
    year === undefined
      ? sql`select distinct on (y.oid) y.value_set_id from value_set_years y where y.oid in (${list(oids)}) order by y.oid, y.performance_year desc`
      : sql`select y.value_set_id from value_set_years y where y.performance_year = ${year} and y.oid in (${list(oids)})`;
  return sql`select v.code_system, v.code from value_set_codes v where v.value_set_id in (${expansions})`;
}

/** Value set codes read ahead of compiling (OID -> code system, code pairs), see measureValueSetCodes. */
export type ValueSetCodes = ReadonlyMap<string, readonly (readonly [string, string])[]>;

export class MeasureCompiler {
  /**
   * valueSetYear: whose expansions the value set references mean (see value_set_years). codes: those
   * expansions read ahead, so each code list is written into the query (see match).
   */
  constructor(
    private readonly period: Period,
    private readonly valueSetYear: number = Number(period.start.slice(0, 4)),
    private readonly codes?: ValueSetCodes,
  ) {}

  /** A timestamp as the day it fell on in the practice's time zone. */
  day(ts: SQL): SQL {
    return sql`((${ts}) at time zone ${this.period.timeZone})::date`;
  }

  private dayRef(ref: DayRef, birth: SQL): SQL {
    const base = ref.at === 'birth' ? birth : ref.at === 'mpStart' ? sql`${this.period.start}::date` : sql`${this.period.end}::date`;
    return ref.offset ? sql`(${base} + ${ref.offset}::interval)::date` : base;
  }

  private usesBirth(window?: Window): boolean {
    return window?.from?.at === 'birth' || window?.to?.at === 'birth';
  }

  /** The local midnight that starts the day `days` after ref, as an instant. */
  private midnight(ref: DayRef, birth: SQL, days: number): SQL {
    return sql`((${this.dayRef(ref, birth)}) + ${days}::int)::timestamp at time zone ${this.period.timeZone}`;
  }

  private onOrAfter(x: Moment, ref: DayRef, birth: SQL): SQL {
    return x instanceof Instant ? sql`${x.at} >= ${this.midnight(ref, birth, 0)}` : sql`${x} >= ${this.dayRef(ref, birth)}`;
  }

  private onOrBefore(x: Moment, ref: DayRef, birth: SQL): SQL {
    return x instanceof Instant ? sql`${x.at} < ${this.midnight(ref, birth, 1)}` : sql`${x} <= ${this.dayRef(ref, birth)}`;
  }

  /** How [start, end] meets the window (the measurement period when none is given). */
  private timing(timing: Timing, start: Moment, end: Moment, window: Window | undefined, birth: SQL): SQL {
    const { from, to } = window ?? { from: { at: 'mpStart' }, to: { at: 'mpEnd' } };
    const parts: SQL[] = [];
    const between = (x: Moment) => {
      if (from) parts.push(this.onOrAfter(x, from, birth));
      if (to) parts.push(this.onOrBefore(x, to, birth));
    };
    switch (timing) {
      case 'during':
        if (from) parts.push(this.onOrAfter(start, from, birth));
        if (to) parts.push(this.onOrBefore(end, to, birth));
        break;
      case 'overlaps':
        if (to) parts.push(this.onOrBefore(start, to, birth));
        if (from) parts.push(this.onOrAfter(end instanceof Instant ? end : sql`coalesce(${end}, 'infinity'::date)`, from, birth));
        break;
      case 'startsIn':
        between(start);
        break;
      case 'endsIn':
        between(end);
        break;
      case 'startsBy':
        if (to) parts.push(this.onOrBefore(start, to, birth));
        break;
      case 'endsBy':
        if (to) parts.push(this.onOrBefore(end, to, birth));
        break;
    }
    return parts.length ? sql.join(parts, sql` and `) : sql`true`;
  }

  /** "This instant's local day is in the window" (the measurement period when none is given). */
  inWindow(at: SQL, window?: Window, birth: SQL = sql`null::date`): SQL {
    return this.timing('startsIn', instant(at), instant(at), window, birth);
  }

  /**
   * "This record's code is in the concept". With the codes read ahead, the lists are written into the
   * query per code system: the planner then knows which codes it looks for, estimates them from the
   * column statistics and reads rare ones from the code indexes. A value set subquery is opaque to it
   * (it guesses 90 codes) and it scans whole tables for it, seconds per criterion at 100,000 patients.
   * Without them (one chart, recall rules) the value sets stay subqueries: the planner turns them into a
   * semi-join. No shared CTE: a CTE has no index, and the planner would scan it per row.
   */
  match(concept: Concept, system: SQL, code: SQL): SQL {
    if (this.codes) {
      const bySystem = new Map<string, Set<string>>();
      const add = (s: string, c: string) => (bySystem.get(s) ?? bySystem.set(s, new Set()).get(s)!).add(c);
      for (const oid of concept.valueSets ?? []) for (const [s, c] of this.codes.get(oid) ?? []) add(s, c);
      for (const [s, c] of concept.codes ?? []) add(s, c);
      if (bySystem.size === 0) return sql`false`;
      const branches = [...bySystem].map(([s, codes]) => sql`(${system} = ${s} and ${code} in (${list([...codes])}))`);
      return sql`(${sql.join(branches, sql` or `)})`;
    }
    const parts: SQL[] = [];
    if (concept.valueSets?.length) parts.push(valueSetCodesSql(concept.valueSets, this.valueSetYear));
    if (concept.codes?.length) parts.push(sql`values ${sql.join(concept.codes.map(([s, c]) => sql`(${s}::text, ${c}::text)`), sql`, `)}`);
    if (parts.length === 0) return sql`false`;
    return sql`(${system}, ${code}) in (${sql.join(parts, sql` union all `)})`;
  }

  /**
   * The patients a record criterion selects, each distinct criterion once (see compileMeasure): the same
   * criterion recurs across groups and populations (hospice in every exclusion, CMS138's screening in
   * all three groups), and PostgreSQL builds a subplan for every occurrence.
   */
  readonly sharedCriteria = new Map<string, { column: string; test: SQL }>();

  private shared(c: Criterion, patients: () => SQL): SQL {
    const key = JSON.stringify(c);
    let found = this.sharedCriteria.get(key);
    if (!found) {
      found = { column: `c${this.sharedCriteria.size + 1}`, test: sql`p.id in (${patients()})` };
      this.sharedCriteria.set(key, found);
    }
    return sql`p.${sql.identifier(found.column)}`;
  }

  criterion(c: Criterion): SQL {
    if ('all' in c) return c.all.length ? sql`(${sql.join(c.all.map((x) => this.criterion(x)), sql` and `)})` : sql`true`;
    if ('any' in c) return c.any.length ? sql`(${sql.join(c.any.map((x) => this.criterion(x)), sql` or `)})` : sql`false`;
    if ('not' in c) return sql`(not ${this.criterion(c.not)})`;
    if ('age' in c) {
      const at = c.age.at === 'mpStart' ? sql`${this.period.start}::date` : sql`${this.period.end}::date`;
      // "At least n years old on that day" as a bound on the birth date: the same as age()'s whole
      // years (a birthday on Feb 29 falls on Mar 1 either way), without an age() per patient and criterion.
      const bornBy = (years: number) => sql`(${at} - ${`${years} years`}::interval)::date`;
      const parts: SQL[] = [];
      if (c.age.min !== undefined) parts.push(sql`p.dob <= ${bornBy(c.age.min)}`);
      if (c.age.max !== undefined) parts.push(sql`p.dob > ${bornBy(c.age.max + 1)}`);
      return parts.length ? sql`(${sql.join(parts, sql` and `)})` : sql`true`;
    }
    if ('female' in c) return sql`(p.sex = 'female')`;
    if ('encounter' in c) return this.shared(c, () => this.encounters(c.encounter));
    if ('condition' in c) return this.shared(c, () => this.conditions(c.condition));
    if ('procedure' in c) return this.shared(c, () => this.procedures(c.procedure));
    if ('observation' in c) return this.shared(c, () => this.observations(c.observation));
    if ('order' in c) return this.shared(c, () => this.orders(c.order));
    if ('medication' in c) return this.shared(c, () => this.medications(c.medication));
    if ('notDone' in c) return this.shared(c, () => this.notDone(c.notDone));
    if ('latestObservation' in c) return this.shared(c, () => this.latestObservation(c.latestObservation));
    if ('bloodPressure' in c) return this.shared(c, () => this.bloodPressure(c.bloodPressure));
    if ('doses' in c) return this.shared(c, () => this.doses(c.doses));
    if ('diagnosedVisits' in c) return this.shared(c, () => this.diagnosedVisits(c.diagnosedVisits));
    if ('deceased' in c) return sql`(p.deceased_date is not null and ${this.timing('startsIn', sql`p.deceased_date`, sql`p.deceased_date`, c.deceased.window, sql`p.dob`)})`;
    throw new Error(`unknown criterion ${JSON.stringify(c)}`);
  }

  /**
   * What a criterion requires of the patient row alone (age, sex), or undefined when it requires nothing
   * checkable there. Patients failing every group's initial-population conditions are left out before
   * any record criterion is looked up for them: a child measure then reads a few thousand patients.
   */
  patientConditions(c: Criterion): SQL | undefined {
    if ('age' in c || 'female' in c) return this.criterion(c);
    if ('all' in c) {
      const parts = c.all.map((x) => this.patientConditions(x)).filter((x): x is SQL => x !== undefined);
      return parts.length ? sql`(${sql.join(parts, sql` and `)})` : undefined;
    }
    if ('any' in c) {
      const parts = c.any.map((x) => this.patientConditions(x));
      return parts.length && parts.every((x) => x !== undefined) ? sql`(${sql.join(parts as SQL[], sql` or `)})` : undefined;
    }
    return undefined;
  }

  /**
   * The birth date for windows that count from it, from the measure's candidates (see compileMeasure):
   * only their records matter, and a child measure's few thousand candidates make a small join where all
   * patients made a hash of 100,000 rows per criterion.
   */
  private birthJoin(alias: SQL, window?: Window, force = false): SQL {
    return force || this.usesBirth(window) ? sql`join candidates pt on pt.id = ${alias}.patient_id` : sql``;
  }

  /**
   * Conditions with a code in the concept, from the problem list and from visit diagnoses, with their
   * prevalence span. The code filter sits inside each branch so it can use the code indexes: outside the
   * UNION it cannot be pushed down, and every criterion would rebuild the whole diagnosis list.
   */
  private conditionSource(concept: Concept, timing: Timing, window: Window | undefined): SQL {
    // An inactive condition with no abatement has an unknown end: it can only meet a window its onset
    // falls in, so the span is treated as ending on the onset day. A finished visit's coded diagnosis
    // is an active encounter-diagnosis Condition from the visit on (our FHIR export writes it so:
    // clinicalStatus active, onset the visit's start, no abatement), unless it is the very Condition
    // recorded for that visit (an imported Encounter.diagnosis pointing at a Condition with its own
    // onset, kept as a problem of the same visit and code: that record's span is the truth). The same
    // code on the problem list is another record, and a measure reading only encounter diagnoses
    // (CMS122) still sees the visit's. The timing is tested in each branch, where a visit's start is
    // compared as an instant (see Instant).
    const onset = sql`coalesce(c.onset_date, c.recorded_date)`;
    const end = sql`case when c.clinical_status in (${list(ACTIVE_CLINICAL)}) then coalesce(c.abatement_date, 'infinity'::date)
             else coalesce(c.abatement_date, c.onset_date, c.recorded_date) end`;
    return sql`(
      select c.id as record_id, 'problems' as table_name, c.patient_id, c.code_system, c.code, c.category, c.verification_status
      from problems c ${this.birthJoin(sql`c`, window)}
      where ${this.match(concept, sql`c.code_system`, sql`c.code`)} and ${this.timing(timing, onset, end, window, sql`pt.dob`)}
      union all
      select d.id, 'encounter_diagnoses', en.patient_id, d.code_system, d.code, 'encounter-diagnosis', 'confirmed'
      from encounter_diagnoses d join encounters en on en.id = d.encounter_id ${this.birthJoin(sql`en`, window)}
      where en.status = 'finished' and ${this.match(concept, sql`d.code_system`, sql`d.code`)}
        and ${this.timing(timing, instant(sql`en.starts_at`), sql`'infinity'::date`, window, sql`pt.dob`)}
        and not exists (select 1 from problems c2 where c2.patient_id = en.patient_id and c2.encounter_id = d.encounter_id and c2.code_system = d.code_system and c2.code = d.code)
    )`;
  }

  private encounterWhere(spec: EncounterSpec, alias: SQL, birth: SQL): SQL {
    const parts: SQL[] = [
      sql`${alias}.status = 'finished'`,
      this.match(spec.concept, sql`${alias}.type_system`, sql`${alias}.type_code`),
      this.timing(spec.timing ?? 'during', instant(sql`${alias}.starts_at`), instant(sql`coalesce(${alias}.ends_at, ${alias}.starts_at)`), spec.window, birth),
    ];
    if (spec.excludeClasses?.length) parts.push(sql`${alias}.encounter_class not in (${list(spec.excludeClasses)})`);
    if (spec.dischargeTo) {
      parts.push(sql`exists (select 1 from record_qualifiers q where q.table_name = 'encounters' and q.record_id = ${alias}.id
        and q.qualifier = 'discharge-disposition' and ${this.match(spec.dischargeTo, sql`q.code_system`, sql`q.code`)})`);
    }
    if (spec.minAgeAtStart !== undefined) {
      // At least n whole years old that day, as a bound on the birth date (see the age criterion).
      parts.push(sql`${birth} <= (${this.day(sql`${alias}.starts_at`)} - ${`${spec.minAgeAtStart} years`}::interval)::date`);
    }
    return sql.join(parts, sql` and `);
  }

  private encounters(spec: EncounterSpec): SQL {
    const needsBirth = this.usesBirth(spec.window) || spec.minAgeAtStart !== undefined;
    const where = this.encounterWhere(spec, sql`en`, sql`pt.dob`);
    const from = sql`from encounters en ${this.birthJoin(sql`en`, spec.window, needsBirth)} where ${where}`;
    if ((spec.minCount ?? 1) > 1) return sql`select en.patient_id ${from} group by en.patient_id having count(distinct en.id) >= ${spec.minCount}`;
    return sql`select en.patient_id ${from}`;
  }

  private conditions(spec: ConditionSpec): SQL {
    const parts: SQL[] = [sql`true`];
    if (spec.categories?.length) parts.push(sql`c.category in (${list(spec.categories)})`);
    // A record entered in error is no record, even where the measure reads every verification status.
    parts.push(sql`c.verification_status not in (${list(spec.anyVerification ? ['entered-in-error'] : REFUTED)})`);
    if (spec.bodySite) {
      parts.push(sql`exists (select 1 from record_qualifiers q where q.table_name = c.table_name and q.record_id = c.record_id
        and q.qualifier = 'body-site' and ${this.match(spec.bodySite, sql`q.code_system`, sql`q.code`)})`);
    }
    return sql`select c.patient_id from ${this.conditionSource(spec.concept, spec.timing, spec.window)} c where ${sql.join(parts, sql` and `)}`;
  }

  private procedures(spec: EventSpec): SQL {
    const start = instant(sql`pr.performed_start`);
    const end = instant(sql`coalesce(pr.performed_end, pr.performed_start)`);
    return sql`select pr.patient_id from procedures pr ${this.birthJoin(sql`pr`, spec.window)}
      where pr.status in (${list(spec.statuses ?? ['completed'])}) and ${this.match(spec.concept, sql`pr.code_system`, sql`pr.code`)}
      and ${this.timing(spec.timing, start, end, spec.window, sql`pt.dob`)}`;
  }

  /**
   * ne.starts_at within some days of an instant, two days wider than the day comparison it goes with
   * (days are local, an offset is under a day): implied by it, and the (patient, starts_at) index then
   * reads only the patient's visits around the record instead of all of them.
   */
  private startsAround(at: SQL, daysBefore: number, daysAfter: number): SQL {
    return sql`ne.starts_at >= ${at} - ${`${daysBefore + 2} days`}::interval and ne.starts_at <= ${at} + ${`${daysAfter + 2} days`}::interval`;
  }

  /** The join that ties an observation to a qualifying encounter some days around it. */
  private nearEncounter(near: ObservationSpec['nearEncounter']): SQL {
    if (!near) return sql``;
    const start = this.day(sql`ne.starts_at`);
    return sql`join encounters ne on ne.patient_id = o.patient_id and ${this.encounterWhere(near.encounter, sql`ne`, sql`(select pb.dob from patients pb where pb.id = ne.patient_id)`)}
      and ${this.day(sql`o.effective_at`)} between ${start} + ${near.fromDays}::int and ${start} + ${near.toDays}::int
      and ${this.startsAround(sql`o.effective_at`, near.toDays, -near.fromDays)}`;
  }

  /**
   * The results a set of observation criteria reads, as one materialized CTE per distinct source: the
   * criteria on one concept differ only in their value tests (CMS69's normal, high and low BMI, CMS2's
   * positive and negative screen) or their timing (CMS2's latest screening ends in the period, its
   * exception's is during it), and each read of the results from the table cost as much as the rest of
   * their measure. A read keeps what any of its criteria's timings takes; each criterion tests its own.
   */
  private readonly observationSources = new Map<string, { name: string; spec: ObservationSource; timings: Set<Timing> }>();

  private observationSource(spec: ObservationSource): SQL {
    const { concept, statuses, window, timing, category, nearEncounter } = spec;
    // A birth-relative window is tested per patient inside the read, which then serves one timing only.
    const key = JSON.stringify({ concept, statuses, window, category, nearEncounter, timing: this.usesBirth(window) ? timing : undefined });
    let source = this.observationSources.get(key);
    if (!source) this.observationSources.set(key, (source = { name: `obs${this.observationSources.size + 1}`, spec, timings: new Set() }));
    source.timings.add(timing);
    return sql`${sql.identifier(source.name)}`;
  }

  /** A criterion's own timing on the rows of its read (the read tested it already when birth-relative). */
  private sourceTiming(spec: { timing: Timing; window?: Window }): SQL {
    if (this.usesBirth(spec.window)) return sql`true`;
    return this.timing(spec.timing, instant(sql`o.starts_at`), instant(sql`o.effective_at`), spec.window, sql`null::date`);
  }

  /** The reads the criteria named, in the order compileMeasure writes them into its WITH list. */
  observationReads(): { name: string; query: SQL }[] {
    return [...this.observationSources.values()].map(({ name, spec, timings }) => {
      // effective_at is the end of a period (effective.latest()); observation_periods (joined as op)
      // holds its start.
      const start = instant(sql`coalesce(op.starts_at, o.effective_at)`);
      const end = instant(sql`o.effective_at`);
      const tests = [...timings].map((t) => this.timing(t, start, end, spec.window, sql`pt.dob`));
      return {
        name,
        query: sql`select o.patient_id, coalesce(op.starts_at, o.effective_at) as starts_at, o.effective_at, o.value_numeric,
            o.value_code_system, o.value_code, (o.value_numeric is null and o.value_code is null and o.value_text is null) as no_value
          from observations o left join observation_periods op on op.observation_id = o.id
            ${this.birthJoin(sql`o`, spec.window)} ${this.nearEncounter(spec.nearEncounter)}
          where o.status in (${list(spec.statuses ?? RESULT_STATUSES)}) and ${this.match(spec.concept, sql`o.code_system`, sql`o.code`)}
            and (${sql.join(tests, sql` or `)}) ${this.effectiveBounds([...timings], spec.window)}
            ${spec.category ? sql`and o.category = ${spec.category}` : sql``}`,
      };
    });
  }

  /**
   * The window as bounds on effective_at where the timings imply them but do not state them as such: a
   * start in the window implies an end after its start (a period never ends before it starts, FHIR
   * per-1), and timings joined by "or" state none. The code index can serve them. Birth-relative windows
   * differ per patient and get none.
   */
  private effectiveBounds(timings: Timing[], window: Window | undefined): SQL {
    const { from, to } = window ?? { from: { at: 'mpStart' }, to: { at: 'mpEnd' } };
    const stated = timings.length === 1;
    const bounds: SQL[] = [];
    const effective = instant(sql`o.effective_at`);
    const endsAfterFrom = timings.every((t) => ['during', 'startsIn', 'endsIn', 'overlaps'].includes(t));
    if (from && from.at !== 'birth' && endsAfterFrom && !(stated && (timings[0] === 'endsIn' || timings[0] === 'overlaps'))) bounds.push(this.onOrAfter(effective, from, sql`null::date`));
    const endsBeforeTo = timings.every((t) => ['during', 'endsIn', 'endsBy'].includes(t));
    if (to && to.at !== 'birth' && endsBeforeTo && !stated) bounds.push(this.onOrBefore(effective, to, sql`null::date`));
    return sql.join(
      bounds.map((b) => sql`and ${b} `),
      sql``,
    );
  }

  private observations(spec: ObservationSpec): SQL {
    const parts: SQL[] = [this.sourceTiming(spec)];
    if (spec.valueIn) parts.push(this.match(spec.valueIn, sql`o.value_code_system`, sql`o.value_code`));
    if (spec.requireValue) parts.push(sql`not o.no_value`);
    if (spec.value?.above !== undefined) parts.push(sql`o.value_numeric > ${spec.value.above}`);
    if (spec.value?.min !== undefined) parts.push(sql`o.value_numeric >= ${spec.value.min}`);
    if (spec.value?.below !== undefined) parts.push(sql`o.value_numeric < ${spec.value.below}`);
    return sql`select o.patient_id from ${this.observationSource(spec)} o where ${sql.join(parts, sql` and `)}`;
  }

  private orders(spec: OrderSpec): SQL {
    const kinds = spec.kinds?.length ? sql`and r.kind in (${list(spec.kinds)})` : sql``;
    return sql`select r.patient_id from orders r ${this.birthJoin(sql`r`, spec.window)}
      where r.status in (${list(spec.statuses ?? ORDER_STATUSES)}) and r.intent in (${list(ORDER_INTENTS)}) ${kinds}
      and ${this.match(spec.concept, sql`r.code_system`, sql`r.code`)} and ${this.inWindow(sql`r.ordered_at`, spec.window, sql`pt.dob`)}`;
  }

  private medications(spec: MedicationSpec): SQL {
    // The request's start date carries authoredOn when no dosage bounds were given (CMD 6.0).
    const base = sql`m.kind = 'request' and m.intent in (${list(ORDER_INTENTS)}) and ${this.match(spec.concept, sql`${CodeSystem.rxnorm}::text`, sql`m.rxnorm_code`)}`;
    const timing =
      spec.match === 'authoredIn'
        ? sql`m.status in (${list(ORDER_STATUSES)}) and ${this.timing('startsIn', sql`m.start_date`, sql`m.start_date`, spec.window, sql`pt.dob`)}`
        : spec.match === 'activeOverlaps'
          ? sql`m.status = 'active' and ${this.timing('overlaps', sql`m.start_date`, sql`m.stop_date`, spec.window, sql`pt.dob`)}`
          : sql`m.status = 'active' and m.stop_date is not null and ${this.timing('during', sql`m.start_date`, sql`m.stop_date`, spec.window, sql`pt.dob`)}`;
    return sql`select m.patient_id from medications m ${this.birthJoin(sql`m`, spec.window)} where ${base} and ${timing}`;
  }

  private notDone(spec: NotDoneSpec): SQL {
    const sameDay = spec.sameDayAs
      ? sql`join encounters ne on ne.patient_id = n.patient_id and ${this.encounterWhere(spec.sameDayAs, sql`ne`, sql`(select pb.dob from patients pb where pb.id = ne.patient_id)`)}
          and ${this.day(sql`n.recorded_at`)} = ${this.day(sql`ne.starts_at`)} and ${this.startsAround(sql`n.recorded_at`, 0, 0)}`
      : sql``;
    return sql`select n.patient_id from not_done_events n ${sameDay}
      where n.status <> 'entered-in-error' and ${this.match(spec.concept, sql`n.code_system`, sql`n.code`)} and ${this.match(spec.reasons, sql`n.reason_system`, sql`n.reason_code`)}
      and ${this.inWindow(sql`n.recorded_at`, spec.window)}`;
  }

  private latestObservation(spec: LatestObservationSpec): SQL {
    const key = spec.by === 'time' ? sql`o.effective_at` : this.day(sql`o.effective_at`);
    const test =
      'valueIn' in spec.test
        ? sql`t.hit`
        : 'missingOrAbove' in spec.test
          ? sql`(t.has_missing or t.low > ${spec.test.missingOrAbove})`
          : sql`(not t.has_missing and t.low < ${spec.test.below})`;
    const hit = 'valueIn' in spec.test ? this.match(spec.test.valueIn, sql`o.value_code_system`, sql`o.value_code`) : sql`false`;
    const read = { concept: spec.concept, statuses: spec.statuses, window: spec.window, timing: 'endsIn' as const, nearEncounter: spec.nearEncounter };
    const source = this.observationSource(read);
    // The day key is computed once in an inner query: a bound time zone repeated in GROUP BY would
    // not be recognised as the same expression.
    return sql`select t.patient_id from (
        select x.patient_id, bool_or(x.no_value) as has_missing, min(x.value_numeric) as low, bool_or(x.hit) as hit,
          rank() over (partition by x.patient_id order by x.k desc) as r
        from (select o.patient_id, ${key} as k, o.value_numeric, ${hit} as hit, o.no_value from ${source} o where ${this.sourceTiming(read)}) x
        group by x.patient_id, x.k
      ) t where t.r = 1 and ${test}`;
  }

  private bloodPressure(spec: BloodPressureSpec): SQL {
    // Readings: the systolic/diastolic components, and procedure codes that stand for a reading (CPT
    // II), as one set of (patient, component, value, day, visit). A component is written with its
    // panel's time, status and visit (import, chart entry, demo: see observations.panelId), so its own
    // columns are read: the code index then finds one period's readings without a join to the panels.
    const readings: SQL[] = [
      sql`select o.patient_id, o.code, o.value_numeric, ${this.day(sql`o.effective_at`)} as d, o.encounter_id
        from observations o
        where o.code_system = ${CodeSystem.loinc} and o.code in (${list(Object.values(BP_COMPONENT))}) and o.value_numeric is not null
          and o.status in (${list(RESULT_STATUSES)}) and ${this.inWindow(sql`o.effective_at`, spec.window)}`,
    ];
    if (spec.codedReadings?.length) {
      const codes = sql.join(
        spec.codedReadings.map((r) => sql`(${r.system}::text, ${r.code}::text, ${BP_COMPONENT[r.component]}::text, ${r.value}::numeric)`),
        sql`, `,
      );
      readings.push(sql`select pr.patient_id, m.component, m.value, ${this.day(sql`pr.performed_start`)}, pr.encounter_id
        from procedures pr join (values ${codes}) m(code_system, code, component, value) on m.code_system = pr.code_system and m.code = pr.code
        where pr.status = 'completed' and ${this.inWindow(sql`pr.performed_start`, spec.window)}`);
    }
    // The days of acute visits, as one set joined by (patient, day): a correlated lookup per reading
    // cost more than the rest of the measure at 100,000 patients.
    const acuteDays = sql`select distinct ea.patient_id, generate_series(${this.day(sql`ea.starts_at`)}, ${this.day(sql`coalesce(ea.ends_at, ea.starts_at)`)}, interval '1 day')::date as d
      from encounters ea where ea.status = 'finished' and ${this.match(spec.acuteEncounters, sql`ea.type_system`, sql`ea.type_code`)}`;
    const linkedElsewhere = sql`exists (select 1 from encounters el where el.id = x.encounter_id
      and el.encounter_class not in (${list(spec.acuteClasses)}))`;
    // Each patient's reading days, then the last of them: two hash aggregates, where ranking the days
    // sorted all of them (440,000 readings at 100,000 patients).
    return sql`with days as materialized (
        select x.patient_id, x.d,
          min(x.value_numeric) filter (where x.code = ${BP_COMPONENT.systolic}) as systolic,
          min(x.value_numeric) filter (where x.code = ${BP_COMPONENT.diastolic}) as diastolic
        from (${sql.join(readings, sql` union all `)}) x
        left join (${acuteDays}) acute on acute.patient_id = x.patient_id and acute.d = x.d
        where acute.patient_id is null or ${linkedElsewhere}
        group by x.patient_id, x.d
      )
      select t.patient_id from days t
      where (t.patient_id, t.d) in (select patient_id, max(d) from days group by patient_id)
        and t.systolic < ${spec.systolicBelow} and t.diastolic < ${spec.diastolicBelow}`;
  }

  /** Patients with finished visits, on at least minDays distinct days, carrying one of the diagnoses. */
  private diagnosedVisits(spec: DiagnosedVisitsSpec): SQL {
    const d = this.day(sql`en.starts_at`);
    const visitType = spec.visitTypes ? sql`and ${this.match(spec.visitTypes, sql`en.type_system`, sql`en.type_code`)}` : sql``;
    return sql`select en.patient_id from encounters en join encounter_diagnoses dx on dx.encounter_id = en.id
      ${this.birthJoin(sql`en`, spec.window)}
      where en.status = 'finished' ${visitType} and ${this.match(spec.diagnosis, sql`dx.code_system`, sql`dx.code`)}
        and ${this.inWindow(sql`en.starts_at`, spec.window, sql`pt.dob`)}
      group by en.patient_id having count(distinct ${d}) >= ${spec.minDays}`;
  }

  private doses(spec: DosesSpec): SQL {
    const parts: SQL[] = [];
    if (spec.immunizations) {
      parts.push(sql`select i.patient_id, i.occurrence_date as d from immunizations i ${this.birthJoin(sql`i`, undefined, true)}
        where i.status = 'completed' and ${this.match(spec.immunizations, sql`${CodeSystem.cvx}::text`, sql`i.cvx_code`)}
        and ${this.timing('startsIn', sql`i.occurrence_date`, sql`i.occurrence_date`, spec.window, sql`pt.dob`)}`);
    }
    if (spec.procedures) {
      const d = this.day(sql`pr.performed_start`);
      parts.push(sql`select pr.patient_id, ${d} from procedures pr ${this.birthJoin(sql`pr`, undefined, true)}
        where pr.status = 'completed' and ${this.match(spec.procedures, sql`pr.code_system`, sql`pr.code`)}
        and ${this.inWindow(sql`pr.performed_start`, spec.window, sql`pt.dob`)}`);
    }
    return sql`select x.patient_id from (${sql.join(parts, sql` union all `)}) x group by x.patient_id having count(distinct x.d) >= ${spec.count}`;
  }
}

export const POPULATIONS = ['ip', 'den', 'denex', 'numer', 'denexcep'] as const;
export type Population = (typeof POPULATIONS)[number];

/** Column name of a group's population flag, e.g. g1_numer. */
export const flagColumn = (groupIndex: number, population: Population) => `g${groupIndex + 1}_${population}`;
export const stratumColumn = (index: number) => `s${index + 1}`;
/** Column name of whether a patient meets one part of a group's numerator, e.g. g1_part3. */
export const partColumn = (groupIndex: number, part: number) => `g${groupIndex + 1}_part${part + 1}`;

/**
 * One row per patient in any group's initial population: the population flags of every group after
 * the proportion-measure chain (an excluded patient is never in the numerator; exceptions count only
 * outside the numerator), the strata, and the provider the patient is attributed to.
 */
export function compileMeasure(measure: MeasureDefinition, period: Period, patientFilter: SQL = sql`true`, codes?: ValueSetCodes): SQL {
  const c = new MeasureCompiler(period, measure.valueSetYear ?? measure.performanceYear, codes);
  const raw: SQL[] = [];
  const chained: SQL[] = [];
  measure.groups.forEach((group, g) => {
    const col = (p: Population) => sql.identifier(flagColumn(g, p));
    const rawCol = (p: Population) => sql.identifier(`raw_${flagColumn(g, p)}`);
    raw.push(sql`${c.criterion(group.initialPopulation)} as ${rawCol('ip')}`);
    raw.push(sql`${group.denominator ? c.criterion(group.denominator) : sql`true`} as ${rawCol('den')}`);
    raw.push(sql`${group.exclusion ? c.criterion(group.exclusion) : sql`false`} as ${rawCol('denex')}`);
    raw.push(sql`${c.criterion(group.numerator)} as ${rawCol('numer')}`);
    raw.push(sql`${group.exception ? c.criterion(group.exception) : sql`false`} as ${rawCol('denexcep')}`);
    const ip = sql`coalesce(r.${rawCol('ip')}, false)`;
    const den = sql`(${ip} and coalesce(r.${rawCol('den')}, false))`;
    const denex = sql`(${den} and coalesce(r.${rawCol('denex')}, false))`;
    const numer = sql`(${den} and not ${denex} and coalesce(r.${rawCol('numer')}, false))`;
    const denexcep = sql`(${den} and not ${denex} and not ${numer} and coalesce(r.${rawCol('denexcep')}, false))`;
    chained.push(sql`${ip} as ${col('ip')}`, sql`${den} as ${col('den')}`, sql`${denex} as ${col('denex')}`);
    chained.push(sql`${numer} as ${col('numer')}`, sql`${denexcep} as ${col('denexcep')}`);
    (group.numeratorParts?.parts ?? []).forEach((part, k) => {
      const column = partColumn(g, k);
      raw.push(sql`${c.criterion(part.criterion)} as ${sql.identifier(`raw_${column}`)}`);
      chained.push(sql`coalesce(r.${sql.identifier(`raw_${column}`)}, false) as ${sql.identifier(column)}`);
    });
  });
  (measure.strata ?? []).forEach((stratum, s) => {
    raw.push(sql`${c.criterion(stratum.criterion)} as ${sql.identifier(`raw_${stratumColumn(s)}`)}`);
    chained.push(sql`coalesce(r.${sql.identifier(`raw_${stratumColumn(s)}`)}, false) as ${sql.identifier(stratumColumn(s))}`);
  });
  const anyIp = sql.join(
    measure.groups.map((_, g) => sql`r.${sql.identifier(`raw_${flagColumn(g, 'ip')}`)}`),
    sql` or `,
  );
  // Attributed to the provider of the patient's last finished visit in the period (its start compared as
  // an instant, so the index scan starts at the period's end).
  const provider = sql`(select en.provider_id from encounters en where en.patient_id = r.patient_id and en.status = 'finished'
    and en.provider_id is not null and ${c.inWindow(sql`en.starts_at`)}
    order by en.starts_at desc limit 1)`;
  const body = sql.join(raw, sql`, `);
  const gates = measure.groups.map((group) => c.patientConditions(group.initialPopulation));
  const gate = gates.every((x) => x !== undefined) ? sql`(${sql.join(gates as SQL[], sql` or `)})` : sql`true`;
  // candidates: the patients the measure can count, with the columns the criteria read; l: each
  // distinct record criterion once per candidate (r needs no join back to patients); r: the raw flags
  // combined from them. All materialized: every chained flag repeats the raw flags it builds on (DEN
  // repeats IP, NUMER repeats DEN and DENEX...), and an inlined CTE would copy each criterion's subplan
  // into every column that names it (53 subplans for CMS122).
  const tests = [...c.sharedCriteria.values()].map((x) => sql`, ${x.test} as ${sql.identifier(x.column)}`);
  const sources = c.observationReads().map((o) => sql`${sql.identifier(o.name)} as materialized (${o.query}), `);
  return sql`with candidates as materialized (select p.id, p.dob, p.sex, p.deceased_date from patients p where ${patientFilter} and ${gate}),
    ${sql.join(sources, sql``)}l as materialized (select p.* ${sql.join(tests, sql``)} from candidates p),
    r as materialized (select p.id as patient_id, ${body} from l p)
    select r.patient_id, ${provider} as provider_id, ${sql.join(chained, sql`, `)} from r where ${anyIp}`;
}
