import { describe, expect, it } from 'vitest';
import { analyticsPage } from './page.js';
import type { AnalyticsService } from './service.js';

// The page's charts are drawn once per page data: a cache hit (the same data object) reuses them.

type Data = Awaited<ReturnType<AnalyticsService['page']>>;
const data = (): Data =>
  ({
    unit_economics: { trend: [{ key: '2026-W48', contribution_per_order: 1200 }] },
    summary: {
      series: [
        {
          period: '2026-11-30',
          gmv: 900_000,
          take: 40_000,
          incentives: { total: 100_000 },
          orders: 3,
          new_buyers: 2,
          repeat_buyers: 1,
        },
      ],
    },
    cohorts: [],
    top: {},
  }) as unknown as Data;

describe('analyticsPage', () => {
  it('draws the charts once for the same page data, and again for new data', async () => {
    const first = data();
    let current = first;
    const service = { page: async () => current };
    const a = await analyticsPage(service, {});
    const b = await analyticsPage(service, {});
    expect(b).toBe(a);
    expect(a.unit_economics.chart).toContain('<svg');
    expect(a.summary.charts.gmv).toContain('<svg');
    current = data();
    const c = await analyticsPage(service, {});
    expect(c).not.toBe(a);
    expect(c.summary.charts.orders).toContain('<svg');
  });
});
