import { sql } from 'drizzle-orm';
import {
  boolean,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tz } from '../../db/columns.js';
import {
  BUSINESS_TYPES,
  ID_TYPES,
  KYC_STATUSES,
  KYC_SUBMISSION_STATUSES,
  PAYOUT_WALLETS,
  type Role,
  USER_STATUSES,
} from './model.js';

export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  phone: text('phone').notNull().unique(),
  roles: text('roles').array().$type<Role[]>().notNull().default(sql`'{buyer}'::text[]`),
  displayName: text('display_name'),
  status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
  statusReason: text('status_reason'),
  suspendedUntil: tz('suspended_until'),
  createdAt: tz('created_at').notNull(),
  updatedAt: tz('updated_at').notNull(),
});

export const otpChallenges = pgTable(
  'otp_challenges',
  {
    id: uuid('id').primaryKey(),
    phone: text('phone').notNull(),
    codeHash: text('code_hash').notNull(),
    attempts: integer('attempts').notNull().default(0),
    createdAt: tz('created_at').notNull(),
    expiresAt: tz('expires_at').notNull(),
    consumedAt: tz('consumed_at'),
    requestIp: text('request_ip'),
  },
  (t) => [index('otp_challenges_phone_created_idx').on(t.phone, t.createdAt)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    tokenHash: text('token_hash').notNull(),
    createdAt: tz('created_at').notNull(),
    expiresAt: tz('expires_at').notNull(),
    revokedAt: tz('revoked_at'),
    revokedReason: text('revoked_reason'),
    userAgent: text('user_agent'),
    ip: text('ip'),
    /** SHA-256 of the app's install id sent at sign-in (X-Kkoo-Device); null when none was sent */
    deviceHash: text('device_hash'),
  },
  (t) => [uniqueIndex('sessions_token_hash_idx').on(t.tokenHash), index('sessions_user_idx').on(t.userId)],
);

export const buyerAddresses = pgTable(
  'buyer_addresses',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    label: text('label').notNull(),
    district: text('district'),
    ward: text('ward').notNull(),
    street: text('street'),
    landmark: text('landmark').notNull(),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    contactPhone: text('contact_phone').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: tz('created_at').notNull(),
    updatedAt: tz('updated_at').notNull(),
  },
  (t) => [
    index('buyer_addresses_user_idx').on(t.userId, t.createdAt),
    // At most one default address per buyer, enforced by the database rather than by hope.
    uniqueIndex('buyer_addresses_one_default_idx').on(t.userId).where(sql`${t.isDefault}`),
  ],
);

export const sellerProfiles = pgTable('seller_profiles', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id),
  shopName: text('shop_name').notNull(),
  businessType: text('business_type', { enum: BUSINESS_TYPES }).notNull(),
  registrationNumber: text('registration_number'),
  district: text('district'),
  ward: text('ward').notNull(),
  street: text('street'),
  landmark: text('landmark').notNull(),
  latitude: doublePrecision('latitude'),
  longitude: doublePrecision('longitude'),
  payoutPhone: text('payout_phone').notNull(),
  payoutWallet: text('payout_wallet', { enum: PAYOUT_WALLETS }).notNull(),
  /** when the payout phone last changed: payouts wait a while after it (account takeover) */
  payoutPhoneChangedAt: tz('payout_phone_changed_at'),
  kycStatus: text('kyc_status', { enum: KYC_STATUSES }).notNull().default('not_submitted'),
  createdAt: tz('created_at').notNull(),
  updatedAt: tz('updated_at').notNull(),
});

export const kycSubmissions = pgTable(
  'kyc_submissions',
  {
    id: uuid('id').primaryKey(),
    sellerUserId: uuid('seller_user_id')
      .notNull()
      .references(() => users.id),
    idType: text('id_type', { enum: ID_TYPES }).notNull(),
    idNumber: text('id_number').notNull(),
    status: text('status', { enum: KYC_SUBMISSION_STATUSES }).notNull().default('pending'),
    rejectionReason: text('rejection_reason'),
    submittedAt: tz('submitted_at').notNull(),
    decidedAt: tz('decided_at'),
    decidedBy: uuid('decided_by').references(() => users.id),
  },
  (t) => [
    index('kyc_submissions_status_idx').on(t.status, t.submittedAt),
    index('kyc_submissions_seller_idx').on(t.sellerUserId, t.submittedAt),
    // One submission in review per seller at a time, even under concurrent submits.
    uniqueIndex('kyc_submissions_one_pending_idx').on(t.sellerUserId).where(sql`${t.status} = 'pending'`),
  ],
);

export const kycDocuments = pgTable(
  'kyc_documents',
  {
    submissionId: uuid('submission_id')
      .notNull()
      .references(() => kycSubmissions.id),
    mediaId: uuid('media_id').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.submissionId, t.mediaId] })],
);
