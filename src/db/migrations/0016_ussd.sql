CREATE TABLE "ussd_actions" (
	"session_id" text NOT NULL,
	"order_id" uuid NOT NULL,
	"action" text NOT NULL,
	"reply" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ussd_actions_session_id_order_id_pk" PRIMARY KEY("session_id","order_id")
);
--> statement-breakpoint
CREATE TABLE "ussd_sessions" (
	"session_id" text PRIMARY KEY NOT NULL,
	"phone" text NOT NULL,
	"user_id" uuid NOT NULL,
	"orders" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ussd_actions" ADD CONSTRAINT "ussd_actions_session_id_ussd_sessions_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."ussd_sessions"("session_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ussd_sessions_created_idx" ON "ussd_sessions" USING btree ("created_at");