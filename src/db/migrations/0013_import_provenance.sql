ALTER TABLE "emergency_contacts" ADD COLUMN "source_system" text;--> statement-breakpoint
ALTER TABLE "emergency_contacts" ADD COLUMN "source_id" text;--> statement-breakpoint
ALTER TABLE "prior_authorizations" ADD COLUMN "source_system" text;--> statement-breakpoint
ALTER TABLE "prior_authorizations" ADD COLUMN "source_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "emergency_contacts_source_uq" ON "emergency_contacts" USING btree ("source_system","source_id");--> statement-breakpoint
CREATE UNIQUE INDEX "prior_authorizations_source_uq" ON "prior_authorizations" USING btree ("source_system","source_id");