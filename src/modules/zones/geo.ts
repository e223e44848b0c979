import {
  cellsToMultiPolygon,
  getHexagonAreaAvg,
  gridDisk,
  isValidCell,
  latLngToCell,
  polygonToCells,
} from 'h3-js';
import { AppError, type FieldProblem, unprocessable } from '../../shared/errors.js';

// Pure geometry of delivery zones: a zone is a set of H3 cells (see docs/zones.md for why).
// No I/O here; everything is unit-tested without a database.

/** H3 resolution of zones and of rider positions: cells of about 0.74 km², edges of about 460 m. */
export const ZONE_RESOLUTION = 8;
/** A polygon ring longer than this is refused before any work (an admin draws a neighbourhood, not a coastline). */
export const MAX_RING_POINTS = 1000;
/** About 3,700 km² at resolution 8, more than twice Dar es Salaam: a bigger zone is a mistake. */
export const MAX_ZONE_CELLS = 5000;

export interface LatLng {
  lat: number;
  lng: number;
}

/** A GeoJSON-like linear ring: `[lng, lat]` points, the first repeated as the last. */
export type Ring = Array<[number, number]>;

const isLat = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= -90 && v <= 90;
const isLng = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= -180 && v <= 180;

/** True when the point is a real place on Earth (finite, latitude in [-90, 90], longitude in [-180, 180]). */
export function isValidPoint(p: LatLng): boolean {
  return isLat(p.lat) && isLng(p.lng);
}

/** The zone-resolution cell holding a point; a point that is no place on Earth is a 422 on `field`. */
export function cellOf(point: LatLng, field = 'location'): string {
  if (!isValidPoint(point)) {
    throw unprocessable(
      'INVALID_COORDINATES',
      field,
      `${field} must have a latitude in [-90, 90] and a longitude in [-180, 180].`,
    );
  }
  return latLngToCell(point.lat, point.lng, ZONE_RESOLUTION);
}

/**
 * The cell and every cell within `k` steps of it (`k` = 1: the cell and its 6 neighbours; 2: 19
 * cells, about 1.4 km around). For the rider assignment: riders whose cell is in this list are
 * "in or next to" the place, found with `cell = ANY(list)` on a btree index.
 */
export function neighbourCells(cell: string, k = 1): string[] {
  if (!isValidCell(cell)) throw new AppError('INVALID_CELL', 422, `${cell} is not an H3 cell.`);
  if (!Number.isInteger(k) || k < 0 || k > 10) {
    throw new AppError('INVALID_RING_SIZE', 422, 'k must be an integer from 0 to 10.');
  }
  return gridDisk(cell, k);
}

/** Every cell within `k` steps of any of `cells` (the cells themselves included), without repeats. */
export function cellsAround(cells: Iterable<string>, k = 1): string[] {
  const out = new Set<string>();
  for (const c of cells) for (const n of neighbourCells(c, k)) out.add(n);
  return [...out];
}

/** Area of a small ring in km², on a local flat projection (exact enough to refuse absurd sizes). */
function approxAreaKm2(points: Ring): number {
  const meanLat = points.reduce((s, p) => s + p[1], 0) / points.length;
  const kx = 111.32 * Math.cos((meanLat * Math.PI) / 180);
  const ky = 110.57;
  let twice = 0;
  for (let i = 0; i < points.length - 1; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[i + 1]!;
    twice += x1 * kx * (y2 * ky) - x2 * kx * (y1 * ky);
  }
  return Math.abs(twice) / 2;
}

function orientation(a: [number, number], b: [number, number], c: [number, number]): number {
  const v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(a: [number, number], b: [number, number], p: [number, number]): boolean {
  return (
    Math.min(a[0], b[0]) <= p[0] &&
    p[0] <= Math.max(a[0], b[0]) &&
    Math.min(a[1], b[1]) <= p[1] &&
    p[1] <= Math.max(a[1], b[1])
  );
}

function segmentsTouch(
  p1: [number, number],
  p2: [number, number],
  q1: [number, number],
  q2: [number, number],
): boolean {
  const o1 = orientation(p1, p2, q1);
  const o2 = orientation(p1, p2, q2);
  const o3 = orientation(q1, q2, p1);
  const o4 = orientation(q1, q2, p2);
  if (o1 !== o2 && o3 !== o4) return true;
  return (
    (o1 === 0 && onSegment(p1, p2, q1)) ||
    (o2 === 0 && onSegment(p1, p2, q2)) ||
    (o3 === 0 && onSegment(q1, q2, p1)) ||
    (o4 === 0 && onSegment(q1, q2, p2))
  );
}

/** The first pair of edges (by index) that cross or touch without being neighbours in the ring, or null. */
export function selfIntersection(ring: Ring): [number, number] | null {
  const n = ring.length - 1; // edges: i → i+1, for i in [0, n)
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue; // the last edge meets the first at the closing point
      if (segmentsTouch(ring[i]!, ring[i + 1]!, ring[j]!, ring[j + 1]!)) return [i, j];
    }
  }
  return null;
}

