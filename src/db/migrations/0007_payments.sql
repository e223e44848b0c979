CREATE TABLE "payment_callbacks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"kind" text NOT NULL,
	"remote_ip" text,
	"body" jsonb,
	"verdict" text NOT NULL,
	"detail" text,
	"collection_id" uuid,
	"disbursement_id" uuid,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_collections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"checkout_id" uuid NOT NULL,
	"buyer_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"msisdn" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"used_for" text,
	"provider_ref" text,
	"receipt" text,
	"result_code" text,
	"result_message" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	CONSTRAINT "payment_collections_amount_positive" CHECK ("payment_collections"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_disbursements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"purpose_key" text NOT NULL,
	"kind" text NOT NULL,
	"party_id" uuid NOT NULL,
	"order_id" uuid,
	"checkout_id" uuid,
	"collection_id" uuid,
	"provider" text NOT NULL,
	"msisdn" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"reference" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"provider_ref" text,
	"receipt" text,
	"result_code" text,
	"result_message" text,
	"requested_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	CONSTRAINT "payment_disbursements_amount_positive" CHECK ("payment_disbursements"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_provider_calls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"operation" text NOT NULL,
	"method" text NOT NULL,
	"url" text NOT NULL,
	"reference" text,
	"request_body" jsonb,
	"response_status" integer,
	"response_body" jsonb,
	"error" text,
	"duration_ms" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_simulator_txns" (
	"reference" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"msisdn" text NOT NULL,
	"amount" bigint NOT NULL,
	"outcome" text NOT NULL,
	"receipt" text,
	"decides_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_statement_lines" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"receipt" text NOT NULL,
	"completed_at" timestamp with time zone NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"details" text,
	"other_party" text,
	"status" text NOT NULL,
	"import_id" uuid NOT NULL,
	"imported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "seller_profiles" ADD COLUMN "payout_phone_changed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "payment_callbacks_created_idx" ON "payment_callbacks" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_collections_reference_idx" ON "payment_collections" USING btree ("reference");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_collections_provider_ref_idx" ON "payment_collections" USING btree ("provider","provider_ref");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_collections_receipt_idx" ON "payment_collections" USING btree ("provider","receipt");--> statement-breakpoint
CREATE INDEX "payment_collections_checkout_idx" ON "payment_collections" USING btree ("checkout_id");--> statement-breakpoint
CREATE INDEX "payment_collections_open_idx" ON "payment_collections" USING btree ("created_at") WHERE "payment_collections"."status" in ('initiated', 'pending');--> statement-breakpoint
CREATE UNIQUE INDEX "payment_collections_one_open_idx" ON "payment_collections" USING btree ("checkout_id") WHERE "payment_collections"."status" in ('initiated', 'pending');--> statement-breakpoint
CREATE UNIQUE INDEX "payment_disbursements_purpose_idx" ON "payment_disbursements" USING btree ("purpose_key");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_disbursements_reference_idx" ON "payment_disbursements" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "payment_disbursements_party_idx" ON "payment_disbursements" USING btree ("party_id","created_at");--> statement-breakpoint
CREATE INDEX "payment_disbursements_due_idx" ON "payment_disbursements" USING btree ("next_attempt_at") WHERE "payment_disbursements"."status" in ('queued', 'sending');--> statement-breakpoint
CREATE UNIQUE INDEX "payment_disbursements_one_payout_idx" ON "payment_disbursements" USING btree ("party_id") WHERE "payment_disbursements"."kind" = 'payout' and "payment_disbursements"."status" in ('queued', 'sending');--> statement-breakpoint
CREATE INDEX "payment_provider_calls_reference_idx" ON "payment_provider_calls" USING btree ("reference","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_statement_lines_receipt_idx" ON "payment_statement_lines" USING btree ("provider","receipt");