// Candidate duplicate charts. The database pairs patients who share a date of birth or a normalised
// name (blocking, in SQL); only those few pairs are scored here, with the reasons a person can check.
import { jaroWinkler } from '@skyra/jaro-winkler';
import { and, eq, lt, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { patients } from '../db/schema/index.js';
import type { DbOrTx } from '../db/types.js';
import { normalizeNameText } from './names.js';

// Common English given-name variants. Partial on purpose: enough to catch the usual chart duplicates.
const NICKNAME_GROUPS = [
  'robert bob bobby rob robbie bert',
  'william bill billy will willie liam',
  'richard rick ricky dick rich',
  'james jim jimmy jamie',
  'john jack johnny jon',
  'joseph joe joey',
  'michael mike mikey mick',
  'thomas tom tommy',
  'charles charlie chuck chas',
  'edward ed eddie ted ned',
  'anthony tony',
  'daniel dan danny',
  'david dave davey',
  'christopher chris kit',
  'matthew matt',
  'nicholas nick nicky',
  'steven stephen steve',
  'benjamin ben benny',
  'samuel sam sammy',
  'alexander alex al xander',
  'andrew andy drew',
  'patrick pat paddy',
  'lawrence larry',
  'gregory greg',
  'jonathan jon jonny',
  'timothy tim timmy',
  'elizabeth liz beth betty eliza lisa libby',
  'margaret maggie meg peggy marge',
  'katherine catherine kate katie kathy cathy kat',
  'jennifer jen jenny',
  'patricia pat patty trish tricia',
  'susan sue susie suzanne',
  'deborah debra deb debbie',
  'rebecca becky becca',
  'victoria vicky tori',
  'christine christina chris chrissy tina',
  'barbara barb barbie',
  'dorothy dot dottie',
  'abigail abby',
  'alexandra alex sandra sandy',
  'samantha sam sammy',
  'josephine jo josie',
  'theresa teresa terry tess',
  'jacqueline jackie',
  'kimberly kim',
  'pamela pam',
  'cynthia cindy',
  'frances fran frannie',
  'francis frank frankie',
  'maria mary marie',
  'jose pepe',
  'francisco paco pancho',
].map((group) => group.split(' '));

function areNicknames(a: string, b: string): boolean {
  return NICKNAME_GROUPS.some((group) => group.includes(a) && group.includes(b));
}

/** Two dates that differ by one mistyped digit, or by day and month swapped. */
function likelyDateTypo(a: string, b: string): boolean {
  if (a === b) return false;
  const diff = [...a].filter((ch, i) => ch !== b[i]).length;
  if (diff === 1) return true;
  const [ya, ma, da] = a.split('-');
  const [yb, mb, db] = b.split('-');
  if (ya === yb && ma === db && da === mb) return true;
  // Two adjacent digits swapped (1985 / 1958).
  for (let i = 0; i < a.length - 1; i++) {
    if (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(0, i) === b.slice(0, i) && a.slice(i + 2) === b.slice(i + 2)) return true;
  }
  return false;
}

export interface CandidateSide {
  id: number;
  mrn: string;
  firstName: string;
  lastName: string;
  dob: string;
  phone: string | null;
  email: string | null;
}

export interface DuplicatePair {
  score: number;
  reasons: string[];
  a: CandidateSide;
  b: CandidateSide;
}

const SIMILAR = 0.88;

/** 0-100 with the reasons; exported for the import area's matching too. */
export function scorePair(a: CandidateSide, b: CandidateSide): { score: number; reasons: string[] } {
  const reasons: string[] = [];
  const [firstA, lastA, firstB, lastB] = [a.firstName, a.lastName, b.firstName, b.lastName].map((n) => normalizeNameText(n).replace(/ /g, ''));
  const lastSim = jaroWinkler(lastA!, lastB!);
  let firstSim = jaroWinkler(firstA!, firstB!);
  const firstWords = [normalizeNameText(a.firstName).split(' ')[0]!, normalizeNameText(b.firstName).split(' ')[0]!];
  const nick = firstSim < 1 && areNicknames(firstWords[0]!, firstWords[1]!);
  if (nick) firstSim = 0.95;
  const straight = lastSim * 0.6 + firstSim * 0.4;
  const swapped = Math.min(jaroWinkler(firstA!, lastB!), jaroWinkler(lastA!, firstB!));
  let nameScore: number;
  if (swapped >= SIMILAR && swapped > straight) {
    nameScore = swapped;
    reasons.push('first and last names swapped');
  } else {
    nameScore = straight;
    if (lastSim === 1) reasons.push('same last name');
    else if (lastSim >= SIMILAR) reasons.push('similar last names (typo?)');
    if (nick) reasons.push('first names are nickname and full name');
    else if (firstSim === 1) reasons.push('same first name');
    else if (firstSim >= SIMILAR) reasons.push('similar first names (typo?)');
    else if (firstA!.startsWith(firstB!) || firstB!.startsWith(firstA!)) {
      nameScore = lastSim * 0.6 + 0.3;
      reasons.push('one first name is a shortening of the other');
    }
  }
  let score = nameScore * 50;
  if (a.dob === b.dob) {
    score += 40;
    reasons.unshift('same date of birth');
  } else if (likelyDateTypo(a.dob, b.dob)) {
    score += 20;
    reasons.unshift('dates of birth differ by a likely typo');
  }
  if (a.phone && a.phone === b.phone) {
    score += 10;
    reasons.push('same phone');
  }
  if (a.email && a.email.toLowerCase() === b.email?.toLowerCase()) {
    score += 10;
    reasons.push('same email');
  }
  return { score: Math.min(100, Math.round(score)), reasons };
}

export async function findDuplicateCandidates(db: DbOrTx, options: { minScore: number; includeInactive?: boolean }): Promise<DuplicatePair[]> {
  const a = alias(patients, 'a');
  const b = alias(patients, 'b');
  const side = (p: typeof a | typeof b) => ({
    id: p.id,
    mrn: p.mrn,
    firstName: p.firstName,
    lastName: p.lastName,
    dob: p.dob,
    phone: sql<string | null>`coalesce(${p.phoneMobile}, ${p.phoneHome})`,
    email: p.email,
  });
  const active = options.includeInactive ? sql`true` : and(eq(a.active, true), eq(b.active, true));
  // Blocking: the same birth date, or the same name words in either order.
  const rows = await db
    .select({ a: side(a), b: side(b) })
    .from(a)
    .innerJoin(b, and(lt(a.id, b.id), or(eq(a.dob, b.dob), eq(a.searchName, b.searchName), eq(sql`lower(${a.firstName} || ' ' || ${a.lastName})`, sql`lower(${b.lastName} || ' ' || ${b.firstName})`))))
    .where(active);
  return rows
    .map((row) => ({ ...scorePair(row.a, row.b), a: row.a, b: row.b }))
    .filter((pair) => pair.score >= options.minScore)
    .sort((x, y) => y.score - x.score || x.a.id - y.a.id);
}
