import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  admin,
  api,
  consoleOf,
  get,
  o,
  ok,
  promotionId,
  range,
  rider,
  seller,
  t,
  useAnalyticsHistory,
} from '../../../test/support/analytics-history.js';

// Analytics in the console over a known history: unit economics by group, drill-downs, the
// reconciliation, the seller scorecard, CSV byte for byte the API's, a promotion's contribution.

useAnalyticsHistory();

/** Money as the console shows it ("TZS 1,234.50", "-TZS 300"): written out here, not imported from the console. */
function money(minor: number): string {
  const abs = Math.abs(minor);
  const whole = String(Math.trunc(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = abs % 100;
  return `${minor < 0 ? '-' : ''}TZS ${whole}${cents ? `.${String(cents).padStart(2, '0')}` : ''}`;
}
const orderRows = (body: string) => [...body.matchAll(/<tr data-order="([^"]+)">/g)].map((m) => m[1]);

describe('the console: unit economics by group, drill-downs, CSV, a promotion’s contribution', () => {
  it('the page groups unit economics by zone with the API’s figures, and every number opens to its orders', async () => {
    const c = await consoleOf();
    const res = await c.get(`/admin/analytics?${range}&by=zone`);
    expect(res.statusCode).toBe(200);
    const byZone = (await ok(api('unit-economics', '&by=zone'))).json();
    const row = /<tr data-row="unit-group" data-key="Mikocheni">(.*?)<\/tr>/.exec(res.body)?.[1];
    expect(row).toContain(`<td class="num">${byZone.items[0].orders}</td>`);
    expect(row).toContain(`<td class="num">${money(byZone.items[0].contribution)}</td>`);
    // The unit total's contribution links to the loss-making orders; its orders to the orders.
    // Attribute values are escaped (`=` and `&` too); a browser decodes them, and so does this.
    const attr = (v: string) => v.replaceAll('&#61;', '=').replaceAll('&amp;', '&');
    const href = (figure: string) => {
      const m = new RegExp(`href="(/admin/analytics/orders\\?[^"]*)" data-drill="${figure}"`).exec(res.body);
      return m ? attr(m[1]!) : undefined;
    };
    const all = await c.get(href('orders')!);
    expect(all.statusCode).toBe(200);
    expect(orderRows(all.body).sort()).toEqual([o.O1, o.O2, o.O3, o.O4, o.O5, o.O7].sort());
    // Each order's contribution adds up to the page's total (the same one module's rule).
    const sum = [...all.body.matchAll(/data-contribution="(-?\d+)"/g)].reduce((a, m) => a + Number(m[1]), 0);
    expect(sum).toBe(byZone.total.contribution);
    for (const [figure, ids] of [
      ['refunded', [o.O2, o.O3, o.O5]],
      ['late', [o.O4]],
      ['disputed', [o.O3, o.O5]],
    ] as const) {
      const drilled = await c.get(href(figure)!);
      expect(orderRows(drilled.body).sort(), figure).toEqual([...ids].sort());
    }
    // The same as the orders table holds: refunded in full or in part.
    const refunded = (await t.handle.db.execute(sql`
      select o.id from orders o left join disputes d on d.order_id = o.id
      where o.status in ('rejected', 'refunded') or d.resolution = 'partial_refund'`)) as unknown as {
      rows: Array<{ id: string }>;
    };
    expect(refunded.rows.map((r) => r.id).sort()).toEqual([o.O2, o.O3, o.O5].sort());
    // A period's orders: Wednesday 2 Dec holds O7 only.
    const wed = await c.get(`/admin/analytics/orders?${range}&figure=orders&period=2026-12-02`);
    expect(orderRows(wed.body)).toEqual([o.O7]);
    // Bad input is shown as the module's refusal, not a 500.
    expect((await c.get('/admin/analytics/orders?from=2026-12-02&to=2026-11-30')).statusCode).toBe(422);
  });

  it('the console shows the figures reconciled with the ledger, and a ledger that disagrees, figure by figure', async () => {
    const c = await consoleOf();
    const api = (await ok(get(`/admin/analytics/reconciliation?${range}`, admin.auth))).json();
    const res = await c.get(`/admin/analytics/reconciliation?${range}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-reconciled="yes"');
    const shown = [...res.body.matchAll(/<tr data-figure="([^"]+)"[^>]*>.*?data-difference="(-?\d+)"/g)].map(
      (m) => [m[1], Number(m[2])],
    );
    expect(shown).toEqual(api.lines.map((l: { figure: string }) => [l.figure, 0]));
    const db = t.handle.db;
    await db.execute(
      sql`update ledger_transfers set amount = amount + 1 where key = ${`delivery-fee:${o.O1}`}`,
    );
    try {
      const off = await c.get(`/admin/analytics/reconciliation?${range}`);
      expect(off.body).toContain('data-reconciled="no"');
      expect(off.body).toMatch(/<tr data-figure="take" class="error">.*?data-difference="-1"/);
    } finally {
      await db.execute(
        sql`update ledger_transfers set amount = amount - 1 where key = ${`delivery-fee:${o.O1}`}`,
      );
    }
  });

  it("a seller's page shows their scorecard: the analytics module's figures, each count opening to its orders", async () => {
    const c = await consoleOf();
    const res = await c.get(`/admin/people/${seller.userId}`);
    expect(res.statusCode).toBe(200);
    const score = (name: string) =>
      new RegExp(`data-score="${name}">(.*?)</td>`).exec(res.body)?.[1]?.replace(/<[^>]*>/g, '');
    // Hand-computed: 6 paid orders; the seller accepted 4 of the 5 decided (O2 rejected); 3 of the
    // 4 delivered with a promise on time (O4 late); O3 and O5 disputed.
    expect([
      score('orders'),
      score('acceptance'),
      score('refused'),
      score('on-time'),
      score('disputes'),
      score('disputes-lost'),
    ]).toEqual(['6', '80.0%', '1', '75.0%', '2', '2']);
    // The same as the database holds: the seller's rejections and the disputes on their orders.
    const rejected = (await t.handle.db.execute(
      sql`select count(*)::int as n from order_events e join orders o on o.id = e.order_id
          where o.seller_id = ${seller.userId} and e.event in ('reject', 'seller_no_show')`,
    )) as unknown as { rows: Array<{ n: number }> };
    expect(Number(rejected.rows[0]!.n)).toBe(1);
    const disputes = (await t.handle.db.execute(
      sql`select count(*)::int as n from disputes d join orders o on o.id = d.order_id where o.seller_id = ${seller.userId}`,
    )) as unknown as { rows: Array<{ n: number }> };
    expect(Number(disputes.rows[0]!.n)).toBe(2);
    const href = /data-score="refused"><a href="([^"]+)"/
      .exec(res.body)![1]!
      .replaceAll('&#61;', '=')
      .replaceAll('&amp;', '&');
    expect(orderRows((await c.get(href)).body)).toEqual([o.O2]);
    // Both disputes were resolved with a refund at the seller's fault: both lost, O3 and O5.
    const lostHref = /data-score="disputes-lost"><a href="([^"]+)"/
      .exec(res.body)![1]!
      .replaceAll('&#61;', '=')
      .replaceAll('&amp;', '&');
    expect(orderRows((await c.get(lostHref)).body)?.sort()).toEqual([o.O3, o.O5].sort());
    // No payout run in this history; one paid and one failed payout written to the payments table
    // show as 1 paid (its amount) and 0 pending / 1 failed; another party's payout does not count,
    // nor one asked before the scorecard's year, nor one in another currency.
    expect([score('payouts'), score('paid-out'), score('payouts-open')]).toEqual(['0', 'TZS 0', '0 / 0']);
    const now = t.clock.now().getTime();
    const day = 86_400_000;
    for (const [party, status, amount, currency, at] of [
      [seller.userId, 'succeeded', 12_345_00, 'TZS', now],
      [seller.userId, 'failed', 5_000_00, 'TZS', now],
      [rider.userId, 'succeeded', 7_000_00, 'TZS', now],
      [seller.userId, 'succeeded', 9_000_00, 'TZS', now - 400 * day],
      [seller.userId, 'failed', 3_000_00, 'TZS', now - 400 * day],
      [seller.userId, 'succeeded', 11_00, 'USD', now],
    ] as const)
      await t.handle.db.execute(sql`
        insert into payment_disbursements (id, purpose_key, kind, party_id, provider, msisdn, amount, currency,
          reason, status, reference, created_at, updated_at)
        values (gen_random_uuid(), ${`payout:test:${party}:${status}:${currency}:${at}`}, 'payout', ${party}::uuid,
          'simulator', '+255754000000', ${amount}, ${currency}, 'test', ${status},
          ${`t-${status}-${amount}-${at}`}, ${new Date(at).toISOString()}::timestamptz,
          ${new Date(at).toISOString()}::timestamptz)`);
    const after = await c.get(`/admin/people/${seller.userId}`);
    const scoreAfter = (name: string) =>
      new RegExp(`data-score="${name}">(.*?)</td>`).exec(after.body)?.[1]?.replace(/<[^>]*>/g, '');
    expect([scoreAfter('payouts'), scoreAfter('payouts-open')]).toEqual(['1', '0 / 1']);
    expect(scoreAfter('paid-out')).toBe('TZS 12,345');
  });

  it('every table downloads as CSV from the console, byte for byte the admin API’s CSV', async () => {
    const c = await consoleOf();
    const pairs: Array<[string, string]> = [
      ['table=summary&grain=day', 'summary?format=csv&grain=day'],
      ['table=unit-economics&by=zone', 'unit-economics?format=csv&by=zone'],
      ['table=unit-economics&by=seller', 'unit-economics?format=csv&by=seller'],
      ['table=cohorts', 'cohorts?format=csv'],
      ['table=top-sellers', 'top?format=csv&table=sellers&limit=100'],
      ['table=top-products', 'top?format=csv&table=products&limit=100'],
      ['table=orders&figure=refunded', 'orders?format=csv&figure=refunded&limit=500'],
    ];
    for (const [mine, theirs] of pairs) {
      const res = await c.get(`/admin/analytics/export?${range}&${mine}`);
      expect(res.statusCode, mine).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="[a-z-]+\.csv"$/);
      const [path, q] = theirs.split('?');
      const api = await ok(get(`/admin/analytics/${path}?${range}&${q}`, admin.auth));
      expect(res.body, mine).toBe(api.body);
    }
    const orders = parse(
      (await c.get(`/admin/analytics/export?${range}&table=orders&figure=refunded`)).body,
      {
        columns: true,
      },
    ) as Array<{ order_id: string }>;
    expect(orders.map((r) => r.order_id).sort()).toEqual([o.O2, o.O3, o.O5].sort());
    expect((await c.get(`/admin/analytics/export?${range}&table=nope`)).statusCode).toBe(422);
  });

  it('a promotion’s page shows its own contribution: the unit economics of the orders it discounted', async () => {
    const c = await consoleOf();
    const res = await c.get(`/admin/promotions/${promotionId}`);
    expect(res.statusCode).toBe(200);
    const from = /orders it discounted, (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})/.exec(res.body)!;
    const mine = (
      await ok(
        get(
          `/admin/analytics/unit-economics?from=${from[1]}&to=${from[2]}&grain=week&promotion=${promotionId}`,
          admin.auth,
        ),
      )
    ).json();
    // Every seeded order used the promotion, so its contribution is the whole history's.
    const all = (await ok(api('unit-economics'))).json();
    expect(mine.total.contribution).toBe(all.total.contribution);
    expect(mine.total.orders).toBe(6);
    expect(res.body).toContain(
      `<td class="num" data-figure="contribution">${money(mine.total.contribution)}</td>`,
    );
    expect(res.body).toContain(
      `<td class="num" data-figure="contribution-per-order">${money(mine.total.contribution_per_order)}</td>`,
    );
    expect(res.body).toContain('alt="Contribution per order of its orders, by week"');
  });
});
