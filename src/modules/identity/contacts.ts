import { and, arrayContains, desc, eq, inArray, isNotNull, max } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { buyerAddresses, sessions, users } from './schema.js';

// Narrow reads for modules that talk to people (notifications): who they are reachable at, and who
// the operators are. Nothing else of the user row leaves identity this way.

export interface Contact {
  userId: string;
  phone: string;
  status: 'active' | 'suspended' | 'banned';
}

/** The phones of the given users (unknown ids are simply absent). */
export async function contactsOf(db: Database, userIds: readonly string[]): Promise<Contact[]> {
  if (!userIds.length) return [];
  const rows = await db
    .select({ userId: users.id, phone: users.phone, status: users.status })
    .from(users)
    .where(inArray(users.id, [...new Set(userIds)]));
  return rows as Contact[];
}

/** The first word of a user's display name, or null without one (a rider as the buyer hears of them). */
export async function firstNameOf(db: Database, userId: string): Promise<string | null> {
  const [row] = await db.select({ name: users.displayName }).from(users).where(eq(users.id, userId));
  const first = row?.name?.trim().split(/\s+/)[0];
  return first ? first : null;
}

/** Every active admin: operations messages go to all of them. */
export async function activeAdminIds(db: Database): Promise<string[]> {
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(and(arrayContains(users.roles, ['admin']), eq(users.status, 'active')));
  return rows.map((r) => r.id);
}

/** The user who owns an E.164 phone number, if any (an inbound WhatsApp message names only a number). */
export async function userIdByPhone(db: Database, phone: string): Promise<string | null> {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.phone, phone));
  return row?.id ?? null;
}

/** A user's saved delivery places, read in the caller's transaction (referral fraud checks). */
export async function savedPlacesOf(
  db: Database,
  userId: string,
): Promise<Array<{ ward: string; landmark: string; location: { lat: number; lng: number } | null }>> {
  const rows = await db
    .select({
      ward: buyerAddresses.ward,
      landmark: buyerAddresses.landmark,
      lat: buyerAddresses.latitude,
      lng: buyerAddresses.longitude,
    })
    .from(buyerAddresses)
    .where(eq(buyerAddresses.userId, userId))
    .limit(100);
  return rows.map((r) => ({
    ward: r.ward,
    landmark: r.landmark,
    location: r.lat !== null && r.lng !== null ? { lat: r.lat, lng: r.lng } : null,
  }));
}

/**
 * The devices a user signed in on (hashed install ids, newest first), read in the caller's
 * transaction for the referral fraud rules. Bounded: the 20 most recently used.
 */
export async function devicesOf(db: Database, userId: string): Promise<string[]> {
  const rows = await db
    .select({ device: sessions.deviceHash, last: max(sessions.createdAt) })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNotNull(sessions.deviceHash)))
    .groupBy(sessions.deviceHash)
    .orderBy(desc(max(sessions.createdAt)))
    .limit(20);
  return rows.flatMap((r) => (r.device ? [r.device] : []));
}
