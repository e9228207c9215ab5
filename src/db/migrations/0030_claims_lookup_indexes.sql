CREATE INDEX "claims_original_idx" ON "claims" USING btree ("original_claim_id");--> statement-breakpoint
CREATE INDEX "claims_previous_payer_idx" ON "claims" USING btree ("previous_payer_claim_id");