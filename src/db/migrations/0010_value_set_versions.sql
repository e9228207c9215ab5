CREATE TABLE "value_set_years" (
	"performance_year" integer NOT NULL,
	"oid" text NOT NULL,
	"value_set_id" integer NOT NULL,
	CONSTRAINT "value_set_years_performance_year_oid_pk" PRIMARY KEY("performance_year","oid")
);
--> statement-breakpoint
DROP INDEX "value_sets_oid_uq";--> statement-breakpoint
ALTER TABLE "value_set_codes" ADD COLUMN "value_set_id" integer;--> statement-breakpoint
ALTER TABLE "value_set_years" ADD CONSTRAINT "value_set_years_value_set_id_value_sets_id_fk" FOREIGN KEY ("value_set_id") REFERENCES "public"."value_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "value_set_years_value_set_idx" ON "value_set_years" USING btree ("value_set_id");--> statement-breakpoint
ALTER TABLE "value_set_codes" ADD CONSTRAINT "value_set_codes_value_set_id_value_sets_id_fk" FOREIGN KEY ("value_set_id") REFERENCES "public"."value_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "value_sets_oid_version_uq" ON "value_sets" USING btree ("oid","version");