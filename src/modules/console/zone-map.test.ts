import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';
import { ZONE_RESOLUTION, zoneOutline } from '../zones/index.js';
import { type MapZone, zoneMapSvg } from './zone-map.js';

const disk = (lat: number, lng: number, k: number) => gridDisk(latLngToCell(lat, lng, ZONE_RESOLUTION), k);

describe('the zones map', () => {
  it("draws each zone's outline from its cells: one closed ring for a solid zone, a hole where a cell is missing", () => {
    const cells = disk(-6.8, 39.28, 2);
    const solid = zoneOutline(cells);
    expect(solid).toHaveLength(1);
    expect(solid[0]).toHaveLength(1); // no hole
    const ring = solid[0]![0]!;
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    // Every cell centre is inside the outline's bounding box.
    const lngs = ring.map(([lng]) => lng);
    const lats = ring.map(([, lat]) => lat);
    for (const c of cells) {
      const [lat, lng] = cellToLatLng(c);
      expect(lng).toBeGreaterThan(Math.min(...lngs));
      expect(lng).toBeLessThan(Math.max(...lngs));
      expect(lat).toBeGreaterThan(Math.min(...lats));
      expect(lat).toBeLessThan(Math.max(...lats));
    }
    // Without its centre cell the zone is a ring with a hole.
    const centre = latLngToCell(-6.8, 39.28, ZONE_RESOLUTION);
    const holed = zoneOutline(cells.filter((c) => c !== centre));
    expect(holed[0]).toHaveLength(2);
    // Two pieces far apart are two polygons; junk is skipped, nothing is an empty outline.
    expect(zoneOutline([...disk(-6.8, 39.28, 1), ...disk(-6.7, 39.2, 1), 'not-a-cell'])).toHaveLength(2);
    expect(zoneOutline([])).toEqual([]);
    expect(zoneOutline(['nope'])).toEqual([]);
  });

  it('one group per zone with its name escaped, inactive zones dashed, nothing to draw is null', () => {
    const zones: MapZone[] = DAR_DEMO_ZONES.slice(0, 2).map((z, i) => ({
      id: `z${i}`,
      name: i === 0 ? `${z.name} <script>alert(1)</script> "x" & 'y'` : z.name,
      active: i === 0,
      outline: zoneOutline(disk(z.centre.lat, z.centre.lng, 1)),
    }));
    const svg = zoneMapSvg(zones)!;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<g data-zone="/g)).toHaveLength(2);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;x&quot; &amp; &#39;y&#39;');
    // The second zone is off: grey and dashed; the first is not.
    const [first, second] = svg.split('<g data-zone=').slice(1);
    expect(second).toContain('stroke-dasharray');
    expect(second).toContain('(off)');
    expect(first).not.toContain('stroke-dasharray');
    // Every coordinate is inside the drawing.
    const [, w, h] = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!.map(Number);
    for (const m of svg.matchAll(/[ML]?(-?[\d.]+) (-?[\d.]+)/g)) {
      const [x, y] = [Number(m[1]), Number(m[2])];
      if (Number.isNaN(x) || Number.isNaN(y)) continue;
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(w!);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(h!);
    }
    expect(zoneMapSvg([])).toBeNull();
    expect(zoneMapSvg([{ id: 'e', name: 'empty', active: true, outline: [] }])).toBeNull();
  });
});
