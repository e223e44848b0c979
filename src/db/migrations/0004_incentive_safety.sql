ALTER TABLE "discount_codes" ADD COLUMN "currency" text DEFAULT 'TZS' NOT NULL;--> statement-breakpoint
ALTER TABLE "loyalty_entries" ADD COLUMN "reverses_id" uuid;--> statement-breakpoint
ALTER TABLE "promotions" ADD COLUMN "currency" text DEFAULT 'TZS' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "loyalty_entries_reverses_once_idx" ON "loyalty_entries" USING btree ("reverses_id");--> statement-breakpoint
ALTER TABLE "incentive_burns" ADD CONSTRAINT "incentive_burns_once" UNIQUE NULLS NOT DISTINCT("checkout_id","kind","promotion_id","code_id","sku_id","order_id");