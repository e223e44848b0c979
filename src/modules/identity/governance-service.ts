import { and, arrayContains, desc, eq, gt, ilike, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound, unprocessable } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import { type Cursor, pageOf } from '../../shared/pagination.js';
import type { AuditService } from '../audit/index.js';
import { type AuthService, requireMobile } from './auth-service.js';
import type { Role, UserStatus } from './model.js';
import { effectiveStatus } from './rules.js';
import { sellerProfiles, sessions, users } from './schema.js';

/** Filter on the status the guards see: a suspension whose end has passed counts as active. */
function statusIs(status: UserStatus, now: Date): SQL {
  const lapsed = and(eq(users.status, 'suspended'), lte(users.suspendedUntil, now))!;
  if (status === 'active') return or(eq(users.status, 'active'), lapsed)!;
  if (status === 'suspended')
    return and(
      eq(users.status, 'suspended'),
      or(isNull(users.suspendedUntil), gt(users.suspendedUntil, now)),
    )!;
  return eq(users.status, status);
}

/** A LIKE pattern matching `text` anywhere, its own `%`, `_` and `\` taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * What other modules do when an account stops working (banned, or suspended), in the same
 * transaction as the status change: riders release jobs not yet collected, orders cancel and refund
 * a seller's open orders. A port, so identity never imports those modules (wired in the composition).
 */
export type AccountDisabledPort = (
  tx: Database,
  userId: string,
  why: 'banned' | 'suspended',
) => Promise<void>;

