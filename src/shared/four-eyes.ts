// Four eyes for money (issue 19): a payout, a refund retry, a dispute refund or an order refund
// above the configured amount is never run by one admin, whichever door they use. The console owns
// the approvals; the payments and orders admin APIs are given a gate that either runs the command
// or records the request, and answer 202 with what this file describes.
import { z } from 'zod';

export const APPROVAL_KINDS = ['payout', 'refund_retry', 'dispute_refund', 'order_refund'] as const;

/** A request waiting for a second admin. */
export interface ApprovalRequested {
  id: string;
  kind: (typeof APPROVAL_KINDS)[number];
  targetId: string;
  amount: number;
}

/** Either the command ran (its result), or it waits for a second admin. */
export type Gated<T> = { done: T; approval?: undefined } | { approval: ApprovalRequested; done?: undefined };

export const approvalRequestedSchema = z
  .object({
    approval_id: z.uuid(),
    kind: z.enum(APPROVAL_KINDS),
    target_id: z.uuid(),
    amount: z.number().int(),
    status: z.literal('pending'),
    detail: z.string(),
  })
  .describe(
    'Above FOUR_EYES_ABOVE_MINOR the command did not run: it waits for a second admin (POST /admin/approvals/{id}/approve)',
  );

export const toApprovalRequested = (a: ApprovalRequested): z.infer<typeof approvalRequestedSchema> => ({
  approval_id: a.id,
  kind: a.kind,
  target_id: a.targetId,
  amount: a.amount,
  status: 'pending',
  detail: 'The amount is above the four-eyes limit: a second admin must approve it.',
});
