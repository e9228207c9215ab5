ALTER TABLE "reminder_log" DROP CONSTRAINT "reminder_log_status_ck";--> statement-breakpoint
ALTER TABLE "reminder_messages" DROP CONSTRAINT "reminder_messages_status_ck";--> statement-breakpoint
DROP INDEX "reminder_messages_key_uq";--> statement-breakpoint
ALTER TABLE "reminder_messages" ADD COLUMN "handed_over_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "reminder_messages_key_uq" ON "reminder_messages" USING btree ("idempotency_key") WHERE "reminder_messages"."status" in ('claimed','sent','unconfirmed');--> statement-breakpoint
ALTER TABLE "reminder_log" ADD CONSTRAINT "reminder_log_status_ck" CHECK ("reminder_log"."status" in ('pending','sent','failed','skipped','unconfirmed'));--> statement-breakpoint
ALTER TABLE "reminder_messages" ADD CONSTRAINT "reminder_messages_status_ck" CHECK ("reminder_messages"."status" in ('claimed','sent','failed','released','unconfirmed'));