// Request and reply shapes of the identity API, and the mapping from rows to replies. Replies use
// snake_case and Dar es Salaam time; inputs are strict objects, so unknown fields are refused.
import { z } from 'zod';
import { isPlausibleInstant, toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import { type Media, mediaSchema, toMedia } from '../media/index.js';
import type { User } from './auth-service.js';
import type { KycSubmission } from './kyc-service.js';
import {
  BUSINESS_TYPES,
  DAR_DISTRICTS,
  ID_TYPES,
  KYC_STATUSES,
  KYC_SUBMISSION_STATUSES,
  PAYOUT_WALLETS,
  ROLES,
  USER_STATUSES,
} from './model.js';
import type { BuyerAddress, SellerProfile } from './profile-service.js';
import { effectiveStatus } from './rules.js';

const text = (max: number) => z.string().trim().min(1).max(max);
export const timestamp = z.string().describe('ISO 8601, Africa/Dar_es_Salaam (+03:00)');

export const phoneInput = z
  .string()
  .min(1)
  .max(32)
  .describe('Mobile number; local (0712…) or international (+255712…)');

export const geoPoint = z
  .strictObject({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) })
  .meta({ id: 'GeoPoint', description: 'WGS84 point' });

// ---- auth
export const otpRequestBody = z.strictObject({ phone: phoneInput });
export const otpRequestReply = z.object({
  status: z.literal('sent'),
  expires_in_seconds: z.number().int(),
  resend_after_seconds: z.number().int(),
});
export const otpVerifyBody = z.strictObject({
  phone: phoneInput,
  code: z.string().regex(/^\d{6}$/, 'must be the 6-digit code'),
  referral_code: z
    .string()
    .min(1)
    .max(20)
    .optional()
    .describe(
      'Who referred me (docs/referrals.md): an unknown code is 422 REFERRAL_CODE_UNKNOWN, checked first',
    ),
});

export const DEVICE_HEADER = 'x-kkoo-device';
/** The same header, and the same form, as the recommendations module's anonymous session. */
export const ANONYMOUS_SESSION_HEADER = 'x-kkoo-session';
export const signInHeaders = z.object({
  [DEVICE_HEADER]: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{16,128}$/, 'an opaque id of 16 to 128 letters, digits, ".", ":", "_" or "-"')
    .optional()
    .describe(
      'The app install id (16–128 of A-Z a-z 0-9 . : _ -): stored hashed with the session; accounts sharing one are held by the referral rules',
    ),
  [ANONYMOUS_SESSION_HEADER]: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/, 'an opaque id of 16 to 64 letters, digits, "_" or "-"')
    .optional()
    .describe(
      'The anonymous session browsed under before signing in: its recently viewed products move to the account',
    ),
});

export const userSchema = z
  .object({
    id: z.uuid(),
    phone: z.string(),
    display_name: z.string().nullable(),
    roles: z.array(z.enum(ROLES)),
    status: z.enum(USER_STATUSES),
    created_at: timestamp,
  })
  .meta({ id: 'User' });

export const sessionReply = z.object({
  token: z.string().describe('Opaque bearer token; send as "Authorization: Bearer <token>"'),
  token_type: z.literal('Bearer'),
  expires_at: timestamp,
  new_user: z.boolean(),
  user: userSchema,
  referral: z
    .object({
      attributed: z.boolean(),
      refusal: z
        .string()
        .nullable()
        .describe('Why not: SELF_REFERRAL, ALREADY_ATTRIBUTED or ATTRIBUTION_CLOSED; the sign-in stands'),
    })
    .optional()
    .describe('Present when a referral_code was sent'),
});

/** `now` turns a lapsed suspension into `active`, as the guards see it. */
export const toUser = (u: User, now: Date) => ({
  id: u.id,
  phone: u.phone,
  display_name: u.displayName,
  roles: u.roles,
  status: effectiveStatus(u, now),
  created_at: toDarTime(u.createdAt),
});

