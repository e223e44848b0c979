// The promotions service: one object composed of its use cases, each in its own file — admin
// (promotions and codes), candidates (the pricing engine's inputs), budget (burning and giving
// back at checkout) and loyalty (points). Callers see the same service as before.
import { createPromotionsAdmin } from './admin.js';
import { createBudget } from './budget.js';
import { createCandidates } from './candidates.js';
import type { PromotionsDeps } from './deps.js';
import { createLoyalty } from './loyalty.js';

export type { CodeInput, PromotionInput, ScopeInput, ValueInput } from './admin.js';
export { type BurnRequest, NoFreeBudgetSlice } from './budget.js';
export type { LoyaltyRules, PromotionsDeps } from './deps.js';
export { type DiscountCode, discountValueOf, normalizeCode, type Promotion, scopeOf } from './rows.js';

export function createPromotionsService(deps: PromotionsDeps) {
  const loyalty = createLoyalty(deps);
  // Checkout's redeem and cancellation's refund reach points through the budget, not the service.
  const { redeem, refundRedeems, loyaltyBalance, ...loyaltyUseCases } = loyalty;
  return {
    loyaltyRules: deps.loyalty,
    ...createPromotionsAdmin(deps),
    ...createCandidates(deps, loyalty),
    ...createBudget(deps, loyalty),
    ...loyaltyUseCases,
  };
}

export type PromotionsService = ReturnType<typeof createPromotionsService>;
