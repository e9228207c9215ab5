// Set-based writes for imports: each batch's rows are loaded by COPY into a temporary staging table of the
// batch's transaction (src/db/bulk.ts stageRows), then matched and upserted from there in one statement per
// table (never row by row through the query builder). The few small inputs of other record kinds (payers,
// diagnoses, qualifiers) still go as one JSON parameter unpacked by json_to_recordset.
// Re-imports are idempotent through the (source_system, source_id) unique index every clinical table has,
// and through patient_identifiers for patients.
import { and, eq, getTableColumns, getTableName, inArray, sql, type SQL } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { queryRows } from '../db/query.js';
import { stageRows, type CopyValue } from '../db/bulk.js';
import {
  advanceDirectives,
  allergies,
  appointments,
  carePlans,
  charges,
  coverages,
  emergencyContacts,
  encounterDiagnoses,
  encounters,
  goals,
  imagingReports,
  immunizations,
  medicalHistory,
  medications,
  notDoneEvents,
  observationPeriods,
  observations,
  orders,
  patientIdentifiers,
  patients,
  priorAuthorizations,
  problems,
  procedures,
  progressNotes,
  providers,
  recordQualifiers,
  referrals,
} from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { patientSearchName } from '../chart/names.js';

/** The tables an import writes besides patients; each has source_system/source_id and patient_id. */
export const clinicalTables = {
  encounters,
  problems,
  allergies,
  medications,
  immunizations,
  medicalHistory,
  observations,
  orders,
  procedures,
  notDoneEvents,
  progressNotes,
  charges,
  coverages,
  appointments,
  emergencyContacts,
  imagingReports,
  carePlans,
  goals,
  priorAuthorizations,
  referrals,
  advanceDirectives,
} satisfies Record<string, PgTable>;
export type ClinicalTarget = keyof typeof clinicalTables;

/** Tables written before the others, so later records can point to them by source id. */
export const targetOrder: ClinicalTarget[] = [
  'encounters',
  'coverages',
  'priorAuthorizations',
  'emergencyContacts',
  'problems',
  'allergies',
  'medications',
  'immunizations',
  'medicalHistory',
  'orders',
  'procedures',
  'notDoneEvents',
  'progressNotes',
  'charges',
  'appointments',
  'carePlans',
  'goals',
  'referrals',
  'imagingReports',
  'advanceDirectives',
  'observations',
];

export interface PatientRef {
  system: string;
  value: string;
}

export interface PatientRecord {
  /** The patient's id in the source: the idempotency key (patient_identifiers). */
  key: PatientRef;
  mrn: string;
  /** The chart number to use instead when `mrn` already belongs to another patient. */
  fallbackMrn?: string;
  /** Further ids the patient has in other systems, kept in patient_identifiers. */
  identifiers?: PatientRef[];
  /** patients columns, camelCase. */
  values: Record<string, unknown> & { firstName: string; lastName: string; dob: string };
}

export interface ClinicalRecord {
  target: ClinicalTarget;
  sourceSystem: string;
  sourceId: string;
  patient: PatientRef;
  /** Source id of the visit in the same source system; null when it is not there (tolerated). */
  encounter?: string;
  /** Source id of the blood-pressure panel an observation component belongs to. */
  panel?: string;
  values: Record<string, unknown>;
  /** Details measures need that the table has no column for (discharge disposition, body site). */
  qualifiers?: { qualifier: 'discharge-disposition' | 'body-site' | 'type'; codeSystem: string; code: string; display?: string }[];
  /** Start of an observation's effectivePeriod (effective_at holds its end). */
  periodStart?: string;
  /**
   * Records of one table are written in groups of ascending order (ids follow it): the n-th component of
   * each panel in group n keeps the components in their order. Panels and records another record of the
   * same table points to go before them.
   */
  writeOrder?: number;
  /** Foreign keys found at write time: a provider by NPI, or a record of an earlier target by source id. */
  links?: RecordLink[];
}

/**
 * A provider by NPI, or (when the clinician is not described in the input, as in an incremental export) by
 * the source id of an earlier import; or a record of an earlier target by source id: its id, or the value
 * of its column `from` (a record's own stored value, when the input does not say).
 */
export type RecordLink = { column: string } & ({ npi: string } | { provider: string } | { target: ClinicalTarget; sourceId: string; from?: string });

