CREATE TABLE "rec_together_top" (
	"anchor_product_id" uuid NOT NULL,
	"rank" integer NOT NULL,
	"other_product_id" uuid NOT NULL,
	"together" integer NOT NULL,
	"anchor_buyers" integer NOT NULL,
	"other_buyers" integer NOT NULL,
	CONSTRAINT "rec_together_top_anchor_product_id_rank_pk" PRIMARY KEY("anchor_product_id","rank")
);
