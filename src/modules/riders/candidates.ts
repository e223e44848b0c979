// The candidate query of rider assignment: who may be offered an order, nearest first, read
// through the dispatch index. Its own file so the EXPLAIN test and the bench reach it without the service.
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { LatLng } from '../zones/index.js';

/** How many candidates the query hands to the ranking: enough to re-rank exactly, few enough to be cheap. */
const CANDIDATE_LIMIT = 10;

/** Haversine distance in metres from the rider's last position to `p`, in SQL (same formula as haversineMeters). */
const distanceSql = (p: LatLng) => sql`round(2 * 6371000 * asin(least(1, sqrt(
  power(sin(radians(r.last_lat - ${p.lat}::float8) / 2), 2)
  + cos(radians(${p.lat}::float8)) * cos(radians(r.last_lat))
  * power(sin(radians(r.last_lng - ${p.lng}::float8) / 2), 2)))))::int`;

export interface CandidateRow {
  riderId: string;
  lat: number;
  lng: number;
  activeJobs: number;
  capacity: number;
  lastPingAt: Date;
  distanceM: number;
}

/**
 * The one candidate query: verified, available riders in `cells` with spare capacity, a fresh
 * ping, no open offer and never offered this order, nearest first. It probes the partial index
 * rider_profiles_dispatch_idx (last_cell, last_ping_at) where availability='available' and
 * status='verified' once per cell (a lateral join over the cell list, which the planner cannot turn
 * into a scan of every rider however small the table), so it reads only riders in those cells.
 * Exported for the EXPLAIN test and the bench.
 */
export function candidateSql(q: {
  orderId: string;
  pickup: LatLng;
  cells: string[];
  freshSince: Date;
  limit?: number;
}) {
  const cells = sql.join(
    q.cells.map((c) => sql`${c}`),
    sql`, `,
  );
  return sql`select r.user_id, r.last_lat, r.last_lng, r.active_jobs, r.capacity, r.last_ping_at,
      ${distanceSql(q.pickup)} as distance_m
    from unnest(array[${cells}]::text[]) as c(cell)
    cross join lateral (
      select p.user_id, p.last_lat, p.last_lng, p.active_jobs, p.capacity, p.last_ping_at
      from rider_profiles p
      where p.last_cell = c.cell
        and p.availability = 'available' and p.status = 'verified'
        and p.last_ping_at >= ${q.freshSince.toISOString()}::timestamptz
        and p.active_jobs < p.capacity
      offset 0
    ) r
    where not exists (select 1 from rider_offers o where o.order_id = ${q.orderId}::uuid and o.rider_id = r.user_id)
      and not exists (select 1 from rider_offers o where o.rider_id = r.user_id and o.status = 'offered')
    order by distance_m, r.active_jobs, r.last_ping_at desc, r.user_id
    limit ${q.limit ?? CANDIDATE_LIMIT}`;
}

export async function candidateQuery(
  db: Database,
  q: { orderId: string; pickup: LatLng; cells: string[]; freshSince: Date; limit?: number },
): Promise<CandidateRow[]> {
  const res = await db.execute(candidateSql(q));
  const rows = (res as unknown as { rows: Array<Record<string, unknown>> }).rows;
  return rows.map((r) => ({
    riderId: String(r.user_id),
    lat: Number(r.last_lat),
    lng: Number(r.last_lng),
    activeJobs: Number(r.active_jobs),
    capacity: Number(r.capacity),
    lastPingAt: new Date(r.last_ping_at as string | Date),
    distanceM: Number(r.distance_m),
  }));
}
