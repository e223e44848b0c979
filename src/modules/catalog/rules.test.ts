import { describe, expect, it } from 'vitest';
import { PRODUCT_STATUSES } from './model.js';
import { nextStatus, PRODUCT_WORKFLOW, statusAfterEdit, stockState } from './rules.js';

describe('product workflow', () => {
  it('draft → pending_review → verified | rejected; rejected can be resubmitted', () => {
    expect(nextStatus('draft', 'submit')).toBe('pending_review');
    expect(nextStatus('pending_review', 'verify')).toBe('verified');
    expect(nextStatus('pending_review', 'reject')).toBe('rejected');
    expect(nextStatus('rejected', 'submit')).toBe('pending_review');
  });
  it('refuses what skips review or repeats itself', () => {
    expect(nextStatus('draft', 'verify')).toBeNull();
    expect(nextStatus('verified', 'submit')).toBeNull();
    expect(nextStatus('verified', 'verify')).toBeNull();
    expect(nextStatus('suspended', 'submit')).toBeNull();
    expect(nextStatus('suspended', 'suspend')).toBeNull();
  });
  it('an admin can suspend from any other status, and reinstating goes back to review', () => {
    for (const s of PRODUCT_STATUSES.filter((s) => s !== 'suspended'))
      expect(nextStatus(s, 'suspend')).toBe('suspended');
    expect(nextStatus('suspended', 'reinstate')).toBe('pending_review');
  });
  it('every status is reachable and every target is a known status', () => {
    const reachable = new Set(['draft', ...Object.values(PRODUCT_WORKFLOW).map((r) => r.to)]);
    expect([...reachable].sort()).toEqual([...PRODUCT_STATUSES].sort());
  });
});

describe('statusAfterEdit', () => {
  it.each(['title', 'description', 'brand_id', 'specs', 'media', 'attributes', 'new_variant'])(
    'a verified product goes back to review when %s changes',
    (f) => {
      expect(statusAfterEdit('verified', [f])).toBe('pending_review');
    },
  );
  it('price and stock changes keep it verified', () => {
    expect(statusAfterEdit('verified', ['price', 'stock', 'active'])).toBe('verified');
  });
  it('other statuses stay as they are', () => {
    expect(statusAfterEdit('draft', ['title'])).toBe('draft');
    expect(statusAfterEdit('suspended', ['title'])).toBe('suspended');
  });
});

describe('stockState', () => {
  it('out, low, in stock', () => {
    expect(stockState(0, 5)).toBe('out');
    expect(stockState(1, 5)).toBe('low');
    expect(stockState(5, 5)).toBe('low');
    expect(stockState(6, 5)).toBe('in_stock');
  });
});
