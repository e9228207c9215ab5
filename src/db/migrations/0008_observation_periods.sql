CREATE TABLE "observation_periods" (
	"observation_id" integer PRIMARY KEY NOT NULL,
	"starts_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "observation_periods" ADD CONSTRAINT "observation_periods_observation_id_observations_id_fk" FOREIGN KEY ("observation_id") REFERENCES "public"."observations"("id") ON DELETE cascade ON UPDATE no action;