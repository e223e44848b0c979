import { randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { onPostgres } from '../../../test/support/db.js';
import {
  type Actor,
  category,
  nextPhone,
  promotion,
  verifiedProduct,
  verifiedSeller,
} from '../../../test/support/fixtures.js';
import { preferredSlice } from './budget-slices.js';
import type { PricedCart } from './pricing.js';
import { promotionBudgetSlices } from './schema.js';
import { NoFreeBudgetSlice } from './service.js';

// Burn tracking: what checkout (next issue) will call inside its transaction. Budgets and limits
// are enforced from the burn records under row locks, so they hold under concurrency.

let t: TestApp;
let admin: Actor;
let skuId: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.loginAdmin('+255754400001');
  const seller = await verifiedSeller(t, admin);
  const cat = await category(t, admin, 'Burn');
  skuId = (
    await verifiedProduct(t, admin, seller, {
      categoryId: cat,
      variants: [{ seller_sku: 'BURN', price: 10_000_00, stock: 1000 }],
    })
  ).skuIds[0]!;
});
afterAll(() => t.close());

// The running totals on promotion and code rows must always equal their live burn rows.
afterEach(async () => {
  expect(await t.app.services.promotions.service.checkCounters()).toEqual([]);
});

const iso = (h: number) => new Date(t.clock.now().getTime() + h * 3600_000).toISOString();
const svc = () => t.app.services.promotions.service;

const promo = (over: object = {}) =>
  promotion(t, admin, {
    name: 'Burn test',
    value: { type: 'fixed', amount: 1_000_00 },
    scope: { type: 'sku', id: skuId },
    ends_at: iso(24),
    priority: 100,
    budget_amount: 2_500_00,
    ...over,
  });

/**
 * Price a one-line cart for `buyerId` and burn it in one transaction, as checkout does; `wait:
 * false` is checkout's first try (one free budget slice, never waiting).
 */
async function checkout(buyerId: string, opts: { wait: boolean } = { wait: true }) {
  const checkoutId = randomUUID();
  return t.handle.db
    .transaction(async (tx) => {
      const view = await t.app.services.cart.service.view(buyerId, tx);
      const priced = view.priced;
      await svc().burn(tx, { buyerId, checkoutId, priced }, opts);
      return { checkoutId, priced };
    })
    .catch((err: { code?: string; name?: string }) => ({
      error: err.code ?? (err instanceof NoFreeBudgetSlice ? 'NO_FREE_SLICE' : String(err)),
    }));
}

async function cartWith(b: Actor, code?: string) {
  await t.app.inject({ method: 'DELETE', url: '/api/v1/cart', headers: b.auth });
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/cart/items',
    headers: b.auth,
    payload: { sku_id: skuId, quantity: 1 },
  });
  if (code)
    await t.app.inject({ method: 'PUT', url: '/api/v1/cart/code', headers: b.auth, payload: { code } });
}

