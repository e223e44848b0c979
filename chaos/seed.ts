// The harness's cast, written straight into the fresh database (like the bench): an admin, sellers
// with verified products, buyers with a session and an address, one promotion with a small budget,
// and the flash-sale SKU. Tokens are made here so no sign-in (and no SMS) is needed.
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../src/db/client.js';
import * as s from '../src/db/schema.js';
import { splitBudget } from '../src/modules/promotions/index.js';
import { sha256Hex } from '../src/shared/secrets.js';

export interface Actor {
  id: string;
  token: string;
  addressId: string;
}

export interface Cast {
  admin: Actor;
  sellers: Actor[];
  buyers: Actor[];
  flashBuyers: Actor[];
  /** sku id → seller index */
  skus: Map<string, number>;
  flashSku: string;
  /** sku id → stock at the start */
  initialStock: Map<string, number>;
  promotionId: string;
  promotionBudget: number;
}

const DAY = 86_400_000;

export async function seed(
  db: Database,
  n: { sellers: number; buyers: number; flashBuyers: number },
): Promise<Cast> {
  const now = new Date();
  let phone = 0;
  const users = async (count: number, roles: ('buyer' | 'seller' | 'admin')[]): Promise<Actor[]> => {
    const out: Actor[] = [];
    for (let i = 0; i < count; i += 200) {
      const batch = Array.from({ length: Math.min(200, count - i) }, () => ({
        id: uuidv7(),
        token: `kks_chaos_${randomBytes(24).toString('base64url')}`,
        addressId: uuidv7(),
        phone: `+2557450${String(10000 + phone++)}`,
      }));
      await db
        .insert(s.users)
        .values(batch.map((b) => ({ id: b.id, phone: b.phone, roles, createdAt: now, updatedAt: now })));
      await db.insert(s.sessions).values(
        batch.map((b) => ({
          id: uuidv7(),
          userId: b.id,
          tokenHash: sha256Hex(b.token),
          createdAt: now,
          expiresAt: new Date(now.getTime() + DAY),
        })),
      );
      await db.insert(s.buyerAddresses).values(
        batch.map((b) => ({
          id: b.addressId,
          userId: b.id,
          label: 'Home',
          ward: 'Mikocheni',
          landmark: 'Blue gate',
          contactPhone: '+255754000000',
          isDefault: true,
          createdAt: now,
          updatedAt: now,
        })),
      );
      out.push(...batch.map(({ id, token, addressId }) => ({ id, token, addressId })));
    }
    return out;
  };

  const [admin] = await users(1, ['buyer', 'admin']);
  const sellers = await users(n.sellers, ['buyer', 'seller']);
  await db.insert(s.sellerProfiles).values(
    sellers.map((sl, i) => ({
      userId: sl.id,
      shopName: `Chaos shop ${i}`,
      businessType: 'informal' as const,
      ward: 'Kariakoo',
      landmark: 'x',
      payoutPhone: `+2557550${String(10000 + i)}`,
      payoutWallet: 'mpesa' as const,
      kycStatus: 'verified' as const,
      createdAt: now,
      updatedAt: now,
    })),
  );
  const categoryId = uuidv7();
  await db
    .insert(s.categories)
    .values({ id: categoryId, name: 'Chaos', parentId: null, path: categoryId, createdAt: now });
  const skus = new Map<string, number>();
  const initialStock = new Map<string, number>();
  const products: Array<typeof s.products.$inferInsert> = [];
  const variants: Array<typeof s.productVariants.$inferInsert> = [];
  const add = (sellerIdx: number, title: string, price: number, stock: number) => {
    const id = uuidv7();
    const sellerId = sellers[sellerIdx]!.id;
    products.push({
      id,
      sellerId,
      title,
      description: `${title} for the fault harness`,
      categoryId,
      specs: {},
      status: 'verified',
      minPrice: price,
      createdAt: now,
      updatedAt: now,
      verifiedAt: now,
    });
    const skuId = uuidv7();
    variants.push({
      id: skuId,
      productId: id,
      sellerId,
      sellerSku: `C-${products.length}`,
      attributes: {},
      price,
      currency: 'TZS',
      stock,
      createdAt: now,
      updatedAt: now,
    });
    skus.set(skuId, sellerIdx);
    initialStock.set(skuId, stock);
    return skuId;
  };
  for (let i = 0; i < n.sellers; i++)
    for (let k = 0; k < 4; k++) add(i, `Kitenge ${i}-${k}`, 10_000_00 + k * 2_500_00, 60 + 20 * k);
  const flashSku = add(0, 'Flash sale radio', 25_000_00, 10);
  skus.delete(flashSku); // ordinary buyers do not buy it; the flash crowd does
  await db.insert(s.products).values(products);
  await db.insert(s.productVariants).values(variants);

  // 5 % off everything, with a budget that runs out during the run: its counters must stop at it.
  const promotionBudget = 40_000_00;
  const [promo] = await db
    .insert(s.promotions)
    .values({
      id: uuidv7(),
      name: 'Chaos week',
      valueKind: 'percentage',
      percentBp: 500,
      scopeType: 'all',
      scopeId: null,
      startsAt: new Date(now.getTime() - DAY),
      endsAt: new Date(now.getTime() + DAY),
      priority: 1,
      budgetAmount: promotionBudget,
      active: true,
      createdBy: admin!.id,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  await db.insert(s.promotionBudgetSlices).values(
    splitBudget(promotionBudget).map((budgetAmount, slice) => ({
      promotionId: promo!.id,
      slice,
      budgetAmount,
    })),
  );

  const buyers = await users(n.buyers, ['buyer']);
  const flashBuyers = await users(n.flashBuyers, ['buyer']);
  return {
    admin: admin!,
    sellers,
    buyers,
    flashBuyers,
    skus,
    flashSku,
    initialStock,
    promotionId: promo!.id,
    promotionBudget,
  };
}
