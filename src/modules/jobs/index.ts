// Background work: the transactional outbox and timers, claimed by workers with SKIP LOCKED.
export { backoffMs, createJobService, type Job, type JobHandler, type JobService } from './service.js';
