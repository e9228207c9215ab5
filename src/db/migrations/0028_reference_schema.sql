-- National reference data (value set expansions, RVUs and GPCIs, NDC products) moves to the one
-- "reference" schema every practice on a server shares (README, "Several practices on one server").
-- This runs once per practice schema, with the practice's schema first on the search_path: the first
-- practice migrated moves its tables; each later one was given empty copies by the earlier migrations
-- and drops them. A later copy that holds rows is never dropped: the migration stops instead.
CREATE SCHEMA IF NOT EXISTS "reference";
--> statement-breakpoint
DO $$
DECLARE
  practice_schema text := current_schema();
  t text;
  found boolean;
BEGIN
  -- Tables that others reference come after those that reference them, so each drop is free to go.
  FOREACH t IN ARRAY ARRAY['ndc_products', 'value_set_codes', 'value_set_years', 'value_sets', 'gpci_localities', 'rvu_values', 'rvu_years'] LOOP
    IF to_regclass(format('%I.%I', practice_schema, t)) IS NULL THEN
      CONTINUE;
    ELSIF to_regclass(format('reference.%I', t)) IS NULL THEN
      EXECUTE format('ALTER TABLE %I.%I SET SCHEMA "reference"', practice_schema, t);
    ELSE
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', practice_schema, t) INTO found;
      IF found THEN
        RAISE EXCEPTION 'practice schema % holds its own reference data in %, and the shared reference schema already has it', practice_schema, t
          USING HINT = 'Move or delete those rows by hand, then run "practice db migrate" again.';
      END IF;
      EXECUTE format('DROP TABLE %I.%I', practice_schema, t);
    END IF;
  END LOOP;
END;
$$;
