import { and, asc, count, eq, sql } from 'drizzle-orm';
import { type BatchPart, rawQuery, writeBatch } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, conflict, notFound } from '../../shared/errors.js';
import { sha256Hex } from '../../shared/secrets.js';
import type { SellableSku } from '../catalog/index.js';
import { type PricedCart, type PricingLine, type PromotionsService, priceCart } from '../promotions/index.js';
import { cartLines, carts } from './schema.js';

export const MAX_CART_LINES = 50;

/** Why a cart line cannot be bought as it stands. Flagged, never silently dropped; checkout refuses it. */
export type LineProblem =
  | 'PRODUCT_NOT_AVAILABLE'
  | 'SKU_INACTIVE'
  | 'SKU_NOT_FOUND'
  | 'OUT_OF_STOCK'
  | 'INSUFFICIENT_STOCK'
  | 'CURRENCY_MISMATCH'
  // A seller buying their own goods would be paid the full price while the platform funds the discount.
  | 'SELF_PURCHASE';

export interface CartLineView {
  skuId: string;
  quantity: number;
  addedAt: Date;
  sku: SellableSku | null;
  problem: LineProblem | null;
}

export interface CartView {
  buyerId: string;
  currency: string;
  lines: CartLineView[];
  code: string | null;
  loyaltyPoints: number;
  priced: PricedCart;
  /** true when every line can be bought as shown */
  ready: boolean;
  /**
   * A fingerprint of everything the buyer is shown (lines, prices, stock problems, incentives,
   * totals). Checkout takes it back and refuses if the cart would now be priced differently.
   */
  previewToken: string;
}

type CartRow = typeof cartLines.$inferSelect;

/** The cart as checkout locked it: the row (absent: never used) and its lines, oldest first. */
export interface LockedCart {
  cart: { code: string | null; loyaltyPoints: number } | undefined;
  rows: CartRow[];
}

// Two statements on purpose: under READ COMMITTED a statement that waits for the cart's lock
// re-reads only the locked row, so lines read in the same statement could be ones a checkout
// ahead of it has already ordered and deleted (one cart, two checkouts). The lines are read by
// the next statement, which sees everything committed before it.
const LOCK_CART = {
  name: 'cart-lock-for-checkout',
  text: 'select code, loyalty_points from carts where buyer_id = $1 for update',
};
const CART_LINES = {
  name: 'cart-lines-for-checkout',
  text: `select sku_id, quantity, added_at from cart_lines
          where buyer_id = $1
          order by added_at, sku_id`,
};

// The preview reads the cart and its lines in one statement (one round trip, one snapshot, no
// query building per request): a cart without lines is one row with null line columns, no cart
// row is no row at all (never used: an empty cart).
const CART_WITH_LINES = {
  name: 'cart-with-lines',
  text: `select c.code, c.loyalty_points, l.sku_id, l.quantity, l.added_at
           from carts c left join cart_lines l on l.buyer_id = c.buyer_id
          where c.buyer_id = $1
          order by l.added_at, l.sku_id`,
};