// ---- addresses
const addressFields = {
  label: text(40).describe('e.g. Home, Shop, Office'),
  district: z.enum(DAR_DISTRICTS).nullable().optional(),
  ward: text(80).describe('Ward or area (kata), e.g. Kariakoo, Mikocheni'),
  street: text(120).nullable().optional().describe('Street or mtaa, if it has a name'),
  landmark: text(200).describe('What a rider looks for, e.g. "opposite Mlimani City gate 2, blue shop"'),
  location: geoPoint.nullable().optional(),
  contact_phone: phoneInput.optional().describe('Who the rider calls; your own phone when omitted'),
  is_default: z.boolean().optional(),
};
export const addressBody = z.strictObject(addressFields);
export const addressPatchBody = z
  .strictObject({
    ...addressFields,
    label: addressFields.label.optional(),
    ward: addressFields.ward.optional(),
    landmark: addressFields.landmark.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'send at least one field');

export const addressSchema = z
  .object({
    id: z.uuid(),
    label: z.string(),
    district: z.string().nullable(),
    ward: z.string(),
    street: z.string().nullable(),
    landmark: z.string(),
    location: geoPoint.nullable(),
    contact_phone: z.string(),
    is_default: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Address' });

const point = (lat: number | null, lng: number | null) =>
  lat !== null && lng !== null ? { lat, lng } : null;

export const toAddress = (a: BuyerAddress) => ({
  id: a.id,
  label: a.label,
  district: a.district,
  ward: a.ward,
  street: a.street,
  landmark: a.landmark,
  location: point(a.latitude, a.longitude),
  contact_phone: a.contactPhone,
  is_default: a.isDefault,
  created_at: toDarTime(a.createdAt),
  updated_at: toDarTime(a.updatedAt),
});

// ---- seller profile
const sellerFields = {
  shop_name: text(80),
  business_type: z.enum(BUSINESS_TYPES),
  registration_number: text(40)
    .nullable()
    .optional()
    .describe('BRELA registration or TIN; required when registered'),
  district: z.enum(DAR_DISTRICTS).nullable().optional(),
  ward: text(80),
  street: text(120).nullable().optional(),
  landmark: text(200),
  location: geoPoint.nullable().optional(),
  payout_phone: phoneInput.describe('Mobile-money number that receives payouts'),
  payout_wallet: z.enum(PAYOUT_WALLETS),
};
export const sellerProfileBody = z.strictObject(sellerFields);
export const sellerProfilePatchBody = z
  .strictObject(
    Object.fromEntries(Object.entries(sellerFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof sellerFields]: z.ZodOptional<(typeof sellerFields)[K]>;
    },
  )
  .refine((v) => Object.keys(v).length > 0, 'send at least one field');

export const sellerProfileSchema = z
  .object({
    user_id: z.uuid(),
    shop_name: z.string(),
    business_type: z.enum(BUSINESS_TYPES),
    registration_number: z.string().nullable(),
    district: z.string().nullable(),
    ward: z.string(),
    street: z.string().nullable(),
    landmark: z.string(),
    location: geoPoint.nullable(),
    payout_phone: z.string(),
    payout_wallet: z.enum(PAYOUT_WALLETS),
    kyc_status: z.enum(KYC_STATUSES),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'SellerProfile' });

export const toSellerProfile = (p: SellerProfile) => ({
  user_id: p.userId,
  shop_name: p.shopName,
  business_type: p.businessType,
  registration_number: p.registrationNumber,
  district: p.district,
  ward: p.ward,
  street: p.street,
  landmark: p.landmark,
  location: point(p.latitude, p.longitude),
  payout_phone: p.payoutPhone,
  payout_wallet: p.payoutWallet,
  kyc_status: p.kycStatus,
  created_at: toDarTime(p.createdAt),
  updated_at: toDarTime(p.updatedAt),
});

export const meReply = z.object({
  user: userSchema,
  seller_profile: sellerProfileSchema.nullable(),
});
export const mePatchBody = z.strictObject({ display_name: text(80).nullable() });

// ---- KYC
export const kycSubmitBody = z.strictObject({
  id_type: z.enum(ID_TYPES),
  id_number: z.string().trim().min(1).max(40),
  document_media_ids: z
    .array(z.uuid())
    .min(1)
    .max(4)
    .refine((ids) => new Set(ids).size === ids.length, 'each document only once')
    .describe('Uploads with purpose kyc_document: front, back, selfie holding the ID'),
});

export const kycSubmissionSchema = z
  .object({
    id: z.uuid(),
    seller_user_id: z.uuid(),
    id_type: z.enum(ID_TYPES),
    id_number: z.string(),
    status: z.enum(KYC_SUBMISSION_STATUSES),
    rejection_reason: z.string().nullable(),
    submitted_at: timestamp,
    decided_at: timestamp.nullable(),
    documents: z.array(mediaSchema),
  })
  .meta({ id: 'KycSubmission' });

export const toKycSubmission = (s: KycSubmission, documents: Media[]) => ({
  id: s.id,
  seller_user_id: s.sellerUserId,
  id_type: s.idType,
  id_number: s.idNumber,
  status: s.status,
  rejection_reason: s.rejectionReason,
  submitted_at: toDarTime(s.submittedAt),
  decided_at: toDarTimeOrNull(s.decidedAt),
  documents: documents.map(toMedia),
});

export const kycMineReply = z.object({
  status: z.enum(KYC_STATUSES),
  latest_submission: kycSubmissionSchema.nullable(),
});

export const kycQueueItem = z.object({
  id: z.uuid(),
  seller_user_id: z.uuid(),
  seller_phone: z.string(),
  shop_name: z.string(),
  id_type: z.enum(ID_TYPES),
  status: z.enum(KYC_SUBMISSION_STATUSES),
  submitted_at: timestamp,
});

export const reasonBody = z.strictObject({ reason: text(500) });
export const optionalReasonBody = z.strictObject({ reason: text(500).optional() });
export const suspendBody = z.strictObject({
  reason: text(500),
  until: z.iso
    .datetime({ offset: true })
    .refine(isPlausibleInstant, 'must be between the years 2000 and 2200')
    .optional()
    .describe('When the suspension ends by itself; indefinite when omitted'),
});

export const adminUserSchema = userSchema
  .extend({
    status_reason: z.string().nullable(),
    suspended_until: timestamp.nullable(),
    seller_profile: sellerProfileSchema.nullable(),
  })
  .meta({ id: 'AdminUser' });

export const toAdminUser = (u: User, seller: SellerProfile | null, now: Date) => ({
  ...toUser(u, now),
  status_reason: u.statusReason,
  suspended_until: toDarTimeOrNull(u.suspendedUntil),
  seller_profile: seller ? toSellerProfile(seller) : null,
});
