import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  admin,
  api,
  COLLECTION_FEE,
  categoryId,
  F,
  FINAL,
  get,
  kariakooId,
  mikocheniId,
  o,
  ok,
  otherCategoryId,
  PARTIAL,
  PROMO,
  producedSmsByOrder,
  promotionId,
  SEND_FEE,
  SMS,
  seller,
  share,
  t,
  useAnalyticsHistory,
  WHATSAPP,
} from '../../../test/support/analytics-history.js';
import { isoWeekOf } from './periods.js';

// Analytics over a known history (test/support/analytics-history.ts): the seeded history is what the
// scenario says, and every figure equals the hand-computed value.

useAnalyticsHistory();

describe('the seeded history is what the scenario says', () => {
  it('statuses, times and the ledger', async () => {
    const db = t.handle.db;
    const res = await db.execute(sql`select id, status, paid_at from orders`);
    const rows = (res as unknown as { rows: Array<{ id: string; status: string; paid_at: Date | null }> })
      .rows;
    const status = Object.fromEntries(rows.map((r) => [r.id, r.status]));
    expect([o.O1, o.O2, o.O3, o.O4, o.O5, o.O6, o.O7].map((id) => status[id!])).toEqual([
      'completed',
      'rejected',
      'resolved',
      'completed',
      'refunded',
      'cancelled',
      'paid',
    ]);
    const paid7 = rows.find((r) => r.id === o.O7)!.paid_at!;
    expect(new Date(paid7).toISOString()).toBe('2026-12-01T22:30:00.000Z');
    expect(F).toBeGreaterThan(0);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });
});

