import { getResolution, gridDistance, isValidCell, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { DAR_DEMO_ZONES } from '../../demo-zones.js';
import type { AppError } from '../../shared/errors.js';
import {
  cellOf,
  cellsAround,
  MAX_RING_POINTS,
  neighbourCells,
  type Ring,
  ringToCells,
  selfIntersection,
  ZONE_RESOLUTION,
} from './geo.js';

const KARIAKOO = DAR_DEMO_ZONES.find((z) => z.name === 'Kariakoo')!;

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    return e as AppError;
  }
  throw new Error('not refused');
}

describe('a polygon ring becomes the cells whose centre it holds', () => {
  it('a rectangle around Kariakoo covers a handful of resolution-8 cells, sorted, its centre among them', () => {
    const cells = ringToCells(KARIAKOO.polygon);
    expect(cells.length).toBeGreaterThanOrEqual(3);
    expect(cells.length).toBeLessThan(20);
    expect(cells).toEqual([...cells].sort());
    expect(cells.every((c) => isValidCell(c) && getResolution(c) === ZONE_RESOLUTION)).toBe(true);
    expect(cells).toContain(latLngToCell(KARIAKOO.centre.lat, KARIAKOO.centre.lng, 8));
  });

  it('takes the ring in either winding and ignores repeated consecutive points', () => {
    const reversed = [...KARIAKOO.polygon].reverse() as Ring;
    const repeated = [KARIAKOO.polygon[0]!, ...KARIAKOO.polygon] as Ring;
    expect(ringToCells(reversed)).toEqual(ringToCells(KARIAKOO.polygon));
    expect(ringToCells(repeated)).toEqual(ringToCells(KARIAKOO.polygon));
  });

  it('refuses a ring that does not close (422 POLYGON_NOT_CLOSED, field polygon)', () => {
    const open = KARIAKOO.polygon.slice(0, -1) as Ring;
    expect(refusal(() => ringToCells(open))).toMatchObject({
      code: 'POLYGON_NOT_CLOSED',
      status: 422,
      extra: { field: 'polygon' },
    });
    const almost: Ring = [...open, [KARIAKOO.polygon[0]![0] + 1e-9, KARIAKOO.polygon[0]![1]]];
    expect(refusal(() => ringToCells(almost)).code).toBe('POLYGON_NOT_CLOSED');
  });

  it('refuses fewer than 4 points, and rings with fewer than 3 distinct corners', () => {
    const p = (lng: number, lat: number): [number, number] => [lng, lat];
    expect(refusal(() => ringToCells([p(39.27, -6.82), p(39.28, -6.82), p(39.27, -6.82)])).code).toBe(
      'POLYGON_TOO_FEW_POINTS',
    );
    expect(refusal(() => ringToCells([])).code).toBe('POLYGON_TOO_FEW_POINTS');
    const line = [p(39.27, -6.82), p(39.28, -6.82), p(39.28, -6.82), p(39.27, -6.82)];
    expect(refusal(() => ringToCells(line)).code).toBe('POLYGON_TOO_FEW_POINTS');
  });

  it('refuses coordinates that are no place on Earth, naming the point (GeoJSON order: lng first)', () => {
    const bad = (i: number, point: unknown) => {
      const ring: unknown[] = [...KARIAKOO.polygon];
      ring[i] = point;
      return refusal(() => ringToCells(ring));
    };
    expect(bad(2, [39.28, -91])).toMatchObject({
      code: 'INVALID_COORDINATES',
      status: 422,
      extra: { field: 'polygon.2' },
    });
    expect(bad(1, [181, -6.8]).extra.field).toBe('polygon.1');
    expect(bad(1, [Number.NaN, -6.8]).extra.field).toBe('polygon.1');
    expect(bad(3, [39.2])).toMatchObject({ code: 'INVALID_COORDINATES' });
    expect(bad(3, 'Kariakoo')).toMatchObject({ code: 'INVALID_COORDINATES' });
    expect(refusal(() => ringToCells('not a ring')).code).toBe('INVALID_POLYGON');
    // Latitude first (a common slip) puts Dar es Salaam's -6.8 in the longitude and 39.3 in the
    // latitude: a real place (western Spain); it covers cells there, not here.
    const swapped = KARIAKOO.polygon.map(([lng, lat]) => [lat, lng] as [number, number]);
    expect(ringToCells(swapped)).not.toContain(cellOf(KARIAKOO.centre));
  });

  it('refuses a polygon that covers no cell centre', () => {
    const tiny: Ring = [
      [39.27, -6.82],
      [39.2701, -6.82],
      [39.2701, -6.8199],
      [39.27, -6.8199],
      [39.27, -6.82],
    ];
    expect(refusal(() => ringToCells(tiny))).toMatchObject({
      code: 'POLYGON_EMPTY',
      status: 422,
      extra: { field: 'polygon' },
    });
  });

  it('refuses a ring that crosses itself (a bow tie), and accepts a concave one', () => {
    const bowTie: Ring = [
      [39.22, -6.8],
      [39.28, -6.75],
      [39.28, -6.8],
      [39.22, -6.75],
      [39.22, -6.8],
    ];
    expect(refusal(() => ringToCells(bowTie)).code).toBe('POLYGON_SELF_INTERSECTS');
    const concave: Ring = [
      [39.22, -6.8],
      [39.28, -6.8],
      [39.28, -6.75],
      [39.25, -6.78],
      [39.22, -6.75],
      [39.22, -6.8],
    ];
    expect(selfIntersection(concave)).toBeNull();
    expect(ringToCells(concave).length).toBeGreaterThan(0);
  });

  it('refuses a polygon far larger than a city, and a ring of too many points, before computing cells', () => {
    const tanzania: Ring = [
      [29.3, -11.7],
      [40.4, -11.7],
      [40.4, -1],
      [29.3, -1],
      [29.3, -11.7],
    ];
    expect(refusal(() => ringToCells(tanzania)).code).toBe('POLYGON_TOO_LARGE');
    const many = Array.from({ length: MAX_RING_POINTS + 1 }, () => [39.27, -6.82]);
    expect(refusal(() => ringToCells(many)).code).toBe('POLYGON_TOO_LARGE');
  });

  it('a field name may be given, for callers outside the admin routes', () => {
    expect(refusal(() => ringToCells(KARIAKOO.polygon.slice(0, -1), 'zone.polygon')).extra.field).toBe(
      'zone.polygon',
    );
  });
});

