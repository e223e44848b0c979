import { randomUUID } from 'node:crypto';

/** Where new ids come from; injected so tests can make them predictable when they need to. */
export interface IdGenerator {
  newId(): string;
}

export const randomIds: IdGenerator = { newId: () => randomUUID() };
