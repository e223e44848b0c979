import { describe, expect, it } from 'vitest';
import { latePort } from './late.js';

describe('latePort', () => {
  it('refuses a call before it is bound, naming the port, and answers through the bound object after', async () => {
    const p = latePort<{ answer: () => Promise<number> }>('payments (for orders)');
    expect(() => p.port.answer()).toThrow(/payments \(for orders\) is used before it was bound/);
    p.bind({ answer: async () => 42 });
    await expect(p.port.answer()).resolves.toBe(42);
  });

  it('refuses a second binding, so wiring cannot silently swap an implementation', () => {
    const p = latePort<{ x: number }>('x');
    p.bind({ x: 1 });
    expect(() => p.bind({ x: 2 })).toThrow(/bound twice/);
    expect(p.port.x).toBe(1);
  });
});
