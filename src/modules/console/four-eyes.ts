// The four-eyes gate of every money command an admin can give, from the console or the admin API:
// it works out what the command would pay out, runs it when that is within FOUR_EYES_ABOVE_MINOR,
// and otherwise records a pending approval that a second admin must approve (approvals-service.ts).
// The API used to run these commands for one admin at any amount; both doors now pass here.

import { AppError, conflict, notFound, unprocessable } from '../../shared/errors.js';
import type { Gated } from '../../shared/four-eyes.js';
import type { DISPUTE_FAULTS, DISPUTE_RESOLUTIONS, OrdersService } from '../orders/index.js';
import { decide, ORDER_MACHINE } from '../orders/index.js';
import type { PaymentsService } from '../payments/index.js';
import type { ConsoleApprovals, PayoutParty } from './approvals-service.js';
import { money } from './layout.js';

type Payments = Pick<PaymentsService, 'requestPayout' | 'retryRefund' | 'disbursement'>;
type Orders = Pick<OrdersService, 'resolveDispute' | 'act' | 'disputeOf' | 'view'>;
type Disbursement = Awaited<ReturnType<PaymentsService['retryRefund']>>;
type Dispute = Awaited<ReturnType<OrdersService['resolveDispute']>>;
type Order = Awaited<ReturnType<OrdersService['act']>>;

export interface DisputeResolutionInput {
  resolution: (typeof DISPUTE_RESOLUTIONS)[number];
  amount?: number | undefined;
  note: string;
  fault?: (typeof DISPUTE_FAULTS)[number] | undefined;
}

/** The admin order events that may pay money back (record_return never does). */
export type RefundingOrderEvent = 'cancel' | 'refund_undeliverable';

export function createFourEyes(deps: { approvals: ConsoleApprovals; payments: Payments; orders: Orders }) {
  const { approvals, payments, orders } = deps;
  const admin = (userId: string) => ({ userId, role: 'admin' as const });

  /**
   * What a refund resolution would pay back, checked as far as it can be before it waits for a
   * second admin (the orders command checks it all again when it runs): an open dispute, whose
   * fault it was, a partial amount within what the goods cost.
   */
  async function disputeRefund(disputeId: string, input: DisputeResolutionInput, adminId: string) {
    if (input.resolution === 'release_to_seller') return 0;
    const { dispute: d } = await orders.disputeOf(disputeId);
    if (d.status !== 'open') throw conflict('DISPUTE_CLOSED', 'This dispute is already resolved.');
    if (!input.fault)
      throw unprocessable('FAULT_REQUIRED', 'fault', 'Say whose fault it was: seller, rider or none.');
    const { order: o } = await orders.view(d.orderId, admin(adminId));
    if (input.fault === 'rider' && !o.riderId)
      throw unprocessable('INVALID_FAULT', 'fault', 'No rider carried this order.');
    if (input.resolution === 'full_refund') return o.finalAmount + o.deliveryFee;
    if (input.amount === undefined)
      throw unprocessable('AMOUNT_REQUIRED', 'amount', 'A partial refund needs its amount.');
    if (input.amount <= 0 || input.amount > o.finalAmount)
      throw new AppError(
        'INVALID_REFUND_AMOUNT',
        422,
        `A partial refund is between 1 and ${money(o.finalAmount, o.currency)} (what the buyer paid for the goods).`,
        { field: 'amount' },
      );
    return input.amount;
  }

  return {
    async payout(
      party: PayoutParty,
      partyId: string,
      by: { userId: string; reason: string },
    ): Promise<Gated<Disbursement>> {
      const amount = await approvals.available(party, partyId);
      if (approvals.needsApproval(amount)) {
        const a = await approvals.request({
          kind: 'payout',
          targetId: partyId,
          party,
          amount,
          reason: by.reason,
          requestedBy: by.userId,
        });
        return { approval: a };
      }
      return { done: await payments.requestPayout(partyId, by, party) };
    },

    async retryRefund(id: string, adminId: string, reason: string): Promise<Gated<Disbursement>> {
      // By id, never from a capped list: a refund missing from a list must not skip the gate.
      const refund = await payments.disbursement(id);
      if (refund?.kind !== 'refund') throw notFound('Refund');
      if (approvals.needsApproval(refund.amount)) {
        const a = await approvals.request({
          kind: 'refund_retry',
          targetId: id,
          party: null,
          amount: refund.amount,
          reason,
          requestedBy: adminId,
        });
        return { approval: a };
      }
      return { done: await payments.retryRefund(id, adminId, reason) };
    },

    async resolveDispute(
      disputeId: string,
      adminId: string,
      input: DisputeResolutionInput,
    ): Promise<Gated<Dispute>> {
      const refund = await disputeRefund(disputeId, input, adminId);
      if (input.resolution !== 'release_to_seller' && approvals.needsApproval(refund)) {
        const a = await approvals.request({
          kind: 'dispute_refund',
          targetId: disputeId,
          party: null,
          amount: refund,
          reason: input.note,
          requestedBy: adminId,
          details: {
            resolution: input.resolution,
            ...(input.amount === undefined ? {} : { amount: input.amount }),
            fault: input.fault!,
          },
        });
        return { approval: a };
      }
      return { done: await orders.resolveDispute(disputeId, adminId, input) };
    },

    async orderAct(
      orderId: string,
      event: RefundingOrderEvent,
      adminId: string,
      reason: string,
    ): Promise<Gated<Order>> {
      // What this would pay back now: the whole escrow when the machine allows the event and it
      // refunds; nothing otherwise (an unpaid cancellation, or a state the command will refuse).
      const { order: o } = await orders.view(orderId, admin(adminId));
      const t = ORDER_MACHINE[event];
      const refunds =
        decide(o.status, event, 'admin').ok && (t.effects as readonly string[]).includes('refund_escrow');
      const refund = refunds ? o.finalAmount + o.deliveryFee : 0;
      if (approvals.needsApproval(refund)) {
        const a = await approvals.request({
          kind: 'order_refund',
          targetId: orderId,
          party: null,
          amount: refund,
          reason,
          requestedBy: adminId,
          details: { event },
        });
        return { approval: a };
      }
      return { done: await orders.act(orderId, event, admin(adminId), reason) };
    },
  };
}

export type FourEyes = ReturnType<typeof createFourEyes>;
