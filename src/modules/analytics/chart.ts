// Pure (no I/O): a series drawn to an SVG string with ECharts' server-side renderer. Animation is
// off so the output is the final picture; labels are escaped by ECharts' SVG writer (tested).
import { createRequire } from 'node:module';

// ECharts takes ~0.8 s to load: loaded at the first chart, not at every process start (start-up is measured).
let echartsModule: typeof import('echarts') | undefined;
const loadEcharts = () => {
  echartsModule ??= createRequire(import.meta.url)('echarts') as typeof import('echarts');
  return echartsModule;
};

export interface SeriesChart {
  title: string;
  /** category axis labels (periods, zones, …) */
  labels: string[];
  series: Array<{ name: string; values: number[]; kind?: 'line' | 'bar' }>;
  width?: number;
  height?: number;
  /** values are minor units: the axis shows whole currency units */
  money?: boolean;
}

export function renderChart(c: SeriesChart): string {
  const chart = loadEcharts().init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: c.width ?? 640,
    height: c.height ?? 280,
  });
  try {
    chart.setOption({
      animation: false,
      title: { text: c.title, left: 'center', textStyle: { fontSize: 14 } },
      legend: { bottom: 0 },
      grid: { left: 64, right: 16, top: 40, bottom: 48 },
      xAxis: { type: 'category', data: c.labels },
      yAxis: {
        type: 'value',
        axisLabel: c.money ? { formatter: (v: number) => String(Math.trunc(v / 100)) } : {},
      },
      series: c.series.map((s) => ({
        name: s.name,
        type: s.kind ?? 'line',
        data: s.values,
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
