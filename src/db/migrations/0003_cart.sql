CREATE TABLE "cart_lines" (
	"buyer_id" uuid NOT NULL,
	"sku_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"added_at" timestamp with time zone NOT NULL,
	CONSTRAINT "cart_lines_buyer_id_sku_id_pk" PRIMARY KEY("buyer_id","sku_id"),
	CONSTRAINT "cart_lines_quantity_positive" CHECK ("cart_lines"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "carts" (
	"buyer_id" uuid PRIMARY KEY NOT NULL,
	"code" text,
	"loyalty_points" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "carts_points_non_negative" CHECK ("carts"."loyalty_points" >= 0)
);
--> statement-breakpoint
ALTER TABLE "cart_lines" ADD CONSTRAINT "cart_lines_buyer_id_carts_buyer_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."carts"("buyer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cart_lines_sku_idx" ON "cart_lines" USING btree ("sku_id");