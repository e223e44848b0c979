// `context=home | product:{uuid} | cart`, parsed once. Pure.
import { z } from 'zod';

export type RecContext = { kind: 'home' } | { kind: 'cart' } | { kind: 'product'; productId: string };

export const BLOCK_KINDS = [
  'buy_again',
  'bought_together',
  'popular_near_you',
  'recently_viewed',
  'category_fallback',
] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];

const uuid = z.uuid();

export function parseContext(raw: string): RecContext | null {
  if (raw === 'home') return { kind: 'home' };
  if (raw === 'cart') return { kind: 'cart' };
  if (raw.startsWith('product:')) {
    const id = raw.slice('product:'.length);
    return uuid.safeParse(id).success ? { kind: 'product', productId: id.toLowerCase() } : null;
  }
  return null;
}

/** Which blocks a context shows, in order. */
export function blocksFor(ctx: RecContext): BlockKind[] {
  switch (ctx.kind) {
    case 'home':
      return ['buy_again', 'bought_together', 'popular_near_you', 'recently_viewed', 'category_fallback'];
    case 'product':
      return ['bought_together', 'popular_near_you', 'recently_viewed', 'category_fallback'];
    case 'cart':
      return ['bought_together', 'buy_again', 'popular_near_you', 'category_fallback'];
  }
}
