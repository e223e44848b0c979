import type { z } from 'zod';
import type { BatchPart } from '../../db/batch.js';
import type { Database } from '../../db/client.js';
import type { jobs } from './schema.js';

export type Job = typeof jobs.$inferSelect;

// Typed job kinds. The module that SENDS a job declares its kinds with a Zod payload schema in one
// file (`<module>/jobs.ts`, through `defineJobs`); the module that acts on a kind hands back a
// handler map typed by that declaration. Naming (docs/architecture.md, "add a job"):
// - a message to other modules is named by its sender in past tense: `order.ready_for_pickup`,
//   `checkout.created`, `payment.collection_settled`;
// - a timer or command a module sends to itself is `<module>.<imperative>`: `orders.expire_checkout`,
//   `payments.send`, `riders.expire_offer`.

/** A module's job kinds and their payload schemas. */
export type JobDefinitions = Record<string, z.ZodType<Record<string, unknown>>>;

/** Declares a module's job kinds; the returned object is the single source of its kinds and payloads. */
export function defineJobs<const D extends JobDefinitions>(definitions: D): D {
  for (const kind of Object.keys(definitions))
    if (!/^[a-z]+\.[a-z_]+$/.test(kind)) throw new Error(`job kind "${kind}" is not <module>.<snake_case>`);
  return definitions;
}

type Kinds<D> = keyof D & string;

/** One job to write: its kind picks the payload's type, so a wrong payload does not compile. */
export type JobOf<D extends JobDefinitions> = {
  [K in Kinds<D>]: {
    kind: K;
    payload: z.input<D[K]>;
    runAt?: Date;
    dedupeKey?: string;
    maxAttempts?: number;
  };
}[Kinds<D>];

/** The handler of one kind gets the payload its schema parsed (the raw row too, for its id and attempt). */
export type JobHandlerOf<D extends JobDefinitions, K extends Kinds<D>> = (
  payload: z.output<D[K]>,
  job: Job,
) => Promise<unknown>;

/** The kinds a module acts on, each with its handler; kinds of several senders may be mixed. */
export type JobHandlers<D extends JobDefinitions> = { [K in Kinds<D>]?: JobHandlerOf<D, K> };

/**
 * Handlers of messages another module sends, typed by the shape the receiver needs, for a receiver
 * that must not import the sender (it would close an import cycle). The composition registers
 * them against the sender's declarations, so the compiler still checks the sender's payload fits.
 */
export type MessageHandlers<M extends Record<string, object>> = {
  [K in keyof M]: (payload: M[K], job: Job) => Promise<unknown>;
};

/** What a sending module is given: it can write only the kinds it declared, with their payloads. */
export interface JobQueue<D extends JobDefinitions> {
  /** Write jobs inside the caller's transaction, in one statement. A dedupe key already taken is skipped. */
  enqueue(tx: Database, ...list: JobOf<D>[]): Promise<void>;
  /** The same jobs as one part of a caller's batched write. */
  draft(...list: JobOf<D>[]): BatchPart;
}

/** A payload its kind's schema refuses: retrying cannot help, so the job fails for good at once. */
export class BadJobPayload extends Error {
  constructor(kind: string, issues: string) {
    super(`job ${kind} has a payload its schema refuses: ${issues}`);
    this.name = 'BadJobPayload';
  }
}

/** Check a payload against its kind's schema; the parsed value on success. */
export function parsePayload(definitions: JobDefinitions, kind: string, payload: unknown): unknown {
  const schema = definitions[kind];
  if (!schema) throw new BadJobPayload(kind, 'no such kind is declared');
  const r = schema.safeParse(payload);
  if (!r.success)
    throw new BadJobPayload(
      kind,
      r.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; '),
    );
  return r.data;
}
