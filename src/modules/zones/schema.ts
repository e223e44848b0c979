import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { money, tz } from '../../db/columns.js';
import type { Ring } from './geo.js';

/** A named delivery area drawn by an admin. The polygon is what was drawn; the cells are what counts. */
export const deliveryZones = pgTable(
  'delivery_zones',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    /** GeoJSON-like ring, `[lng, lat]` points, closed */
    polygon: jsonb('polygon').$type<Ring>().notNull(),
    /** cells the polygon covers at ZONE_RESOLUTION (kept even while the zone is inactive) */
    cellCount: integer('cell_count').notNull(),
    active: boolean('active').notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('delivery_zones_name_idx').on(sql`lower(${t.name})`),
    check('delivery_zones_cell_count', sql`${t.cellCount} > 0`),
  ],
);

/**
 * The live map: each H3 cell of an ACTIVE zone, once. The primary key makes "address → zone" one
 * index lookup and makes two zones sharing a cell impossible. An inactive zone has no rows here.
 */
export const zoneCells = pgTable(
  'zone_cells',
  {
    cell: text('cell').primaryKey(),
    zoneId: uuid('zone_id')
      .notNull()
      .references(() => deliveryZones.id),
  },
  (t) => [index('zone_cells_zone_idx').on(t.zoneId)],
);

/** Fee and promised duration for each ordered pair of zones; replaced whole by an admin. */
export const deliveryFees = pgTable(
  'delivery_fees',
  {
    fromZoneId: uuid('from_zone_id')
      .notNull()
      .references(() => deliveryZones.id),
    toZoneId: uuid('to_zone_id')
      .notNull()
      .references(() => deliveryZones.id),
    fee: money('fee').notNull(),
    currency: text('currency').notNull().default('TZS'),
    durationMinutes: integer('duration_minutes').notNull(),
    updatedBy: uuid('updated_by').notNull(),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'delivery_fees_pk', columns: [t.fromZoneId, t.toZoneId] }),
    check('delivery_fees_fee', sql`${t.fee} >= 0 and ${t.fee} % 100 = 0`),
    check('delivery_fees_duration', sql`${t.durationMinutes} between 1 and 10080`),
  ],
);

/**
 * Delivery hours per local weekday (0 = Sunday … 6 = Saturday), in minutes after local midnight
 * (Africa/Dar_es_Salaam). Both null: closed that day. No rows at all: the default hours apply.
 */
export const serviceHours = pgTable(
  'service_hours',
  {
    weekday: smallint('weekday').primaryKey(),
    opensAtMinute: integer('opens_at_minute'),
    closesAtMinute: integer('closes_at_minute'),
    updatedBy: uuid('updated_by').notNull(),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [
    check('service_hours_weekday', sql`${t.weekday} between 0 and 6`),
    check(
      'service_hours_window',
      sql`(${t.opensAtMinute} is null and ${t.closesAtMinute} is null) or (${t.opensAtMinute} >= 0 and ${t.opensAtMinute} < ${t.closesAtMinute} and ${t.closesAtMinute} <= 1440)`,
    ),
  ],
);