/** Admin powers over accounts. Each action takes effect at once and leaves an audit row with its reason. */
export function createGovernanceService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
  auth: AuthService;
  onAccountDisabled?: AccountDisabledPort | undefined;
}) {
  const { db, clock, ids, audit, auth } = deps;
  const onAccountDisabled: AccountDisabledPort = deps.onAccountDisabled ?? (async () => {});

  async function lockTarget(tx: Database, adminId: string, targetId: string) {
    if (adminId === targetId)
      throw unprocessable(
        'CANNOT_TARGET_SELF',
        'user_id',
        'An admin cannot suspend, ban or reinstate themselves.',
      );
    const [target] = await tx.select().from(users).where(eq(users.id, targetId)).for('update');
    if (!target) throw notFound('User');
    return target;
  }

  return {
    async grantRole(userId: string, role: Role, tx: Database = db) {
      const [u] = await tx
        .update(users)
        .set({ roles: sql`array_append(${users.roles}, ${role})`, updatedAt: clock.now() })
        .where(and(eq(users.id, userId), sql`not (${role} = any(${users.roles}))`))
        .returning({ id: users.id });
      return Boolean(u);
    },

    async suspend(adminId: string, targetId: string, input: { reason: string; until?: Date | undefined }) {
      const now = clock.now();
      if (input.until && input.until.getTime() <= now.getTime()) {
        throw unprocessable(
          'INVALID_SUSPENSION_END',
          'until',
          'The end of a suspension must be in the future.',
        );
      }
      if (input.until && input.until.getTime() > now.getTime() + 5 * 365 * 24 * 3600_000) {
        throw unprocessable(
          'INVALID_SUSPENSION_END',
          'until',
          'A suspension longer than 5 years is a ban: ban instead.',
        );
      }
      return db.transaction(async (tx) => {
        const target = await lockTarget(tx, adminId, targetId);
        if (target.status === 'banned')
          throw new AppError(
            'INVALID_TRANSITION',
            409,
            'A banned account must be reinstated before it can be suspended.',
          );
        const [row] = await tx
          .update(users)
          .set({
            status: 'suspended',
            statusReason: input.reason,
            suspendedUntil: input.until ?? null,
            updatedAt: now,
          })
          .where(eq(users.id, targetId))
          .returning();
        await auth.revokeAllSessions(tx, targetId, 'suspended');
        await onAccountDisabled(tx, targetId, 'suspended');
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'user.suspended',
          targetType: 'user',
          targetId,
          reason: input.reason,
          data: { from: effectiveStatus(target, now), until: input.until?.toISOString() ?? null },
        });
        return row!;
      });
    },

    async ban(adminId: string, targetId: string, input: { reason: string }) {
      const now = clock.now();
      return db.transaction(async (tx) => {
        const target = await lockTarget(tx, adminId, targetId);
        if (target.status === 'banned')
          throw new AppError('INVALID_TRANSITION', 409, 'This account is already banned.');
        const [row] = await tx
          .update(users)
          .set({ status: 'banned', statusReason: input.reason, suspendedUntil: null, updatedAt: now })
          .where(eq(users.id, targetId))
          .returning();
        await auth.revokeAllSessions(tx, targetId, 'banned');
        await onAccountDisabled(tx, targetId, 'banned');
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'user.banned',
          targetType: 'user',
          targetId,
          reason: input.reason,
          data: { from: effectiveStatus(target, now) },
        });
        return row!;
      });
    },

    async reinstate(adminId: string, targetId: string, input: { reason: string }) {
      const now = clock.now();
      return db.transaction(async (tx) => {
        const target = await lockTarget(tx, adminId, targetId);
        if (target.status === 'active')
          throw new AppError('INVALID_TRANSITION', 409, 'This account is not suspended or banned.');
        const [row] = await tx
          .update(users)
          .set({ status: 'active', statusReason: null, suspendedUntil: null, updatedAt: now })
          .where(eq(users.id, targetId))
          .returning();
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'user.reinstated',
          targetType: 'user',
          targetId,
          reason: input.reason,
          data: { from: target.status },
        });
        return row!;
      });
    },

    async getUser(id: string) {
      const [row] = await db
        .select({ user: users, seller: sellerProfiles })
        .from(users)
        .leftJoin(sellerProfiles, eq(sellerProfiles.userId, users.id))
        .where(eq(users.id, id));
      if (!row) throw notFound('User');
      return row;
    },

    async listUsers(q: {
      phone?: string | undefined;
      /** part of the display name or the shop name, case-insensitive */
      name?: string | undefined;
      status?: UserStatus | undefined;
      role?: Role | undefined;
      limit: number;
      cursor?: Cursor | undefined;
    }) {
      const where: SQL[] = [];
      if (q.phone) where.push(eq(users.phone, requireMobile(q.phone, 'phone')));
      if (q.name) {
        const pattern = containsPattern(q.name);
        where.push(
          or(
            ilike(users.displayName, pattern),
            sql`exists (select 1 from ${sellerProfiles} where ${sellerProfiles.userId} = ${users.id} and ${ilike(sellerProfiles.shopName, pattern)})`,
          )!,
        );
      }
      if (q.status) where.push(statusIs(q.status, clock.now()));
      if (q.role) where.push(arrayContains(users.roles, [q.role]));
      if (q.cursor) {
        where.push(
          or(
            lt(users.createdAt, q.cursor.at),
            and(eq(users.createdAt, q.cursor.at), lt(users.id, q.cursor.id)),
          )!,
        );
      }
      const rows = await db
        .select()
        .from(users)
        .where(and(...where))
        .orderBy(desc(users.createdAt), desc(users.id))
        .limit(q.limit + 1);
      return pageOf(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    },

    /** A user's API sessions still usable now (not revoked, not expired), newest first. */
    async activeSessions(userId: string) {
      return db
        .select({
          id: sessions.id,
          createdAt: sessions.createdAt,
          expiresAt: sessions.expiresAt,
          userAgent: sessions.userAgent,
          ip: sessions.ip,
        })
        .from(sessions)
        .where(
          and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, clock.now())),
        )
        .orderBy(desc(sessions.createdAt))
        .limit(100);
    },

    /** An admin ends one of a user's sessions (a lost phone): audited with the reason, in the same transaction. */
    async revokeSession(adminId: string, userId: string, sessionId: string, input: { reason: string }) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(sessions)
          .set({ revokedAt: clock.now(), revokedReason: 'admin' })
          .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
          .returning({ id: sessions.id });
        if (!row) {
          const [found] = await tx
            .select({ id: sessions.id })
            .from(sessions)
            .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)));
          if (!found) throw notFound('Session');
          throw conflict('SESSION_ENDED', 'This session has already ended.');
        }
        await audit.record(tx, {
          actorUserId: adminId,
          action: 'session.revoked',
          targetType: 'user',
          targetId: userId,
          reason: input.reason,
          data: { session_id: sessionId },
        });
      });
    },

    /** The first admin (and later ones) are made from the command line, like createsuperuser. */
    async createAdmin(phoneInput: string) {
      const phone = requireMobile(phoneInput, 'phone');
      const now = clock.now();
      return db.transaction(async (tx) => {
        const [created] = await tx
          .insert(users)
          .values({ id: ids.newId(), phone, roles: ['buyer', 'admin'], createdAt: now, updatedAt: now })
          .onConflictDoNothing({ target: users.phone })
          .returning();
        if (created) {
          await audit.record(tx, {
            actorUserId: null,
            action: 'user.created',
            targetType: 'user',
            targetId: created.id,
            data: { via: 'cli' },
          });
          await audit.record(tx, {
            actorUserId: null,
            action: 'user.role_granted',
            targetType: 'user',
            targetId: created.id,
            data: { role: 'admin', via: 'cli' },
          });
          return { user: created, created: true, granted: true };
        }
        const [existing] = await tx.select().from(users).where(eq(users.phone, phone)).for('update');
        if (existing!.roles.includes('admin')) return { user: existing!, created: false, granted: false };
        if (existing!.status !== 'active')
          throw conflict('INVALID_TRANSITION', `This account is ${existing!.status}; reinstate it first.`);
        const [updated] = await tx
          .update(users)
          .set({ roles: sql`array_append(${users.roles}, 'admin')`, updatedAt: now })
          .where(eq(users.id, existing!.id))
          .returning();
        await audit.record(tx, {
          actorUserId: null,
          action: 'user.role_granted',
          targetType: 'user',
          targetId: existing!.id,
          data: { role: 'admin', via: 'cli' },
        });
        return { user: updated!, created: false, granted: true };
      });
    },
  };
}

export type GovernanceService = ReturnType<typeof createGovernanceService>;
