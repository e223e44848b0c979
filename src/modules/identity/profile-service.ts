import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import { requireMobile } from './auth-service.js';
import type { BUSINESS_TYPES, DAR_DISTRICTS, PAYOUT_WALLETS } from './model.js';
import { buyerAddresses, sellerProfiles, users } from './schema.js';

export const MAX_ADDRESSES = 20;

export interface GeoPoint {
  lat: number;
  lng: number;
}

export interface AddressInput {
  label: string;
  district?: (typeof DAR_DISTRICTS)[number] | null;
  ward: string;
  street?: string | null;
  landmark: string;
  location?: GeoPoint | null;
  contact_phone?: string;
  is_default?: boolean;
}

export interface SellerProfileInput {
  shop_name: string;
  business_type: (typeof BUSINESS_TYPES)[number];
  registration_number?: string | null;
  district?: (typeof DAR_DISTRICTS)[number] | null;
  ward: string;
  street?: string | null;
  landmark: string;
  location?: GeoPoint | null;
  payout_phone: string;
  payout_wallet: (typeof PAYOUT_WALLETS)[number];
}

export type BuyerAddress = typeof buyerAddresses.$inferSelect;
export type SellerProfile = typeof sellerProfiles.$inferSelect;

function checkRegistration(type: string, number: string | null | undefined) {
  if (type === 'registered' && !number) {
    throw new AppError(
      'REGISTRATION_NUMBER_REQUIRED',
      422,
      'A registered business needs its registration number (BRELA or TIN).',
      {
        field: 'registration_number',
      },
    );
  }
}