describe('burning incentives', () => {
  it('records each use; the report shows uses, unique buyers, money burned and budget left', async () => {
    const id = await promo();
    const a = await t.login(nextPhone());
    const b = await t.login(nextPhone());
    const spent: number[] = [];
    for (const buyer of [a, b, a]) {
      await cartWith(buyer);
      const r = await checkout(buyer.userId);
      spent.push('priced' in r ? r.priced.totals.promotionDiscount : -1);
    }
    // Budget 2 500: two full uses (2 000) leave 500, which the third gets.
    expect(spent).toEqual([1_000_00, 1_000_00, 500_00]);
    const report = (
      await t.app.inject({ method: 'GET', url: `/api/v1/admin/promotions/${id}`, headers: admin.auth })
    ).json().report;
    expect(report).toEqual({ uses: 3, unique_buyers: 2, burned_amount: 2_500_00, budget_left: 0 });
    await cartWith(a);
    const preview = await t.app.services.cart.service.view(a.userId);
    expect(preview.priced.notApplied).toContainEqual({
      kind: 'promotion',
      id,
      skuId,
      reason: 'BUDGET_EXHAUSTED',
    });
  });

  it('enforces the per-buyer limit at burn time, and a reversed checkout gives budget and use back once', async () => {
    const id = await promo({ per_buyer_limit: 1, budget_amount: 100_000_00, priority: 200 });
    const b = await t.login(nextPhone());
    await cartWith(b);
    const first = await checkout(b.userId);
    expect('priced' in first).toBe(true);
    await cartWith(b);
    expect((await t.app.services.cart.service.view(b.userId)).priced.notApplied).toContainEqual({
      kind: 'promotion',
      id,
      skuId,
      reason: 'PER_BUYER_LIMIT_REACHED',
    });

    const checkoutId = (first as { checkoutId: string }).checkoutId;
    expect(await t.handle.db.transaction((tx) => svc().reverseBurns(tx, { checkoutId }))).toBeGreaterThan(0);
    expect(await t.handle.db.transaction((tx) => svc().reverseBurns(tx, { checkoutId }))).toBe(0);
    expect(
      (
        await t.app.inject({ method: 'GET', url: `/api/v1/admin/promotions/${id}`, headers: admin.auth })
      ).json().report,
    ).toMatchObject({ uses: 0, burned_amount: 0 });
    expect((await t.app.services.cart.service.view(b.userId)).priced.lines[0]!.promotion?.id).toBe(id);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/promotions/${id}`,
      headers: admin.auth,
      payload: { active: false },
    });
  });

  it('refuses at burn time a per-buyer use the preview allowed before another checkout used it', async () => {
    const id = await promo({ per_buyer_limit: 1, budget_amount: 100_000_00, priority: 250 });
    const code = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/discount-codes',
      headers: admin.auth,
      payload: {
        code: 'ONCEPERBUYER',
        value: { type: 'fixed', amount: 100_00 },
        min_order_amount: 0,
        starts_at: iso(-1),
        ends_at: iso(24),
        per_buyer_limit: 1,
        active: true,
      },
    });
    expect(code.statusCode).toBe(201);
    const b = await t.login(nextPhone());
    await cartWith(b, 'ONCEPERBUYER');
    // Two previews priced before either checkout: both show the promotion and the code.
    const first = await t.app.services.cart.service.view(b.userId);
    const second = await t.app.services.cart.service.view(b.userId);
    await t.handle.db.transaction((tx) =>
      svc().burn(tx, { buyerId: b.userId, checkoutId: randomUUID(), priced: first.priced }),
    );
    const again = await t.handle.db
      .transaction((tx) =>
        svc().burn(tx, { buyerId: b.userId, checkoutId: randomUUID(), priced: second.priced }),
      )
      .catch((e: { code: string }) => e.code);
    expect(again).toBe('PROMOTION_LIMIT_REACHED');
    const codeOnly = { ...second.priced, lines: second.priced.lines.map((l) => ({ ...l, promotion: null })) };
    const again2 = await t.handle.db
      .transaction((tx) => svc().burn(tx, { buyerId: b.userId, checkoutId: randomUUID(), priced: codeOnly }))
      .catch((e: { code: string }) => e.code);
    expect(again2).toBe('CODE_LIMIT_REACHED');
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/promotions/${id}`,
      headers: admin.auth,
      payload: { active: false },
    });
  });

  it('redeems points at burn time and returns them when the checkout is reversed', async () => {
    const b = await t.login(nextPhone());
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/loyalty/${b.userId}/adjust`,
      headers: admin.auth,
      payload: { points: 500, reason: 'test' },
    });
    await cartWith(b);
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/cart/loyalty',
      headers: b.auth,
      payload: { points: 400 },
    });
    const r = await checkout(b.userId);
    expect('priced' in r && r.priced.loyalty).toEqual({ pointsUsed: 400, amount: 400_00 });
    expect(await svc().balance(b.userId)).toBe(100);
    const checkoutId = (r as { checkoutId: string }).checkoutId;
    await t.handle.db.transaction((tx) => svc().reverseBurns(tx, { checkoutId }));
    expect(await svc().balance(b.userId)).toBe(500);
    // A second reversal (a retried job, a second worker) gives nothing back twice.
    await t.handle.db.transaction((tx) => svc().reverseBurns(tx, { checkoutId }));
    expect(await svc().balance(b.userId)).toBe(500);
  });

  it('a burn that no longer fits (the preview went stale) fails and writes nothing', async () => {
    const id = await promo({ budget_amount: 1_000_00, priority: 300 });
    const a = await t.login(nextPhone());
    const b = await t.login(nextPhone());
    await cartWith(a);
    await cartWith(b);
    // Both priced while the budget was whole; only the first burn fits.
    const [pa, pb] = await Promise.all([
      t.app.services.cart.service.view(a.userId),
      t.app.services.cart.service.view(b.userId),
    ]);
    await t.handle.db.transaction((tx) =>
      svc().burn(tx, { buyerId: a.userId, checkoutId: randomUUID(), priced: pa.priced }),
    );
    const second = await t.handle.db
      .transaction((tx) => svc().burn(tx, { buyerId: b.userId, checkoutId: randomUUID(), priced: pb.priced }))
      .catch((e: { code: string }) => e.code);
    expect(second).toBe('PROMOTION_BUDGET_EXHAUSTED');
    expect(
      (
        await t.app.inject({ method: 'GET', url: `/api/v1/admin/promotions/${id}`, headers: admin.auth })
      ).json().report,
    ).toMatchObject({ uses: 1, burned_amount: 1_000_00 });
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/promotions/${id}`,
      headers: admin.auth,
      payload: { active: false },
    });
  });
});

