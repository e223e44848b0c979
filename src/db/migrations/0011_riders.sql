CREATE TABLE "dispatch_queue" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"queued_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" uuid
);
--> statement-breakpoint
CREATE TABLE "order_assignments" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"rider_id" uuid NOT NULL,
	"status" text NOT NULL,
	"offer_id" uuid,
	"assigned_by" uuid,
	"assigned_at" timestamp with time zone NOT NULL,
	"picked_up_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rider_offers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"rider_id" uuid NOT NULL,
	"status" text NOT NULL,
	"distance_m" integer NOT NULL,
	"offered_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "rider_pings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"rider_id" uuid NOT NULL,
	"lat" double precision NOT NULL,
	"lng" double precision NOT NULL,
	"cell" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rider_profiles" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"vehicle" text NOT NULL,
	"plate" text,
	"home_zone_id" uuid NOT NULL,
	"capacity" smallint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"status_reason" text,
	"reviewed_by" uuid,
	"reviewed_at" timestamp with time zone,
	"availability" text DEFAULT 'offline' NOT NULL,
	"active_jobs" integer DEFAULT 0 NOT NULL,
	"last_lat" double precision,
	"last_lng" double precision,
	"last_cell" text,
	"last_ping_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rider_profiles_capacity" CHECK ("rider_profiles"."capacity" between 1 and 5),
	CONSTRAINT "rider_profiles_active_jobs" CHECK ("rider_profiles"."active_jobs" >= 0 and "rider_profiles"."active_jobs" <= "rider_profiles"."capacity"),
	CONSTRAINT "rider_profiles_plate" CHECK ("rider_profiles"."vehicle" = 'bicycle' or "rider_profiles"."plate" is not null)
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "handover_code" text;--> statement-breakpoint
ALTER TABLE "order_assignments" ADD CONSTRAINT "order_assignments_rider_id_rider_profiles_user_id_fk" FOREIGN KEY ("rider_id") REFERENCES "public"."rider_profiles"("user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rider_offers" ADD CONSTRAINT "rider_offers_rider_id_rider_profiles_user_id_fk" FOREIGN KEY ("rider_id") REFERENCES "public"."rider_profiles"("user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rider_pings" ADD CONSTRAINT "rider_pings_rider_id_rider_profiles_user_id_fk" FOREIGN KEY ("rider_id") REFERENCES "public"."rider_profiles"("user_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dispatch_queue_open_idx" ON "dispatch_queue" USING btree ("queued_at") WHERE "dispatch_queue"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "order_assignments_rider_status_idx" ON "order_assignments" USING btree ("rider_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "rider_offers_open_order_idx" ON "rider_offers" USING btree ("order_id") WHERE "rider_offers"."status" = 'offered';--> statement-breakpoint
CREATE INDEX "rider_offers_order_rider_idx" ON "rider_offers" USING btree ("order_id","rider_id");--> statement-breakpoint
CREATE INDEX "rider_offers_open_rider_idx" ON "rider_offers" USING btree ("rider_id") WHERE "rider_offers"."status" = 'offered';--> statement-breakpoint
CREATE INDEX "rider_offers_open_expiry_idx" ON "rider_offers" USING btree ("expires_at") WHERE "rider_offers"."status" = 'offered';--> statement-breakpoint
CREATE INDEX "rider_pings_rider_at_idx" ON "rider_pings" USING btree ("rider_id","at");--> statement-breakpoint
CREATE INDEX "rider_pings_at_idx" ON "rider_pings" USING btree ("at");--> statement-breakpoint
CREATE INDEX "rider_profiles_dispatch_idx" ON "rider_profiles" USING btree ("last_cell","last_ping_at") WHERE "rider_profiles"."availability" = 'available' and "rider_profiles"."status" = 'verified';--> statement-breakpoint
CREATE INDEX "rider_profiles_status_idx" ON "rider_profiles" USING btree ("status","created_at");