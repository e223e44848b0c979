// Outbox messages for people (order status, checkout created, …) wait for the notifications
// module's SMS/WhatsApp dispatch. Until it exists they are consumed here, with a debug line, so none
// pile up unread. ONE place: the notifications module replaces this file's handlers.
import type { JobService } from './modules/jobs/index.js';

/** The message kinds a person should hear about that nothing sends yet. */
export const PENDING_NOTIFICATION_KINDS = ['notify.order_status', 'notify.checkout_created'] as const;

export function notificationsPending(
  jobs: Pick<JobService, 'handle'>,
  log: { debug(obj: object, msg: string): void },
) {
  for (const kind of PENDING_NOTIFICATION_KINDS) {
    jobs.handle(kind, async (job) => {
      log.debug({ kind, payload: job.payload }, 'notification not sent: no channel configured yet');
    });
  }
}
