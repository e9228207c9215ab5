// Lab and imaging orders (FHIR ServiceRequest): what was ordered (LOINC for a lab test, CPT for an
// imaging study), why (ICD-10-CM), by whom, and whether it is still open. A lab result added with
// --order answers the order (src/chart/entries.ts) and completes it.
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { normalizeIcd10 } from '../codes/icd10.js';
import { describeLoincProblem } from '../codes/loinc.js';
import { normalizeProcedureCode, procedureCodeSystem } from '../codes/procedure-codes.js';
import { CodeSystem } from '../codes/systems.js';
import { observations, orders, providers } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { optionalProvider, tableColumns, type EntryKind } from './entries.js';

/** The statuses of an order still waiting to be done. */
export const OPEN_ORDER_STATUSES = ['draft', 'active', 'on-hold'];

export const orderKind: EntryKind = {
  command: 'orders',
  listNoun: 'orders',
  noun: 'order',
  summary: 'lab and imaging orders (LOINC or CPT), with the reason (ICD-10-CM); results link back with "labs add --order"',
  example: 'practice orders add C100 --lab 57698-3 --name "Lipid panel" --reason E78.5 --provider 1234567893',
  options: [
    { flags: '--lab <loinc>', description: 'a lab test, by LOINC code (this or --imaging is required)' },
    { flags: '--imaging <cpt>', description: 'an imaging study, by CPT code, e.g. 71046' },
    { flags: '--name <text>', description: 'the test or study as it reads on the requisition' },
    { flags: '--reason <icd10>', description: 'the diagnosis it is ordered for (ICD-10-CM)' },
    { flags: '--reason-text <text>', description: 'the reason in words' },
    { flags: '--provider <npi>', description: 'the ordering provider (required)' },
    { flags: '--date <when>', description: 'when it was ordered (default now)' },
  ],
  columns: tableColumns({ Id: 'id', Ordered: 'orderedAt', Kind: 'kind', Code: 'code', Test: 'display', Reason: 'reasonCode', Status: 'status', Results: 'results' }),
  async add(tx, patient, c, clock) {
    const lab = c.text('lab');
    const imaging = c.text('imaging');
    if (!lab && !imaging) c.fail('--lab', 'REQUIRED', 'Give --lab <LOINC> for a lab test or --imaging <CPT> for an imaging study.');
    if (lab && imaging) c.fail('--imaging', 'ONE_ORDER', 'One order is one test: give --lab or --imaging, not both (add a second order for the other).');
    const loincProblem = lab ? describeLoincProblem(lab) : undefined;
    if (loincProblem) c.fail('--lab', 'LOINC', loincProblem);
    const cpt = c.code('imaging', '--imaging', (s) => {
      const code = normalizeProcedureCode(s);
      return code && procedureCodeSystem(code) === CodeSystem.cpt ? code : undefined;
    }, 'a CPT code (5 characters, e.g. 71046)');
    const reason = c.code('reason', '--reason', normalizeIcd10, 'an ICD-10-CM code (e.g. E78.5)');
    const npi = c.required('provider', '--provider');
    const at = c.instant('date', '--date');
    c.done();
    const providerId = await optionalProvider(tx, npi);
    const codeSystem = lab ? CodeSystem.loinc : CodeSystem.cpt;
    const code = lab ? lab : cpt!;
    const open = await tx
      .select({ id: orders.id })
      .from(orders)
      .where(and(eq(orders.patientId, patient.id), eq(orders.codeSystem, codeSystem), eq(orders.code, code), inArray(orders.status, OPEN_ORDER_STATUSES)));
    const [row] = await tx
      .insert(orders)
      .values({
        patientId: patient.id,
        providerId,
        kind: lab ? 'lab' : 'imaging',
        codeSystem,
        code,
        display: c.text('name') ?? null,
        status: 'active',
        intent: 'order',
        orderedAt: at,
        reason: c.text('reasonText') ?? null,
        reasonSystem: reason ? CodeSystem.icd10cm : null,
        reasonCode: reason ?? null,
      })
      .returning({ id: orders.id });
    return {
      entity: 'orders',
      ids: [row!.id],
      warnings: open.length ? [`The same test is already ordered and open (order ${open.map((o) => o.id).join(', ')}): check for a duplicate.`] : [],
      details: { kind: lab ? 'lab' : 'imaging' },
    };
  },
  list(db, patient, all) {
    return orderRows(db, patient.id, all);
  },
};

/** A patient's orders, newest first: the open ones, or all of them; with how many results answer each. */
export async function orderRows(db: DbOrTx, patientId: number, all = false) {
  const results = sql<number>`(select count(*)::int from ${observations} where ${observations.orderId} = ${orders.id} and ${observations.panelId} is null and ${observations.status} not in ('entered-in-error', 'cancelled'))`;
  return db
    .select({ id: orders.id, orderedAt: orders.orderedAt, kind: orders.kind, codeSystem: orders.codeSystem, code: orders.code, display: orders.display, reasonCode: orders.reasonCode, reason: orders.reason, status: orders.status, statusNote: orders.statusNote, provider: sql<string | null>`${providers.lastName}`, results })
    .from(orders)
    .leftJoin(providers, eq(providers.id, orders.providerId))
    .where(and(eq(orders.patientId, patientId), inArray(orders.kind, ['lab', 'imaging']), all ? undefined : inArray(orders.status, OPEN_ORDER_STATUSES)))
    .orderBy(desc(orders.orderedAt), desc(orders.id));
}
