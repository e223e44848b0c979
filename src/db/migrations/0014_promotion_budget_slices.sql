CREATE TABLE "promotion_budget_slices" (
	"promotion_id" uuid NOT NULL,
	"slice" integer NOT NULL,
	"budget_amount" bigint NOT NULL,
	"burned_amount" bigint DEFAULT 0 NOT NULL,
	"uses" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "promotion_budget_slices_promotion_id_slice_pk" PRIMARY KEY("promotion_id","slice"),
	CONSTRAINT "promotion_budget_slices_within" CHECK ("promotion_budget_slices"."burned_amount" >= 0 and "promotion_budget_slices"."burned_amount" <= "promotion_budget_slices"."budget_amount" and "promotion_budget_slices"."uses" >= 0)
);
--> statement-breakpoint
ALTER TABLE "promotion_budget_slices" ADD CONSTRAINT "promotion_budget_slices_promotion_id_promotions_id_fk" FOREIGN KEY ("promotion_id") REFERENCES "public"."promotions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Existing promotions get the 16 slices new ones get: slice 0 keeps what is already spent, and the
-- room left is split evenly (the first slices take the remainder). A budget once lowered below what
-- was spent is raised to it, so the slices add up to the promotion's budget as they must.
UPDATE "promotions" SET "budget_amount" = "burned_amount" WHERE "burned_amount" > "budget_amount";--> statement-breakpoint
INSERT INTO "promotion_budget_slices" ("promotion_id", "slice", "budget_amount", "burned_amount", "uses")
SELECT p."id", g.i,
       CASE WHEN g.i = 0 THEN p."burned_amount" ELSE 0 END
         + (p."budget_amount" - p."burned_amount") / 16
         + CASE WHEN g.i < (p."budget_amount" - p."burned_amount") % 16 THEN 1 ELSE 0 END,
       CASE WHEN g.i = 0 THEN p."burned_amount" ELSE 0 END,
       CASE WHEN g.i = 0 THEN p."uses" ELSE 0 END
FROM "promotions" p CROSS JOIN generate_series(0, 15) AS g(i);--> statement-breakpoint
ALTER TABLE "promotions" DROP COLUMN "burned_amount";--> statement-breakpoint
ALTER TABLE "promotions" DROP COLUMN "uses";