// Pure: the delivery zones drawn as an SVG map on a plain background (no tile server, no script):
// each zone's outline as its cells make it (zones.zoneOutline), projected equirectangularly, which
// is exact enough at a city's scale. The console shows it as an <img>, so the strict CSP holds.
import type { Ring } from '../zones/index.js';

export interface MapZone {
  id: string;
  name: string;
  active: boolean;
  /** polygons, each an outer ring then holes, `[lng, lat]` */
  outline: Ring[][];
}

const WIDTH = 720;
const PAD = 24;
const MAX_HEIGHT = 720;
/** Distinct fills that read on white; an inactive zone is grey and dashed. */
const PALETTE = ['#2f6fbd', '#d9822b', '#3a9d5d', '#b0413e', '#7a5cb8', '#1f9aa0', '#a07b1f', '#c2549d'];

/** SVG text and attributes: the five characters XML gives meaning to. */
export const xmlEscape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const fixed = (n: number) => (Math.round(n * 10) / 10).toString();

/** The SVG map of `zones`, or null when there is nothing to draw. */
export function zoneMapSvg(zones: readonly MapZone[]): string | null {
  const points = zones.flatMap((z) => z.outline.flatMap((poly) => poly.flat()));
  if (points.length === 0) return null;
  let minLng = Infinity;
  let maxLng = -Infinity;
  let minLat = Infinity;
  let maxLat = -Infinity;
  for (const [lng, lat] of points) {
    minLng = Math.min(minLng, lng);
    maxLng = Math.max(maxLng, lng);
    minLat = Math.min(minLat, lat);
    maxLat = Math.max(maxLat, lat);
  }
  // A degree of longitude is cos(latitude) of a degree of latitude: without it, shapes stretch.
  const kx = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxLng - minLng) * kx, 1e-9);
  const spanY = Math.max(maxLat - minLat, 1e-9);
  const scale = Math.min((WIDTH - 2 * PAD) / spanX, (MAX_HEIGHT - 2 * PAD) / spanY);
  const height = Math.ceil(spanY * scale + 2 * PAD);
  const x = (lng: number) => PAD + (lng - minLng) * kx * scale;
  const y = (lat: number) => PAD + (maxLat - lat) * scale;

  const shapes = zones
    .filter((z) => z.outline.length > 0)
    .map((z, i) => {
      const d = z.outline
        .flatMap((poly) =>
          poly.map((ring) => `M${ring.map(([lng, lat]) => `${fixed(x(lng))} ${fixed(y(lat))}`).join('L')}Z`),
        )
        .join('');
      const colour = z.active ? PALETTE[i % PALETTE.length] : '#888888';
      // The label sits at the middle of the zone's largest piece (by its outer ring's point count).
      const largest = z.outline.reduce((a, b) => ((b[0]?.length ?? 0) > (a[0]?.length ?? 0) ? b : a));
      const outer = largest[0] ?? [];
      const cx = outer.reduce((s, [lng]) => s + x(lng), 0) / Math.max(outer.length, 1);
      const cy = outer.reduce((s, [, lat]) => s + y(lat), 0) / Math.max(outer.length, 1);
      const name = xmlEscape(z.name);
      return `<g data-zone="${xmlEscape(z.id)}"><title>${name}${z.active ? '' : ' (off)'}</title><path d="${d}" fill="${colour}" fill-opacity="0.35" fill-rule="evenodd" stroke="${colour}" stroke-width="1.5"${z.active ? '' : ' stroke-dasharray="4 3"'}/><text x="${fixed(cx)}" y="${fixed(cy)}" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#222">${name}</text></g>`;
    });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}"><rect width="100%" height="100%" fill="#f7f7f4"/>${shapes.join('')}</svg>`;
}
