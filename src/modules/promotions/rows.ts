// This module's rows, and how they read as the pricing engine's values (pure, no I/O).
import type { DiscountValue, PromotionScope } from './pricing.js';
import type { discountCodes, promotions } from './schema.js';

export type Promotion = typeof promotions.$inferSelect;
export type DiscountCode = typeof discountCodes.$inferSelect;

/** Codes are matched without case and without spaces: "karibu 10" is KARIBU10. */
export function normalizeCode(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}

export const discountValueOf = (r: {
  valueKind: 'percentage' | 'fixed';
  percentBp: number | null;
  capAmount: number | null;
  fixedAmount: number | null;
}): DiscountValue =>
  r.valueKind === 'percentage'
    ? { kind: 'percentage', percentBp: r.percentBp!, capAmount: r.capAmount }
    : { kind: 'fixed', amount: r.fixedAmount! };

export const scopeOf = (p: Promotion): PromotionScope =>
  p.scopeType === 'all' ? { type: 'all' } : { type: p.scopeType, id: p.scopeId! };