describe('points, cells and neighbours', () => {
  it('a point maps to one resolution-8 cell; a point off the Earth is a 422 on the given field', () => {
    expect(cellOf(KARIAKOO.centre)).toBe(latLngToCell(-6.82, 39.275, 8));
    expect(refusal(() => cellOf({ lat: 91, lng: 39 }, 'address'))).toMatchObject({
      code: 'INVALID_COORDINATES',
      status: 422,
      extra: { field: 'address' },
    });
    expect(refusal(() => cellOf({ lat: -6.8, lng: -181 }, 'pickup')).extra.field).toBe('pickup');
    expect(refusal(() => cellOf({ lat: Number.NaN, lng: 39 })).extra.field).toBe('location');
  });

  it('neighbourCells(cell, k) is the cell and the cells within k steps', () => {
    const c = cellOf(KARIAKOO.centre);
    expect(neighbourCells(c, 0)).toEqual([c]);
    const one = neighbourCells(c, 1);
    expect(one).toHaveLength(7);
    expect(one).toContain(c);
    expect(one.every((n) => gridDistance(c, n) <= 1)).toBe(true);
    expect(neighbourCells(c, 2)).toHaveLength(19);
    expect(neighbourCells(c)).toEqual(one);
    expect(refusal(() => neighbourCells('not-a-cell', 1)).code).toBe('INVALID_CELL');
    expect(refusal(() => neighbourCells(c, -1)).code).toBe('INVALID_RING_SIZE');
    expect(refusal(() => neighbourCells(c, 11)).code).toBe('INVALID_RING_SIZE');
  });

  it('cellsAround a zone is the zone plus its border ring, once each', () => {
    const cells = ringToCells(KARIAKOO.polygon);
    const around = cellsAround(cells, 1);
    expect(new Set(around).size).toBe(around.length);
    for (const c of cells) expect(around).toContain(c);
    const border = around.filter((c) => !cells.includes(c));
    expect(border.length).toBeGreaterThan(0);
    expect(border.every((b) => cells.some((c) => gridDistance(b, c) === 1))).toBe(true);
  });
});

describe('the demo zones of Dar es Salaam', () => {
  it('are valid, hold their centres, share no cell, and Kinondoni touches Mikocheni', () => {
    const owner = new Map<string, string>();
    for (const z of DAR_DEMO_ZONES) {
      const cells = ringToCells(z.polygon);
      expect(cells, z.name).toContain(cellOf(z.centre));
      for (const c of cells) {
        expect(owner.get(c), `${z.name} shares ${c}`).toBeUndefined();
        owner.set(c, z.name);
      }
    }
    const kinondoni = ringToCells(DAR_DEMO_ZONES.find((z) => z.name === 'Kinondoni')!.polygon);
    const nextDoor = new Set(cellsAround(kinondoni, 1).map((c) => owner.get(c)));
    expect(nextDoor).toContain('Mikocheni');
    expect(nextDoor).not.toContain('Kigamboni');
  });
});