/** The key of a provider link in the map ensureProviders returns. */
const providerKey = (link: { npi: string } | { provider: string }) => ('npi' in link ? `npi\u0000${link.npi}` : `source\u0000${link.provider}`);

/** A clinician named by imported records (FHIR Practitioner): matched by NPI, created when missing. */
export interface ProviderRecord {
  sourceId: string;
  npi: string;
  firstName: string;
  lastName: string;
  credentials: string | null;
  active: boolean;
}

export type Outcome = 'inserted' | 'updated' | 'unchanged';

interface TargetColumn {
  key: string;
  name: string;
  type: string;
}

const skipped = new Set(['id', 'createdAt', 'updatedAt', 'patientId', 'encounterId', 'panelId', 'sourceSystem', 'sourceId']);

function columnsOf(table: PgTable): TargetColumn[] {
  return Object.entries(getTableColumns(table) as Record<string, PgColumn>)
    .filter(([key]) => !skipped.has(key))
    .map(([key, column]) => ({ key, name: toSnakeCase(key), type: column.getSQLType() }));
}

const columnCache = new Map<PgTable, TargetColumn[]>();
function targetColumns(table: PgTable): TargetColumn[] {
  let columns = columnCache.get(table);
  if (!columns) columnCache.set(table, (columns = columnsOf(table)));
  return columns;
}

const integerRange: Record<string, number> = { smallint: 2 ** 15, integer: 2 ** 31, bigint: 2 ** 63 };

/**
 * The columns where a record's value cannot be stored as the schema types them: longer than a char(n) or
 * varchar(n), outside an integer's range. Names a refused row's culprit without reading the driver's message.
 */
export function unstorableColumns(patientRecords: PatientRecord[], records: ClinicalRecord[]): string[] {
  const found = new Set<string>();
  const check = (table: PgTable, values: Record<string, unknown>) => {
    for (const c of targetColumns(table)) {
      const value = values[c.key];
      if (value === undefined || value === null) continue;
      const length = /^(?:char|character|varchar|character varying)\((\d+)\)$/.exec(c.type);
      if (length && [...String(value)].length > Number(length[1])) found.add(c.name);
      const range = integerRange[c.type];
      if (range && typeof value === 'number' && (value >= range || value < -range)) found.add(c.name);
    }
  };
  for (const p of patientRecords) check(patients, p.values);
  for (const r of records) check(clinicalTables[r.target], r.values);
  return [...found];
}

/**
 * Patient ids for source references: by identifier (system, value), else, when the reference is the
 * practice's chart number, by patients.mrn. Unknown references are absent from the map. Each reference is
 * looked up by its unique index (a lateral `limit 1` is never turned into a join): joined, the planner would
 * hash the whole table for every batch, a cost that grows with the table as a large import fills it.
 */
export async function resolvePatients(db: DbOrTx, refs: PatientRef[], chartSystem?: string): Promise<Map<string, number>> {
  const unique = new Map<string, PatientRef>();
  for (const ref of refs) unique.set(refKey(ref), ref);
  const found = new Map<string, number>();
  if (unique.size === 0) return found;
  const stage = await stageRows(db, 'refs', [{ name: 'system', type: 'text' }, { name: 'value', type: 'text' }], [...unique.values()].map((r) => [r.system, r.value]));
  const rows = await queryRows<{ system: string; value: string; patient_id: number | null }>(
    db,
    sql`select x.system, x.value, coalesce(pi.patient_id, pm.id) as patient_id
        from ${stage} as x
        left join lateral (select pi.patient_id from patient_identifiers pi where pi.system = x.system and pi.value = x.value limit 1) pi on true
        left join lateral (select pm.id from patients pm where x.system = ${chartSystem ?? null}::text and pm.mrn = x.value limit 1) pm on true`,
  );
  for (const row of rows) if (row.patient_id !== null) found.set(refKey(row), Number(row.patient_id));
  return found;
}

export function refKey(ref: PatientRef): string {
  return `${ref.system}\u0000${ref.value}`;
}

const patientColumns = () => targetColumns(patients).filter((c) => c.key !== 'mrn' && c.key !== 'searchName');

export interface PatientWrite {
  outcomes: Outcome[];
  patientIds: number[];
  /** Index → why the record cannot be written (a conflict with a patient already on file). */
  conflicts: Map<number, string>;
  /** New patients whose normalised name and birth date match one already on file: left for review. */
  possibleDuplicates: number;
}

