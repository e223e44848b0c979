// Pure: Dar es Salaam periods. East Africa Time is UTC+03:00 all year (no daylight saving), so a
// fixed offset is exact: an order paid at 22:30 UTC belongs to the next local day.
import type { Grain } from './model.js';

const EAT_MS = 3 * 3_600_000;
const DAY_MS = 86_400_000;

/** The local calendar day of an instant, YYYY-MM-DD. */
export function localDay(at: Date): string {
  return new Date(at.getTime() + EAT_MS).toISOString().slice(0, 10);
}

// periodOf runs several times per order on every analytics read (8,000 orders: ~40k calls); the
// answer depends only on the local day, so it is computed once per (grain, day) and remembered.
const periodCache: Record<Grain, Map<number, string>> = { day: new Map(), week: new Map(), month: new Map() };

/** The first local day of the period holding `at`: the day, the Monday of its week, the 1st of its month. */
export function periodOf(at: Date, grain: Grain): string {
  const day = Math.floor((at.getTime() + EAT_MS) / DAY_MS);
  const cache = periodCache[grain];
  let period = cache.get(day);
  if (period === undefined) {
    period = computePeriod(new Date(day * DAY_MS - EAT_MS), grain);
    if (cache.size > 100_000) cache.clear();
    cache.set(day, period);
  }
  return period;
}

function computePeriod(at: Date, grain: Grain): string {
  const local = new Date(at.getTime() + EAT_MS);
  if (grain === 'month') return `${local.toISOString().slice(0, 8)}01`;
  if (grain === 'week') {
    const sinceMonday = (local.getUTCDay() + 6) % 7;
    return new Date(local.getTime() - sinceMonday * DAY_MS).toISOString().slice(0, 10);
  }
  return local.toISOString().slice(0, 10);
}

/** The ISO 8601 week of an instant in local time, e.g. `2026-W49` (the year is the week's Thursday's). */
export function isoWeekOf(at: Date): string {
  const local = new Date(at.getTime() + EAT_MS);
  const day = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()));
  const thursday = new Date(day.getTime() + (3 - ((day.getUTCDay() + 6) % 7)) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Whole weeks from one ISO week's Monday to another's (both given as instants). */
export function weeksBetween(first: Date, later: Date): number {
  const a = Date.parse(`${periodOf(first, 'week')}T00:00:00Z`);
  const b = Date.parse(`${periodOf(later, 'week')}T00:00:00Z`);
  return Math.round((b - a) / (7 * DAY_MS));
}

/** A local day's first instant in UTC. */
export function localDayStart(day: string): Date {
  return new Date(`${day}T00:00:00+03:00`);
}

/** Every period start from `from` to `to` (local days, inclusive), so empty periods show as zeros. */
export function periodsBetween(from: string, to: string, grain: Grain): string[] {
  const out: string[] = [];
  const end = localDayStart(to).getTime();
  let at = localDayStart(periodOf(localDayStart(from), grain));
  while (at.getTime() <= end) {
    out.push(periodOf(at, grain));
    if (grain === 'day') at = new Date(at.getTime() + DAY_MS);
    else if (grain === 'week') at = new Date(at.getTime() + 7 * DAY_MS);
    else {
      const [y, m] = periodOf(at, 'month').split('-').map(Number) as [number, number];
      at = localDayStart(`${m === 12 ? y + 1 : y}-${String(m === 12 ? 1 : m + 1).padStart(2, '0')}-01`);
    }
  }
  return out;
}
