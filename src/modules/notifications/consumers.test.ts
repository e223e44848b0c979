import { describe, expect, it } from 'vitest';
import {
  acceptReminderEvents,
  type ConsumedMessages,
  collectionEvents,
  disbursementFailedEvents,
  disbursementSentEvents,
  dispatchWaitEvents,
  kycEvents,
  orderChangeEvents as orderChangeEventsIn,
  payoutStuckEvents,
  productDecisionEvents,
  riderAssignedEvents,
  riderDecisionEvents,
  riderReleasedEvents,
  UNNAMED_RIDER,
  ussdReceiptEvents,
} from './consumers.js';
import { deliveriesOf, notificationEventSchema } from './events.js';
import { formatBasisPoints } from './format.js';
import { render } from './render.js';
import { maskPhone } from './rules.js';

// Pure: each message another module sends → the notification events it causes → who gets which
// template. Every produced event must pass the events' own schema (what notify() parses).

const ORDER = '0190a0b0-0000-7000-8000-000000000001';
const BUYER = '0190a0b0-0000-7000-8000-0000000000b1';
const SELLER = '0190a0b0-0000-7000-8000-0000000000c1';
const CHECKOUT = '0190a0b0-0000-7000-8000-0000000000d1';
const AT = '2026-12-04T09:00:00.000Z';
const RIDER = '0190a0b0-0000-7000-8000-0000000000e1';
/** REFUND_PROMISE_HOURS as configured by default */
const CTX = { refundPromiseHours: 24 };
const orderChangeEvents = (p: Parameters<typeof orderChangeEventsIn>[0]) => orderChangeEventsIn(p, CTX);

const change = (over: Partial<ConsumedMessages['order.status_changed']>) => ({
  eventId: 'ev-1',
  orderId: ORDER,
  buyerId: BUYER,
  sellerId: SELLER,
  event: 'confirm_payment',
  by: 'system',
  from: 'pending_payment',
  to: 'paid',
  at: AT,
  amount: 1_250_000,
  sellerAmount: 1_300_000,
  acceptBy: '2026-12-04T09:30:00.000Z',
  readyBy: '2026-12-04T11:30:00.000Z',
  promisedBy: null,
  disputeUntil: null,
  deliveryCode: null,
  refund: null,
  latePoints: null,
  loyaltyPoints: null,
  ...over,
});

/** (type, recipient, template) of every message the events make, the events checked by their schema. */
function told(events: ReturnType<typeof orderChangeEvents>) {
  return events.flatMap((e) => {
    const parsed = notificationEventSchema.parse(e);
    return deliveriesOf(parsed).map((d) => [
      parsed.type,
      d.to === 'admins' ? 'admins' : d.to.userIds.join(','),
      d.template,
    ]);
  });
}

