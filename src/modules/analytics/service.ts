// Use cases of analytics: resolve and check a query, bring the facts table up to date and read it
// once, hand the facts to the pure rules. The only write is the facts table's own refresh.
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { unprocessable } from '../../shared/errors.js';
import { decodeCursor, encodeCursor } from '../../shared/pagination.js';
import * as agg from './aggregates.js';
import { cohortsFromCounts } from './cohorts.js';
import { counts, type DrillFigure } from './drill.js';
import { economicsMap, figuresFromSums, figuresOf } from './figures.js';
import type { AnalyticsSettings, Grain } from './model.js';
import { localDay, localDayStart, periodOf, periodsBetween } from './periods.js';
import * as q from './queries.js';
import { reconcileFigures } from './reconcile.js';
import { emptyUnitRow, sortUnitRows, type UnitGroup, unitRowOf } from './unit-economics.js';

/** The longest range one request reads; day-by-day series are shorter still (a readable chart). */
export const MAX_RANGE_DAYS = 366;
export const MAX_DAY_GRAIN_DAYS = 92;
export const DEFAULT_RANGE_DAYS = 30;
/** How long a computed page is reused while the facts are unchanged (shop and category names, "today"). */
export const PAGE_CACHE_MS = 60_000;
const PAGE_CACHE_ENTRIES = 200;
const DAY_MS = 86_400_000;

export interface AnalyticsQuery {
  /** first local day, YYYY-MM-DD (default: 29 days before `to`) */
  from?: string | undefined;
  /** last local day, inclusive (default: today in Dar es Salaam) */
  to?: string | undefined;
  grain?: Grain | undefined;
  zone?: string | undefined;
  category?: string | undefined;
  seller?: string | undefined;
  promotion?: string | undefined;
}

export interface ResolvedQuery {
  from: string;
  to: string;
  grain: Grain;
  filter: q.FactFilter;
}

