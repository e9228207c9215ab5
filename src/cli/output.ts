// Results go to stdout: a table for people, or exactly one JSON document with --json.
export { renderFields, renderTable, sanitizeForDisplay, type Column } from '../text/table.js';

export function toJson(data: unknown): string {
  return JSON.stringify(data, (_key, value) => (typeof value === 'bigint' ? Number(value) : value), 2);
}
