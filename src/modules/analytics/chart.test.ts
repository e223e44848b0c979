import { describe, expect, it } from 'vitest';
import { renderChart } from './chart.js';

describe('charts rendered to SVG on the server', () => {
  it('is one well-formed SVG document with the size asked for, and no script', () => {
    const svg = renderChart({
      title: 'Contribution per order',
      labels: ['2026-11-30', '2026-12-07'],
      series: [{ name: 'per order', values: [12_300, -4_500], kind: 'bar' }],
      width: 500,
      height: 200,
      money: true,
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/width="500" height="200"/);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).not.toMatch(/<script/i);
    // the money axis shows whole shillings (minor units / 100)
    const texts = [...svg.matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(texts).toEqual(expect.arrayContaining(['-60', '0', '150', '2026-11-30', 'per order']));
    expect(texts.some((t) => /^-?\d{4,}$/.test(t ?? ''))).toBe(false);
  });

  it('escapes labels, titles and series names (they may come from sellers and admins)', () => {
    const evil = '<script>alert(1)</script>';
    const svg = renderChart({
      title: `T ${evil}`,
      labels: [`"onmouseover=alert(1) ${evil}`],
      series: [{ name: `<img src=x onerror=alert(1)>`, values: [1] }],
    });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<img');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).not.toMatch(/<[^>]*\sonmouseover=/i);
  });
});
