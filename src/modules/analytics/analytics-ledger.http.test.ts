import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  admin,
  api,
  F,
  FINAL,
  get,
  o,
  ok,
  PARTIAL,
  PROMO,
  range,
  seller,
  share,
  t,
  useAnalyticsHistory,
} from '../../../test/support/analytics-history.js';
import { cohortsOf } from './cohorts.js';
import { economicsMap, flagsOf, summarise } from './figures.js';
import { loadFacts, refreshFacts } from './queries.js';
import { unitEconomics } from './unit-economics.js';

// Analytics over a known history: every money figure reconciles with the escrow ledger, the stored
// economics equal the pure rules, every table exports as CSV, and the page data leads with unit economics.

useAnalyticsHistory();

describe('reconciled with the ledger', () => {
  it('the money figures equal the ledger sums for the same orders', async () => {
    const body = (await ok(get(`/admin/analytics/reconciliation?${range}`, admin.auth))).json();
    expect(body.problems).toEqual([]);
    expect(body.ok).toBe(true);
    expect(body.orders).toBe(6);
    const line = (f: string) => body.lines.find((l: { figure: string }) => l.figure === f);
    expect(line('gmv')).toMatchObject({ analytics: 6 * (FINAL + F), ledger: 6 * (FINAL + F) });
    expect(line('incentives')).toMatchObject({ analytics: 4 * PROMO, ledger: 4 * PROMO });
    expect(line('take')).toMatchObject({ ledger: 3 * (F - share(F)) });
    expect(line('late_compensation')).toMatchObject({ ledger: F });
    expect(line('absorbed_refunds')).toMatchObject({ ledger: share(F) });
    expect(line('refunds')).toMatchObject({ ledger: 2 * (FINAL + F) + PARTIAL });
  });

  it('the economics stored at fold time equal the pure rules recomputed, and the page’s SQL sums equal the in-process figures', async () => {
    const svc = t.app.services.analytics.service;
    const r = await svc.resolve({ from: '2026-11-30', to: '2026-12-02', grain: 'day' });
    await refreshFacts(t.handle.db, t.app.services.analytics.settings);
    const facts = await loadFacts(t.handle.db, r.filter);
    const econ = economicsMap(facts, t.app.services.analytics.settings);
    const stored = (
      (await t.handle.db.execute(sql`select order_id, e_gmv, e_take, e_promotion, e_code, e_loyalty, e_referral,
        e_incentives, e_late_compensation, e_absorbed_refunds, e_refunds, e_payment_fees, e_message_costs,
        e_contribution, refunded_any, promised_delivered, on_time from analytics_order_facts`)) as {
        rows: unknown;
      }
    ).rows as Array<Record<string, unknown>>;
    expect(stored.length).toBe(6);
    for (const o of facts) {
      const e = econ.get(o.id)!;
      const row = stored.find((x) => x.order_id === o.id)!;
      expect(
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'boolean' ? v : String(v)])),
      ).toEqual({
        order_id: o.id,
        e_gmv: String(e.gmv),
        e_take: String(e.take),
        e_promotion: String(e.promotion),
        e_code: String(e.code),
        e_loyalty: String(e.loyalty),
        e_referral: String(e.referral),
        e_incentives: String(e.incentives),
        e_late_compensation: String(e.lateCompensation),
        e_absorbed_refunds: String(e.absorbedRefunds),
        e_refunds: String(e.refunds),
        e_payment_fees: String(e.paymentFees),
        e_message_costs: String(e.messageCosts),
        e_contribution: String(e.contribution),
        refunded_any: flagsOf(o).refundedAny,
        promised_delivered: flagsOf(o).promisedDelivered,
        on_time: flagsOf(o).onTime,
      });
    }
    const range = { from: r.from, to: r.to, grain: r.grain };
    const reference = summarise(facts, t.app.services.analytics.settings, range, econ);
    const summary = await svc.summary(range);
    expect(summary.totals).toEqual(reference.totals);
    expect(summary.series).toEqual(reference.series);
    for (const by of ['week', 'zone', 'category', 'seller', 'order'] as const) {
      const ref = unitEconomics(facts, econ, by);
      const got = await svc.unitEconomics({ ...range, by });
      expect(got.items).toEqual(ref.items);
      expect(got.total).toEqual(ref.total);
    }
    expect((await svc.cohorts(range)).items).toEqual(cohortsOf(facts, r.filter.from));
  });

  it('a ledger that disagrees is reported, figure by figure', async () => {
    const db = t.handle.db;
    await db.execute(
      sql`update ledger_transfers set amount = amount + 1 where key = ${`delivery-fee:${o.O1}`}`,
    );
    try {
      const body = (await ok(get(`/admin/analytics/reconciliation?${range}`, admin.auth))).json();
      expect(body.ok).toBe(false);
      expect(body.problems).toEqual([expect.stringMatching(/^take: analytics \d+, ledger \d+ .*off by -1$/)]);
    } finally {
      await db.execute(
        sql`update ledger_transfers set amount = amount - 1 where key = ${`delivery-fee:${o.O1}`}`,
      );
    }
  });
});

describe('CSV export of every table', () => {
  it('format=csv and Accept: text/csv give the same table as the JSON', async () => {
    const res = await ok(api('summary', '&format=csv'));
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="summary.csv"');
    const rows = parse(res.body) as string[][];
    expect(rows[0]?.slice(0, 3)).toEqual(['period', 'orders', 'gmv']);
    expect(rows.slice(1).map((r) => [r[0], r[1]])).toEqual([
      ['2026-11-30', '5'],
      ['2026-12-01', '0'],
      ['2026-12-02', '1'],
    ]);
    const viaAccept = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/analytics/summary?${range}`,
      headers: { ...admin.auth, accept: 'text/csv' },
    });
    expect(viaAccept.body).toBe(res.body);
    for (const [path, first] of [
      ['unit-economics', 'week'],
      ['cohorts', 'cohort'],
      ['top', 'product_id'],
      ['orders', 'order_id'],
    ] as const) {
      const csv = await ok(api(path, '&format=csv'));
      expect((parse(csv.body) as string[][])[0]?.[0]).toBe(first);
    }
    const sellers = parse((await ok(api('top', '&format=csv&table=sellers'))).body) as string[][];
    expect(sellers[1]).toEqual([
      seller.userId,
      'Analytics Duka',
      '6',
      String(6 * (FINAL + F)),
      expect.any(String),
    ]);
    const products = parse((await ok(api('top', '&format=csv'))).body) as string[][];
    expect(products[1]?.[1]).toBe('Kanga <b>bora</b>');
  });
});

describe('the analytics page data', () => {
  it('unit economics first, with SVG charts', async () => {
    const page = await t.app.services.analytics.page({ from: '2026-11-30', to: '2026-12-02' });
    expect(Object.keys(page)[0]).toBe('unit_economics');
    expect(page.unit_economics.chart).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(page.summary.charts.gmv).toMatch(/^<svg/);
    expect(page.summary.totals.orders).toBe(6);
    expect(page.top.products[0]?.title).toBe('Kanga <b>bora</b>');
  });
});
