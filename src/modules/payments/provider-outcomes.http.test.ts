import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { isFailedProviderCall, providerCallOutcomes } from './provider-outcomes.js';
import { paymentProviderCalls } from './schema.js';

// "A failed call" is written twice: in TypeScript (a recorded call wakes the watch only when it
// failed) and in SQL (the watch counts the window). This pins that both say the same of every kind
// of outcome, so a change to one that forgets the other fails here.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const outcomes: Array<{ error: string | null; responseStatus: number | null }> = [
  { error: null, responseStatus: 200 },
  { error: null, responseStatus: 201 },
  { error: null, responseStatus: 400 },
  { error: null, responseStatus: 401 },
  { error: null, responseStatus: 409 },
  { error: null, responseStatus: 499 },
  { error: null, responseStatus: 500 },
  { error: null, responseStatus: 503 },
  { error: null, responseStatus: null },
  { error: 'ECONNREFUSED', responseStatus: null },
  { error: 'timeout after 10000 ms', responseStatus: null },
  { error: 'body was not JSON', responseStatus: 200 },
];

describe('a failed mobile-money provider call', () => {
  it('is the same call in TypeScript and in the watch’s SQL count', async () => {
    const since = new Date(t.clock.now().getTime() - 1000);
    for (const [i, o] of outcomes.entries()) {
      const provider = 'vodacom_tz';
      // One row per outcome, counted alone: the SQL verdict of each row against the TypeScript one.
      const at = new Date(t.clock.now().getTime() + (i + 1) * 60_000);
      await t.handle.db.insert(paymentProviderCalls).values({
        id: randomUUID(),
        provider,
        operation: 'collect',
        method: 'POST',
        url: 'http://127.0.0.1/ipg',
        responseStatus: o.responseStatus,
        error: o.error,
        durationMs: 5,
        createdAt: at,
      });
      const before = await providerCallOutcomes(t.handle.db, provider, since);
      const after = await providerCallOutcomes(t.handle.db, provider, new Date(at.getTime() - 1));
      expect(after.total, JSON.stringify(o)).toBe(1);
      expect(after.failed === 1, JSON.stringify(o)).toBe(isFailedProviderCall(o));
      expect(before.total).toBe(i + 1);
    }
    expect(outcomes.filter(isFailedProviderCall)).toHaveLength(6);
  });
});
