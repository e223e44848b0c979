import type { DayHoursInput, FeeRowInput, Ring } from './modules/zones/index.js';

// Demo delivery zones of Dar es Salaam, for tests and `demo:seed`. Rough rectangles around the real
// neighbourhoods (not survey data), drawn so that no two share a cell. Kinondoni and Mikocheni
// touch along latitude -6.765 (neighbouring zones); the others are apart.

const rect = (west: number, south: number, east: number, north: number): Ring => [
  [west, south],
  [east, south],
  [east, north],
  [west, north],
  [west, south],
];

export interface DemoZone {
  name: string;
  polygon: Ring;
  /** a point well inside, for tests and examples */
  centre: { lat: number; lng: number };
}

export const DAR_DEMO_ZONES: readonly DemoZone[] = [
  // The market district west of the city centre.
  { name: 'Kariakoo', polygon: rect(39.265, -6.83, 39.285, -6.81), centre: { lat: -6.82, lng: 39.275 } },
  { name: 'Kinondoni', polygon: rect(39.235, -6.795, 39.265, -6.765), centre: { lat: -6.78, lng: 39.25 } },
  { name: 'Mikocheni', polygon: rect(39.235, -6.765, 39.265, -6.74), centre: { lat: -6.752, lng: 39.25 } },
  { name: 'Mbezi', polygon: rect(39.19, -6.735, 39.235, -6.7), centre: { lat: -6.717, lng: 39.212 } },
  // Across the harbour mouth, reached by the ferry or the Nyerere bridge.
  { name: 'Kigamboni', polygon: rect(39.29, -6.88, 39.33, -6.835), centre: { lat: -6.857, lng: 39.31 } },
];

/** Fee (minor units: 200,000 = 2,000 TZS) and promised minutes of each band. */
const BANDS = {
  same: { fee: 200_000, duration_minutes: 120 },
  near: { fee: 300_000, duration_minutes: 180 },
  city: { fee: 500_000, duration_minutes: 240 },
  far: { fee: 600_000, duration_minutes: 300 },
} as const;

/** Which band each unordered pair of different demo zones is in; same zone → same zone is `same`. */
const PAIRS: Record<string, keyof typeof BANDS> = {
  'Kariakoo|Kinondoni': 'near',
  'Kariakoo|Mikocheni': 'city',
  'Kariakoo|Mbezi': 'far',
  'Kariakoo|Kigamboni': 'city',
  'Kinondoni|Mikocheni': 'near',
  'Kinondoni|Mbezi': 'city',
  'Kinondoni|Kigamboni': 'far',
  'Mikocheni|Mbezi': 'near',
  'Mikocheni|Kigamboni': 'far',
  'Mbezi|Kigamboni': 'far',
};

/** The band of a pair of demo zone names (in either order). */
export function demoBand(from: string, to: string) {
  if (from === to) return BANDS.same;
  const band = PAIRS[`${from}|${to}`] ?? PAIRS[`${to}|${from}`];
  if (!band) throw new Error(`no demo band for ${from} → ${to}`);
  return BANDS[band];
}

/**
 * The demo fee table for zones created from DAR_DEMO_ZONES, given their ids by name: every ordered
 * pair, same zone 2,000 TZS in 2 h, neighbours 3,000 TZS in 3 h, across the city 5,000–6,000 TZS in 4–5 h.
 */
export function demoFeeTable(idsByName: ReadonlyMap<string, string>): FeeRowInput[] {
  const rows: FeeRowInput[] = [];
  for (const from of DAR_DEMO_ZONES) {
    for (const to of DAR_DEMO_ZONES) {
      const fromId = idsByName.get(from.name);
      const toId = idsByName.get(to.name);
      if (!fromId || !toId) throw new Error(`no id for ${fromId ? to.name : from.name}`);
      rows.push({ from_zone_id: fromId, to_zone_id: toId, ...demoBand(from.name, to.name) });
    }
  }
  return rows;
}

/**
 * Demo delivery hours (Dar es Salaam time): Monday–Saturday 08:00–20:00 like the defaults, and a
 * short Sunday 10:00–16:00, so a demo tried on a Sunday still gets a promise the same day.
 */
export const DAR_DEMO_SERVICE_HOURS: readonly DayHoursInput[] = Array.from({ length: 7 }, (_, weekday) =>
  weekday === 0 ? { weekday, open: '10:00', close: '16:00' } : { weekday, open: '08:00', close: '20:00' },
);

/** Where the demo seller hands parcels over: Msimbazi Street, inside the Kariakoo demo zone. */
export const DAR_DEMO_PICKUP = { lat: -6.8205, lng: 39.2745 } as const;
