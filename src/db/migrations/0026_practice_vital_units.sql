ALTER TABLE "practice" ADD COLUMN "units" text DEFAULT 'us' NOT NULL;--> statement-breakpoint
ALTER TABLE "practice" ADD CONSTRAINT "practice_units_ck" CHECK ("practice"."units" in ('us', 'metric'));