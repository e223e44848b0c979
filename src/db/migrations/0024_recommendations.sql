CREATE TABLE "rec_buyer_products" (
	"buyer_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"category_id" uuid,
	"orders" integer NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rec_buyer_products_buyer_id_product_id_pk" PRIMARY KEY("buyer_id","product_id")
);
--> statement-breakpoint
CREATE TABLE "rec_cart_adds" (
	"buyer_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"added_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rec_cart_adds_buyer_id_product_id_pk" PRIMARY KEY("buyer_id","product_id")
);
--> statement-breakpoint
CREATE TABLE "rec_category_stats" (
	"category_id" uuid PRIMARY KEY NOT NULL,
	"pairs" integer NOT NULL,
	"repeats" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rec_pairs" (
	"product_id" uuid NOT NULL,
	"other_id" uuid NOT NULL,
	"buyers" integer NOT NULL,
	CONSTRAINT "rec_pairs_product_id_other_id_pk" PRIMARY KEY("product_id","other_id")
);
--> statement-breakpoint
CREATE TABLE "rec_popularity" (
	"zone" text NOT NULL,
	"product_id" uuid NOT NULL,
	"category_id" uuid,
	"weight" double precision NOT NULL,
	CONSTRAINT "rec_popularity_zone_product_id_pk" PRIMARY KEY("zone","product_id")
);
--> statement-breakpoint
CREATE TABLE "rec_popularity_totals" (
	"zone" text NOT NULL,
	"category_id" uuid NOT NULL,
	"weight" double precision NOT NULL,
	CONSTRAINT "rec_popularity_totals_zone_category_id_pk" PRIMARY KEY("zone","category_id")
);
--> statement-breakpoint
CREATE TABLE "rec_product_stats" (
	"product_id" uuid PRIMARY KEY NOT NULL,
	"buyers" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rec_views" (
	"viewer" text NOT NULL,
	"product_id" uuid NOT NULL,
	"viewed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rec_views_viewer_product_id_pk" PRIMARY KEY("viewer","product_id")
);
--> statement-breakpoint
CREATE TABLE "rec_watermarks" (
	"name" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"last_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE INDEX "rec_cart_adds_recent_idx" ON "rec_cart_adds" USING btree ("buyer_id","added_at");--> statement-breakpoint
CREATE INDEX "rec_pairs_top_idx" ON "rec_pairs" USING btree ("product_id","buyers" desc);--> statement-breakpoint
CREATE INDEX "rec_popularity_top_idx" ON "rec_popularity" USING btree ("zone","weight" desc);--> statement-breakpoint
CREATE INDEX "rec_popularity_category_idx" ON "rec_popularity" USING btree ("zone","category_id","weight" desc);--> statement-breakpoint
CREATE INDEX "rec_views_recent_idx" ON "rec_views" USING btree ("viewer","viewed_at");--> statement-breakpoint
CREATE INDEX "orders_completed_idx" ON "orders" USING btree ("completed_at","id") WHERE "orders"."completed_at" is not null;