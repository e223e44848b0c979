// Times are stored in UTC and shown in Dar es Salaam time. East Africa Time is UTC+03:00 all year
// (no daylight saving since 1960s), so a fixed offset is exact and keeps output deterministic.
const EAT_OFFSET_MS = 3 * 60 * 60 * 1000;

/** ISO 8601 in Africa/Dar_es_Salaam, e.g. `2026-11-25T12:00:00.000+03:00`. */
export function toDarTime(date: Date): string {
  return `${new Date(date.getTime() + EAT_OFFSET_MS).toISOString().slice(0, -1)}+03:00`;
}

export function toDarTimeOrNull(date: Date | null | undefined): string | null {
  return date ? toDarTime(date) : null;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** An ISO 8601 instant with an explicit offset, within years PostgreSQL and people can agree on. */
export function isPlausibleInstant(value: string): boolean {
  const y = new Date(value).getUTCFullYear();
  return y >= 2000 && y <= 2200;
}
