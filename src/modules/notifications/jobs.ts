// The notifications module's own jobs (`notifications.<imperative>`): each message's provider call
// and a critical WhatsApp message's failover check. What it does with other modules' messages is in
// consumers.ts.
import { z } from 'zod';
import { defineJobs, type JobQueue } from '../jobs/index.js';

const message = z.object({ message_id: z.uuid() });

export const notificationJobs = defineJobs({
  /** hand one queued message to its provider (at most once unless the provider said it failed) */
  'notifications.send': message,
  /** a critical WhatsApp message not delivered by now goes by SMS as well */
  'notifications.check_failover': message,
});

export type NotificationJobs = typeof notificationJobs;
export type NotificationJobQueue = Pick<JobQueue<NotificationJobs>, 'enqueue'>;
