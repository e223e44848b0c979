// The bench's data, the same on every run: sellers, categories, products (2 variants each), five
// category promotions with their budget slices, one code, and buyers each signed in with a 4-line
// cart across 4 sellers. Written straight into the tables (no HTTP), then analysed.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../src/db/client.js';
import * as s from '../src/db/schema.js';
import { splitBudget } from '../src/modules/promotions/index.js';
import { sha256Hex } from '../src/shared/secrets.js';

export const SELLERS = 20;
export const PRODUCTS = 2000;
export const BUYERS = 64;
export const CATEGORIES = 10;

/** The words product titles are made of; full-text searches ask for one of them. */
export const words = [
  'kitenge',
  'kanga',
  'shuka',
  'radio',
  'simu',
  'viatu',
  'mkoba',
  'saa',
  'kofia',
  'shati',
  'sufuria',
  'taa',
];

export interface Seeded {
  sellerIds: string[];
  catIds: string[];
  products: Array<typeof s.products.$inferInsert>;
  variants: Array<typeof s.productVariants.$inferInsert>;
  /** each buyer's bearer token, in buyer order */
  tokens: string[];
  adminId: string;
}

export async function seedBench(db: Database, now: Date): Promise<Seeded> {
  const sellerIds = Array.from({ length: SELLERS }, () => uuidv7());
  await db.insert(s.users).values(
    sellerIds.map((id, i) => ({
      id,
      phone: `+2557440${String(10000 + i)}`,
      roles: ['buyer', 'seller'] as ('buyer' | 'seller')[],
      createdAt: now,
      updatedAt: now,
    })),
  );
  await db.insert(s.sellerProfiles).values(
    sellerIds.map((id, i) => ({
      userId: id,
      shopName: `Shop ${i}`,
      businessType: 'informal' as const,
      ward: 'Kariakoo',
      landmark: 'x',
      payoutPhone: '+255744000000',
      payoutWallet: 'mpesa' as const,
      kycStatus: 'verified' as const,
      createdAt: now,
      updatedAt: now,
    })),
  );
  const catIds = Array.from({ length: CATEGORIES }, () => uuidv7());
  await db
    .insert(s.categories)
    .values(catIds.map((id, i) => ({ id, name: `Category ${i}`, parentId: null, path: id, createdAt: now })));
  const products: Array<typeof s.products.$inferInsert> = [];
  const variants: Array<typeof s.productVariants.$inferInsert> = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const id = uuidv7();
    const price = 1_000_00 + ((i * 7919) % 200) * 500_00;
    products.push({
      id,
      sellerId: sellerIds[i % SELLERS]!,
      title: `${words[i % words.length]} ${words[(i * 5) % words.length]} no. ${i}`,
      description: `Quality ${words[(i * 3) % words.length]} from Dar es Salaam, item ${i}`,
      categoryId: catIds[i % CATEGORIES]!,
      specs: {},
      status: 'verified',
      minPrice: price,
      createdAt: now,
      updatedAt: now,
      verifiedAt: new Date(now.getTime() - i * 1000),
    });
    for (let v = 0; v < 2; v++) {
      variants.push({
        id: uuidv7(),
        productId: id,
        sellerId: sellerIds[i % SELLERS]!,
        sellerSku: `B-${i}-${v}`,
        attributes: { size: v ? 'L' : 'M' },
        price: price + v * 100_00,
        currency: 'TZS',
        stock: 1000,
        createdAt: now,
        updatedAt: now,
      });
    }
  }
  for (let i = 0; i < products.length; i += 500)
    await db.insert(s.products).values(products.slice(i, i + 500));
  for (let i = 0; i < variants.length; i += 500)
    await db.insert(s.productVariants).values(variants.slice(i, i + 500));
  const adminId = uuidv7();
  await db.insert(s.users).values({
    id: adminId,
    phone: '+255744099999',
    roles: ['buyer', 'admin'],
    createdAt: now,
    updatedAt: now,
  });
  const day = 24 * 3600_000;
  const promos = await db
    .insert(s.promotions)
    .values(
      catIds.slice(0, 5).map((cat, i) => ({
        id: uuidv7(),
        name: `Promo ${i}`,
        valueKind: 'percentage' as const,
        percentBp: 500 + i * 100,
        scopeType: 'category' as const,
        scopeId: cat,
        startsAt: new Date(now.getTime() - day),
        endsAt: new Date(now.getTime() + 30 * day),
        priority: i,
        budgetAmount: 1_000_000_000_00,
        active: true,
        createdBy: adminId,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .returning();
  // Straight into the tables, so the slices a created promotion gets are written here too.
  await db.insert(s.promotionBudgetSlices).values(
    promos.flatMap((p) =>
      splitBudget(p.budgetAmount).map((budgetAmount, slice) => ({
        promotionId: p.id,
        slice,
        budgetAmount,
      })),
    ),
  );
  await db.insert(s.discountCodes).values({
    id: uuidv7(),
    code: 'BENCH10',
    valueKind: 'percentage',
    percentBp: 1000,
    minOrderAmount: 0,
    startsAt: new Date(now.getTime() - day),
    endsAt: new Date(now.getTime() + 30 * day),
    active: true,
    createdBy: adminId,
    createdAt: now,
    updatedAt: now,
  });
  const tokens: string[] = [];
  for (let b = 0; b < BUYERS; b++) {
    const id = uuidv7();
    const token = `kks_bench_${randomBytes(24).toString('base64url')}`;
    tokens.push(token);
    await db.insert(s.users).values({
      id,
      phone: `+2557441${String(10000 + b)}`,
      roles: ['buyer'],
      createdAt: now,
      updatedAt: now,
    });
    await db.insert(s.sessions).values({
      id: uuidv7(),
      userId: id,
      tokenHash: sha256Hex(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + day),
    });
    await db.insert(s.carts).values({ buyerId: id, code: 'BENCH10', loyaltyPoints: 0, updatedAt: now });
    // Four lines from four different sellers.
    await db.insert(s.cartLines).values(
      [0, 1, 2, 3].map((k) => ({
        buyerId: id,
        skuId: variants[(b * 37 + k * 101) % variants.length]!.id!,
        quantity: 1 + k,
        addedAt: now,
      })),
    );
  }
  await db.execute(sql`analyze`);
  return { sellerIds, catIds, products, variants, tokens, adminId };
}
