// A small vocabulary for building FHIR JSON in SQL, one row -> one resource as compact JSON text, so a
// bulk export only joins lines in Node. The resource is written as text directly: every constant part
// (keys, profile URLs, code systems) is one literal fixed when the query is built, and only the row's
// values are converted per row (json_build_object typed each argument again for every row: measured
// 3 µs a key on PGlite). The rules the JS mappers followed hold here too: an absent value leaves its key
// out, keys keep the order given, text is tested the way JS tests a string (empty is absent).
import { Column, is as isOf, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { ucumAliases } from './terminology.js';

/** A SQL expression or a column. */
export type Expr = SQLWrapper;

/** JSON text: a constant, or a SQL expression giving the text (null when the value is absent). */
export class Json {
  private constructor(
    readonly constant: string | undefined,
    readonly expr: SQL | undefined,
    readonly nullable: boolean,
  ) {}
  static constant(value: unknown): Json {
    return new Json(JSON.stringify(value), undefined, false);
  }
  /** A SQL expression that already gives JSON text. */
  static of(expr: SQL, nullable = true): Json {
    return new Json(undefined, expr, nullable);
  }
  /** The text as SQL. */
  text(): SQL {
    return this.expr ?? lit(this.constant!);
  }
}

/** A value of a resource: JSON built here, a column (converted by its type), a SQL text expression, or a constant of ours. */
export type Value = Json | Expr | string | number | boolean;

/** One of our own constants (a profile URL, a code system) as a SQL literal; never row data. */
export function lit(value: string | number | boolean): SQL {
  if (typeof value === 'string') return sql.raw(`'${value.replace(/'/g, "''")}'::text`);
  return sql.raw(String(value));
}

/** A column's value as JSON text, written as JSON.stringify writes what the driver gives the JS mappers. */
function columnJson(column: Column): Json {
  const nullable = !column.notNull;
  switch (column.columnType) {
    case 'PgInteger':
    case 'PgSmallInt':
    case 'PgSerial':
      return Json.of(sql`${column}::text`, nullable);
    case 'PgBoolean':
      return Json.of(sql`case when ${column} then 'true' when not ${column} then 'false' end`, nullable);
    case 'PgNumeric':
      return decimal(column);
    case 'PgTimestamp':
      return iso(column);
    default:
      // Text, char and dates (to_json writes a date as ISO 8601 whatever the session's DateStyle).
      return Json.of(sql`to_json(${column})::text`, nullable);
  }
}

export function json(v: Value): Json {
  if (v instanceof Json) return v;
  if (typeof v !== 'object') return Json.constant(v);
  if (isOf(v, Column)) return columnJson(v);
  return Json.of(sql`to_json((${v})::text)::text`);
}

/** Pieces of text (constants merged) joined with || into one SQL expression. */
function concat(pieces: (string | SQL)[]): SQL {
  const merged: (string | SQL)[] = [];
  for (const piece of pieces) {
    const last = merged[merged.length - 1];
    if (typeof piece === 'string' && typeof last === 'string') merged[merged.length - 1] = last + piece;
    else if (piece !== '') merged.push(piece);
  }
  return sql.join(merged.map((p) => (typeof p === 'string' ? lit(p) : sql`${p}`)), sql` || `);
}

/** A JSON object, keys in this order; undefined fields are left out, and so are fields whose value is absent in a row. */
export function obj(fields: Record<string, Value | undefined>): Json {
  const entries = Object.entries(fields)
    .filter((entry): entry is [string, Value] => entry[1] !== undefined)
    .map(([key, v]) => [JSON.stringify(key), json(v)] as const);
  if (entries.every(([, v]) => v.constant !== undefined)) return Json.of(lit(`{${entries.map(([k, v]) => `${k}:${v.constant}`).join(',')}}`), false);
  // Until a field that is always there, each optional field brings its own comma and the first is cut.
  const firstRequired = entries.findIndex(([, v]) => !v.nullable);
  const leadingCommas = firstRequired !== 0;
  const pieces: (string | SQL)[] = [];
  entries.forEach(([key, v], i) => {
    const comma = leadingCommas || i > 0 ? ',' : '';
    if (!v.nullable) pieces.push(`${comma}${key}:`, v.constant ?? v.text());
    else pieces.push(sql`coalesce(${lit(`${comma}${key}:`)} || ${v.text()}, '')`);
  });
  const body = concat(pieces);
  return Json.of(leadingCommas ? sql`('{' || substr(${body}, 2) || '}')` : sql`('{' || ${body} || '}')`, false);
}

/** A JSON array of the items, an absent one written as null (as JSON.stringify writes undefined in an array). */
export function arr(...items: Value[]): Json {
  const parts = items.map(json);
  const pieces: (string | SQL)[] = ['['];
  parts.forEach((p, i) => {
    if (i > 0) pieces.push(',');
    pieces.push(p.constant ?? (p.nullable ? sql`coalesce(${p.text()}, 'null')` : p.text()));
  });
  pieces.push(']');
  return Json.of(sql`(${concat(pieces)})`, false);
}

const joinedItems = (items: Value[]) => sql`concat_ws(',', ${sql.join(items.map((i) => json(i).text()), sql`, `)})`;

/** A JSON array of the items that are present; absent (the key left out) when none is. */
export function someOf(...items: Value[]): Json {
  return Json.of(sql`('[' || nullif(${joinedItems(items)}, '') || ']')`);
}

/** As someOf, but an empty list stays (`[]`), as the JS mappers kept some. */
export function listOf(...items: Value[]): Json {
  return Json.of(sql`('[' || ${joinedItems(items)} || ']')`, false);
}

/** Child rows' JSON as comma-joined text, an item of someOf/listOf; absent when there are none. */
export function joined(item: Json, from: Expr, orderBy: Expr): Json {
  return Json.of(sql`(select string_agg(${item.text()}, ',' order by ${orderBy}) from ${from})`);
}

/** Child rows as a JSON array in order; absent (the key left out) when there are none. */
export function rowsOf(item: Json, from: Expr, orderBy: Expr): Json {
  return Json.of(sql`(select '[' || string_agg(${item.text()}, ',' order by ${orderBy}) || ']' from ${from})`);
}

export function when(condition: Expr, then: Value, otherwise?: Value): Json {
  const a = json(then);
  if (otherwise === undefined) return Json.of(sql`case when ${condition} then ${a.text()} end`);
  const b = json(otherwise);
  return Json.of(sql`case when ${condition} then ${a.text()} else ${b.text()} end`, a.nullable || b.nullable);
}

/** The first of the values that is present. */
export function firstOf(...values: Value[]): Json {
  const parts = values.map(json);
  return Json.of(sql`coalesce(${sql.join(parts.map((p) => p.text()), sql`, `)})`, parts.every((p) => p.nullable));
}

/** A string JS would call truthy: present and not empty. */
export const filled = (text: Expr): SQL => sql`(${text} <> '')`;
export const present = (v: Expr): SQL => sql`(${v} is not null)`;

const nullableOf = (v: Expr) => !(isOf(v, Column) && v.notNull);

/** A timestamp as JS's toISOString writes it (UTC, milliseconds). */
export const iso = (timestamp: Expr): Json =>
  Json.of(sql`('"' || to_char(${timestamp} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"')`, nullableOf(timestamp));

/** A decimal as a JSON number without trailing zeros (120.0000 -> 120), exact. */
export const decimal = (numeric: Expr): Json => Json.of(sql`trim_scale(${numeric})::text`, nullableOf(numeric));

/** A value looked up in one of our tables (code -> display, alias -> UCUM): SQL text, null when absent. */
export const lookup = (table: Record<string, string>, key: Expr): SQL => sql`(${lit(JSON.stringify(table))}::jsonb ->> ${key})`;

/** "<prefix>-<row id>", our stable resource id. */
export const idOf = (prefix: string, id: Expr): Json => Json.of(concat([`"${prefix}-`, sql`${id}`, '"']), nullableOf(id));

/** A reference to one of our resources; absent when the row points at none. */
export function refTo(type: string, prefix: string, id: Expr): Json {
  const text = concat([`{"reference":"${type}/${prefix}-`, sql`${id}`, '"}']);
  return nullableOf(id) ? Json.of(sql`(${text})`) : Json.of(sql`(${text})`, false);
}

/** A CodeableConcept: a coding when both system and code are there, the text when given; absent when neither. */
export function concept(system: Expr | string, code: Expr | string, display?: Expr, text?: Expr): Json {
  const sys = typeof system === 'string' ? lit(system) : system;
  const cd = typeof code === 'string' ? lit(code) : code;
  const hasCoding = typeof system === 'string' && typeof code === 'string' ? sql`true` : sql`(${filled(sys)} and ${filled(cd)})`;
  const txt = text === undefined ? undefined : sql`nullif(${text}, '')`;
  const coding = when(hasCoding, arr(obj({ system, code, display: display === undefined ? undefined : sql`nullif(${display}, '')` })));
  const fields = obj({ coding, text: txt });
  return txt ? when(sql`(${hasCoding} or ${txt} is not null)`, fields) : when(hasCoding, fields);
}

/** The UCUM code for a unit as typed, when we are sure of one (terminology.ts's table). */
export const ucum = (unit: Expr): SQL => lookup(ucumAliases, sql`lower(btrim(${unit}, E' \\t\\n\\r\\f\\v'))`);

/**
 * A Quantity: the value, the UCUM code doubling as the unit text when known (else the unit as typed),
 * so a receiver keeping either gives back the same unit; absent without a value.
 */
export function quantity(amount: Expr, unit: Expr, ucumSystem: string): Json {
  const code = ucum(unit);
  return when(present(amount), obj({ value: decimal(amount), unit: sql`coalesce(${code}, ${unit})`, system: when(present(code), ucumSystem), code }));
}

/** The finished resource as SQL text. */
export const resourceText = (resource: Json): SQL => resource.text();
