CREATE TABLE "discount_codes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"value_kind" text NOT NULL,
	"percent_bp" integer,
	"cap_amount" bigint,
	"fixed_amount" bigint,
	"min_order_amount" bigint NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"max_uses" integer,
	"per_buyer_limit" integer,
	"budget_amount" bigint,
	"active" boolean NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "discount_codes_window" CHECK ("discount_codes"."ends_at" > "discount_codes"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "incentive_burns" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"promotion_id" uuid,
	"code_id" uuid,
	"buyer_id" uuid NOT NULL,
	"checkout_id" uuid NOT NULL,
	"order_id" uuid,
	"sku_id" uuid,
	"amount" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"reversed_at" timestamp with time zone,
	CONSTRAINT "incentive_burns_amount" CHECK ("incentive_burns"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "loyalty_entries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"buyer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"points" integer NOT NULL,
	"checkout_id" uuid,
	"order_id" uuid,
	"reason" text,
	"created_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "loyalty_entries_nonzero" CHECK ("loyalty_entries"."points" <> 0)
);
--> statement-breakpoint
CREATE TABLE "promotions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"value_kind" text NOT NULL,
	"percent_bp" integer,
	"cap_amount" bigint,
	"fixed_amount" bigint,
	"scope_type" text NOT NULL,
	"scope_id" uuid,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"priority" integer NOT NULL,
	"budget_amount" bigint NOT NULL,
	"per_buyer_limit" integer,
	"active" boolean NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "promotions_window" CHECK ("promotions"."ends_at" > "promotions"."starts_at"),
	CONSTRAINT "promotions_budget" CHECK ("promotions"."budget_amount" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "discount_codes_code_idx" ON "discount_codes" USING btree ("code");--> statement-breakpoint
CREATE INDEX "incentive_burns_promotion_idx" ON "incentive_burns" USING btree ("promotion_id","buyer_id");--> statement-breakpoint
CREATE INDEX "incentive_burns_code_idx" ON "incentive_burns" USING btree ("code_id","buyer_id");--> statement-breakpoint
CREATE INDEX "incentive_burns_checkout_idx" ON "incentive_burns" USING btree ("checkout_id");--> statement-breakpoint
CREATE INDEX "loyalty_entries_buyer_idx" ON "loyalty_entries" USING btree ("buyer_id","created_at");--> statement-breakpoint
CREATE INDEX "promotions_scope_idx" ON "promotions" USING btree ("scope_type","scope_id");