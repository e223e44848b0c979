import { and, asc, desc, eq, gt, or } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, forbidden, notFound, unprocessable } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { type Cursor, pageOf } from '../../shared/pagination.js';
import type { AuditService } from '../audit/index.js';
import type { MediaService } from '../media/index.js';
import { accountBlockedError } from './auth-service.js';
import type { IdentityJobQueue } from './jobs.js';
import type { IdType } from './model.js';
import { normalizeIdNumber } from './rules.js';
import { kycDocuments, kycSubmissions, sellerProfiles, users } from './schema.js';

export type KycSubmission = typeof kycSubmissions.$inferSelect;

export function createKycService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  media: MediaService;
  jobs: IdentityJobQueue;
}) {
  const { db, clock, ids, audit, media } = deps;

  async function documentsOf(tx: Database, submissionId: string) {
    const docs = await tx
      .select()
      .from(kycDocuments)
      .where(eq(kycDocuments.submissionId, submissionId))
      .orderBy(asc(kycDocuments.position));
    const rows = await media.byIds(
      tx,
      docs.map((d) => d.mediaId),
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return docs.map((d) => byId.get(d.mediaId)).filter((m) => m !== undefined);
  }

  return {
    async submit(
      userId: string,
      input: { id_type: IdType; id_number: string; document_media_ids: string[] },
    ) {
      const idNumber = normalizeIdNumber(input.id_type, input.id_number);
      if (!idNumber.ok) throw unprocessable('INVALID_ID_NUMBER', 'id_number', idNumber.message);
      const now = clock.now();
      return db.transaction(async (tx) => {
        const [profile] = await tx
          .select()
          .from(sellerProfiles)
          .where(eq(sellerProfiles.userId, userId))
          .for('update');
        if (!profile)
          throw conflict('SELLER_PROFILE_REQUIRED', 'Create your seller profile before submitting KYC.');
        if (profile.kycStatus === 'pending')
          throw conflict('KYC_ALREADY_PENDING', 'Your KYC is already being reviewed.');
        if (profile.kycStatus === 'verified')
          throw conflict('KYC_ALREADY_VERIFIED', 'Your KYC is already verified.');
        await media.requireOwned(tx, userId, input.document_media_ids, 'kyc_document', 'document_media_ids');

        const [submission] = await tx
          .insert(kycSubmissions)
          .values({
            id: ids.newId(),
            sellerUserId: userId,
            idType: input.id_type,
            idNumber: idNumber.value,
            submittedAt: now,
          })
          .returning();
        await tx.insert(kycDocuments).values(
          input.document_media_ids.map((mediaId, position) => ({
            submissionId: submission!.id,
            mediaId,
            position,
          })),
        );
        await tx
          .update(sellerProfiles)
          .set({ kycStatus: 'pending', updatedAt: now })
          .where(eq(sellerProfiles.userId, userId));
        await audit.record(tx, {
          actorUserId: userId,
          action: 'kyc.submitted',
          targetType: 'kyc_submission',
          targetId: submission!.id,
          data: { seller_user_id: userId, id_type: input.id_type },
        });
        return { submission: submission!, documents: await documentsOf(tx, submission!.id) };
      });
    },

    /** The seller's own KYC state and latest submission (never anybody else's). */
    async mine(userId: string) {
      const [profile] = await db.select().from(sellerProfiles).where(eq(sellerProfiles.userId, userId));
      if (!profile) throw notFound('Seller profile');
      const [latest] = await db
        .select()
        .from(kycSubmissions)
        .where(eq(kycSubmissions.sellerUserId, userId))
        .orderBy(desc(kycSubmissions.submittedAt))
        .limit(1);
      return {
        status: profile.kycStatus,
        latest: latest ? { submission: latest, documents: await documentsOf(db, latest.id) } : null,
      };
    },

    /** Admin queue, oldest first so nobody waits behind newcomers. */
    async list(q: { status: KycSubmission['status']; limit: number; cursor?: Cursor | undefined }) {
      const rows = await db
        .select({ submission: kycSubmissions, phone: users.phone, shopName: sellerProfiles.shopName })
        .from(kycSubmissions)
        .innerJoin(users, eq(users.id, kycSubmissions.sellerUserId))
        .innerJoin(sellerProfiles, eq(sellerProfiles.userId, kycSubmissions.sellerUserId))
        .where(
          and(
            eq(kycSubmissions.status, q.status),
            q.cursor
              ? or(
                  gt(kycSubmissions.submittedAt, q.cursor.at),
                  and(eq(kycSubmissions.submittedAt, q.cursor.at), gt(kycSubmissions.id, q.cursor.id)),
                )
              : undefined,
          ),
        )
        .orderBy(asc(kycSubmissions.submittedAt), asc(kycSubmissions.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, (r) => ({ at: r.submission.submittedAt, id: r.submission.id }));
    },

    async get(id: string) {
      const [row] = await db
        .select({ submission: kycSubmissions, phone: users.phone, shopName: sellerProfiles.shopName })
        .from(kycSubmissions)
        .innerJoin(users, eq(users.id, kycSubmissions.sellerUserId))
        .innerJoin(sellerProfiles, eq(sellerProfiles.userId, kycSubmissions.sellerUserId))
        .where(eq(kycSubmissions.id, id));
      if (!row) throw notFound('KYC submission');
      return { ...row, documents: await documentsOf(db, id) };
    },

    /** Approve or reject a pending submission. Two admins deciding at once: one wins, the other gets 409. */
    async decide(
      adminId: string,
      id: string,
      decision: { approve: true; reason?: string | undefined } | { approve: false; reason: string },
    ) {
      const now = clock.now();
      return db.transaction(async (tx) => {
        const [current] = await tx.select().from(kycSubmissions).where(eq(kycSubmissions.id, id));
        if (!current) throw notFound('KYC submission');
        if (current.sellerUserId === adminId)
          throw forbidden('SELF_REVIEW_FORBIDDEN', 'An admin cannot decide their own KYC.');
        const status = decision.approve ? 'verified' : 'rejected';
        const [updated] = await tx
          .update(kycSubmissions)
          .set({
            status,
            rejectionReason: decision.approve ? null : decision.reason,
            decidedAt: now,
            decidedBy: adminId,
          })
          .where(and(eq(kycSubmissions.id, id), eq(kycSubmissions.status, 'pending')))
          .returning();
        if (!updated) {
          throw new AppError(
            'INVALID_TRANSITION',
            409,
            `This submission is already ${current.status}; only pending submissions can be decided.`,
          );
        }
        await tx
          .update(sellerProfiles)
          .set({ kycStatus: status, updatedAt: now })
          .where(eq(sellerProfiles.userId, current.sellerUserId));
        await audit.record(tx, {
          actorUserId: adminId,
          action: decision.approve ? 'kyc.approved' : 'kyc.rejected',
          targetType: 'kyc_submission',
          targetId: id,
          reason: decision.reason ?? null,
          data: { seller_user_id: current.sellerUserId },
        });
        await deps.jobs.enqueue(tx, {
          kind: 'kyc.decided',
          payload: {
            submissionId: id,
            userId: current.sellerUserId,
            outcome: status,
            reason: decision.approve ? null : decision.reason,
          },
          dedupeKey: `kyc.decided:${id}`,
        });
        return updated;
      });
    },

    /**
     * The guard later modules call before a seller publishes products or receives money: an active
     * account, the seller role, and verified KYC. Pass the caller's transaction to read consistently.
     */
    async assertActiveVerifiedSeller(userId: string, tx: Database = db): Promise<void> {
      const [row] = await tx
        .select({ user: users, kycStatus: sellerProfiles.kycStatus })
        .from(users)
        .leftJoin(sellerProfiles, eq(sellerProfiles.userId, users.id))
        .where(eq(users.id, userId));
      if (!row) throw notFound('Seller');
      const blocked = accountBlockedError(row.user, clock.now());
      if (blocked) throw blocked;
      if (!row.user.roles.includes('seller') || row.kycStatus === null) {
        throw forbidden('SELLER_NOT_REGISTERED', 'This account is not registered as a seller.');
      }
      if (row.kycStatus !== 'verified') {
        throw forbidden(
          'SELLER_NOT_VERIFIED',
          `Selling needs verified KYC; this seller's KYC is ${row.kycStatus}.`,
        );
      }
    },

    /** Where a seller's payouts go, after the same guard: only active, KYC-verified sellers are paid. */
    async payoutDestination(userId: string, tx: Database = db) {
      await this.assertActiveVerifiedSeller(userId, tx);
      const [p] = await tx
        .select({
          phone: sellerProfiles.payoutPhone,
          wallet: sellerProfiles.payoutWallet,
          changedAt: sellerProfiles.payoutPhoneChangedAt,
        })
        .from(sellerProfiles)
        .where(eq(sellerProfiles.userId, userId));
      if (!p) throw notFound('Seller');
      return p;
    },
  };
}

export type KycService = ReturnType<typeof createKycService>;
