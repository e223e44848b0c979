import { eq, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.js';
import type { DatabaseHandle } from '../../db/client.js';
import * as s from '../../db/schema.js';
import { ManualClock } from '../../shared/clock.js';
import { createAnalyticsService } from './service.js';

// The facts table is kept by the triggers of migration 0027 (the log of changed orders) and folded
// in before every read: a change to an order, its events or its buyer's history made after a read
// shows in the next read, and a change rolled back leaves no trace. Rows are written straight into
// the owning tables here (the domain paths have their own tests, analytics-*.http.test.ts among them).

let h: DatabaseHandle;
const clock = new ManualClock('2026-12-03T09:00:00Z');
const settings = {
  riderFeeShareBp: 8000,
  collectionTariff: [],
  disbursementTariff: [],
  smsCost: 0,
  whatsappCost: 0,
  currency: 'TZS',
};
let buyerId: string;
let sellerId: string;

async function paidOrder(at: string, amount = 10_000_00) {
  const checkoutId = uuidv7();
  const id = uuidv7();
  const paidAt = new Date(at);
  await h.db.insert(s.checkouts).values({
    id: checkoutId,
    buyerId,
    status: 'paid',
    payerPhone: '+255754000000',
    currency: 'TZS',
    totalAmount: amount,
    expiresAt: paidAt,
    paidAt,
    createdAt: paidAt,
  });
  await h.db.insert(s.orders).values({
    id,
    checkoutId,
    buyerId,
    sellerId,
    status: 'paid',
    currency: 'TZS',
    originalAmount: amount,
    discountAmount: 0,
    finalAmount: amount,
    deliveryFee: 0,
    snapshot: { lines: [] } as never,
    createdAt: paidAt,
    updatedAt: paidAt,
    paidAt,
  });
  return id;
}

beforeAll(async () => {
  h = await createTestDatabase();
  const now = clock.now();
  [buyerId, sellerId] = [uuidv7(), uuidv7()];
  await h.db.insert(s.users).values([
    { id: buyerId, phone: '+255754100001', createdAt: now, updatedAt: now },
    { id: sellerId, phone: '+255754100002', roles: ['buyer', 'seller'], createdAt: now, updatedAt: now },
  ]);
});
afterAll(() => h.close());

describe('the facts table follows the owning tables', () => {
  const analytics = () => createAnalyticsService({ db: h.db, clock, settings });
  const range = { from: '2026-11-01', to: '2026-12-03', grain: 'week' as const };
  let second: string;

  it('an order paid after a read is in the next read', async () => {
    expect((await analytics().summary(range)).totals.orders).toBe(0);
    second = await paidOrder('2026-12-02T10:00:00Z');
    const { totals } = await analytics().summary(range);
    expect(totals.orders).toBe(1);
    expect(totals.gmv).toBe(10_000_00);
    expect(totals.acceptance_rate_bp).toBeNull();
  });

  it('a status change and a seller event after a read show in the next read', async () => {
    await h.db.update(s.orders).set({ status: 'rejected' }).where(eq(s.orders.id, second));
    await h.db.execute(sql`
      insert into order_events (id, order_id, event, from_status, to_status, actor_role, created_at)
      values (${uuidv7()}, ${second}, 'reject', 'paid', 'rejected', 'seller', ${clock.now().toISOString()})`);
    const { totals } = await analytics().summary(range);
    expect(totals.refunds).toBe(10_000_00);
    expect(totals.refund_rate_bp).toBe(10_000);
    expect(totals.acceptance_rate_bp).toBe(0);
  });

  it("an earlier first order moves the buyer's cohort on the facts of their later orders", async () => {
    expect((await analytics().cohorts(range)).items.map((c) => c.cohort)).toEqual(['2026-W49']);
    await paidOrder('2026-11-10T10:00:00Z');
    const cohorts = (await analytics().cohorts(range)).items;
    expect(cohorts).toEqual([{ cohort: '2026-W46', buyers: 1, active: [1, 0, 0, 1] }]);
    expect((await analytics().summary(range)).series.find((p) => p.period === '2026-11-30')).toMatchObject({
      orders: 1,
      new_buyers: 0,
      repeat_buyers: 1,
    });
  });

  it('a change rolled back leaves the facts as they were', async () => {
    await expect(
      h.db.transaction(async (tx) => {
        await tx.update(s.orders).set({ status: 'completed' }).where(eq(s.orders.id, second));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const rows = await h.db.execute(sql`select count(*)::int as n from analytics_dirty_orders`);
    expect((rows as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(0);
    expect((await analytics().summary(range)).totals.refunds).toBe(10_000_00);
  });
});
