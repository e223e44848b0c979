import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { isUniqueViolation } from '../../db/columns.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound } from '../../shared/errors.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { AuditService } from '../audit/index.js';
import type { BRAND_STATUSES } from './model.js';
import { brands, categories } from './schema.js';

export type Brand = typeof brands.$inferSelect;
export type Category = typeof categories.$inferSelect;

/** Brands (admin-verified; sellers may propose) and the category tree (admin-managed). */
export function createTaxonomyService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditService;
}) {
  const { db, clock, ids, audit } = deps;

  async function insertBrand(name: string, status: Brand['status'], actorId: string) {
    const now = clock.now();
    try {
      return await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(brands)
          .values({
            id: ids.newId(),
            name,
            status,
            proposedBy: status === 'unverified' ? actorId : null,
            createdAt: now,
            reviewedAt: status === 'verified' ? now : null,
            reviewedBy: status === 'verified' ? actorId : null,
          })
          .returning();
        await audit.record(tx, {
          actorUserId: actorId,
          action: status === 'verified' ? 'brand.created' : 'brand.proposed',
          targetType: 'brand',
          targetId: row!.id,
          data: { name },
        });
        return row!;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('BRAND_EXISTS', `A brand named "${name}" already exists.`);
      throw err;
    }
  }

  async function getBrand(tx: Database, id: string) {
    const [row] = await tx.select().from(brands).where(eq(brands.id, id));
    if (!row) throw notFound('Brand');
    return row;
  }

  return {
    createBrand: (adminId: string, name: string) => insertBrand(name, 'verified', adminId),
    proposeBrand: (sellerId: string, name: string) => insertBrand(name, 'unverified', sellerId),
    getBrand: (id: string) => getBrand(db, id),

    async reviewBrand(adminId: string, id: string, approve: boolean, reason?: string) {
      return db.transaction(async (tx) => {
        const current = await getBrand(tx, id);
        const to = approve ? 'verified' : 'rejected';
        if (current.status === to)
          throw new AppError('INVALID_TRANSITION', 409, `This brand is already ${to}.`);
        const [row] = await tx
          .update(brands)
          .set({ status: to, reviewedAt: clock.now(), reviewedBy: adminId })
          .where(eq(brands.id, id))
          .returning();
        await audit.record(tx, {
          actorUserId: adminId,
          action: approve ? 'brand.verified' : 'brand.rejected',
          targetType: 'brand',
          targetId: id,
          reason: reason ?? null,
          data: { from: current.status },
        });
        return row!;
      });
    },

    listBrands(status?: (typeof BRAND_STATUSES)[number]) {
      return db
        .select()
        .from(brands)
        .where(status ? eq(brands.status, status) : undefined)
        .orderBy(asc(brands.name));
    },

    /** A brand a product may carry: any that exists and was not rejected. */
    async usableBrand(tx: Database, id: string) {
      const [row] = await tx.select().from(brands).where(eq(brands.id, id));
      if (!row || row.status === 'rejected') {
        throw new AppError('BRAND_NOT_USABLE', 422, 'brand_id is not a known brand (or it was rejected).', {
          field: 'brand_id',
        });
      }
      return row;
    },

    async createCategory(adminId: string, input: { name: string; parent_id?: string | null | undefined }) {
      const id = ids.newId();
      try {
        return await db.transaction(async (tx) => {
          let path = id;
          if (input.parent_id) {
            const [parent] = await tx.select().from(categories).where(eq(categories.id, input.parent_id));
            if (!parent)
              throw new AppError('CATEGORY_NOT_FOUND', 422, 'parent_id is not a known category.', {
                field: 'parent_id',
              });
            path = `${parent.path}/${id}`;
          }
          const [row] = await tx
            .insert(categories)
            .values({ id, name: input.name, parentId: input.parent_id ?? null, path, createdAt: clock.now() })
            .returning();
          await audit.record(tx, {
            actorUserId: adminId,
            action: 'category.created',
            targetType: 'category',
            targetId: id,
            data: { name: input.name, parent_id: input.parent_id ?? null },
          });
          return row!;
        });
      } catch (err) {
        if (isUniqueViolation(err))
          throw conflict('CATEGORY_EXISTS', `"${input.name}" already exists at this level.`);
        throw err;
      }
    },

    async renameCategory(adminId: string, id: string, name: string, reason?: string) {
      try {
        return await db.transaction(async (tx) => {
          const [before] = await tx.select().from(categories).where(eq(categories.id, id)).for('update');
          if (!before) throw notFound('Category');
          const [row] = await tx.update(categories).set({ name }).where(eq(categories.id, id)).returning();
          await audit.record(tx, {
            actorUserId: adminId,
            action: 'category.renamed',
            targetType: 'category',
            targetId: id,
            reason: reason ?? null,
            data: { name, from: before.name },
          });
          return row!;
        });
      } catch (err) {
        if (isUniqueViolation(err))
          throw conflict('CATEGORY_EXISTS', `"${name}" already exists at this level.`);
        throw err;
      }
    },

    /** Rename a brand (a typo, a rebrand); its status and the products carrying it stay as they are. */
    async renameBrand(adminId: string, id: string, name: string, reason?: string) {
      try {
        return await db.transaction(async (tx) => {
          const [before] = await tx.select().from(brands).where(eq(brands.id, id)).for('update');
          if (!before) throw notFound('Brand');
          const [row] = await tx.update(brands).set({ name }).where(eq(brands.id, id)).returning();
          await audit.record(tx, {
            actorUserId: adminId,
            action: 'brand.renamed',
            targetType: 'brand',
            targetId: id,
            reason: reason ?? null,
            data: { name, from: before.name },
          });
          return row!;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict('BRAND_EXISTS', `A brand named "${name}" already exists.`);
        throw err;
      }
    },

    listCategories() {
      return db.select().from(categories).orderBy(asc(categories.path));
    },

    async requireCategory(tx: Database, id: string) {
      const [row] = await tx
        .select()
        .from(categories)
        .where(and(eq(categories.id, id)));
      if (!row)
        throw new AppError('CATEGORY_NOT_FOUND', 422, 'category_id is not a known category.', {
          field: 'category_id',
        });
      return row;
    },
  };
}

export type TaxonomyService = ReturnType<typeof createTaxonomyService>;