export function createCartService(deps: {
  db: Database;
  clock: Clock;
  promotions: PromotionsService;
  sellableSkus: (
    tx: Database,
    skuIds: string[],
    opts?: { lock?: boolean },
  ) => Promise<Map<string, SellableSku>>;
  maxQuantity: number;
  /** Told of every add in the adding transaction (recommendations records it as a signal). */
  itemAdded?: (tx: Database, added: { buyerId: string; productId: string; at: Date }) => Promise<void>;
}) {
  const { db, clock, promotions } = deps;

  /** The buyer's cart row, created on first use and locked for this transaction. */
  async function lockCart(tx: Database, buyerId: string) {
    await tx.insert(carts).values({ buyerId, updatedAt: clock.now() }).onConflictDoNothing();
    const [row] = await tx.select().from(carts).where(eq(carts.buyerId, buyerId)).for('update');
    return row!;
  }

  const touch = (tx: Database, buyerId: string) =>
    tx.update(carts).set({ updatedAt: clock.now() }).where(eq(carts.buyerId, buyerId));

  function checkQuantity(quantity: number) {
    if (quantity > deps.maxQuantity) {
      throw new AppError('QUANTITY_LIMIT', 422, `At most ${deps.maxQuantity} of one item per order.`, {
        field: 'quantity',
      });
    }
  }

  function checkSellable(sku: SellableSku | undefined, quantity: number, existingCurrency: string | null) {
    if (!sku)
      throw new AppError('SKU_NOT_FOUND', 422, 'sku_id is not a product variant we know.', {
        field: 'sku_id',
      });
    if (sku.unavailable)
      throw new AppError('SKU_NOT_AVAILABLE', 422, 'This item is not for sale right now.', {
        field: 'sku_id',
      });
    if (existingCurrency && sku.currency !== existingCurrency) {
      throw conflict(
        'CURRENCY_MISMATCH',
        `Your cart is in ${existingCurrency}; this item is priced in ${sku.currency}.`,
      );
    }
    if (sku.stock < quantity) {
      const out = sku.stock === 0;
      throw new AppError(
        out ? 'OUT_OF_STOCK' : 'INSUFFICIENT_STOCK',
        409,
        out ? 'This item is out of stock.' : `Only ${sku.stock} left.`,
        { field: 'quantity' },
      );
    }
  }

  /**
   * Read the cart with live prices and stock, flag what cannot be bought, and price the rest with
   * the one pricing engine. Checkout (next issue) calls this same function inside its transaction.
   */
  async function view(tx: Database, buyerId: string, locked?: LockedCart): Promise<CartView> {
    let cart: { code: string | null; loyaltyPoints: number } | undefined;
    let rows: CartRow[];
    if (locked) ({ cart, rows } = locked);
    else {
      const found = await rawQuery<{
        code: string | null;
        loyalty_points: number;
        sku_id: string | null;
        quantity: number | null;
        added_at: Date | null;
      }>(tx, CART_WITH_LINES, [buyerId]);
      cart = found[0] && { code: found[0].code, loyaltyPoints: found[0].loyalty_points };
      rows = found
        .filter((l) => l.sku_id !== null)
        .map((l) => ({ buyerId, skuId: l.sku_id!, quantity: l.quantity!, addedAt: l.added_at! }));
    }
    // Checkout locks the SKUs with this same read (in id order), so the prices and stock it
    // re-prices with cannot change before its writes.
    const skus = await deps.sellableSkus(
      tx,
      rows.map((r) => r.skuId),
      { lock: Boolean(locked) },
    );
    const currency = rows.map((r) => skus.get(r.skuId)?.currency).find((c) => c !== undefined) ?? 'TZS';
    const lines: CartLineView[] = rows.map((r) => {
      const sku = skus.get(r.skuId) ?? null;
      let problem: LineProblem | null = null;
      if (!sku) problem = 'SKU_NOT_FOUND';
      else if (sku.unavailable) problem = sku.unavailable;
      else if (sku.sellerId === buyerId) problem = 'SELF_PURCHASE';
      else if (sku.currency !== currency) problem = 'CURRENCY_MISMATCH';
      else if (sku.stock === 0) problem = 'OUT_OF_STOCK';
      else if (sku.stock < r.quantity) problem = 'INSUFFICIENT_STOCK';
      return { skuId: r.skuId, quantity: r.quantity, addedAt: r.addedAt, sku, problem };
    });
    const priceable: PricingLine[] = lines
      .filter((l) => l.problem === null)
      .map((l) => ({
        skuId: l.skuId,
        productId: l.sku!.productId,
        sellerId: l.sku!.sellerId,
        brandId: l.sku!.brandId,
        categoryIds: l.sku!.categoryIds,
        unitPrice: l.sku!.unitPrice,
        quantity: l.quantity,
      }));
    const input = await promotions.pricingInput(tx, {
      buyerId,
      lines: priceable,
      code: cart?.code ?? null,
      requestedPoints: cart?.loyaltyPoints ?? 0,
      currency,
    });
    const priced = priceCart(input);
    const fingerprint = JSON.stringify([
      currency,
      lines.map((l) => [l.skuId, l.quantity, l.sku?.unitPrice ?? null, l.problem]),
      priced.lines,
      priced.code,
      priced.loyalty,
      priced.totals,
    ]);
    return {
      buyerId,
      currency,
      lines,
      code: cart?.code ?? null,
      loyaltyPoints: cart?.loyaltyPoints ?? 0,
      priced,
      ready: lines.length > 0 && lines.every((l) => l.problem === null),
      previewToken: sha256Hex(fingerprint).slice(0, 32),
    };
  }

  /** An emptied cart: no lines, no code, no points (the caller holds the cart's lock). */
  const clearDraft = (buyerId: string): BatchPart[] => [
    { delete: cartLines, where: { buyerId } },
    { update: carts, set: { code: null, loyaltyPoints: 0, updatedAt: clock.now() }, where: { buyerId } },
  ];

  return {
    view: (buyerId: string, tx: Database = db) => view(tx, buyerId),

    /** The sellers of the cart's items, without pricing it (checkout quotes delivery per seller). */
    async sellersOf(buyerId: string) {
      const rows = await db
        .select({ skuId: cartLines.skuId })
        .from(cartLines)
        .where(eq(cartLines.buyerId, buyerId));
      const skus = await deps.sellableSkus(
        db,
        rows.map((r) => r.skuId),
      );
      return [...new Set([...skus.values()].map((s) => s.sellerId))];
    },

    /**
     * Checkout: lock the buyer's cart for this transaction, then read its lines. No cart row
     * means nothing was ever added: an empty cart.
     */
    async lockForCheckout(tx: Database, buyerId: string): Promise<LockedCart> {
      const [locked] = await rawQuery<{ code: string | null; loyalty_points: number }>(tx, LOCK_CART, [
        buyerId,
      ]);
      if (!locked) return { cart: undefined, rows: [] };
      const lines = await rawQuery<{ sku_id: string; quantity: number; added_at: Date }>(tx, CART_LINES, [
        buyerId,
      ]);
      return {
        cart: { code: locked.code, loyaltyPoints: locked.loyalty_points },
        rows: lines.map((l) => ({ buyerId, skuId: l.sku_id, quantity: l.quantity, addedAt: l.added_at })),
      };
    },

    /** Checkout's preview: the same pricing as `view`, from the locked cart, locking its SKUs. */
    viewLocked: (tx: Database, buyerId: string, locked: LockedCart) => view(tx, buyerId, locked),

    /** Checkout's clean-up, as parts of its one batched write (the cart's lock is already held). */
    clearDraft,

    async addItem(buyerId: string, skuId: string, quantity: number) {
      return db.transaction(async (tx) => {
        await lockCart(tx, buyerId);
        const lines = await tx
          .select()
          .from(cartLines)
          .where(eq(cartLines.buyerId, buyerId))
          .orderBy(asc(cartLines.addedAt), asc(cartLines.skuId));
        const existing = lines.find((l) => l.skuId === skuId);
        if (!existing && lines.length >= MAX_CART_LINES)
          throw conflict('CART_FULL', `A cart holds at most ${MAX_CART_LINES} different items.`);
        const total = (existing?.quantity ?? 0) + quantity;
        checkQuantity(total);
        // One lookup for the new SKU and one existing line (enough to know the cart's currency).
        const other = lines.find((l) => l.skuId !== skuId)?.skuId;
        const skus = await deps.sellableSkus(tx, other ? [skuId, other] : [skuId]);
        const sku = skus.get(skuId);
        if (sku?.sellerId === buyerId)
          throw new AppError('SELF_PURCHASE', 422, 'You cannot buy your own products.', { field: 'sku_id' });
        checkSellable(sku, total, other ? (skus.get(other)?.currency ?? null) : null);
        await tx
          .insert(cartLines)
          .values({ buyerId, skuId, quantity, addedAt: clock.now() })
          .onConflictDoUpdate({
            target: [cartLines.buyerId, cartLines.skuId],
            set: { quantity: sql`${cartLines.quantity} + ${quantity}` },
          });
        await touch(tx, buyerId);
        if (sku && deps.itemAdded)
          await deps.itemAdded(tx, { buyerId, productId: sku.productId, at: clock.now() });
        return view(tx, buyerId);
      });
    },

    async setQuantity(buyerId: string, skuId: string, quantity: number) {
      checkQuantity(quantity);
      return db.transaction(async (tx) => {
        await lockCart(tx, buyerId);
        const [line] = await tx
          .select()
          .from(cartLines)
          .where(and(eq(cartLines.buyerId, buyerId), eq(cartLines.skuId, skuId)));
        if (!line) throw notFound('Cart line');
        const sku = (await deps.sellableSkus(tx, [skuId])).get(skuId);
        // Lowering a quantity is always allowed (it is how a buyer fixes a short line); raising needs stock.
        if (quantity > line.quantity && sku && sku.stock < quantity) {
          throw new AppError(
            sku.stock === 0 ? 'OUT_OF_STOCK' : 'INSUFFICIENT_STOCK',
            409,
            `Only ${sku.stock} left.`,
            { field: 'quantity' },
          );
        }
        await tx
          .update(cartLines)
          .set({ quantity })
          .where(and(eq(cartLines.buyerId, buyerId), eq(cartLines.skuId, skuId)));
        await touch(tx, buyerId);
        return view(tx, buyerId);
      });
    },

    async removeItem(buyerId: string, skuId: string) {
      return db.transaction(async (tx) => {
        await lockCart(tx, buyerId);
        const removed = await tx
          .delete(cartLines)
          .where(and(eq(cartLines.buyerId, buyerId), eq(cartLines.skuId, skuId)))
          .returning();
        if (!removed.length) throw notFound('Cart line');
        await touch(tx, buyerId);
        return view(tx, buyerId);
      });
    },

    /** Empty the cart (the buyer's own call; checkout empties it with `clearDraft`). */
    async clear(buyerId: string) {
      await db.transaction(async (t) => {
        await lockCart(t, buyerId);
        await writeBatch(t, clearDraft(buyerId));
      });
      return view(db, buyerId);
    },

    /** Keep a code on the cart. An unknown code is refused here; a known one that does not apply is explained in the preview. */
    async applyCode(buyerId: string, code: string) {
      const found = await promotions.findCode(code);
      if (!found)
        throw new AppError('CODE_NOT_FOUND', 422, 'This discount code does not exist.', { field: 'code' });
      return db.transaction(async (tx) => {
        await lockCart(tx, buyerId);
        await tx
          .update(carts)
          .set({ code: found.code, updatedAt: clock.now() })
          .where(eq(carts.buyerId, buyerId));
        return view(tx, buyerId);
      });
    },

    async removeCode(buyerId: string) {
      return db.transaction(async (tx) => {
        await lockCart(tx, buyerId);
        await tx.update(carts).set({ code: null, updatedAt: clock.now() }).where(eq(carts.buyerId, buyerId));
        return view(tx, buyerId);
      });
    },

    async setLoyaltyPoints(buyerId: string, points: number) {
      return db.transaction(async (tx) => {
        await lockCart(tx, buyerId);
        await tx
          .update(carts)
          .set({ loyaltyPoints: points, updatedAt: clock.now() })
          .where(eq(carts.buyerId, buyerId));
        return view(tx, buyerId);
      });
    },

    async lineCount(buyerId: string) {
      const [r] = await db.select({ n: count() }).from(cartLines).where(eq(cartLines.buyerId, buyerId));
      return r?.n ?? 0;
    },
  };
}

export type CartService = ReturnType<typeof createCartService>;
