/**
 * Money is integer minor units, but TZS and KES move by mobile money only in whole shillings
 * (M-Pesa takes no cents). Amounts people enter — prices, fixed discounts, caps, budgets, fees,
 * refunds — are therefore whole shillings, and pricing keeps every derived amount whole.
 */
export const MONEY_UNIT = 100;

export const WHOLE_SHILLINGS = `must be whole shillings (a multiple of ${MONEY_UNIT} minor units): mobile money moves no cents`;
