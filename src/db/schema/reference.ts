// The schema every practice on a server shares: national reference data (value set expansions, the
// Medicare fee schedule's RVUs and GPCIs, NDC products), the same for all practices and never anyone's
// patient data. Each practice's own tables live in its own schema (public for the default practice)
// and find these through the connection's search_path or by the qualified names drizzle writes.
import { pgSchema } from 'drizzle-orm/pg-core';

export const REFERENCE_SCHEMA = 'reference';
export const reference = pgSchema(REFERENCE_SCHEMA);