/** A promotion's slices as [budget, burned, uses], in slice order. */
async function slicesOf(id: string) {
  const rows = await t.handle.db
    .select()
    .from(promotionBudgetSlices)
    .where(sql`${promotionBudgetSlices.promotionId} = ${id}`)
    .orderBy(promotionBudgetSlices.slice);
  return rows.map((r) => [r.budgetAmount, r.burnedAmount, r.uses]);
}

describe('budget slices', () => {
  it('a new budget is split over 16 slices that add up to it', async () => {
    const id = await promo({ budget_amount: 1_001_00, active: false });
    const s = await slicesOf(id);
    expect(s).toHaveLength(16);
    expect(s.reduce((a, [b]) => a + b!, 0)).toBe(1_001_00);
    expect(s.every(([, burned, uses]) => burned === 0 && uses === 0)).toBe(true);
  });

  it('checkout’s first try spends from one slice; a discount no slice can pay waits and spends across slices', async () => {
    // 16 000 over 16 slices: 1 000 each. The 1 000 discount fits one slice exactly.
    const id = await promo({ budget_amount: 16_000_00, priority: 300 });
    const a = await t.login(nextPhone());
    await cartWith(a);
    const first = (await checkout(a.userId, { wait: false })) as { checkoutId: string };
    expect(first).toHaveProperty('priced');
    const one = (await slicesOf(id)).filter(([, burned]) => burned! > 0);
    expect(one).toEqual([[1_000_00, 1_000_00, 1]]);
    // ...the slice this checkout starts looking from, as all were free.
    expect((await slicesOf(id))[preferredSlice(first.checkoutId)]).toEqual([1_000_00, 1_000_00, 1]);

    // Half of every slice spent: no single slice has room for 1 000 any more, all of them together do.
    await t.handle.db.execute(
      sql`update promotion_budget_slices set burned_amount = 50000, uses = (slice < 15)::int where promotion_id = ${id}`,
    );
    // ...with the burn rows that say so (the first checkout's 1 000 and fourteen more of 500).
    await t.handle.db.execute(
      sql`insert into incentive_burns (id, kind, promotion_id, buyer_id, checkout_id, amount, created_at)
          select gen_random_uuid(), 'promotion', ${id}, ${a.userId}, gen_random_uuid(), 50000, now()
          from generate_series(1, 14)`,
    );
    const b = await t.login(nextPhone());
    await cartWith(b);
    expect(await checkout(b.userId, { wait: false })).toEqual({ error: 'NO_FREE_SLICE' });
    expect((await slicesOf(id)).reduce((x, [, burned]) => x + burned!, 0)).toBe(16 * 500_00);
    const waited = await checkout(b.userId, { wait: true });
    expect(waited).toHaveProperty('priced');
    const after = await slicesOf(id);
    expect(after.slice(0, 2)).toEqual([
      [1_000_00, 1_000_00, 2],
      [1_000_00, 1_000_00, 1],
    ]);
    expect(after.reduce((x, [, burned]) => x + burned!, 0)).toBe(16 * 500_00 + 1_000_00);

    // Reversed, it gives back exactly its amount and its use.
    const checkoutId = (waited as { checkoutId: string }).checkoutId;
    await t.handle.db.transaction((tx) => svc().reverseBurns(tx, { checkoutId }));
    const back = await slicesOf(id);
    expect(back.reduce((x, [, burned]) => x + burned!, 0)).toBe(16 * 500_00);
    expect(back.reduce((x, [, , uses]) => x + uses!, 0)).toBe(15);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/promotions/${id}`,
      headers: admin.auth,
      payload: { active: false, reason: 'test done' },
    });
  });

  it('reconciliation reports slices that no longer add up to the promotion’s budget', async () => {
    const id = await promo({ budget_amount: 16_000_00, active: false });
    await t.handle.db.execute(
      sql`update promotion_budget_slices set budget_amount = budget_amount + 1 where promotion_id = ${id} and slice = 3`,
    );
    expect(await svc().checkCounters()).toEqual([
      `promotion ${id} has a budget of 1600000 but its slices add up to 1600001`,
    ]);
    await t.handle.db.execute(
      sql`update promotion_budget_slices set budget_amount = budget_amount - 1 where promotion_id = ${id} and slice = 3`,
    );
  });

  it('an admin’s new budget is split again around what is spent, and cannot go below it', async () => {
    const id = await promo({ budget_amount: 16_000_00, priority: 300 });
    const a = await t.login(nextPhone());
    await cartWith(a);
    expect(await checkout(a.userId)).toHaveProperty('priced');
    const patch = (budget_amount: unknown) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/admin/promotions/${id}`,
        headers: admin.auth,
        payload: { budget_amount, reason: 'resize' },
      });
    const low = await patch(900_00);
    expect(low.statusCode).toBe(422);
    expect(low.headers['content-type']).toContain('application/problem+json');
    expect(low.json()).toMatchObject({ code: 'BUDGET_BELOW_SPENT', field: 'budget_amount' });
    expect((await slicesOf(id)).reduce((x, [b]) => x + b!, 0)).toBe(16_000_00);

    expect((await patch(1_000_00)).statusCode).toBe(200);
    const exact = await slicesOf(id);
    expect(exact.reduce((x, [b]) => x + b!, 0)).toBe(1_000_00);
    expect(exact.every(([b, burned]) => b === burned)).toBe(true);

    expect((await patch(33_000_00)).statusCode).toBe(200);
    const grown = await slicesOf(id);
    expect(grown.reduce((x, [b]) => x + b!, 0)).toBe(33_000_00);
    expect(grown.map(([b, burned]) => b! - burned!)).toEqual(Array(16).fill(2_000_00));
    expect(
      (
        await t.app.inject({ method: 'GET', url: `/api/v1/admin/promotions/${id}`, headers: admin.auth })
      ).json().report,
    ).toMatchObject({ uses: 1, burned_amount: 1_000_00, budget_left: 32_000_00 });
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/promotions/${id}`,
      headers: admin.auth,
      payload: { active: false, reason: 'test done' },
    });
  });
});

/** Runs `lock` in a transaction of its own and keeps it open, holding those rows, until `release()`. */
async function holdLocks(lock: SQL) {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let holding!: () => void;
  const held = new Promise<void>((r) => {
    holding = r;
  });
  const done = t.handle.db.transaction(async (tx) => {
    await tx.execute(lock);
    holding();
    await released;
  });
  await held;
  return {
    release: () => {
      release();
      return done;
    },
  };
}

if (!onPostgres)
  console.log('[burns] concurrency case skipped: PGlite serialises every query; CI runs it on PostgreSQL');

describe.runIf(onPostgres)('burning under concurrency (PostgreSQL)', () => {
  it('twenty checkouts at once never overspend a promotion budget nor a code’s uses', async () => {
    const id = await promo({ budget_amount: 5_000_00, priority: 400 });
    const codeRes = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/discount-codes',
      headers: admin.auth,
      payload: {
        code: 'RACE3',
        value: { type: 'fixed', amount: 100_00 },
        min_order_amount: 0,
        starts_at: iso(-1),
        ends_at: iso(24),
        max_uses: 3,
        active: true,
      },
    });
    const buyers: Actor[] = [];
    for (let i = 0; i < 20; i++) {
      const b = await t.login(nextPhone());
      await cartWith(b, 'RACE3');
      buyers.push(b);
    }
    const results = await Promise.all(buyers.map((b) => checkout(b.userId)));
    // A checkout may still succeed without the incentive (its preview was priced after the budget
    // ran out); what must never happen is an incentive applied beyond its budget or uses.
    const ok = results.filter(
      (r): r is { checkoutId: `${string}-${string}-${string}-${string}-${string}`; priced: PricedCart } =>
        'priced' in r,
    );
    const promoSpent = ok.reduce(
      (a, r) => a + r.priced.lines.reduce((x, l) => x + (l.promotion?.id === id ? l.promotion.amount : 0), 0),
      0,
    );
    expect(promoSpent).toBeLessThanOrEqual(5_000_00);
    expect(ok.filter((r) => r.priced.code !== null).length).toBeLessThanOrEqual(3);
    const report = (
      await t.app.inject({ method: 'GET', url: `/api/v1/admin/promotions/${id}`, headers: admin.auth })
    ).json().report;
    expect(report.burned_amount).toBeLessThanOrEqual(5_000_00);
    const codeReport = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/admin/discount-codes/${codeRes.json().id}`,
        headers: admin.auth,
      })
    ).json().report;
    expect(codeReport.uses).toBeLessThanOrEqual(3);
    expect(
      results
        .filter((r) => 'error' in r)
        .every((r) => /BUDGET_EXHAUSTED|USAGE_LIMIT_REACHED/.test((r as { error: string }).error)),
    ).toBe(true);
  });

  it('a slice held by another checkout is passed over, never waited for; with all held, the first try gives up at once', async () => {
    const id = await promo({ budget_amount: 160_000_00, priority: 600 });
    const first = await holdLocks(
      sql`select slice from promotion_budget_slices where promotion_id = ${id} and slice <> 9 for update`,
    );
    const a = await t.login(nextPhone());
    await cartWith(a);
    // Fifteen of sixteen slices locked by another transaction: the spend takes the free one.
    expect(await checkout(a.userId, { wait: false })).toHaveProperty('priced');
    expect((await slicesOf(id))[9]).toEqual([10_000_00, 1_000_00, 1]);

    // Now every slice is held (the last by a second holder): the first try answers at once...
    const second = await holdLocks(
      sql`select 1 from promotion_budget_slices where promotion_id = ${id} and slice = 9 for update`,
    );
    const b = await t.login(nextPhone());
    await cartWith(b);
    const started = Date.now();
    expect(await checkout(b.userId, { wait: false })).toEqual({ error: 'NO_FREE_SLICE' });
    expect(Date.now() - started).toBeLessThan(2_000);
    // ...and the waiting try waits for the slices, then spends.
    let done = false;
    const waiting = checkout(b.userId, { wait: true }).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    await first.release();
    await second.release();
    expect(await waiting).toHaveProperty('priced');
    expect((await slicesOf(id)).reduce((x, [, burned]) => x + burned!, 0)).toBe(2_000_00);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/promotions/${id}`,
      headers: admin.auth,
      payload: { active: false, reason: 'test done' },
    });
  });

  it('two reversals of one checkout at once give the points back once', async () => {
    const b = await t.login(nextPhone());
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/loyalty/${b.userId}/adjust`,
      headers: admin.auth,
      payload: { points: 1000, reason: 'test' },
    });
    await cartWith(b);
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/cart/loyalty',
      headers: b.auth,
      payload: { points: 100 },
    });
    const r = (await checkout(b.userId)) as { checkoutId: string };
    expect(await svc().balance(b.userId)).toBe(900);
    await Promise.all([
      t.handle.db.transaction((tx) => svc().reverseBurns(tx, { checkoutId: r.checkoutId })).catch(() => 0),
      t.handle.db.transaction((tx) => svc().reverseBurns(tx, { checkoutId: r.checkoutId })).catch(() => 0),
    ]);
    expect(await svc().balance(b.userId)).toBe(1000);
  });
});
