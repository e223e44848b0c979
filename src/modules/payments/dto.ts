import { z } from 'zod';
import type { Gated } from '../../shared/four-eyes.js';
import { toDarTime, toDarTimeOrNull } from '../../shared/time.js';
import { COLLECTION_STATUSES, COLLECTION_USES, DISBURSEMENT_KINDS, DISBURSEMENT_STATUSES } from './model.js';
import type { CheckoutPort, Collection, Disbursement, PaymentsService } from './service.js';

export const collectionSchema = z
  .object({
    id: z.uuid(),
    checkout_id: z.uuid(),
    status: z.enum(COLLECTION_STATUSES),
    used_for: z.enum(COLLECTION_USES).nullable().describe('What the money paid for, once it arrived'),
    provider: z.string(),
    phone: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    receipt: z.string().nullable(),
    result_code: z.string().nullable(),
    result_message: z.string().nullable(),
    created_at: z.string(),
    decided_at: z.string().nullable(),
  })
  .meta({ id: 'PaymentCollection' });

export const disbursementSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(DISBURSEMENT_KINDS),
    status: z.enum(DISBURSEMENT_STATUSES),
    party_id: z.uuid(),
    order_id: z.uuid().nullable(),
    checkout_id: z.uuid().nullable(),
    phone: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    reason: z.string(),
    attempts: z.number().int(),
    receipt: z.string().nullable(),
    result_code: z.string().nullable(),
    result_message: z.string().nullable(),
    created_at: z.string(),
    decided_at: z.string().nullable(),
  })
  .meta({ id: 'Disbursement' });

export const toCollection = (c: Collection) => ({
  id: c.id,
  checkout_id: c.checkoutId,
  status: c.status,
  used_for: c.usedFor,
  provider: c.provider,
  phone: c.msisdn,
  amount: c.amount,
  currency: c.currency,
  receipt: c.receipt,
  result_code: c.resultCode,
  result_message: c.resultMessage,
  created_at: toDarTime(c.createdAt),
  decided_at: toDarTimeOrNull(c.decidedAt),
});

export const toDisbursement = (d: Disbursement) => ({
  id: d.id,
  kind: d.kind,
  status: d.status,
  party_id: d.partyId,
  order_id: d.orderId,
  checkout_id: d.checkoutId,
  phone: d.msisdn,
  amount: d.amount,
  currency: d.currency,
  reason: d.reason,
  attempts: d.attempts,
  receipt: d.receipt,
  result_code: d.resultCode,
  result_message: d.resultMessage,
  created_at: toDarTime(d.createdAt),
  decided_at: toDarTimeOrNull(d.decidedAt),
});

export const list = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
export const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });

/** The four-eyes gate of the admin money commands (the console owns the approvals; composition binds it). */
export interface PaymentsFourEyes {
  payout(
    party: 'seller' | 'rider',
    partyId: string,
    by: { userId: string; reason: string },
  ): Promise<Gated<Disbursement>>;
  retryRefund(id: string, adminId: string, reason: string): Promise<Gated<Disbursement>>;
}

export interface PaymentRouteDeps {
  fourEyes: PaymentsFourEyes;
  payments: PaymentsService;
  checkouts: CheckoutPort;
  db: Parameters<CheckoutPort['find']>[0];
  requireMobile: (input: string, field: string) => string;
  simulatorActive: boolean;
  collectionsPerHour: number;
  callbacksPerMinute: number;
}
