-- Expansions loaded before value sets were versioned: every one was loaded for the 2026 measures (the
-- only performance year defined then). Give each a version (the year when the file named none), tie
-- its codes to it by id, and make it the 2026 expansion of its OID.
UPDATE "value_sets" SET "version" = '2026' WHERE "version" IS NULL;
--> statement-breakpoint
UPDATE "value_set_codes" c SET "value_set_id" = v."id" FROM "value_sets" v WHERE v."oid" = c."oid";
--> statement-breakpoint
-- Codes of an OID that never had a value_sets row (written by hand): give them one.
INSERT INTO "value_sets" ("oid", "version")
SELECT DISTINCT c."oid", '2026' FROM "value_set_codes" c WHERE c."value_set_id" IS NULL;
--> statement-breakpoint
UPDATE "value_set_codes" c SET "value_set_id" = v."id" FROM "value_sets" v WHERE v."oid" = c."oid" AND c."value_set_id" IS NULL;
--> statement-breakpoint
INSERT INTO "value_set_years" ("performance_year", "oid", "value_set_id")
SELECT 2026, v."oid", v."id" FROM "value_sets" v;