describe('an order change → what buyer and seller hear', () => {
  it('paid: the buyer hears the payment, the seller the new order with its deadlines, the buyer the code', () => {
    const events = orderChangeEvents(change({ deliveryCode: '4821' }));
    expect(told(events)).toEqual([
      ['order.paid', BUYER, 'buyer.payment_received'],
      ['order.paid', SELLER, 'seller.new_order'],
      ['order.delivery_code_issued', BUYER, 'buyer.delivery_code'],
    ]);
    // One id per change: a retried job notifies the same event, which writes nothing twice.
    expect(new Set(events.map((e) => e.id))).toEqual(new Set(['order-event:ev-1']));
    const seller = deliveriesOf(notificationEventSchema.parse(events[0]))[1]!;
    const sw = render(seller.template, 'sw', seller.values).body;
    expect(sw).toContain('TZS 13,000');
    expect(sw).toContain('12:30 04/12/2026'); // accept by, in Dar es Salaam time
    expect(sw).toContain('14:30 04/12/2026'); // ready by
    expect(render(seller.template, 'en', seller.values).body).toMatch(/^K'KOO: New paid order/);
  });

  it('accepted, ready, delivered (and late), disputed, resolved and completed each tell the buyer', () => {
    expect(told(orderChangeEvents(change({ event: 'accept', from: 'paid', to: 'accepted' })))).toEqual([
      ['order.accepted', BUYER, 'buyer.order_accepted'],
    ]);
    expect(
      told(orderChangeEvents(change({ event: 'mark_ready', from: 'accepted', to: 'ready_for_pickup' }))),
    ).toEqual([['order.ready', BUYER, 'buyer.order_ready']]);
    expect(
      told(
        orderChangeEvents(
          change({
            event: 'deliver',
            from: 'out_for_delivery',
            to: 'delivered',
            disputeUntil: '2026-12-06T09:00:00.000Z',
            latePoints: 50,
          }),
        ),
      ),
    ).toEqual([
      ['order.delivered', BUYER, 'buyer.order_delivered'],
      ['order.delivered_late', BUYER, 'buyer.order_late'],
    ]);
    expect(
      told(orderChangeEvents(change({ event: 'open_dispute', from: 'delivered', to: 'disputed' }))),
    ).toEqual([
      ['dispute.opened', BUYER, 'buyer.dispute_opened'],
      ['dispute.opened', SELLER, 'seller.dispute_opened'],
    ]);
    expect(
      told(
        orderChangeEvents(
          change({
            event: 'resolve_partial_refund',
            from: 'disputed',
            to: 'resolved',
            refund: { amount: 500_000, phone: '+255712000001' },
          }),
        ),
      ),
    ).toEqual([['dispute.resolved', BUYER, 'buyer.dispute_resolved']]);
    expect(
      told(
        orderChangeEvents(
          change({ event: 'confirm_receipt', from: 'delivered', to: 'completed', loyaltyPoints: 12 }),
        ),
      ),
    ).toEqual([['loyalty.points_earned', BUYER, 'buyer.loyalty_earned']]);
    // No points, nothing to say; a move nobody needs to hear of says nothing.
    expect(orderChangeEvents(change({ event: 'auto_complete', from: 'delivered', to: 'completed' }))).toEqual(
      [],
    );
    expect(
      orderChangeEvents(change({ event: 'pick_up', from: 'ready_for_pickup', to: 'out_for_delivery' })),
    ).toEqual([]);
  });

  it('cancelled or rejected with a refund: the buyer hears amount, number and when; a no-show seller its strike', () => {
    const refund = { amount: 1_250_000, phone: '+255712000001' };
    expect(
      told(
        orderChangeEvents(change({ event: 'cancel', by: 'buyer', from: 'paid', to: 'cancelled', refund })),
      ),
    ).toEqual([
      ['order.cancelled', BUYER, 'buyer.order_cancelled'],
      ['order.cancelled', SELLER, 'seller.order_cancelled_by_buyer'],
    ]);
    expect(
      told(
        orderChangeEvents(change({ event: 'reject', by: 'seller', from: 'paid', to: 'rejected', refund })),
      ),
    ).toEqual([['order.cancelled', BUYER, 'buyer.order_rejected']]);
    const noShow = orderChangeEvents(
      change({ event: 'seller_no_show', from: 'paid', to: 'cancelled', refund }),
    );
    expect(told(noShow)).toEqual([
      ['order.cancelled', BUYER, 'buyer.order_rejected'],
      ['order.cancelled', SELLER, 'seller.order_auto_cancelled'],
    ]);
    const buyerMsg = deliveriesOf(notificationEventSchema.parse(noShow[0]))[0]!;
    const en = render(buyerMsg.template, 'en', buyerMsg.values).body;
    expect(en).toContain('TZS 12,500');
    expect(en).toContain(maskPhone('+255712000001')!); // the number, masked
    expect(en).not.toContain('+255712000001');
    // Promised within REFUND_PROMISE_HOURS of the change, in Dar es Salaam time.
    expect(CTX.refundPromiseHours).toBe(24);
    expect(en).toContain('12:00 05/12/2026');
    // An unpaid order cancelled owes nothing and says nothing.
    expect(orderChangeEvents(change({ event: 'expire', from: 'pending_payment', to: 'cancelled' }))).toEqual(
      [],
    );
  });
});

describe('settings and facts the order change carries', () => {
  const refund = { amount: 1_250_000, phone: '+255712000001' };
  const rendered = (events: ReturnType<typeof orderChangeEvents>, i: number, lang: 'en' | 'sw' = 'en') => {
    const d = deliveriesOf(notificationEventSchema.parse(events[0]!))[i]!;
    return render(d.template, lang, d.values).body;
  };

  it('the refund promise is REFUND_PROMISE_HOURS after the change, not a constant', () => {
    const cancel = change({ event: 'cancel', by: 'buyer', from: 'paid', to: 'cancelled', refund });
    expect(rendered(orderChangeEventsIn(cancel, { refundPromiseHours: 24 }), 0)).toContain(
      '12:00 05/12/2026',
    );
    expect(rendered(orderChangeEventsIn(cancel, { refundPromiseHours: 72 }), 0)).toContain(
      '12:00 07/12/2026',
    );
  });

  it("a no-show notice says the seller's real strike count", () => {
    const noShow = (sellerStrikes?: number | null) =>
      orderChangeEvents(
        change({ event: 'seller_no_show', from: 'paid', to: 'cancelled', refund, sellerStrikes }),
      );
    expect(rendered(noShow(3), 1)).toContain('You now have 3 strike(s)');
    expect(rendered(noShow(3), 1, 'sw')).toContain('Sasa una makosa 3');
    // A message queued before strikes were counted still reads as one.
    expect(rendered(noShow(undefined), 1)).toContain('You now have 1 strike(s)');
  });

  it("a rider's pickup tells the buyer the rider's first name and the promised time, once per change", () => {
    const pickup = change({
      eventId: 'ev-pick',
      event: 'pick_up',
      by: 'rider',
      from: 'ready_for_pickup',
      to: 'out_for_delivery',
      riderId: RIDER,
      promisedBy: '2026-12-04T10:00:00.000Z',
    });
    const events = orderChangeEventsIn(pickup, { ...CTX, riderFirstName: 'Juma' });
    expect(told(events)).toEqual([['order.picked_up', BUYER, 'buyer.order_with_rider']]);
    expect(rendered(events, 0, 'sw')).toContain('Juma anakuletea oda');
    expect(rendered(events, 0)).toContain('Promised by 13:00 04/12/2026');
    // The same change translated again (a retried job) is the same event: notify writes it once.
    expect(orderChangeEventsIn(pickup, { ...CTX, riderFirstName: 'Juma' })[0]!.id).toBe(events[0]!.id);
    // A rider without a display name is announced by the platform's name.
    expect(rendered(orderChangeEvents(pickup), 0)).toContain(`${UNNAMED_RIDER} is bringing order`);
    // The seller carrying it themselves (no rider), or no promised time: nothing to tell.
    expect(orderChangeEvents({ ...pickup, riderId: null })).toEqual([]);
    expect(orderChangeEvents({ ...pickup, promisedBy: null })).toEqual([]);
  });
});

describe('reminders, products and riders → who hears what', () => {
  it("the seller's accept reminder: one event per order, whatever the message's retries", () => {
    const p = { orderId: ORDER, sellerId: SELLER, acceptBy: '2026-12-04T09:30:00.000Z' };
    const events = acceptReminderEvents(p);
    expect(told(events)).toEqual([['order.accept_deadline_approached', SELLER, 'seller.accept_reminder']]);
    expect(acceptReminderEvents({ ...p }).map((e) => e.id)).toEqual(events.map((e) => e.id));
    const d = deliveriesOf(notificationEventSchema.parse(events[0]))[0]!;
    expect(render(d.template, 'en', d.values).body).toContain('before 12:30 04/12/2026');
  });

  it('a product decision reaches its seller, rejected with the reason; each decision its own event', () => {
    const base = { productId: ORDER, sellerId: SELLER, title: 'Kanga ya Pwani', reason: null };
    const verified = productDecisionEvents({ ...base, decisionId: 'd1', outcome: 'verified' });
    expect(told(verified)).toEqual([['product.verified', SELLER, 'seller.product_verified']]);
    const rejected = productDecisionEvents({
      ...base,
      decisionId: 'd2',
      outcome: 'rejected',
      reason: 'blurry photos',
    });
    expect(told(rejected)).toEqual([['product.rejected', SELLER, 'seller.product_rejected']]);
    const d = deliveriesOf(notificationEventSchema.parse(rejected[0]))[0]!;
    expect(render(d.template, 'en', d.values).body).toContain(
      'Kanga ya Pwani was not approved: blurry photos',
    );
    expect(verified[0]!.id).not.toBe(rejected[0]!.id);
  });

  it('a rider hears their verification, a rejection with its reason, a job assigned and a job released', () => {
    expect(
      told(riderDecisionEvents({ decisionId: 'r1', riderId: RIDER, outcome: 'verified', reason: null })),
    ).toEqual([['rider.verified', RIDER, 'rider.verified']]);
    const rejected = riderDecisionEvents({
      decisionId: 'r2',
      riderId: RIDER,
      outcome: 'rejected',
      reason: 'ID unreadable',
    });
    expect(told(rejected)).toEqual([['rider.rejected', RIDER, 'rider.rejected']]);
    const r = deliveriesOf(notificationEventSchema.parse(rejected[0]))[0]!;
    expect(render(r.template, 'en', r.values).body).toContain('not accepted: ID unreadable');
    const assigned = riderAssignedEvents({
      riderId: RIDER,
      orderId: ORDER,
      assignedAt: AT,
      pickupBy: '2026-12-04T09:30:00.000Z',
    });
    expect(told(assigned)).toEqual([['rider.job_assigned', RIDER, 'rider.job_assigned']]);
    const a = deliveriesOf(notificationEventSchema.parse(assigned[0]))[0]!;
    expect(render(a.template, 'sw', a.values).body).toContain('kabla ya 12:30 04/12/2026');
    const released = riderReleasedEvents({ riderId: RIDER, orderId: ORDER, releasedAt: AT });
    expect(told(released)).toEqual([['rider.job_released', RIDER, 'rider.job_released']]);
    // Assigned again later (a new assignment) is a new event; the same one retried is not.
    expect(riderAssignedEvents({ riderId: RIDER, orderId: ORDER, assignedAt: AT, pickupBy: AT })[0]!.id).toBe(
      assigned[0]!.id,
    );
  });
});

describe('operations alerts', () => {
  it('an order waiting in the dispatch queue alerts every admin, once per stay in the queue', () => {
    const p = { orderId: ORDER, queuedAt: AT, minutes: 15 };
    const events = dispatchWaitEvents(p);
    expect(told(events)).toEqual([['dispatch.wait_exceeded', 'admins', 'ops.dispatch_waiting']]);
    expect(dispatchWaitEvents({ ...p, minutes: 16 })[0]!.id).toBe(events[0]!.id);
    expect(dispatchWaitEvents({ ...p, queuedAt: '2026-12-04T10:00:00.000Z' })[0]!.id).not.toBe(events[0]!.id);
    const d = deliveriesOf(notificationEventSchema.parse(events[0]))[0]!;
    expect(render(d.template, 'en', d.values).body).toContain('has waited 15 minutes in the dispatch queue');
  });

  it('a payout not sent in time alerts every admin, once per payout, naming it as the console does', () => {
    const PAYOUT = '0190a0b0-0000-7000-8000-0000000000f1';
    const p = { disbursementId: PAYOUT, partyId: SELLER, amount: 25_000_00, since: AT };
    const events = payoutStuckEvents(p);
    expect(told(events)).toEqual([['payout.stuck', 'admins', 'ops.payout_stuck']]);
    expect(payoutStuckEvents({ ...p, amount: 1 })[0]!.id).toBe(events[0]!.id);
    const d = deliveriesOf(notificationEventSchema.parse(events[0]))[0]!;
    // 09:00 UTC is 12:00 in Dar es Salaam.
    expect(render(d.template, 'en', d.values).body).toBe(
      "K'KOO OPS: Payout P-0190A0B0 of TZS 25,000, requested 12:00 04/12/2026, is still not sent. Check it with the provider.",
    );
  });
});

describe('payments → what payer and payee hear', () => {
  it('a failed or timed-out push tells the buyer why; a success says nothing here (the order does)', () => {
    const base = {
      collectionId: 'c-1',
      checkoutId: CHECKOUT,
      buyerId: BUYER,
      amount: 1_250_000,
      reason: 'Insufficient balance',
    };
    expect(told(collectionEvents({ ...base, outcome: 'failed' }))).toEqual([
      ['payment.push_failed', BUYER, 'buyer.payment_failed'],
    ]);
    expect(collectionEvents({ ...base, outcome: 'timeout', reason: '' })[0]).toMatchObject({
      reason: 'the payment timed out',
    });
    expect(collectionEvents({ ...base, outcome: 'succeeded' })).toEqual([]);
  });

  it('refunds and payouts sent or failed reach the buyer, the payee or operations', () => {
    const sent = {
      disbursementId: 'd-1',
      partyId: BUYER,
      orderId: ORDER,
      amount: 900_000,
      phone: '+255712000001',
    };
    expect(told(disbursementSentEvents({ ...sent, kind: 'refund' }))).toEqual([
      ['refund.sent', BUYER, 'buyer.refund_sent'],
    ]);
    expect(told(disbursementSentEvents({ ...sent, kind: 'payout', partyId: SELLER, orderId: null }))).toEqual(
      [['payout.sent', SELLER, 'payee.payout_sent']],
    );
    // Money that bought nothing (no order) has no order to name.
    expect(disbursementSentEvents({ ...sent, kind: 'refund', orderId: null })).toEqual([]);
    const failed = {
      disbursementId: 'd-2',
      partyId: BUYER,
      orderId: ORDER,
      amount: 900_000,
      reason: 'timeout',
    };
    expect(told(disbursementFailedEvents({ ...failed, kind: 'refund', willRetry: true }))).toEqual([
      ['refund.delayed', BUYER, 'buyer.refund_delayed'],
    ]);
    expect(told(disbursementFailedEvents({ ...failed, kind: 'refund', willRetry: false }))).toEqual([
      ['refund.failed', 'admins', 'ops.refund_failed'],
    ]);
    expect(
      told(disbursementFailedEvents({ ...failed, kind: 'payout', partyId: SELLER, willRetry: false })),
    ).toEqual([['payout.failed', SELLER, 'payee.payout_failed']]);
    expect(disbursementFailedEvents({ ...failed, kind: 'payout', willRetry: true })).toEqual([]);
  });
});

describe('identity → what a seller hears of their KYC', () => {
  it('verified, or rejected with the reason; one event per submission', () => {
    const base = { submissionId: 's-1', userId: SELLER };
    expect(told(kycEvents({ ...base, outcome: 'verified', reason: null }))).toEqual([
      ['kyc.verified', SELLER, 'seller.kyc_verified'],
    ]);
    const rejected = kycEvents({ ...base, outcome: 'rejected', reason: 'ID photo unreadable' });
    expect(told(rejected)).toEqual([['kyc.rejected', SELLER, 'seller.kyc_rejected']]);
    const [d] = deliveriesOf(notificationEventSchema.parse(rejected[0]));
    expect(render(d!.template, 'en', d!.values).body).toContain('ID photo unreadable');
    expect(rejected[0]!.id).toBe('kyc:s-1');
  });
});

describe('a USSD confirmation or dispute → the buyer’s receipt', () => {
  it('confirmed shows the amount, disputed the reason, once per session and order', () => {
    const base = { sessionId: 'ATsess1', orderId: ORDER, buyerId: BUYER, amount: 1_300_000 };
    const c = ussdReceiptEvents({ ...base, action: 'confirmed', reason: null });
    expect(told(c)).toEqual([['ussd.receipt', BUYER, 'buyer.receipt_confirmed']]);
    expect(c[0]!.id).toBe(`ussd:ATsess1:${ORDER}`);
    const [dc] = deliveriesOf(notificationEventSchema.parse(c[0]));
    expect(render(dc!.template, 'sw', dc!.values).body).toMatch(
      /^K'KOO: Umethibitisha kupokea oda K-.+ \(TZS 13,000\)/,
    );
    const d = ussdReceiptEvents({ ...base, action: 'disputed', reason: 'Imeharibika' });
    expect(told(d)).toEqual([['ussd.receipt', BUYER, 'buyer.problem_reported']]);
    const [dd] = deliveriesOf(notificationEventSchema.parse(d[0]));
    expect(render(dd!.template, 'sw', dd!.values).body).toContain('(Imeharibika)');
  });
});

describe('basis points shown as a percentage, in integers', () => {
  it.each([
    [1234, '12.3%'],
    [1235, '12.4%'],
    [0, '0.0%'],
    [5, '0.1%'],
    [4, '0.0%'],
    [999, '10.0%'],
    [10_000, '100.0%'],
  ])('%i bp → %s', (bp, shown) => {
    expect(formatBasisPoints(bp)).toBe(shown);
  });

  it('refuses what is not a whole number of basis points', () => {
    for (const bad of [12.5, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => formatBasisPoints(bad)).toThrow(RangeError);
  });

  it('the provider-failure alert uses it', () => {
    const [d] = deliveriesOf(
      notificationEventSchema.parse({
        type: 'provider.failure_rate_crossed',
        id: 'p-1',
        provider: 'mpesa',
        rate_bp: 1234,
      }),
    );
    expect(d!.values.rate).toBe('12.3%');
  });
});
