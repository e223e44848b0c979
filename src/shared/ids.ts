import { v7 as uuidv7 } from 'uuid';

/** Where new ids come from; injected so tests can make them predictable when they need to. */
export interface IdGenerator {
  newId(): string;
}

/**
 * UUIDv7: time-ordered and monotonic within a process, so rows written in the same millisecond
 * still sort in the order they were made (keyset pagination and audit trails rely on it), and
 * B-tree inserts stay at the right edge of the index.
 */
export const randomIds: IdGenerator = { newId: () => uuidv7() };
