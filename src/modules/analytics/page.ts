// The analytics page's data for the console: figures and charts (SVG strings), unit economics
// first (the seed's warning is "blind growth → margin bleed"). The console renders; this computes.
import { renderChart } from './chart.js';
import type { AnalyticsQuery, AnalyticsService } from './service.js';
import type { UnitGroup } from './unit-economics.js';

export async function analyticsPage(
  service: Pick<AnalyticsService, 'page'>,
  query: AnalyticsQuery & { by?: UnitGroup | undefined },
) {
  const data = await service.page(query);
  const ue = data.unit_economics;
  const series = data.summary.series;
  const labels = series.map((s) => s.period);
  return {
    unit_economics: {
      ...ue,
      chart: renderChart({
        title: 'Contribution per order, by week',
        labels: ue.trend.map((w) => w.key),
        series: [
          {
            name: 'contribution per order',
            values: ue.trend.map((w) => w.contribution_per_order),
            kind: 'bar',
          },
        ],
        money: true,
      }),
    },
    summary: {
      ...data.summary,
      charts: {
        gmv: renderChart({
          title: 'GMV and take',
          labels,
          series: [
            { name: 'GMV', values: series.map((s) => s.gmv) },
            { name: 'take', values: series.map((s) => s.take) },
            { name: 'incentives', values: series.map((s) => s.incentives.total) },
          ],
          money: true,
        }),
        orders: renderChart({
          title: 'Orders, new and repeat buyers',
          labels,
          series: [
            { name: 'orders', values: series.map((s) => s.orders), kind: 'bar' },
            { name: 'new buyers', values: series.map((s) => s.new_buyers) },
            { name: 'repeat buyers', values: series.map((s) => s.repeat_buyers) },
          ],
        }),
      },
    },
    cohorts: data.cohorts,
    top: data.top,
  };
}
