CREATE TABLE "analytics_dirty_orders" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "analytics_order_facts" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"checkout_id" uuid NOT NULL,
	"buyer_id" uuid NOT NULL,
	"seller_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"paid_at" timestamp with time zone NOT NULL,
	"buyer_first_paid_at" timestamp with time zone NOT NULL,
	"zone" text,
	"main_product_id" uuid,
	"promotion_ids" text[] NOT NULL,
	"original_amount" bigint NOT NULL,
	"final_amount" bigint NOT NULL,
	"delivery_fee" bigint NOT NULL,
	"buyer_fee" bigint NOT NULL,
	"promotion_discount" bigint NOT NULL,
	"code_discount" bigint NOT NULL,
	"loyalty_discount" bigint NOT NULL,
	"rider_id" uuid,
	"promised_by" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"disputed" boolean NOT NULL,
	"resolution" text,
	"dispute_refund" bigint,
	"fault" text,
	"accepted" boolean NOT NULL,
	"refused" boolean NOT NULL,
	"checkout_order_totals" jsonb NOT NULL,
	"checkout_index" integer NOT NULL,
	"refund_sends" jsonb NOT NULL,
	"message_cost_recorded" bigint NOT NULL,
	"sms_uncosted" integer NOT NULL,
	"whatsapp_uncosted" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "analytics_order_facts_paid_idx" ON "analytics_order_facts" USING btree ("paid_at");--> statement-breakpoint
CREATE INDEX "analytics_order_facts_buyer_idx" ON "analytics_order_facts" USING btree ("buyer_id");--> statement-breakpoint
CREATE INDEX "analytics_order_facts_checkout_idx" ON "analytics_order_facts" USING btree ("checkout_id");--> statement-breakpoint
-- Analytics' log of orders whose facts may have changed, written in the transaction of the change
-- (docs/analytics.md): an order once paid, and the events, dispute, refund sends and messages of one.
CREATE FUNCTION "analytics_mark_order"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'orders' THEN
    IF NEW.paid_at IS NOT NULL THEN
      INSERT INTO analytics_dirty_orders (order_id) VALUES (NEW.id);
    END IF;
  ELSIF NEW.order_id IS NOT NULL THEN
    INSERT INTO analytics_dirty_orders (order_id) VALUES (NEW.order_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "analytics_mark_orders" AFTER INSERT OR UPDATE ON "orders" FOR EACH ROW EXECUTE FUNCTION "analytics_mark_order"();--> statement-breakpoint
CREATE TRIGGER "analytics_mark_order_events" AFTER INSERT OR UPDATE ON "order_events" FOR EACH ROW EXECUTE FUNCTION "analytics_mark_order"();--> statement-breakpoint
CREATE TRIGGER "analytics_mark_disputes" AFTER INSERT OR UPDATE ON "disputes" FOR EACH ROW EXECUTE FUNCTION "analytics_mark_order"();--> statement-breakpoint
CREATE TRIGGER "analytics_mark_payment_disbursements" AFTER INSERT OR UPDATE ON "payment_disbursements" FOR EACH ROW EXECUTE FUNCTION "analytics_mark_order"();--> statement-breakpoint
CREATE TRIGGER "analytics_mark_notification_messages" AFTER INSERT OR UPDATE ON "notification_messages" FOR EACH ROW EXECUTE FUNCTION "analytics_mark_order"();--> statement-breakpoint
-- Orders paid before this migration: their facts are computed at the first read.
INSERT INTO "analytics_dirty_orders" ("order_id") SELECT "id" FROM "orders" WHERE "paid_at" IS NOT NULL;
