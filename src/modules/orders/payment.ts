// A checkout's payment: every order to paid with its escrow held, exactly once.
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { conflict, notFound } from '../../shared/errors.js';
import type { Checkout, OrdersDeps } from './ports.js';
import { checkouts, orders } from './schema.js';
import type { Transitions } from './transitions.js';

export function createPayment(deps: OrdersDeps, { apply }: Pick<Transitions, 'apply'>) {
  const { db, clock, audit, ledger } = deps;

  /**
   * Pay a checkout inside the caller's transaction (the payments module's, which has just recorded
   * the money): every order goes to paid with its escrow held, exactly once. Never throws for a
   * checkout that cannot take the money; says why, so the caller refunds it in the same transaction.
   */
  async function markPaid(
    tx: Database,
    checkoutId: string,
    reference: string,
    /** when the payer was asked: a push started before expiry may be answered a little after it */
    startedAt?: Date,
  ): Promise<{ result: 'paid' | 'same_payment' | 'already_paid' | 'not_payable'; checkout: Checkout }> {
    const [c] = await tx.select().from(checkouts).where(eq(checkouts.id, checkoutId)).for('update');
    if (!c) throw notFound('Checkout');
    if (c.status === 'paid')
      return { result: c.paymentReference === reference ? 'same_payment' : 'already_paid', checkout: c };
    const inTime =
      clock.now().getTime() < c.expiresAt.getTime() ||
      (startedAt !== undefined && startedAt.getTime() < c.expiresAt.getTime());
    if (c.status !== 'pending_payment' || !inTime) return { result: 'not_payable', checkout: c };
    const list = await tx
      .select()
      .from(orders)
      .where(eq(orders.checkoutId, checkoutId))
      .orderBy(asc(orders.id))
      .for('update');
    for (const o of list) await apply(tx, o, 'confirm_payment', { userId: null, role: 'system' });
    const [paid] = await tx
      .update(checkouts)
      .set({ status: 'paid', paidAt: clock.now(), paymentReference: reference })
      .where(eq(checkouts.id, checkoutId))
      .returning();
    await audit.record(tx, {
      actorUserId: null,
      action: 'checkout.paid',
      targetType: 'checkout',
      targetId: checkoutId,
      data: { reference },
    });
    return { result: 'paid', checkout: paid! };
  }

  return {
    /**
     * The buyer's payment for a checkout is confirmed (the payments module calls this; tests too):
     * every order goes to paid with its escrow held, exactly once however often it is called.
     */
    markPaid,

    /**
     * A payment confirmed outside the payments module (tests, the benchmark): records the money
     * as collected and pays the checkout, or refuses with the reason the money must go back.
     */
    async confirmPayment(checkoutId: string, reference: string) {
      return db.transaction(async (tx) => {
        const r = await markPaid(tx, checkoutId, reference);
        if (r.result === 'already_paid')
          throw conflict(
            'CHECKOUT_ALREADY_PAID',
            'This checkout was already paid by another payment; this one must be refunded.',
          );
        if (r.result === 'not_payable')
          throw conflict(
            'CHECKOUT_NOT_PAYABLE',
            `This checkout is ${r.checkout.status === 'pending_payment' ? 'expired' : r.checkout.status}; the payment must be refunded.`,
          );
        if (r.result === 'paid')
          await ledger.recordCollection(tx, {
            key: `direct:${checkoutId}`,
            collectionId: null,
            checkoutId,
            amount: r.checkout.totalAmount,
            currency: r.checkout.currency,
          });
        return r.checkout;
      });
    },
  };
}
