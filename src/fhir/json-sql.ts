// A small vocabulary for building FHIR JSON in SQL, one row -> one resource as text, so a bulk export
// only joins lines in Node. The rules the JS mappers followed hold here too: a key whose value is absent
// is left out (json_strip_nulls at the end, which also writes the text compactly, keys in the order
// given), an empty list is left out, text is tested the way JS tests a string (empty is absent).
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { ucumAliases } from './terminology.js';

/** A value json_build_object takes: a SQL expression, or a constant of ours. */
export type Value = Expr | string | number | boolean;
/** A SQL expression or a column. */
export type Expr = SQLWrapper;

/** One of our own constants (a profile URL, a code system) as a SQL literal; never row data. */
export function lit(value: string | number | boolean): SQL {
  if (typeof value === 'string') return sql.raw(`'${value.replace(/'/g, "''")}'::text`);
  return sql.raw(String(value));
}

const value = (v: Value): SQL => (typeof v === 'object' ? sql`${v}` : lit(v));

/** A JSON object, keys in this order; undefined fields are left out. */
export function obj(fields: Record<string, Value | undefined>): SQL {
  const parts = Object.entries(fields)
    .filter((entry): entry is [string, Value] => entry[1] !== undefined)
    .map(([key, v]) => sql`${lit(key)}, ${value(v)}`);
  return sql`json_build_object(${sql.join(parts, sql`, `)})`;
}

/** A JSON array of items that are never null. */
export function arr(...items: Value[]): SQL {
  return sql`json_build_array(${sql.join(items.map(value), sql`, `)})`;
}

/**
 * A JSON array of the items that are present (null items dropped); null when none is, so the key goes.
 * An item may also be `joined()` text: several JSON values already separated by commas.
 */
export function someOf(...items: Expr[]): SQL {
  return sql`('[' || nullif(concat_ws(',', ${sql.join(items, sql`, `)}), '') || ']')::json`;
}

/** As someOf, but an empty list stays (`[]`), as the JS mappers kept some. */
export function listOf(...items: Expr[]): SQL {
  return sql`('[' || concat_ws(',', ${sql.join(items, sql`, `)}) || ']')::json`;
}

/** Child rows' JSON as comma-joined text, for someOf/listOf; null when there are none. */
export function joined(json: Expr, from: Expr, orderBy: Expr): SQL {
  return sql`(select string_agg((${json})::text, ',' order by ${orderBy}) from ${from})`;
}

/** Child rows as a JSON array in order; null (the key left out) when there are none. */
export function rowsOf(json: Expr, from: Expr, orderBy: Expr): SQL {
  return sql`(select json_agg(${json} order by ${orderBy}) from ${from})`;
}

export const when = (condition: Expr, then: Value, otherwise?: Value): SQL =>
  otherwise === undefined ? sql`case when ${condition} then ${value(then)} end` : sql`case when ${condition} then ${value(then)} else ${value(otherwise)} end`;

/** A string JS would call truthy: present and not empty. */
export const filled = (text: Expr): SQL => sql`(${text} <> '')`;
export const present = (v: Expr): SQL => sql`(${v} is not null)`;

/** A timestamp as JS's toISOString writes it (UTC, milliseconds). */
export const iso = (timestamp: Expr): SQL => sql`to_char(${timestamp} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A decimal as a JSON number without trailing zeros (120.0000 -> 120), exact. */
export const decimal = (numeric: Expr): SQL => sql`trim_scale(${numeric})`;

/** A value looked up in one of our tables (code -> display, alias -> UCUM): null when absent. */
export const lookup = (table: Record<string, string>, key: Expr): SQL => sql`(${lit(JSON.stringify(table))}::jsonb ->> ${key})`;

/** "<prefix>-<row id>", our stable resource id. */
export const idOf = (prefix: string, id: Expr): SQL => sql`(${lit(`${prefix}-`)} || ${id})`;

/** A reference to one of our resources, or null when the row points at none. */
export const refTo = (type: string, prefix: string, id: Expr): SQL => when(present(id), obj({ reference: sql`(${lit(`${type}/${prefix}-`)} || ${id})` }));

/** A CodeableConcept: a coding when both system and code are there, the text when given; null when neither. */
export function concept(system: Value, code: Value, display?: Value, text?: Value): SQL {
  const sys = value(system);
  const cd = value(code);
  const hasCoding = sql`(${filled(sys)} and ${filled(cd)})`;
  const txt = text === undefined ? undefined : sql`nullif(${value(text)}, '')`;
  const coding = when(hasCoding, arr(obj({ system: sys, code: cd, display: display === undefined ? undefined : sql`nullif(${value(display)}, '')` })));
  const fields = obj({ coding, text: txt });
  return txt ? when(sql`(${hasCoding} or ${txt} is not null)`, fields) : when(hasCoding, fields);
}

/** The UCUM code for a unit as typed, when we are sure of one (terminology.ts's table). */
export const ucum = (unit: Expr): SQL => lookup(ucumAliases, sql`lower(btrim(${unit}, E' \\t\\n\\r\\f\\v'))`);

/**
 * A Quantity: the value, the UCUM code doubling as the unit text when known (else the unit as typed),
 * so a receiver keeping either gives back the same unit; null without a value.
 */
export function quantity(amount: Expr, unit: Expr, ucumSystem: string): SQL {
  const code = ucum(unit);
  return when(present(amount), obj({ value: decimal(amount), unit: sql`coalesce(${code}, ${unit})`, system: when(present(code), ucumSystem), code }));
}

/** The finished resource as compact JSON text: absent keys dropped everywhere. */
export const resourceText = (resource: Expr): SQL => sql`json_strip_nulls(${resource})::text`;