export function createProfileService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
}) {
  const { db, clock, ids, audit } = deps;

  async function loadUser(tx: Database, userId: string) {
    const [user] = await tx.select().from(users).where(eq(users.id, userId));
    if (!user) throw notFound('User');
    return user;
  }

  /** One writer at a time per buyer's address book: the single-default rule spans rows. */
  async function lockAddressBook(tx: Database, userId: string) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`addr:${userId}`}, 0))`);
  }

  /** An address of this user, or 404: another user's address id reveals nothing. */
  async function getAddress(tx: Database, userId: string, id: string) {
    const [row] = await tx
      .select()
      .from(buyerAddresses)
      .where(and(eq(buyerAddresses.id, id), eq(buyerAddresses.userId, userId)));
    if (!row) throw notFound('Address');
    return row;
  }

  const addressById = db
    .select()
    .from(buyerAddresses)
    .where(
      and(eq(buyerAddresses.id, sql.placeholder('id')), eq(buyerAddresses.userId, sql.placeholder('userId'))),
    )
    .prepare('profile_address_by_id');

  return {
    loadUser: (userId: string, tx: Database = db) => loadUser(tx, userId),

    async getSellerProfile(userId: string): Promise<SellerProfile | null> {
      const [row] = await db.select().from(sellerProfiles).where(eq(sellerProfiles.userId, userId));
      return row ?? null;
    },

    /** Where a seller hands parcels over (their profile's point), or null when they have not set one. */
    async sellerPickupPoint(sellerId: string): Promise<{ lat: number; lng: number } | null> {
      const [row] = await db
        .select({ lat: sellerProfiles.latitude, lng: sellerProfiles.longitude })
        .from(sellerProfiles)
        .where(eq(sellerProfiles.userId, sellerId));
      return row?.lat == null || row.lng == null ? null : { lat: row.lat, lng: row.lng };
    },

    async updateMe(userId: string, patch: { display_name?: string | null }) {
      const [row] = await db
        .update(users)
        .set({
          ...(patch.display_name !== undefined ? { displayName: patch.display_name } : {}),
          updatedAt: clock.now(),
        })
        .where(eq(users.id, userId))
        .returning();
      if (!row) throw notFound('User');
      return row;
    },

    listAddresses(userId: string) {
      return db
        .select()
        .from(buyerAddresses)
        .where(eq(buyerAddresses.userId, userId))
        .orderBy(asc(buyerAddresses.createdAt), asc(buyerAddresses.id));
    },

    /** Checkout reads the delivery address on every attempt: a prepared statement. */
    async getAddress(userId: string, id: string) {
      const [row] = await addressById.execute({ id, userId });
      if (!row) throw notFound('Address');
      return row;
    },

    async addAddress(user: { userId: string; phone: string }, input: AddressInput) {
      const contactPhone = input.contact_phone
        ? requireMobile(input.contact_phone, 'contact_phone')
        : user.phone;
      const now = clock.now();
      return db.transaction(async (tx) => {
        await lockAddressBook(tx, user.userId);
        const [{ n } = { n: 0 }] = await tx
          .select({ n: count() })
          .from(buyerAddresses)
          .where(eq(buyerAddresses.userId, user.userId));
        if (n >= MAX_ADDRESSES)
          throw conflict('ADDRESS_LIMIT', `At most ${MAX_ADDRESSES} addresses; delete one first.`);
        // The first address is the default; a new default takes the flag from the old one.
        const makeDefault = input.is_default === true || n === 0;
        if (makeDefault) {
          await tx
            .update(buyerAddresses)
            .set({ isDefault: false, updatedAt: now })
            .where(eq(buyerAddresses.userId, user.userId));
        }
        const [row] = await tx
          .insert(buyerAddresses)
          .values({
            id: ids.newId(),
            userId: user.userId,
            label: input.label,
            district: input.district ?? null,
            ward: input.ward,
            street: input.street ?? null,
            landmark: input.landmark,
            latitude: input.location?.lat ?? null,
            longitude: input.location?.lng ?? null,
            contactPhone,
            isDefault: makeDefault,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        return row!;
      });
    },

    async updateAddress(userId: string, id: string, patch: Partial<AddressInput>) {
      const contactPhone = patch.contact_phone
        ? requireMobile(patch.contact_phone, 'contact_phone')
        : undefined;
      const now = clock.now();
      return db.transaction(async (tx) => {
        await lockAddressBook(tx, userId);
        const current = await getAddress(tx, userId, id);
        if (patch.is_default === false && current.isDefault) {
          throw new AppError('DEFAULT_ADDRESS_REQUIRED', 422, 'Make another address the default instead.', {
            field: 'is_default',
          });
        }
        if (patch.is_default === true && !current.isDefault) {
          await tx
            .update(buyerAddresses)
            .set({ isDefault: false, updatedAt: now })
            .where(eq(buyerAddresses.userId, userId));
        }
        const [row] = await tx
          .update(buyerAddresses)
          .set({
            ...(patch.label !== undefined ? { label: patch.label } : {}),
            ...(patch.district !== undefined ? { district: patch.district } : {}),
            ...(patch.ward !== undefined ? { ward: patch.ward } : {}),
            ...(patch.street !== undefined ? { street: patch.street } : {}),
            ...(patch.landmark !== undefined ? { landmark: patch.landmark } : {}),
            ...(patch.location !== undefined
              ? { latitude: patch.location?.lat ?? null, longitude: patch.location?.lng ?? null }
              : {}),
            ...(contactPhone ? { contactPhone } : {}),
            ...(patch.is_default === true ? { isDefault: true } : {}),
            updatedAt: now,
          })
          .where(eq(buyerAddresses.id, current.id))
          .returning();
        return row!;
      });
    },

    async deleteAddress(userId: string, id: string) {
      await db.transaction(async (tx) => {
        await lockAddressBook(tx, userId);
        const current = await getAddress(tx, userId, id);
        await tx.delete(buyerAddresses).where(eq(buyerAddresses.id, current.id));
        if (current.isDefault) {
          // Keep exactly one default while any address is left: the oldest one inherits it.
          const [next] = await tx
            .select({ id: buyerAddresses.id })
            .from(buyerAddresses)
            .where(eq(buyerAddresses.userId, userId))
            .orderBy(asc(buyerAddresses.createdAt), asc(buyerAddresses.id))
            .limit(1);
          if (next)
            await tx
              .update(buyerAddresses)
              .set({ isDefault: true, updatedAt: clock.now() })
              .where(eq(buyerAddresses.id, next.id));
        }
      });
    },

    /** Becoming a seller: the profile and the seller role arrive together. Selling still waits for KYC. */
    async becomeSeller(userId: string, input: SellerProfileInput) {
      const payoutPhone = requireMobile(input.payout_phone, 'payout_phone');
      checkRegistration(input.business_type, input.registration_number);
      const now = clock.now();
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(sellerProfiles)
          .values({
            userId,
            shopName: input.shop_name,
            businessType: input.business_type,
            registrationNumber: input.registration_number ?? null,
            district: input.district ?? null,
            ward: input.ward,
            street: input.street ?? null,
            landmark: input.landmark,
            latitude: input.location?.lat ?? null,
            longitude: input.location?.lng ?? null,
            payoutPhone,
            payoutWallet: input.payout_wallet,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing({ target: sellerProfiles.userId })
          .returning();
        if (!row)
          throw conflict('SELLER_PROFILE_EXISTS', 'You already have a seller profile; update it instead.');
        await tx
          .update(users)
          .set({ roles: sql`array_append(array_remove(${users.roles}, 'seller'), 'seller')`, updatedAt: now })
          .where(eq(users.id, userId));
        await audit.record(tx, {
          actorUserId: userId,
          action: 'seller.registered',
          targetType: 'user',
          targetId: userId,
          data: { shop_name: input.shop_name },
        });
        return row;
      });
    },

    async updateSellerProfile(userId: string, patch: Partial<SellerProfileInput>) {
      const payoutPhone = patch.payout_phone ? requireMobile(patch.payout_phone, 'payout_phone') : undefined;
      const now = clock.now();
      return db.transaction(async (tx) => {
        const [current] = await tx
          .select()
          .from(sellerProfiles)
          .where(eq(sellerProfiles.userId, userId))
          .for('update');
        if (!current) throw notFound('Seller profile');
        checkRegistration(
          patch.business_type ?? current.businessType,
          patch.registration_number !== undefined ? patch.registration_number : current.registrationNumber,
        );
        const [row] = await tx
          .update(sellerProfiles)
          .set({
            ...(patch.shop_name !== undefined ? { shopName: patch.shop_name } : {}),
            ...(patch.business_type !== undefined ? { businessType: patch.business_type } : {}),
            ...(patch.registration_number !== undefined
              ? { registrationNumber: patch.registration_number }
              : {}),
            ...(patch.district !== undefined ? { district: patch.district } : {}),
            ...(patch.ward !== undefined ? { ward: patch.ward } : {}),
            ...(patch.street !== undefined ? { street: patch.street } : {}),
            ...(patch.landmark !== undefined ? { landmark: patch.landmark } : {}),
            ...(patch.location !== undefined
              ? { latitude: patch.location?.lat ?? null, longitude: patch.location?.lng ?? null }
              : {}),
            ...(payoutPhone && payoutPhone !== current.payoutPhone
              ? { payoutPhone, payoutPhoneChangedAt: now }
              : {}),
            ...(patch.payout_wallet !== undefined ? { payoutWallet: patch.payout_wallet } : {}),
            updatedAt: now,
          })
          .where(eq(sellerProfiles.userId, userId))
          .returning();
        // Where the money goes is the first thing an account thief changes: keep a trail of it.
        if (payoutPhone && payoutPhone !== current.payoutPhone) {
          await audit.record(tx, {
            actorUserId: userId,
            action: 'seller.payout_phone_changed',
            targetType: 'user',
            targetId: userId,
            data: { from: current.payoutPhone, to: payoutPhone },
          });
        }
        return row!;
      });
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;
