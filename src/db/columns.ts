import { bigint, timestamp } from 'drizzle-orm/pg-core';

/** A point in time, stored as timestamptz (UTC) and read as a Date. */
export const tz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Money: an integer count of minor units. bigint in the database, a number (< 2^53, checked) in TypeScript. */
export const money = (name: string) => bigint(name, { mode: 'number' });

/** True for a PostgreSQL unique violation, whether raised by pg, PGlite or wrapped by Drizzle. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code === '23505' || e.cause?.code === '23505';
}
