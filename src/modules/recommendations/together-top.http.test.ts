import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { completedOrders } from '../../../test/support/completed-orders.js';
import { type Actor, category, verifiedProduct, verifiedSeller } from '../../../test/support/fixtures.js';

// rec_together_top: the ranked "bought together" lists reads use, rebuilt by the refresh job from
// the pair counts: ranked by the co-purchase score (not by raw support), rebuilt whole when new
// orders arrive (no stale rows), rebuilt when missing, and the only thing a read consults.

let t: TestApp;
let seller: Actor;
const p: string[] = [];

const rowsOf = <T>(r: unknown) => (r as { rows: T[] }).rows;
async function listOf(anchor: string) {
  return rowsOf<{ rank: number; other: string; together: number }>(
    await t.handle.db.execute(sql`select rank, other_product_id as other, together from rec_together_top
      where anchor_product_id = ${anchor} order by rank`),
  );
}
async function boughtWith(anchor: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/recommendations?context=product:${anchor}&lang=en`,
  });
  expect(res.statusCode, res.body).toBe(200);
  const blocks = res.json().blocks as Array<{ kind: string; items: Array<{ product_id: string }> }>;
  return blocks.find((b) => b.kind === 'bought_together')?.items.map((i) => i.product_id) ?? [];
}
async function bought(n: number, productIds: string[]) {
  await completedOrders(
    t.handle.db,
    Array.from({ length: n }, () => ({
      buyerId: randomUUID(),
      sellerId: seller.userId,
      productIds,
      at: new Date(t.clock.now().getTime() - 86_400_000),
    })),
  );
}

beforeAll(async () => {
  t = await createTestApp();
  const admin = await t.loginAdmin('+255754320301');
  seller = await verifiedSeller(t, admin, 'Duka la Vyombo');
  const kitchen = await category(t, admin, 'Vyombo');
  for (let i = 0; i < 4; i++)
    p.push(
      (
        await verifiedProduct(t, admin, seller, {
          categoryId: kitchen,
          title: `Sufuria ${i}`,
          variants: [{ seller_sku: `POT-${i}`, price: 12_000_00, stock: 50 }],
        })
      ).id,
    );
});
afterAll(() => t.close());

describe('rec_together_top', () => {
  it('ranks by co-purchase score: a true companion above a best-seller with more shared buyers; below the support, absent', async () => {
    const [a, b, c, d] = p as [string, string, string, string];
    await bought(3, [a, b]); // A–B: 3 buyers; B bought by 3
    await bought(4, [a, c]); // A–C: 4 buyers, but C is a best-seller…
    await bought(20, [c]); // …bought by 24 in all
    await bought(2, [a, d]); // A–D: 2 buyers, under the minimum support of 3
    expect(await t.app.services.recommendations.refresh.refresh()).toBe(29);
    // A: 9 buyers. B: 3/√(9·3) ≈ 0.58; C: 4/√(9·24) ≈ 0.27.
    expect(await listOf(a)).toEqual([
      { rank: 1, other: b, together: 3 },
      { rank: 2, other: c, together: 4 },
    ]);
    expect(await boughtWith(a)).toEqual([b, c]);
  });

  it('new orders rebuild the lists whole: new ranks, no stale rows', async () => {
    const [a, b, c, d] = p as [string, string, string, string];
    await bought(6, [a, d]); // A–D: 8 buyers now; D bought by 8, A by 15
    expect(await t.app.services.recommendations.refresh.refresh()).toBe(6);
    // D: 8/√(15·8) ≈ 0.73; B: 3/√(15·3) ≈ 0.45; C: 4/√(15·24) ≈ 0.21.
    expect(await listOf(a)).toEqual([
      { rank: 1, other: d, together: 8 },
      { rank: 2, other: b, together: 3 },
      { rank: 3, other: c, together: 4 },
    ]);
    expect(await boughtWith(a)).toEqual([d, b, c]);
  });

  it('reads use only the ranked lists; a refresh with nothing new rebuilds them when they are missing', async () => {
    const [a, b, c, d] = p as [string, string, string, string];
    await t.handle.db.execute(sql`delete from rec_together_top`);
    expect(await boughtWith(a)).toEqual([]);
    expect(await t.app.services.recommendations.refresh.refresh()).toBe(0);
    expect((await listOf(a)).map((r) => r.other)).toEqual([d, b, c]);
    expect(await boughtWith(a)).toEqual([d, b, c]);
  });

  it('two rebuilds at once take turns (advisory lock) and leave one copy of each list', async () => {
    const refresh = t.app.services.recommendations.refresh;
    await Promise.all([refresh.rebuildTogetherTop(), refresh.rebuildTogetherTop()]);
    expect((await listOf(p[0]!)).map((r) => r.rank)).toEqual([1, 2, 3]);
  });
});