/**
 * Inserts or updates patients matched by source identifier, then chart number, then (for records that
 * carry no chart number) exact normalised name + date of birth, linking the new identifier. A chart number already used by someone with another
 * date of birth is a conflict, never an overwrite.
 */
export async function writePatients(db: DbOrTx, records: PatientRecord[], allowNameMatch: boolean[]): Promise<PatientWrite> {
  const outcomes: Outcome[] = new Array(records.length).fill('unchanged');
  const patientIds: number[] = new Array(records.length).fill(0);
  const conflicts = new Map<number, string>();
  let possibleDuplicates = 0;
  if (records.length === 0) return { outcomes, patientIds, conflicts, possibleDuplicates };
  const provided = patientColumns().filter((c) => c.key !== 'dob' && records.some((r) => r.values[c.key] !== undefined));
  const stage = await stageRows(
    db,
    'patients',
    [
      { name: 'i', type: 'integer' },
      { name: 'system', type: 'text' },
      { name: 'value', type: 'text' },
      { name: 'mrn', type: 'text' },
      { name: 'search_name', type: 'text' },
      { name: 'dob', type: 'date' },
      { name: 'allow_name', type: 'boolean' },
      ...provided,
    ],
    records.map((r, i) => {
      const row: CopyValue[] = [i, r.key.system, r.key.value, r.mrn, patientSearchName(r.values), r.values.dob, allowNameMatch[i] ?? false];
      for (const c of provided) row.push(r.values[c.key] as CopyValue);
      return row;
    }),
  );
  const written = [{ name: 'dob' }, ...provided].map((c) => sql.identifier(c.name));
  const target = sql.join(written.map((n) => sql`p.${n}`), sql`, `);
  const source = sql.join(written.map((n) => sql`x.${n}`), sql`, `);
  // Matching, update, insert and identifiers in one statement: each step joins the batch as a set (a list of
  // row numbers matched with = any() cost a comparison per row and list entry, quadratic in the batch size).
  const rows = await queryRows<{ i: number; id: number | null; inserted: boolean; updated: boolean; conflict: boolean; name_hit: boolean }>(
    db,
    sql`with matched as (
          select x.*, pi.patient_id as by_key, pm.id as by_mrn, pm.dob as mrn_dob, pn.id as by_name
          from ${stage} as x
          -- Lookups by unique index, as in resolvePatients.
          left join lateral (select pi.patient_id from patient_identifiers pi where pi.system = x.system and pi.value = x.value limit 1) pi on true
          left join lateral (select pm.id, pm.dob from patients pm where pm.mrn = x.mrn limit 1) pm on true
          -- Name + birth date only for records matched no other way (a gate, not a scan per row).
          left join lateral (select p.id from patients p where pi.patient_id is null and pm.id is null and p.search_name = x.search_name and p.dob = x.dob order by p.id limit 1) pn on true
        ),
        decided as materialized (
          select m.*,
            case when m.by_key is not null then m.by_key when m.by_mrn is not null then (case when m.mrn_dob = m.dob then m.by_mrn end) when m.allow_name then m.by_name end as pid,
            (m.by_key is null and m.by_mrn is not null and m.mrn_dob is distinct from m.dob) as conflict
          from matched m
        ),
        changed as (
          update patients p set ${sql.join(
            written.map((n) => sql`${n} = x.${n}`),
            sql`, `,
          )}, search_name = x.search_name, updated_at = now()
          from decided x
          -- The ids as an array are an index scan of patients; the join alone would scan the whole table.
          where p.id = any(array(select d.pid from decided d where d.pid is not null)) and p.id = x.pid and (${target}, p.search_name) is distinct from (${source}, x.search_name)
          returning x.i
        ),
        fresh as (
          insert into patients (mrn, search_name, ${sql.join(written, sql`, `)})
          select x.mrn, x.search_name, ${source} from decided x where x.pid is null and not x.conflict
          returning id, mrn
        ),
        linked as (
          select d.i, d.system, d.value, d.conflict, coalesce(d.pid, f.id) as id, f.id is not null as inserted, (f.id is not null and d.by_name is not null) as name_hit
          from decided d left join fresh f on d.pid is null and not d.conflict and f.mrn = d.mrn
        ),
        identified as (
          insert into patient_identifiers (patient_id, system, value)
          select l.id, l.system, l.value from linked l where l.id is not null
          on conflict (system, value) do nothing
        )
        select l.i, l.id, l.inserted, c.i is not null as updated, l.conflict, l.name_hit from linked l left join changed c on c.i = l.i`,
  );
  for (const row of rows) {
    const r = records[row.i]!;
    if (row.conflict) conflicts.set(row.i, `chart number ${r.mrn} already belongs to a patient with a different date of birth`);
    else patientIds[row.i] = Number(row.id);
    if (row.inserted) outcomes[row.i] = 'inserted';
    else if (row.updated) outcomes[row.i] = 'updated';
    if (row.name_hit) possibleDuplicates++;
  }
  return { outcomes, patientIds, conflicts, possibleDuplicates };
}

