-- Job kinds are now declared by the module that sends them (src/modules/*/jobs.ts): messages between
-- modules are named by their sender in past tense, a module's own timers and commands
-- `<module>.<imperative>`. Jobs still waiting (or running under an old worker, which may hand them
-- back) take their new names, so a deploy orphans no queued work. Payloads and dedupe keys are
-- unchanged for every renamed kind.
UPDATE "jobs" SET "kind" = CASE "kind"
  WHEN 'checkout.expire' THEN 'orders.expire_checkout'
  WHEN 'order.auto_complete' THEN 'orders.auto_complete'
  WHEN 'order.seller_deadline' THEN 'orders.enforce_seller_deadline'
  WHEN 'order.redelivery_deadline' THEN 'orders.enforce_redelivery_deadline'
  WHEN 'payments.refund' THEN 'order.refund_owed'
  -- written by orders (ready for pickup) and by riders (offer again); both ran offerNext
  WHEN 'logistics.assign' THEN 'riders.assign'
  WHEN 'logistics.order_moved' THEN 'order.moved_without_rider'
  WHEN 'logistics.offer_expire' THEN 'riders.expire_offer'
  WHEN 'logistics.pickup_deadline' THEN 'riders.enforce_pickup_deadline'
  WHEN 'logistics.sweep' THEN 'riders.sweep'
  WHEN 'identity.otp_purge' THEN 'identity.purge_spent_codes'
  WHEN 'notification.send' THEN 'notifications.send'
  WHEN 'notification.failover_check' THEN 'notifications.check_failover'
  ELSE "kind" END
WHERE "status" IN ('pending', 'running') AND "kind" IN (
  'checkout.expire', 'order.auto_complete', 'order.seller_deadline', 'order.redelivery_deadline',
  'payments.refund', 'logistics.assign', 'logistics.order_moved', 'logistics.offer_expire',
  'logistics.pickup_deadline', 'logistics.sweep', 'identity.otp_purge', 'notification.send',
  'notification.failover_check'
);
--> statement-breakpoint
-- The old notices were consumed by a handler that only logged them, and carry too little to write
-- today's messages (no amounts, deadlines or numbers): they are closed as the old code would have
-- closed them, with the reason, rather than left pending under a kind nothing handles.
UPDATE "jobs" SET "status" = 'done', "finished_at" = now(), "locked_by" = NULL, "locked_until" = NULL,
  "last_error" = 'retired by migration 0020: the old notice kinds were only logged and carry too little to send'
WHERE "status" IN ('pending', 'running') AND "kind" IN (
  'notify.order_status', 'notify.checkout_created', 'notify.payment_status', 'notify.disbursement_status'
);
--> statement-breakpoint
-- Nothing ever wrote this kind (the sweep prunes pings); its handler is gone.
UPDATE "jobs" SET "status" = 'done', "finished_at" = now(), "locked_by" = NULL, "locked_until" = NULL,
  "last_error" = 'retired by migration 0020: no handler'
WHERE "status" IN ('pending', 'running') AND "kind" = 'logistics.prune_pings';
