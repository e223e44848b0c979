CREATE TABLE "delivery_fees" (
	"from_zone_id" uuid NOT NULL,
	"to_zone_id" uuid NOT NULL,
	"fee" bigint NOT NULL,
	"currency" text DEFAULT 'TZS' NOT NULL,
	"duration_minutes" integer NOT NULL,
	"updated_by" uuid NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "delivery_fees_pk" PRIMARY KEY("from_zone_id","to_zone_id"),
	CONSTRAINT "delivery_fees_fee" CHECK ("delivery_fees"."fee" >= 0 and "delivery_fees"."fee" % 100 = 0),
	CONSTRAINT "delivery_fees_duration" CHECK ("delivery_fees"."duration_minutes" between 1 and 10080)
);
--> statement-breakpoint
CREATE TABLE "delivery_zones" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"polygon" jsonb NOT NULL,
	"cell_count" integer NOT NULL,
	"active" boolean NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "delivery_zones_cell_count" CHECK ("delivery_zones"."cell_count" > 0)
);
--> statement-breakpoint
CREATE TABLE "service_hours" (
	"weekday" smallint PRIMARY KEY NOT NULL,
	"opens_at_minute" integer,
	"closes_at_minute" integer,
	"updated_by" uuid NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "service_hours_weekday" CHECK ("service_hours"."weekday" between 0 and 6),
	CONSTRAINT "service_hours_window" CHECK (("service_hours"."opens_at_minute" is null and "service_hours"."closes_at_minute" is null) or ("service_hours"."opens_at_minute" >= 0 and "service_hours"."opens_at_minute" < "service_hours"."closes_at_minute" and "service_hours"."closes_at_minute" <= 1440))
);
--> statement-breakpoint
CREATE TABLE "zone_cells" (
	"cell" text PRIMARY KEY NOT NULL,
	"zone_id" uuid NOT NULL
);
--> statement-breakpoint
ALTER TABLE "delivery_fees" ADD CONSTRAINT "delivery_fees_from_zone_id_delivery_zones_id_fk" FOREIGN KEY ("from_zone_id") REFERENCES "public"."delivery_zones"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery_fees" ADD CONSTRAINT "delivery_fees_to_zone_id_delivery_zones_id_fk" FOREIGN KEY ("to_zone_id") REFERENCES "public"."delivery_zones"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zone_cells" ADD CONSTRAINT "zone_cells_zone_id_delivery_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."delivery_zones"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "delivery_zones_name_idx" ON "delivery_zones" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "zone_cells_zone_idx" ON "zone_cells" USING btree ("zone_id");