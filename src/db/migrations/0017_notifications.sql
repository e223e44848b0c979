CREATE TABLE "notification_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"recipient_id" uuid NOT NULL,
	"address" text,
	"order_id" uuid,
	"channel" text NOT NULL,
	"template_key" text NOT NULL,
	"language" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"template_params" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"category" text NOT NULL,
	"critical" boolean NOT NULL,
	"status" text NOT NULL,
	"status_history" jsonb NOT NULL,
	"provider" text,
	"provider_message_id" text,
	"last_error" text,
	"cost_minor" bigint,
	"cost_currency" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"failover_of" uuid,
	"caused_at" timestamp with time zone NOT NULL,
	"send_after" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"read_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_preferences" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"language" text DEFAULT 'sw' NOT NULL,
	"whatsapp_opt_in" boolean DEFAULT false NOT NULL,
	"whatsapp_last_inbound_at" timestamp with time zone,
	"opted_out" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"marketing_opt_in" boolean DEFAULT false NOT NULL,
	"marketing_consent_at" timestamp with time zone,
	"marketing_consent_source" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "notification_messages_dedupe_idx" ON "notification_messages" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "notification_messages_feed_idx" ON "notification_messages" USING btree ("recipient_id","created_at","id") WHERE "notification_messages"."channel" = 'in_app';--> statement-breakpoint
CREATE INDEX "notification_messages_provider_idx" ON "notification_messages" USING btree ("provider","provider_message_id");--> statement-breakpoint
CREATE INDEX "notification_messages_order_idx" ON "notification_messages" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "notification_messages_caused_idx" ON "notification_messages" USING btree ("caused_at");