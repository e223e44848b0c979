CREATE INDEX "orders_paid_idx" ON "orders" USING btree ("paid_at") WHERE "orders"."paid_at" is not null;--> statement-breakpoint
CREATE INDEX "orders_buyer_paid_idx" ON "orders" USING btree ("buyer_id","paid_at") WHERE "orders"."paid_at" is not null;--> statement-breakpoint
CREATE INDEX "payment_disbursements_order_idx" ON "payment_disbursements" USING btree ("order_id");