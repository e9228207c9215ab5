ALTER TABLE "allergies" ADD COLUMN "status_note" text;--> statement-breakpoint
ALTER TABLE "allergies" ADD COLUMN "replaces_id" integer;--> statement-breakpoint
ALTER TABLE "immunizations" ADD COLUMN "status_note" text;--> statement-breakpoint
ALTER TABLE "immunizations" ADD COLUMN "replaces_id" integer;--> statement-breakpoint
ALTER TABLE "medications" ADD COLUMN "status_note" text;--> statement-breakpoint
ALTER TABLE "medications" ADD COLUMN "replaces_id" integer;--> statement-breakpoint
ALTER TABLE "problems" ADD COLUMN "status_note" text;--> statement-breakpoint
ALTER TABLE "problems" ADD COLUMN "replaces_id" integer;--> statement-breakpoint
ALTER TABLE "administration_orders" ADD COLUMN "allergy_override_reason" text;--> statement-breakpoint
ALTER TABLE "allergies" ADD CONSTRAINT "allergies_replaces_id_allergies_id_fk" FOREIGN KEY ("replaces_id") REFERENCES "public"."allergies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "immunizations" ADD CONSTRAINT "immunizations_replaces_id_immunizations_id_fk" FOREIGN KEY ("replaces_id") REFERENCES "public"."immunizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "medications" ADD CONSTRAINT "medications_replaces_id_medications_id_fk" FOREIGN KEY ("replaces_id") REFERENCES "public"."medications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "problems" ADD CONSTRAINT "problems_replaces_id_problems_id_fk" FOREIGN KEY ("replaces_id") REFERENCES "public"."problems"("id") ON DELETE no action ON UPDATE no action;