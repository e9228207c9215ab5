// Where generated rows collect before a bulk load: one list per table, with ids handed out in order
// (the demo assigns ids itself so a visit's diagnoses, charges and vitals can point to it before loading).
import { getTableName } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import type { CopyValue } from '../db/bulk.js';
import {
  allergies,
  appointments,
  charges,
  communicationConsents,
  coverages,
  emergencyContacts,
  encounterDiagnoses,
  encounters,
  imagingReports,
  immunizations,
  medications,
  observations,
  orders,
  patients,
  problems,
  procedures,
} from '../db/schema/index.js';

/** The tables the demo fills with patients' data, in the order they load (parents first). */
export const DEMO_TABLES = {
  patients,
  emergencyContacts,
  communicationConsents,
  coverages,
  encounters,
  encounterDiagnoses,
  orders,
  observations,
  procedures,
  problems,
  medications,
  allergies,
  immunizations,
  imagingReports,
  charges,
  appointments,
};
export type DemoTable = keyof typeof DEMO_TABLES;
type Insert<T extends DemoTable> = Omit<(typeof DEMO_TABLES)[T]['$inferInsert'], 'id' | 'createdAt' | 'updatedAt'>;

export const demoTableName = (table: DemoTable): string => getTableName(DEMO_TABLES[table]);

export class RowSink {
  private readonly rows = new Map<DemoTable, Record<string, unknown>[]>();

  /** nextIds: the first free id of each table. */
  constructor(readonly nextIds: Record<DemoTable, number>) {}

  /** The id the next row of a table will get. */
  peek(table: DemoTable): number {
    return this.nextIds[table];
  }

  /** Adds a row and returns the id it will have. */
  add<T extends DemoTable>(table: T, row: Insert<T>): number {
    const id = this.nextIds[table]++;
    let list = this.rows.get(table);
    if (!list) this.rows.set(table, (list = []));
    // The generator hands over a fresh object each time, so it can take its id in place.
    (row as Record<string, unknown>).id = id;
    list.push(row as Record<string, unknown>);
    return id;
  }

  /** The rows of a table as COPY columns (snake_case) and value lists; a field a row leaves out is NULL. */
  take(table: DemoTable): { columns: string[]; values: CopyValue[][] } | undefined {
    const list = this.rows.get(table);
    if (!list?.length) return undefined;
    this.rows.delete(table);
    const seen = new Set<string>();
    for (const row of list) for (const key in row) seen.add(key);
    const keys = [...seen];
    const values = new Array<CopyValue[]>(list.length);
    for (let i = 0; i < list.length; i++) {
      const row = list[i]!;
      const out = new Array<CopyValue>(keys.length);
      for (let k = 0; k < keys.length; k++) out[k] = row[keys[k]!] as CopyValue;
      values[i] = out;
    }
    return { columns: keys.map(toSnakeCase), values };
  }
}
