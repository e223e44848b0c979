import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide, ORDER_MACHINE, type OrderEvent, renderMermaid, type Shown, TERMINAL } from './machine.js';
import type { ActorRole } from './model.js';
import { ORDER_STATUSES } from './model.js';

describe('the order machine table', () => {
  it('every status is reachable from pending_payment, and every target is a known status', () => {
    const reached = new Set<string>(['pending_payment']);
    let grew = true;
    while (grew) {
      grew = false;
      for (const t of Object.values(ORDER_MACHINE)) {
        if (t.from.some((f) => reached.has(f)) && !reached.has(t.to)) {
          reached.add(t.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('terminal statuses have no way out, and every other status has one', () => {
    for (const s of ORDER_STATUSES) {
      const out = Object.values(ORDER_MACHINE).filter((t) => (t.from as readonly string[]).includes(s));
      if (TERMINAL.includes(s)) expect(out, s).toEqual([]);
      else expect(out.length, s).toBeGreaterThan(0);
    }
  });

  it('money moves only where it should: release only on completion, refunds only from paid states', () => {
    for (const [event, t] of Object.entries(ORDER_MACHINE)) {
      if ((t.effects as readonly string[]).includes('release_escrow')) expect(t.to, event).toBe('completed');
      if ((t.effects as readonly string[]).includes('refund_escrow'))
        expect(t.from, event).not.toContain('pending_payment');
      if ((t.effects as readonly string[]).includes('hold_escrow')) expect(event).toBe('confirm_payment');
    }
  });

  it('once the parcel has left, stock comes back only with the parcel, and the refund never waits for it', () => {
    const left = ['out_for_delivery', 'delivery_failed', 'returning', 'delivered', 'disputed'];
    for (const [event, t] of Object.entries(ORDER_MACHINE)) {
      const effects = t.effects as readonly string[];
      if (effects.includes('restock') && t.from.some((f) => left.includes(f)))
        expect(event, 'restocks after pickup').toBe('record_return');
    }
    expect(ORDER_MACHINE.refund_undeliverable).toMatchObject({ from: ['delivery_failed'], to: 'returning' });
    expect(ORDER_MACHINE.refund_undeliverable.effects).toContain('refund_escrow');
    expect(ORDER_MACHINE.refund_undeliverable.effects).not.toContain('restock');
    // Returning holds no money any more: nothing after it refunds or releases again.
    expect(ORDER_MACHINE.record_return.effects).not.toContain('refund_escrow');
    expect(ORDER_MACHINE.record_return.from).toEqual(['returning']);
    expect(TERMINAL).toContain('returned');
    expect(decide('returning', 'retry_delivery', 'rider')).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(decide('returned', 'record_return', 'admin')).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(decide('returning', 'refund_undeliverable', 'admin')).toMatchObject({
      code: 'INVALID_TRANSITION',
    });
    expect(decide('returning', 'record_return', 'buyer')).toMatchObject({ code: 'FORBIDDEN_ACTOR' });
  });

  it('delivered needs proof, a dispute needs evidence, a rejection needs a reason', () => {
    expect(ORDER_MACHINE.deliver.evidence).toBe('delivery_proof');
    expect(ORDER_MACHINE.open_dispute.evidence).toBe('dispute');
    expect(ORDER_MACHINE.reject.evidence).toBe('reason');
  });
});

describe('decide', () => {
  it('allows the happy path in order', () => {
    const path: Array<[OrderEvent, 'buyer' | 'seller' | 'system']> = [
      ['confirm_payment', 'system'],
      ['accept', 'seller'],
      ['mark_ready', 'seller'],
      ['pick_up', 'seller'],
      ['deliver', 'seller'],
      ['confirm_receipt', 'buyer'],
    ];
    let status: (typeof ORDER_STATUSES)[number] = 'pending_payment';
    for (const [event, actor] of path) {
      const d = decide(status, event, actor);
      expect(d.ok, event).toBe(true);
      if (d.ok) status = d.to;
    }
    expect(status).toBe('completed');
  });

  it('refuses an illegal transition and a wrong actor with distinct codes', () => {
    expect(decide('paid', 'deliver', 'seller')).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
    expect(decide('completed', 'cancel', 'buyer')).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
    expect(decide('paid', 'accept', 'buyer')).toMatchObject({ ok: false, code: 'FORBIDDEN_ACTOR' });
    expect(decide('delivered', 'auto_complete', 'buyer')).toMatchObject({
      ok: false,
      code: 'FORBIDDEN_ACTOR',
    });
    expect(decide('accepted', 'cancel', 'buyer')).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
  });
});

describe('decide reads the evidence the table asks for', () => {
  const nothing: Shown = { reason: null, proof: null };

  it('a rejection, a failed attempt and an undeliverable refund need a reason (422 REASON_REQUIRED)', () => {
    expect(decide('paid', 'reject', 'seller', nothing)).toMatchObject({
      ok: false,
      code: 'REASON_REQUIRED',
      field: 'reason',
    });
    expect(decide('paid', 'reject', 'seller', { reason: '' })).toMatchObject({ code: 'REASON_REQUIRED' });
    expect(decide('paid', 'reject', 'seller', { reason: 'out of stock' })).toMatchObject({ ok: true });
    expect(decide('out_for_delivery', 'fail_delivery', 'rider', nothing)).toMatchObject({
      code: 'REASON_REQUIRED',
    });
    expect(decide('out_for_delivery', 'fail_delivery', 'rider', { reason: 'gate locked' })).toMatchObject({
      ok: true,
    });
    for (const actor of ['rider', 'admin', 'system'] as const) {
      expect(decide('delivery_failed', 'refund_undeliverable', actor, nothing), actor).toMatchObject({
        code: 'REASON_REQUIRED',
      });
      expect(decide('delivery_failed', 'refund_undeliverable', actor, { reason: 'no answer' })).toMatchObject(
        {
          ok: true,
          to: 'returning',
        },
      );
    }
  });

  it("a return is proven by the seller's code (a rider), a reason (an admin), or the seller's own hands", () => {
    expect(decide('returning', 'record_return', 'rider', { reason: 'back' })).toMatchObject({
      ok: false,
      code: 'FORBIDDEN_ACTOR',
    });
    expect(decide('returning', 'record_return', 'rider', { proof: 'handover_code' })).toMatchObject({
      ok: true,
      to: 'returned',
    });
    expect(decide('returning', 'record_return', 'admin', nothing)).toMatchObject({ code: 'REASON_REQUIRED' });
    expect(decide('returning', 'record_return', 'admin', { reason: 'seller called' })).toMatchObject({
      ok: true,
    });
    expect(decide('returning', 'record_return', 'seller', nothing)).toMatchObject({ ok: true });
  });

  it('delivered needs a code or a photo; a partial refund needs its amount; a resolution its note', () => {
    expect(decide('out_for_delivery', 'deliver', 'seller', nothing)).toMatchObject({
      code: 'PROOF_REQUIRED',
    });
    expect(decide('out_for_delivery', 'deliver', 'seller', { proof: 'handover_code' })).toMatchObject({
      code: 'PROOF_REQUIRED',
    });
    expect(decide('out_for_delivery', 'deliver', 'seller', { proof: 'code' })).toMatchObject({ ok: true });
    expect(decide('out_for_delivery', 'deliver', 'rider', { proof: 'photo' })).toMatchObject({ ok: true });
    expect(decide('disputed', 'resolve_partial_refund', 'admin', { reason: 'half' })).toMatchObject({
      code: 'AMOUNT_REQUIRED',
      field: 'amount',
    });
    expect(
      decide('disputed', 'resolve_partial_refund', 'admin', { reason: 'half', refundAmount: 1000 }),
    ).toMatchObject({ ok: true, to: 'resolved' });
    expect(decide('disputed', 'resolve_release', 'admin', nothing)).toMatchObject({
      code: 'REASON_REQUIRED',
    });
    expect(decide('delivered', 'open_dispute', 'buyer', nothing)).toMatchObject({ code: 'REASON_REQUIRED' });
  });

  it('missing evidence is refused before who and when, as the API has always answered it', () => {
    // A buyer cannot reject at all, but a bare request is told what it lacks first.
    expect(decide('paid', 'reject', 'buyer', nothing)).toMatchObject({ code: 'REASON_REQUIRED' });
    expect(decide('completed', 'record_return', 'admin', nothing)).toMatchObject({ code: 'REASON_REQUIRED' });
    // With the reason shown, the usual refusals follow.
    expect(decide('paid', 'reject', 'buyer', { reason: 'x' })).toMatchObject({ code: 'FORBIDDEN_ACTOR' });
    expect(decide('completed', 'record_return', 'admin', { reason: 'x' })).toMatchObject({
      code: 'INVALID_TRANSITION',
    });
  });

  it('walking the table: every event that asks for evidence refuses a request that shows none', () => {
    for (const [event, t] of Object.entries(ORDER_MACHINE) as Array<
      [OrderEvent, (typeof ORDER_MACHINE)[OrderEvent]]
    >) {
      for (const actor of t.by as readonly ActorRole[]) {
        const d = decide(t.from[0], event, actor, {});
        // The seller recording a parcel back in their own hands is the one evidence that is the act itself.
        if (t.evidence === 'none' || (event === 'record_return' && actor === 'seller'))
          expect(d.ok, `${event} by ${actor}`).toBe(true);
        else expect(d.ok, `${event} by ${actor}`).toBe(false);
      }
    }
  });

  it('without a snapshot, decide asks only who and from where (the pre-check before a code try)', () => {
    expect(decide('out_for_delivery', 'deliver', 'rider')).toMatchObject({ ok: true });
    expect(decide('returning', 'record_return', 'rider')).toMatchObject({ ok: true });
  });
});

describe('the state diagram in the docs', () => {
  it('is the one rendered from the table (run `npm run docs:orders` after changing it)', () => {
    const doc = readFileSync(new URL('../../../docs/order-states.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderMermaid());
  });
});
