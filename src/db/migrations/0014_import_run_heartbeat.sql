ALTER TABLE "import_runs" DROP CONSTRAINT "import_runs_status_ck";--> statement-breakpoint
ALTER TABLE "import_runs" ADD COLUMN "heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "import_runs" ADD CONSTRAINT "import_runs_status_ck" CHECK ("import_runs"."status" in ('running','completed','failed','interrupted','dry-run'));