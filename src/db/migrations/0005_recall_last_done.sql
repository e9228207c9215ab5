ALTER TABLE "recalls" ADD COLUMN "last_done_on" date;--> statement-breakpoint
CREATE INDEX "recalls_rule_idx" ON "recalls" USING btree ("rule_id","status");