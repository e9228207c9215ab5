// Checking the audit trail's hash chain. The database seals every entry (migration audit_chain_triggers):
// seq is its position, prev_hash the hash of the entry before, hash = sha256(prev_hash, content). A
// deleted, changed or reordered entry breaks the chain where it happened; a cut tail, or a trail rewritten
// from scratch by someone who owns the database, only shows against a head recorded elsewhere earlier
// (monthly packs, export manifests, `practice audit head` from cron).
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/query.js';
import type { DbOrTx } from '../db/types.js';
import { UsageError } from '../errors.js';

export interface ChainHead {
  seq: number;
  hash: string;
  at: string;
  /** "seq:hash", the form to log and to give back to `audit verify --head`. */
  head: string;
}

export type BreakKind = 'missing' | 'relinked' | 'changed' | 'unsealed' | 'head-missing' | 'head-rewritten';

export interface ChainBreak {
  kind: BreakKind;
  /** The first entry found wrong (null when the entry is simply gone). */
  seq: number | null;
  id: number | null;
  message: string;
}

export interface ChainReport {
  ok: boolean;
  entries: number;
  head: ChainHead | null;
  /** Earlier heads checked against the trail. */
  heads: { head: string; found: boolean }[];
  broken: ChainBreak | null;
}

interface HeadRow extends Record<string, unknown> {
  seq: number;
  hash: string;
  at: string;
}

export function formatHead(seq: number, hash: string): string {
  return `${seq}:${hash}`;
}

/** An earlier head as logged: "seq:hash" or the hash alone (64 hex digits). */
export function parseHead(text: string): { seq: number | null; hash: string } {
  const match = /^(?:(\d+):)?([0-9a-f]{64})$/i.exec(text.trim());
  if (!match) throw new UsageError(`"${text}" is not an audit chain head.`, 'Give it as printed by "practice audit head": <number>:<64 hex digits>.');
  return { seq: match[1] === undefined ? null : Number(match[1]), hash: match[2]!.toLowerCase() };
}

export async function chainHead(db: DbOrTx): Promise<ChainHead | null> {
  const [row] = await queryRows<HeadRow>(
    db,
    sql`select seq, hash, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as at from audit_log where seq is not null order by seq desc limit 1`,
  );
  return row ? { seq: row.seq, hash: row.hash, at: row.at, head: formatHead(row.seq, row.hash) } : null;
}

interface BreakRow extends Record<string, unknown> {
  seq: number;
  id: number;
  at: string;
  action: string;
  entity: string;
  before_seq: number | null;
  link_ok: boolean;
  hash_ok: boolean;
}

function describe(row: BreakRow): string {
  return `entry #${row.seq} (id ${row.id}, ${row.at}, ${row.action} ${row.entity})`;
}

/** Walks the whole chain in the database and reports the first entry that does not hold. */
export async function verifyChain(db: DbOrTx, earlierHeads: string[] = []): Promise<ChainReport> {
  const expected = earlierHeads.map((text) => ({ text, ...parseHead(text) }));
  const [counts] = await queryRows<{ entries: number; unsealed: number; first_unsealed: number | null }>(
    db,
    sql`select count(*) filter (where seq is not null)::int as entries, count(*) filter (where seq is null)::int as unsealed,
               min(id) filter (where seq is null) as first_unsealed from audit_log`,
  );
  const head = await chainHead(db);
  let broken: ChainBreak | null = null;

  const [first] = await queryRows<BreakRow>(
    db,
    sql`with chain as (
          select a.seq, a.id, to_char(a.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as at, a.action, a.entity,
                 lag(a.seq) over w as before_seq,
                 a.prev_hash is not distinct from lag(a.hash) over w as link_ok,
                 a.hash is not distinct from audit_entry_hash(a.prev_hash, a) as hash_ok
            from audit_log a where a.seq is not null
          window w as (order by a.seq)
        )
        select * from chain
         where seq <> coalesce(before_seq, 0) + 1 or not link_ok or not hash_ok
         order by seq limit 1`,
  );
  if (first) {
    const expectedSeq = (first.before_seq ?? 0) + 1;
    if (first.seq !== expectedSeq) {
      const gone = first.seq - 1 === expectedSeq ? `entry #${expectedSeq} is` : `entries #${expectedSeq} to #${first.seq - 1} are`;
      broken = { kind: 'missing', seq: first.seq, id: first.id, message: `The audit trail is broken: ${gone} missing (deleted) before ${describe(first)}.` };
    } else if (!first.hash_ok) {
      broken = { kind: 'changed', seq: first.seq, id: first.id, message: `The audit trail is broken at ${describe(first)}: its content no longer matches its hash (changed or moved).` };
    } else {
      broken = {
        kind: 'relinked',
        seq: first.seq,
        id: first.id,
        message: `The audit trail is broken at ${describe(first)}: it does not follow the entry before it (that entry was changed, replaced or reordered).`,
      };
    }
  } else if (counts!.unsealed > 0) {
    broken = {
      kind: 'unsealed',
      seq: null,
      id: counts!.first_unsealed,
      message: `The audit trail is broken: ${counts!.unsealed} entr${counts!.unsealed === 1 ? 'y was' : 'ies were'} written outside the chain (first: id ${counts!.first_unsealed}); its sealing trigger was bypassed.`,
    };
  }

  const heads: ChainReport['heads'] = [];
  for (const earlier of expected) {
    const [row] = await queryRows<{ seq: number; hash: string }>(
      db,
      earlier.seq === null ? sql`select seq, hash from audit_log where hash = ${earlier.hash} limit 1` : sql`select seq, hash from audit_log where seq = ${earlier.seq} limit 1`,
    );
    const found = Boolean(row && row.hash === earlier.hash);
    heads.push({ head: earlier.text, found });
    if (found || broken) continue;
    const ends = head ? `it now ends at entry #${head.seq}` : 'it is now empty';
    if (row) {
      broken = { kind: 'head-rewritten', seq: row.seq, id: null, message: `The audit trail was rewritten: entry #${row.seq} of the head recorded earlier (${earlier.text}) now has another hash; ${ends}.` };
    } else if (earlier.seq !== null) {
      broken = { kind: 'head-missing', seq: earlier.seq, id: null, message: `The audit trail was cut short: entry #${earlier.seq} of the head recorded earlier (${earlier.text}) is missing; ${ends}.` };
    } else {
      broken = { kind: 'head-missing', seq: null, id: null, message: `The head recorded earlier (${earlier.text}) is not in the audit trail: entries were removed from its end, or it was rewritten; ${ends}.` };
    }
  }
  return { ok: broken === null, entries: counts!.entries, head, heads, broken };
}
