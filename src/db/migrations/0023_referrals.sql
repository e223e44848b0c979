CREATE TABLE "referral_campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"active" boolean NOT NULL,
	"currency" text NOT NULL,
	"referrer_reward" bigint NOT NULL,
	"referee_reward" bigint NOT NULL,
	"min_order_amount" bigint NOT NULL,
	"budget_amount" bigint NOT NULL,
	"spent_amount" bigint DEFAULT 0 NOT NULL,
	"per_referrer_daily_cap" integer,
	"per_referrer_total_cap" integer,
	"nearby_radius_meters" integer NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by" uuid,
	CONSTRAINT "referral_campaigns_spent_within_budget" CHECK ("referral_campaigns"."spent_amount" >= 0 and "referral_campaigns"."spent_amount" <= "referral_campaigns"."budget_amount"),
	CONSTRAINT "referral_campaigns_rewards" CHECK ("referral_campaigns"."referrer_reward" >= 0 and "referral_campaigns"."referee_reward" >= 0)
);
--> statement-breakpoint
CREATE TABLE "referral_codes" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "referrals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"referrer_id" uuid NOT NULL,
	"referee_id" uuid NOT NULL,
	"code" text NOT NULL,
	"state" text NOT NULL,
	"attributed_at" timestamp with time zone NOT NULL,
	"order_id" uuid,
	"order_amount" bigint,
	"qualified_at" timestamp with time zone,
	"signals" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"reason" text,
	"referrer_reward" bigint DEFAULT 0 NOT NULL,
	"referee_reward" bigint DEFAULT 0 NOT NULL,
	"currency" text DEFAULT 'TZS' NOT NULL,
	"rewarded_at" timestamp with time zone,
	"decided_by" uuid,
	"clawed_back_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "referrals_not_self" CHECK ("referrals"."referrer_id" <> "referrals"."referee_id"),
	CONSTRAINT "referrals_rewards_nonnegative" CHECK ("referrals"."referrer_reward" >= 0 and "referrals"."referee_reward" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "referral_codes_code_idx" ON "referral_codes" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "referrals_referee_idx" ON "referrals" USING btree ("referee_id");--> statement-breakpoint
CREATE INDEX "referrals_referrer_idx" ON "referrals" USING btree ("referrer_id","attributed_at");--> statement-breakpoint
CREATE INDEX "referrals_state_idx" ON "referrals" USING btree ("state","updated_at");