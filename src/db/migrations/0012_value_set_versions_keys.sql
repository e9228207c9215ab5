DROP INDEX "value_set_codes_uq";--> statement-breakpoint
ALTER TABLE "value_set_codes" ALTER COLUMN "value_set_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "value_sets" ALTER COLUMN "version" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "value_set_codes_set_code_uq" ON "value_set_codes" USING btree ("value_set_id","code_system","code");--> statement-breakpoint
ALTER TABLE "value_set_codes" DROP COLUMN "oid";