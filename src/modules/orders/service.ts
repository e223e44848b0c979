// The orders service: composes the use cases, one file each (checkout, payment, transitions,
// delivery, timers, disputes, queries, balances). The object it returns is the module's API.
import { createBalances } from './balances.js';
import { createCheckout } from './checkout.js';
import { createCodeChecks } from './codes.js';
import { createDelivery } from './delivery.js';
import { createDisputes } from './disputes.js';
import { createPayment } from './payment.js';
import type { OrdersDeps } from './ports.js';
import { createQueries } from './queries.js';
import { createSellerDisabled } from './seller-disabled.js';
import { createTimers } from './timers.js';
import { createTransitions } from './transitions.js';

export type { CheckoutRequest } from './checkout.js';
export type { Actor, Checkout, DeliveryProof, Dispute, Order, OrderSettings, OrdersDeps } from './ports.js';

export function createOrdersService(deps: OrdersDeps) {
  const transitions = createTransitions(deps);
  const codes = createCodeChecks(deps);
  const checkout = createCheckout(deps);
  const payment = createPayment(deps, transitions);
  const timers = createTimers(deps, transitions);
  const delivery = createDelivery(deps, transitions, codes);
  const disputes = createDisputes(deps, transitions);
  const queries = createQueries(deps);
  const balances = createBalances(deps);
  const sellerStops = createSellerDisabled(transitions);

  return {
    settings: deps.settings,
    checkout: checkout.checkout,
    findCheckout: queries.findCheckout,
    getCheckout: queries.getCheckout,
    markPaid: payment.markPaid,
    confirmPayment: payment.confirmPayment,
    expireCheckout: timers.expireCheckout,
    checkHandoverCode: codes.checkHandoverCode,
    riderPickUp: delivery.riderPickUp,
    riderFailDelivery: delivery.riderFailDelivery,
    riderRetryDelivery: delivery.riderRetryDelivery,
    riderReturnToSeller: delivery.riderReturnToSeller,
    checkReturnCode: delivery.checkReturnCode,
    riderRecordReturn: delivery.riderRecordReturn,
    redeliveryDeadline: timers.redeliveryDeadline,
    sellerDeadline: timers.sellerDeadline,
    remindSeller: timers.remindSeller,
    autoComplete: timers.autoComplete,
    sellerDisabled: sellerStops.sellerDisabled,
    act: transitions.act,
    checkDeliveryCode: codes.checkDeliveryCode,
    deliver: delivery.deliver,
    openDispute: disputes.openDispute,
    addDisputeEvidence: disputes.addDisputeEvidence,
    resolveDispute: disputes.resolveDispute,
    disputeOf: disputes.disputeOf,
    listDisputes: disputes.listDisputes,
    view: queries.view,
    statusAndSellerOf: queries.statusAndSellerOf,
    list: queries.list,
    onTimeRate: queries.onTimeRate,
    sellerBalance: balances.sellerBalance,
    /** The whole-ledger reconciliation (`src/reconcile.ts`), as the app composed it. */
    reconcile: deps.reconcileLedger,
    escrowProblems: balances.escrowProblems,
    requestHash: checkout.requestHash,
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