describe('every figure against hand-computed values', () => {
  it('summary totals and per-day series (Dar es Salaam days)', async () => {
    const res = await ok(api('summary', '&grain=day'));
    const body = res.json();
    const gmv = 6 * (FINAL + F);
    const late = F;
    const incentives = 4 * PROMO + late;
    expect(body.totals).toEqual({
      orders: 6,
      gmv,
      average_order_value: FINAL + F,
      take: 3 * (F - share(F)),
      incentives: {
        promotion: 4 * PROMO,
        code: 0,
        loyalty: 0,
        referral: 0,
        late_compensation: late,
        total: incentives,
        share_of_gmv_bp: Math.floor((incentives * 10_000) / gmv),
      },
      refunds: 2 * (FINAL + F) + PARTIAL,
      refund_rate_bp: 5000,
      dispute_rate_bp: 3333,
      on_time_rate_bp: 7500,
      acceptance_rate_bp: 8000,
      new_buyers: 4,
      repeat_buyers: 0,
    });
    expect(body.series.map((s: { period: string; orders: number }) => [s.period, s.orders])).toEqual([
      ['2026-11-30', 5],
      ['2026-12-01', 0],
      ['2026-12-02', 1],
    ]);
    expect(body.series[2]).toMatchObject({ gmv: FINAL + F, new_buyers: 0, repeat_buyers: 1, take: 0 });
    // by week: all in the week of Monday 30 Nov
    const weekly = (await ok(api('summary', '&grain=week'))).json();
    expect(weekly.series).toHaveLength(1);
    expect(weekly.series[0]).toMatchObject({ period: '2026-11-30', orders: 6, gmv });
    // the 22:30 UTC order is not on 1 Dec (UTC's day) but on 2 Dec
    const dec1 = (await ok(get('/admin/analytics/summary?from=2026-12-01&to=2026-12-01', admin.auth))).json();
    expect(dec1.totals.orders).toBe(0);
  });

  it('unit economics: contribution per order, by week, and per order', async () => {
    // O1's messages: an SMS and a WhatsApp sent without a cost (the configured costs apply), a
    // WhatsApp with the provider's cost, an in-app message (free) and a failed SMS (not billed);
    // plus the SMS the order events themselves sent to buyers and sellers (counted in the outbox).
    const produced = await producedSmsByOrder();
    const producedSms = [...produced.values()].reduce((a, b) => a + b, 0);
    expect(producedSms).toBeGreaterThan(0);
    const messageCosts = SMS + WHATSAPP + 33 + producedSms * SMS;
    // refunds sent: O2 (all), O3 (partial), O4 (late fee), O5 (all)
    const paymentFees = 6 * COLLECTION_FEE + 4 * SEND_FEE;
    const take = 3 * (F - share(F));
    const contribution = take - 4 * PROMO - F - share(F) - paymentFees - messageCosts;
    const body = (await ok(api('unit-economics', '&by=week'))).json();
    expect(body.total).toEqual({
      key: 'total',
      orders: 6,
      gmv: 6 * (FINAL + F),
      take,
      incentives: 4 * PROMO,
      late_compensation: F,
      absorbed_refunds: share(F),
      payment_fees: paymentFees,
      message_costs: messageCosts,
      contribution,
      contribution_per_order: Math.floor(contribution / 6),
    });
    expect(body.items).toEqual([{ ...body.total, key: '2026-11-30' }]);
    expect(body.trend).toEqual(body.items);

    const byOrder = (await ok(api('unit-economics', '&by=order'))).json().items as Array<
      Record<string, number | string>
    >;
    const row = (id: string) => byOrder.find((r) => r.key === id)!;
    expect(row(o.O1!)).toMatchObject({
      message_costs: SMS + WHATSAPP + 33 + (produced.get(o.O1!) ?? 0) * SMS,
    });
    expect(row(o.O2!)).toMatchObject({ take: 0, incentives: 0, payment_fees: COLLECTION_FEE + SEND_FEE });
    expect(row(o.O5!)).toMatchObject({ take: 0, incentives: 0, absorbed_refunds: share(F) });
    expect(row(o.O4!)).toMatchObject({ take: F - share(F), late_compensation: F, incentives: PROMO });
    expect(row(o.O7!)).toMatchObject({ take: 0, incentives: PROMO, payment_fees: COLLECTION_FEE });
    // worst first
    const contributions = byOrder.map((r) => r.contribution as number);
    expect(contributions).toEqual([...contributions].sort((a, b) => a - b));

    for (const by of ['zone', 'category', 'seller']) {
      const g = (await ok(api('unit-economics', `&by=${by}`))).json();
      expect(g.items).toHaveLength(1);
      expect(g.total.contribution).toBe(contribution);
    }
    const byZone = (await ok(api('unit-economics', '&by=zone'))).json();
    expect(byZone.items[0].key).toBe('Mikocheni');
    // the promotion's own contribution: the orders it discounted (O1, O2, O3, O4, O5, O7: all of them)
    const promo = (await ok(api('unit-economics', `&by=week&promotion=${promotionId}`))).json();
    expect(promo.total.contribution).toBe(contribution);
  });

  it('cohorts by ISO week of the first paid order', async () => {
    const body = (await ok(api('cohorts'))).json();
    expect(body.items).toEqual([
      { cohort: isoWeekOf(new Date('2026-11-30T06:00:00Z')), buyers: 4, active: [4] },
    ]);
    expect(body.items[0].cohort).toBe('2026-W49');
  });

  it('top products and sellers', async () => {
    const body = (await ok(api('top'))).json();
    expect(body.products).toEqual([
      expect.objectContaining({ title: 'Kanga <b>bora</b>', units: 6, amount: 6 * FINAL, orders: 6 }),
    ]);
    expect(body.sellers).toEqual([
      expect.objectContaining({
        seller_id: seller.userId,
        shop_name: 'Analytics Duka',
        orders: 6,
        gmv: 6 * (FINAL + F),
      }),
    ]);
  });

  it('each figure drills down to its orders; pages join up without gaps or repeats', async () => {
    const ids = async (figure: string, extra = '') =>
      (
        (await ok(api('orders', `&figure=${figure}${extra}`))).json().items as Array<{ order_id: string }>
      ).map((i) => i.order_id);
    const sorted = (xs: Array<string | undefined>) => [...(xs as string[])].sort();
    expect(sorted(await ids('orders'))).toEqual(sorted([o.O1, o.O2, o.O3, o.O4, o.O5, o.O7]));
    expect(sorted(await ids('refunded'))).toEqual(sorted([o.O2, o.O3, o.O5]));
    expect(sorted(await ids('refunded_in_full'))).toEqual(sorted([o.O2, o.O5]));
    expect(await ids('partially_refunded')).toEqual([o.O3]);
    expect(sorted(await ids('disputed'))).toEqual(sorted([o.O3, o.O5]));
    expect(await ids('late')).toEqual([o.O4]);
    expect(await ids('late_compensation')).toEqual([o.O4]);
    expect(sorted(await ids('on_time'))).toEqual(sorted([o.O1, o.O3, o.O5]));
    expect(await ids('refused')).toEqual([o.O2]);
    expect(sorted(await ids('take'))).toEqual(sorted([o.O1, o.O3, o.O4]));
    expect(await ids('orders', '&period=2026-12-02')).toEqual([o.O7]);
    expect(await ids('repeat_buyers')).toEqual([]);
    const first = (await ok(api('orders', '&limit=4'))).json();
    expect(first.items).toHaveLength(4);
    const second = (await ok(api('orders', `&limit=4&cursor=${first.next_cursor}`))).json();
    expect(second.next_cursor).toBeNull();
    expect(sorted([...first.items, ...second.items].map((i: { order_id: string }) => i.order_id))).toEqual(
      sorted([o.O1, o.O2, o.O3, o.O4, o.O5, o.O7]),
    );
    expect(first.items[0].paid_at).toMatch(/\+03:00$/);
  });

  it('filters: zone, category, seller', async () => {
    const count = async (q: string) => (await ok(api('summary', q))).json().totals.orders;
    expect(await count(`&zone=${mikocheniId}`)).toBe(6);
    expect(await count(`&zone=${kariakooId}`)).toBe(0);
    expect(await count(`&category=${categoryId}`)).toBe(6);
    expect(await count(`&category=${otherCategoryId}`)).toBe(0);
    expect(await count(`&seller=${seller.userId}`)).toBe(6);
  });
});
