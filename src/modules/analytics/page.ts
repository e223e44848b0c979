// The analytics page's data for the console: figures and charts (SVG strings), unit economics
// first (the seed's warning is "blind growth → margin bleed"). The console renders; this computes.
import { renderChart } from './chart.js';
import type { AnalyticsQuery, AnalyticsService } from './service.js';
import type { UnitGroup } from './unit-economics.js';

type PageData = Awaited<ReturnType<AnalyticsService['page']>>;

// The charts drawn for a page's data, kept as long as that data object lives: a page cache hit
// returns the same object, so a reload within the cache's minute draws no chart again (drawing the
// three SVGs cost more than reading the cached figures). Callers only read what they get.
const drawn = new WeakMap<PageData, ReturnType<typeof withCharts>>();

export async function analyticsPage(
  service: Pick<AnalyticsService, 'page'>,
  query: AnalyticsQuery & { by?: UnitGroup | undefined },
) {
  const data = await service.page(query);
  let page = drawn.get(data);
  if (!page) {
    page = withCharts(data);
    drawn.set(data, page);
  }
  return page;
}

function withCharts(data: PageData) {
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