/**
 * Checks a ring drawn by an admin and returns the zone-resolution cells whose centre lies inside
 * it, sorted. Refusals (all 422, `field` names the offending input, `polygon` by default):
 * `INVALID_COORDINATES` (a point that is not `[lng, lat]` on Earth; field `polygon.3`),
 * `POLYGON_TOO_FEW_POINTS` (fewer than 4 points, or fewer than 3 distinct corners),
 * `POLYGON_NOT_CLOSED` (the last point is not the first), `POLYGON_TOO_LARGE`,
 * `POLYGON_SELF_INTERSECTS` (edges cross: which side is inside would be a guess),
 * `POLYGON_EMPTY` (no cell centre inside: draw it larger).
 */
export function ringToCells(ring: unknown, field = 'polygon'): string[] {
  if (!Array.isArray(ring))
    throw unprocessable('INVALID_POLYGON', field, `${field} must be an array of [lng, lat].`);
  if (ring.length > MAX_RING_POINTS) {
    throw unprocessable('POLYGON_TOO_LARGE', field, `${field} has more than ${MAX_RING_POINTS} points.`);
  }
  const bad: FieldProblem[] = [];
  ring.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !isLng(p[0]) || !isLat(p[1])) {
      bad.push({
        field: `${field}.${i}`,
        code: 'INVALID_COORDINATES',
        message: 'must be [lng, lat] with lng in [-180, 180] and lat in [-90, 90] (GeoJSON order)',
      });
    }
  });
  if (bad.length) {
    const first = bad[0]!;
    throw new AppError('INVALID_COORDINATES', 422, `${first.field} ${first.message}.`, {
      field: first.field,
      errors: bad,
    });
  }
  const points = ring as Ring;
  if (points.length < 4) {
    throw unprocessable(
      'POLYGON_TOO_FEW_POINTS',
      field,
      `${field} needs at least 4 points: 3 corners and the first corner again to close it.`,
    );
  }
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) {
    throw unprocessable(
      'POLYGON_NOT_CLOSED',
      field,
      `${field} does not close: its last point must equal its first, [${first[0]}, ${first[1]}].`,
    );
  }
  // Repeated consecutive points are harmless; drop them before looking at the shape.
  const clean: Ring = points.filter(
    (p, i) => i === 0 || p[0] !== points[i - 1]![0] || p[1] !== points[i - 1]![1],
  );
  if (new Set(clean.slice(0, -1).map((p) => `${p[0]},${p[1]}`)).size < 3 || clean.length < 4) {
    throw unprocessable('POLYGON_TOO_FEW_POINTS', field, `${field} needs at least 3 distinct corners.`);
  }
  const cellArea = getHexagonAreaAvg(ZONE_RESOLUTION, 'km2');
  if (approxAreaKm2(clean) / cellArea > MAX_ZONE_CELLS * 1.2) {
    throw unprocessable(
      'POLYGON_TOO_LARGE',
      field,
      `${field} covers more than ${MAX_ZONE_CELLS} cells (about ${Math.round(MAX_ZONE_CELLS * cellArea)} km²): draw a neighbourhood.`,
    );
  }
  const crossing = selfIntersection(clean);
  if (crossing) {
    throw unprocessable(
      'POLYGON_SELF_INTERSECTS',
      field,
      `${field} crosses itself (edges ${crossing[0]} and ${crossing[1]}): draw its outline without crossings.`,
    );
  }
  const cells = polygonToCells(clean, ZONE_RESOLUTION, true);
  if (cells.length > MAX_ZONE_CELLS) {
    throw unprocessable('POLYGON_TOO_LARGE', field, `${field} covers more than ${MAX_ZONE_CELLS} cells.`);
  }
  if (cells.length === 0) {
    throw unprocessable(
      'POLYGON_EMPTY',
      field,
      `${field} covers no delivery cell (cells are about 0.74 km²; a zone holds those whose centre is inside): draw it larger.`,
    );
  }
  return cells.sort();
}

/**
 * The outline of a zone as it counts (its cells, not the polygon the admin drew): one polygon per
 * connected piece, each an outer ring then any holes, every ring `[lng, lat]` and closed. Cells
 * that are not H3 cells are skipped (a map must draw what it can).
 */
export function zoneOutline(cells: readonly string[]): Ring[][] {
  const valid = cells.filter((c) => isValidCell(c));
  if (valid.length === 0) return [];
  return cellsToMultiPolygon(valid, true) as Ring[][];
}
