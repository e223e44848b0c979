// Value lists shared by the Drizzle columns and the Zod schemas, so the database, the API and the
// OpenAPI document can never disagree about what a role or a status is.

export const ROLES = ['buyer', 'seller', 'rider', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const USER_STATUSES = ['active', 'suspended', 'banned'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const BUSINESS_TYPES = ['informal', 'registered'] as const;
export const PAYOUT_WALLETS = ['mpesa', 'airtel_money', 'mixx_by_yas', 'halopesa', 'mpesa_ke'] as const;

export const KYC_STATUSES = ['not_submitted', 'pending', 'verified', 'rejected'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];
export const KYC_SUBMISSION_STATUSES = ['pending', 'verified', 'rejected'] as const;

export const ID_TYPES = ['nida', 'voter_id', 'passport', 'driving_licence'] as const;
export type IdType = (typeof ID_TYPES)[number];

// Dar es Salaam's five municipal districts; a ward (kata) sits inside one of them.
export const DAR_DISTRICTS = ['Ilala', 'Kinondoni', 'Temeke', 'Ubungo', 'Kigamboni'] as const;
