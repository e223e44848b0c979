// Reads over this module's tables for routes, the console and other modules: no decisions here.
import { and, asc, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { type Disbursement, type PaymentsContext, PENDING_STATES } from './context.js';
import type { CallbackVerdict, CollectionStatus } from './model.js';
import {
  paymentCallbacks,
  paymentCollections,
  paymentDisbursements,
  paymentProviderCalls,
} from './schema.js';

export function createPaymentQueries(ctx: Pick<PaymentsContext, 'db'>) {
  const { db } = ctx;
  return {
    /** A push for this checkout still awaits its answer (checkout expiry waits for it). */
    async pushInFlight(tx: Database, checkoutId: string) {
      const [c] = await tx
        .select({ id: paymentCollections.id })
        .from(paymentCollections)
        .where(
          and(
            eq(paymentCollections.checkoutId, checkoutId),
            inArray(paymentCollections.status, PENDING_STATES),
          ),
        )
        .limit(1);
      return Boolean(c);
    },

    async collectionsOfCheckout(checkoutId: string) {
      return db
        .select()
        .from(paymentCollections)
        .where(eq(paymentCollections.checkoutId, checkoutId))
        .orderBy(asc(paymentCollections.createdAt), asc(paymentCollections.id));
    },

    async collection(id: string) {
      const [c] = await db.select().from(paymentCollections).where(eq(paymentCollections.id, id));
      return c ?? null;
    },

    async disbursement(id: string) {
      const [d] = await db.select().from(paymentDisbursements).where(eq(paymentDisbursements.id, id));
      return d ?? null;
    },

    async disbursementsOf(q: {
      partyId?: string | undefined;
      kind?: Disbursement['kind'] | undefined;
      status?: Disbursement['status'] | undefined;
      orderId?: string | undefined;
    }) {
      return db
        .select()
        .from(paymentDisbursements)
        .where(
          and(
            q.partyId ? eq(paymentDisbursements.partyId, q.partyId) : undefined,
            q.kind ? eq(paymentDisbursements.kind, q.kind) : undefined,
            q.status ? eq(paymentDisbursements.status, q.status) : undefined,
            q.orderId ? eq(paymentDisbursements.orderId, q.orderId) : undefined,
          ),
        )
        .orderBy(desc(paymentDisbursements.createdAt), desc(paymentDisbursements.id))
        .limit(200);
    },

    /**
     * A party's payouts asked in [from, to) in one currency, by status: how many and how much. The
     * seller scorecard's payouts, over its own period (disbursementsOf is the latest 200, all time).
     */
    async payoutTotals(q: { partyId: string; currency: string; from: Date; to: Date }) {
      const rows = await db
        .select({
          status: paymentDisbursements.status,
          n: sql<number>`count(*)::int`,
          amount: sql<number>`coalesce(sum(${paymentDisbursements.amount}), 0)::bigint`,
        })
        .from(paymentDisbursements)
        .where(
          and(
            eq(paymentDisbursements.partyId, q.partyId),
            eq(paymentDisbursements.kind, 'payout'),
            eq(paymentDisbursements.currency, q.currency),
            gte(paymentDisbursements.createdAt, q.from),
            lt(paymentDisbursements.createdAt, q.to),
          ),
        )
        .groupBy(paymentDisbursements.status);
      const of = (...statuses: Disbursement['status'][]) => {
        const mine = rows.filter((r) => statuses.includes(r.status));
        return {
          count: mine.reduce((s, r) => s + Number(r.n), 0),
          amount: mine.reduce((s, r) => s + Number(r.amount), 0),
        };
      };
      return { paid: of('succeeded'), pending: of('queued', 'sending'), failed: of('failed') };
    },

    async collectionsList(q: { status?: CollectionStatus | undefined }) {
      return db
        .select()
        .from(paymentCollections)
        .where(q.status ? eq(paymentCollections.status, q.status) : undefined)
        .orderBy(desc(paymentCollections.createdAt), desc(paymentCollections.id))
        .limit(200);
    },

    async callbacksList(q: { verdict?: CallbackVerdict | undefined }) {
      return db
        .select()
        .from(paymentCallbacks)
        .where(q.verdict ? eq(paymentCallbacks.verdict, q.verdict) : undefined)
        .orderBy(desc(paymentCallbacks.createdAt), desc(paymentCallbacks.id))
        .limit(200);
    },

    async providerCalls(reference: string) {
      return db
        .select()
        .from(paymentProviderCalls)
        .where(eq(paymentProviderCalls.reference, reference))
        .orderBy(asc(paymentProviderCalls.createdAt))
        .limit(200);
    },
  };
}
