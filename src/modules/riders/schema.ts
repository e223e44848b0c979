import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  smallint,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tz } from '../../db/columns.js';
import {
  ASSIGNMENT_STATUSES,
  DISPATCH_REASONS,
  OFFER_STATUSES,
  RIDER_AVAILABILITY,
  RIDER_STATUSES,
  VEHICLES,
} from './assignment.js';

/**
 * A rider: one row per user who applied. The dispatch columns (availability, last_cell,
 * last_ping_at, active_jobs, capacity) are what the candidate query reads; the partial index on
 * (last_cell, last_ping_at) over verified, available riders is the only path it takes.
 */
export const riderProfiles = pgTable(
  'rider_profiles',
  {
    userId: uuid('user_id').primaryKey(),
    vehicle: text('vehicle', { enum: VEHICLES }).notNull(),
    /** uppercased, no spaces; null for a bicycle */
    plate: text('plate'),
    homeZoneId: uuid('home_zone_id').notNull(),
    capacity: smallint('capacity').notNull(),
    status: text('status', { enum: RIDER_STATUSES }).notNull().default('pending'),
    statusReason: text('status_reason'),
    reviewedBy: uuid('reviewed_by'),
    reviewedAt: tz('reviewed_at'),
    availability: text('availability', { enum: RIDER_AVAILABILITY }).notNull().default('offline'),
    activeJobs: integer('active_jobs').notNull().default(0),
    lastLat: doublePrecision('last_lat'),
    lastLng: doublePrecision('last_lng'),
    lastCell: text('last_cell'),
    lastPingAt: tz('last_ping_at'),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [
    index('rider_profiles_dispatch_idx')
      .on(t.lastCell, t.lastPingAt)
      .where(sql`${t.availability} = 'available' and ${t.status} = 'verified'`),
    index('rider_profiles_status_idx').on(t.status, t.createdAt),
    check('rider_profiles_capacity', sql`${t.capacity} between 1 and 5`),
    check('rider_profiles_active_jobs', sql`${t.activeJobs} >= 0 and ${t.activeJobs} <= ${t.capacity}`),
    check('rider_profiles_plate', sql`${t.vehicle} = 'bicycle' or ${t.plate} is not null`),
  ],
);

/** Where riders were; pruned after a few days (pruneRiderPings). */
export const riderPings = pgTable(
  'rider_pings',
  {
    id: uuid('id').primaryKey(),
    riderId: uuid('rider_id')
      .notNull()
      .references(() => riderProfiles.userId),
    lat: doublePrecision('lat').notNull(),
    lng: doublePrecision('lng').notNull(),
    cell: text('cell').notNull(),
    at: tz('at').notNull(),
    receivedAt: tz('received_at').notNull(),
  },
  (t) => [index('rider_pings_rider_at_idx').on(t.riderId, t.at), index('rider_pings_at_idx').on(t.at)],
);

/** One offer of one order to one rider. At most one open ('offered') offer per order. */
export const riderOffers = pgTable(
  'rider_offers',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id').notNull(),
    riderId: uuid('rider_id')
      .notNull()
      .references(() => riderProfiles.userId),
    status: text('status', { enum: OFFER_STATUSES }).notNull(),
    /** metres from the rider's last ping to the pickup, when offered */
    distanceM: integer('distance_m').notNull(),
    offeredAt: tz('offered_at').notNull(),
    expiresAt: tz('expires_at').notNull(),
    decidedAt: tz('decided_at'),
  },
  (t) => [
    uniqueIndex('rider_offers_open_order_idx').on(t.orderId).where(sql`${t.status} = 'offered'`),
    index('rider_offers_order_rider_idx').on(t.orderId, t.riderId),
    index('rider_offers_open_rider_idx').on(t.riderId).where(sql`${t.status} = 'offered'`),
    index('rider_offers_open_expiry_idx').on(t.expiresAt).where(sql`${t.status} = 'offered'`),
  ],
);

/** Who holds an order. The primary key is what makes "exactly one rider holds an order" true. */
export const orderAssignments = pgTable(
  'order_assignments',
  {
    orderId: uuid('order_id').primaryKey(),
    riderId: uuid('rider_id')
      .notNull()
      .references(() => riderProfiles.userId),
    status: text('status', { enum: ASSIGNMENT_STATUSES }).notNull(),
    /** the offer accepted, or null when an admin assigned by hand */
    offerId: uuid('offer_id'),
    assignedBy: uuid('assigned_by'),
    assignedAt: tz('assigned_at').notNull(),
    pickedUpAt: tz('picked_up_at'),
    finishedAt: tz('finished_at'),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [index('order_assignments_rider_status_idx').on(t.riderId, t.status)],
);

/** Orders no rider took: an admin assigns them by hand. */
export const dispatchQueue = pgTable(
  'dispatch_queue',
  {
    orderId: uuid('order_id').primaryKey(),
    reason: text('reason', { enum: DISPATCH_REASONS }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    queuedAt: tz('queued_at').notNull(),
    resolvedAt: tz('resolved_at'),
    resolvedBy: uuid('resolved_by'),
  },
  (t) => [index('dispatch_queue_open_idx').on(t.queuedAt).where(sql`${t.resolvedAt} is null`)],
);