/**
 * Upserts records of one table keyed by (source_system, source_id); patient ids must be resolved.
 * Returns each record's outcome in order. Visits and BP panels are looked up by source id in SQL.
 */
export async function writeClinical(db: DbOrTx, target: ClinicalTarget, records: (ClinicalRecord & { patientId: number })[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(records.length).fill('unchanged');
  if (records.length === 0) return outcomes;
  const table = clinicalTables[target];
  const tableName = getTableName(table);
  const columns = targetColumns(table).filter((c) => records.some((r) => r.values[c.key] !== undefined));
  const hasEncounter = 'encounterId' in getTableColumns(table);
  const hasPanel = target === 'observations';
  // Looked up only when the batch names some: the join would otherwise scan the visits or observations for nothing.
  const findEncounters = hasEncounter && records.some((r) => r.encounter);
  const findPanels = hasPanel && records.some((r) => r.panel);
  const stage = await stageRows(
    db,
    tableName,
    [
      { name: 'source_system', type: 'text' },
      { name: 'source_id', type: 'text' },
      { name: 'patient_id', type: 'integer' },
      { name: 'encounter_source', type: 'text' },
      { name: 'panel_source', type: 'text' },
      ...columns,
    ],
    records.map((r) => {
      const row: CopyValue[] = [r.sourceSystem, r.sourceId, r.patientId, r.encounter, r.panel];
      for (const c of columns) row.push(r.values[c.key] as CopyValue);
      return row;
    }),
  );
  const names = [
    'source_system',
    'source_id',
    'patient_id',
    ...(hasEncounter ? ['encounter_id'] : []),
    ...(hasPanel ? ['panel_id'] : []),
    ...columns.map((c) => c.name),
  ];
  const selected = [
    sql`x.source_system`,
    sql`x.source_id`,
    sql`x.patient_id`,
    ...(hasEncounter ? [findEncounters ? sql`e.id` : sql`null::integer`] : []),
    ...(hasPanel ? [findPanels ? sql`panel.id` : sql`null::integer`] : []),
    ...columns.map((c) => sql`x.${sql.identifier(c.name)}`),
  ];
  const updatable = names.filter((n) => n !== 'source_system' && n !== 'source_id');
  const t = sql.identifier(tableName);
  const result = await queryRows<{ source_id: string; inserted: boolean }>(
    db,
    sql`insert into ${t} (${sql.join(names.map((n) => sql.identifier(n)), sql`, `)})
        select ${sql.join(selected, sql`, `)}
        from ${stage} as x
        ${findEncounters ? sql`left join encounters e on e.source_system = x.source_system and e.source_id = x.encounter_source` : sql``}
        ${findPanels ? sql`left join observations panel on panel.source_system = x.source_system and panel.source_id = x.panel_source` : sql``}
        on conflict (source_system, source_id) do update set
          ${sql.join(updatable.map((n) => sql`${sql.identifier(n)} = excluded.${sql.identifier(n)}`), sql`, `)}, updated_at = now()
        where (${sql.join(updatable.map((n) => sql`${t}.${sql.identifier(n)}`), sql`, `)}) is distinct from (${sql.join(
          updatable.map((n) => sql`excluded.${sql.identifier(n)}`),
          sql`, `,
        )})
        returning source_id, (xmax = 0) as inserted`,
  );
  const index = new Map(records.map((r, i) => [r.sourceId, i]));
  for (const row of result) {
    const i = index.get(row.source_id);
    if (i !== undefined) outcomes[i] = row.inserted ? 'inserted' : 'updated';
  }
  return outcomes;
}

/** Ordered diagnoses of imported visits (FHIR Encounter.diagnosis), replaced as a set per visit. */
export async function writeEncounterDiagnoses(
  db: DbOrTx,
  sourceSystem: string,
  rows: { encounter: string; position: number; codeSystem: string; code: string; display?: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  const input = JSON.stringify(rows.map((r) => ({ encounter: r.encounter, position: r.position, code_system: r.codeSystem, code: r.code, display: r.display ?? null })));
  await db.execute(sql`insert into ${encounterDiagnoses} (encounter_id, position, code_system, code, display)
    select e.id, x.position, x.code_system, x.code, x.display
    from json_to_recordset(${input}::json) as x(encounter text, position int, code_system text, code text, display text)
    join encounters e on e.source_system = ${sourceSystem} and e.source_id = x.encounter
    on conflict (encounter_id, position) do update set code_system = excluded.code_system, code = excluded.code, display = excluded.display
    where (encounter_diagnoses.code_system, encounter_diagnoses.code, encounter_diagnoses.display) is distinct from (excluded.code_system, excluded.code, excluded.display)`);
}

/** Qualifiers and observation periods of records just written, found again by source id. */
export async function writeRecordDetails(db: DbOrTx, target: ClinicalTarget, records: ClinicalRecord[]): Promise<void> {
  const tableName = getTableName(clinicalTables[target]);
  const t = sql.identifier(tableName);
  const qualifiers = records.flatMap((r) => (r.qualifiers ?? []).map((q) => ({ source_system: r.sourceSystem, source_id: r.sourceId, qualifier: q.qualifier, code_system: q.codeSystem, code: q.code, display: q.display ?? null })));
  if (qualifiers.length) {
    await db.execute(sql`insert into ${recordQualifiers} (table_name, record_id, qualifier, code_system, code, display)
      select ${tableName}, r.id, x.qualifier, x.code_system, x.code, x.display
      from json_to_recordset(${JSON.stringify(qualifiers)}::json) as x(source_system text, source_id text, qualifier text, code_system text, code text, display text)
      join ${t} r on r.source_system = x.source_system and r.source_id = x.source_id
      on conflict do nothing`);
  }
  const periods = records.filter((r) => r.periodStart).map((r) => ({ source_system: r.sourceSystem, source_id: r.sourceId, starts_at: r.periodStart }));
  if (periods.length) {
    await db.execute(sql`insert into ${observationPeriods} (observation_id, starts_at)
      select o.id, x.starts_at from json_to_recordset(${JSON.stringify(periods)}::json) as x(source_system text, source_id text, starts_at timestamptz)
      join observations o on o.source_system = x.source_system and o.source_id = x.source_id
      on conflict (observation_id) do update set starts_at = excluded.starts_at where observation_periods.starts_at is distinct from excluded.starts_at`);
  }
}

/**
 * Chart numbers the source proposes are taken only when free: a record whose `mrn` already belongs to a
 * patient other than the one its key names gets its fallback (before writePatients matches by chart number).
 */
export async function chooseChartNumbers(db: DbOrTx, records: PatientRecord[]): Promise<void> {
  const proposing = records.filter((r) => r.fallbackMrn && r.fallbackMrn !== r.mrn);
  if (proposing.length === 0) return;
  const input = JSON.stringify(proposing.map((r, i) => ({ i, system: r.key.system, value: r.key.value, mrn: r.mrn })));
  const taken = await queryRows<{ i: number }>(
    db,
    sql`select x.i from json_to_recordset(${input}::json) as x(i int, system text, value text, mrn text)
        join patients p on p.mrn = x.mrn
        where not exists (select 1 from patient_identifiers pi where pi.system = x.system and pi.value = x.value and pi.patient_id = p.id)`,
  );
  for (const { i } of taken) proposing[i]!.mrn = proposing[i]!.fallbackMrn!;
}

/** The further identifiers of written patients; returns the indexes of patients that gained one. */
export async function writePatientIdentifiers(db: DbOrTx, records: PatientRecord[], patientIds: number[]): Promise<Set<number>> {
  const links = records.flatMap((r, i) => (patientIds[i] ? (r.identifiers ?? []).map((id) => ({ i, patient_id: patientIds[i], system: id.system, value: id.value })) : []));
  if (links.length === 0) return new Set();
  const added = await queryRows<{ patient_id: number }>(
    db,
    sql`insert into ${patientIdentifiers} (patient_id, system, value)
        select x.patient_id, x.system, x.value from json_to_recordset(${JSON.stringify(links)}::json) as x(patient_id int, system text, value text)
        on conflict (system, value) do nothing
        returning patient_id`,
  );
  const gained = new Set(added.map((row) => Number(row.patient_id)));
  return new Set(links.filter((l) => gained.has(l.patient_id!)).map((l) => l.i));
}

/**
 * Providers by NPI: the records' clinicians are created when no provider has their NPI (an existing
 * provider is the practice's own and keeps its details). Returns each record's outcome and the provider id
 * of every link the batch's records carry.
 */
export async function ensureProviders(db: DbOrTx, sourceSystem: string, records: ProviderRecord[], links: RecordLink[]): Promise<{ outcomes: Outcome[]; ids: Map<string, number> }> {
  const outcomes: Outcome[] = records.map(() => 'unchanged');
  const ids = new Map<string, number>();
  if (records.length) {
    const unique = [...new Map(records.map((r) => [r.npi, r])).values()];
    const inserted = await db
      .insert(providers)
      .values(unique.map((r) => ({ npi: r.npi, firstName: r.firstName, lastName: r.lastName, credentials: r.credentials, active: r.active, sourceSystem, sourceId: r.sourceId })))
      .onConflictDoNothing()
      .returning({ npi: providers.npi });
    const fresh = new Set(inserted.map((row) => row.npi));
    records.forEach((r, i) => {
      if (fresh.has(r.npi)) outcomes[i] = 'inserted';
    });
  }
  const npis = [...new Set(links.flatMap((l) => ('npi' in l ? [l.npi] : [])))];
  if (npis.length) {
    for (const row of await db.select({ id: providers.id, npi: providers.npi }).from(providers).where(inArray(providers.npi, npis))) ids.set(providerKey(row), row.id);
  }
  const sources = [...new Set(links.flatMap((l) => ('provider' in l ? [l.provider] : [])))];
  if (sources.length) {
    const rows = await db.select({ id: providers.id, provider: providers.sourceId }).from(providers).where(and(eq(providers.sourceSystem, sourceSystem), inArray(providers.sourceId, sources)));
    for (const row of rows) ids.set(providerKey({ provider: row.provider! }), row.id);
  }
  return { outcomes, ids };
}

/**
 * The records with their links filled in: providers from ensureProviders' map, other records by source id in the
 * same source system (written in an earlier target or phase). A link that finds nothing is null.
 */
export async function resolveLinks<R extends ClinicalRecord>(db: DbOrTx, records: R[], providerIds: Map<string, number>): Promise<R[]> {
  const wanted = new Map<string, { target: ClinicalTarget; from: string; sourceIds: Set<string> }>();
  const system = records[0]?.sourceSystem;
  const key = (target: ClinicalTarget, from: string) => `${target}\u0000${from}`;
  for (const r of records) {
    for (const link of r.links ?? []) {
      if (!('target' in link)) continue;
      const k = key(link.target, link.from ?? 'id');
      if (!wanted.has(k)) wanted.set(k, { target: link.target, from: link.from ?? 'id', sourceIds: new Set() });
      wanted.get(k)!.sourceIds.add(link.sourceId);
    }
  }
  const found = new Map<string, unknown>();
  for (const [k, { target, from, sourceIds }] of wanted) {
    const table = clinicalTables[target] as unknown as Record<string, PgColumn> & PgTable;
    const rows = await db
      .select({ value: table[from]!, sourceId: table.sourceId! })
      .from(table)
      .where(and(eq(table.sourceSystem!, system!), inArray(table.sourceId!, [...sourceIds])));
    for (const row of rows as { value: unknown; sourceId: string }[]) found.set(`${k}\u0000${row.sourceId}`, row.value);
  }
  return records.map((r) => {
    if (!r.links?.length) return r;
    const values = { ...r.values };
    for (const link of r.links) {
      values[link.column] = ('target' in link ? found.get(`${key(link.target, link.from ?? 'id')}\u0000${link.sourceId}`) : providerIds.get(providerKey(link))) ?? null;
    }
    return { ...r, values };
  });
}