export function createAnalyticsService(deps: { db: Database; clock: Clock; settings: AnalyticsSettings }) {
  const { db, clock, settings } = deps;

  async function resolve(query: AnalyticsQuery): Promise<ResolvedQuery> {
    const to = query.to ?? localDay(clock.now());
    const from =
      query.from ?? localDay(new Date(localDayStart(to).getTime() - (DEFAULT_RANGE_DAYS - 1) * DAY_MS));
    const grain = query.grain ?? 'day';
    const start = localDayStart(from);
    const end = new Date(localDayStart(to).getTime() + DAY_MS);
    // A date that does not exist (2026-02-30) rolls over in JS; refuse it instead.
    for (const [field, day, at] of [
      ['from', from, start],
      ['to', to, localDayStart(to)],
    ] as const)
      if (Number.isNaN(at.getTime()) || localDay(at) !== day)
        throw unprocessable('INVALID_DATE', field, `${day} is not a calendar day.`);
    if (start.getTime() > localDayStart(to).getTime())
      throw unprocessable('INVALID_RANGE', 'from', '`from` must be on or before `to`.');
    const days = Math.round((end.getTime() - start.getTime()) / DAY_MS);
    if (days > MAX_RANGE_DAYS)
      throw unprocessable('RANGE_TOO_LONG', 'to', `Ask for at most ${MAX_RANGE_DAYS} days at once.`);
    if (grain === 'day' && days > MAX_DAY_GRAIN_DAYS)
      throw unprocessable(
        'RANGE_TOO_LONG',
        'grain',
        `Day by day covers at most ${MAX_DAY_GRAIN_DAYS} days; ask by week or month.`,
      );
    const filter: q.FactFilter = { currency: settings.currency, from: start, to: end };
    if (query.zone) {
      const name = await q.zoneName(db, query.zone);
      if (!name) throw unprocessable('UNKNOWN_ZONE', 'zone', 'There is no such delivery zone.');
      filter.zoneName = name;
    }
    if (query.category) {
      const path = await q.categoryPath(db, query.category);
      if (!path) throw unprocessable('UNKNOWN_CATEGORY', 'category', 'There is no such category.');
      filter.categoryPath = path;
    }
    if (query.seller) {
      if (!(await q.sellerExists(db, query.seller)))
        throw unprocessable('UNKNOWN_SELLER', 'seller', 'There is no such seller.');
      filter.sellerId = query.seller;
    }
    if (query.promotion) {
      if (!(await q.promotionExists(db, query.promotion)))
        throw unprocessable('UNKNOWN_PROMOTION', 'promotion', 'There is no such promotion.');
      filter.promotionId = query.promotion;
    }
    return { from, to, grain, filter };
  }

  const rangeOf = (r: ResolvedQuery) => ({ from: r.from, to: r.to, grain: r.grain });

  /** Fold in what changed since the last read, so every figure is as of now (and reconciles). */
  const refresh = () => q.refreshFacts(db, settings);

  async function facts(query: AnalyticsQuery) {
    const r = await resolve(query);
    await refresh();
    return { r, facts: await q.loadFacts(db, r.filter) };
  }

  // The figures below sum the economics stored on the facts rows (SQL GROUP BY); the averages,
  // shares and rates come from the pure modules. The same figures in process from the facts
  // (`summarise`, `unitEconomics`, `cohortsOf`) are the tested reference they are checked against.

  async function summaryOf(r: ResolvedQuery) {
    const { totals, byPeriod } = await agg.summarySums(db, r.filter, r.grain);
    const series = periodsBetween(r.from, r.to, r.grain).map((period) => {
      const sums = byPeriod.get(period);
      return { period, ...(sums ? figuresFromSums(sums) : figuresOf([], new Map(), () => false)) };
    });
    return {
      range: rangeOf(r),
      currency: settings.currency,
      totals: figuresFromSums(totals),
      series,
    };
  }

  async function unitRows(r: ResolvedQuery, by: UnitGroup) {
    const rows = await agg.unitSums(db, r.filter, by);
    const total = rows.find((x) => x.key === null);
    const items = rows.flatMap((x) => (x.key === null ? [] : [unitRowOf(x.key, x.sums)]));
    return {
      by,
      items: sortUnitRows(items, by),
      total: total ? unitRowOf('total', total.sums) : emptyUnitRow('total'),
    };
  }

  async function unitsOf(r: ResolvedQuery, by: UnitGroup) {
    const [grouped, weekly] = await Promise.all([
      unitRows(r, by),
      by === 'week' ? null : unitRows(r, 'week'),
    ]);
    // The trend is always weekly: contribution per order, week by week.
    const trend = weekly ? weekly.items : grouped.items;
    return { range: rangeOf(r), currency: settings.currency, ...grouped, trend };
  }

  async function topOf(r: ResolvedQuery, limit: number) {
    const [sellers, products] = await Promise.all([
      agg.sellerSums(db, r.filter),
      q.topProducts(db, r.filter, limit),
    ]);
    const topSellers = sellers
      .sort((a, b) => b.gmv - a.gmv || a.seller_id.localeCompare(b.seller_id))
      .slice(0, limit);
    const names = await q.shopNames(
      db,
      topSellers.map((s) => s.seller_id),
    );
    return {
      range: rangeOf(r),
      currency: settings.currency,
      products,
      sellers: topSellers.map((s) => ({ ...s, shop_name: names.get(s.seller_id) ?? '' })),
    };
  }

  const cohortsOfRange = async (r: ResolvedQuery) => cohortsFromCounts(await agg.cohortSums(db, r.filter));

  // The page, cached per query for PAGE_CACHE_MS and only while the facts are unchanged (their
  // version, bumped by every fold): a reload within the minute costs one fold check and one read.
  type PageData = Awaited<ReturnType<typeof computePage>>;
  const pageCache = new Map<string, { at: number; version: number; data: PageData }>();

  async function computePage(r: ResolvedQuery, by: UnitGroup) {
    const [unit_economics, summary, cohorts, top] = await Promise.all([
      unitsOf(r, by),
      summaryOf(r),
      cohortsOfRange(r),
      topOf(r, 10),
    ]);
    return { unit_economics, summary, cohorts, top };
  }

  return {
    resolve,

    async summary(query: AnalyticsQuery) {
      const r = await resolve(query);
      await refresh();
      return summaryOf(r);
    },

    async unitEconomics(query: AnalyticsQuery & { by?: UnitGroup | undefined }) {
      const r = await resolve(query);
      await refresh();
      return unitsOf(r, query.by ?? 'week');
    },

    async cohorts(query: AnalyticsQuery) {
      const r = await resolve(query);
      await refresh();
      return { range: rangeOf(r), items: await cohortsOfRange(r) };
    },

    async top(query: AnalyticsQuery & { limit?: number | undefined }) {
      const r = await resolve(query);
      await refresh();
      return topOf(r, query.limit ?? 10);
    },

    /** The orders behind one figure (optionally one period), oldest payment first, paged. */
    async orders(
      query: AnalyticsQuery & {
        figure?: DrillFigure | undefined;
        period?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ) {
      const { r, facts: f } = await facts(query);
      const after = decodeCursor(query.cursor);
      if (query.period !== undefined && periodOf(localDayStart(query.period), r.grain) !== query.period)
        throw unprocessable('INVALID_PERIOD', 'period', `${query.period} does not start a ${r.grain}.`);
      const figure = query.figure ?? 'orders';
      const econ = economicsMap(f, settings);
      const chosen = f.filter(
        (o) =>
          (query.period === undefined || periodOf(o.paidAt, r.grain) === query.period) &&
          counts(figure, o, settings, r.filter.from) &&
          (!after ||
            o.paidAt.getTime() > after.at.getTime() ||
            (o.paidAt.getTime() === after.at.getTime() && o.id > after.id)),
      );
      const page = chosen.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        range: rangeOf(r),
        figure,
        currency: settings.currency,
        items: page.map((o) => ({ fact: o, economics: econ.get(o.id)! })),
        next_cursor:
          chosen.length > query.limit && last ? encodeCursor({ at: last.paidAt, id: last.id }) : null,
      };
    },

    /** Do the money figures of the query's orders equal the ledger's sums for the same orders? */
    async reconcile(query: AnalyticsQuery) {
      const { r, facts: f } = await facts(query);
      const econ = economicsMap(f, settings);
      const ledger = await q.ledgerSums(
        db,
        f.map((o) => o.id),
      );
      return { range: rangeOf(r), orders: f.length, ...reconcileFigures(econ.values(), ledger) };
    },

    /**
     * Everything the console's analytics page shows, from one read of the facts: unit economics
     * first (by week, or by `by`, always with the weekly trend), then the summary, cohorts and the top tables.
     */
    async page(query: AnalyticsQuery & { by?: UnitGroup | undefined }) {
      const r = await resolve(query);
      await refresh();
      const by = query.by ?? 'week';
      const key = JSON.stringify([r, by]);
      const [version, now] = [await q.factsVersion(db), clock.now().getTime()];
      const hit = pageCache.get(key);
      if (hit && hit.version === version && now - hit.at < PAGE_CACHE_MS) return hit.data;
      const data = await computePage(r, by);
      if (pageCache.size >= PAGE_CACHE_ENTRIES) pageCache.clear();
      pageCache.set(key, { at: now, version, data });
      return data;
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
