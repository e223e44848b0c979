// Background work: the transactional outbox and timers, claimed by workers with SKIP LOCKED.
// Kinds are declared by the module that sends them (`defineJobs`), see define.ts for the naming.
export {
  BadJobPayload,
  defineJobs,
  type JobDefinitions,
  type JobHandlerOf,
  type JobHandlers,
  type JobOf,
  type JobQueue,
  type MessageHandlers,
} from './define.js';
export { backoffMs, createJobService, type Job, type JobService, type WorkerOptions } from './service.js';
