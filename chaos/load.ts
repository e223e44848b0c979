// The mixed load: buyers add to cart and check out (30 % replayed with the same Idempotency-Key,
// some at the same moment on the other API process), pay through the simulator (some pushes never
// call back, some callbacks arrive twice), sellers accept and deliver, buyers confirm or dispute,
// admins resolve disputes and run payouts; plus the flash sale. A client retries what got no answer
// (status 0, 5xx, 429) with the same key, as a phone app would.
import type pg from 'pg';
import type { Balancer, Reply } from './client.js';
import type { Actor, Cast } from './seed.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator, so CHAOS_SEED replays the same choices. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof rng>;

export interface LoadStats {
  checkouts: number;
  checkoutsReplayed: number;
  replaysConcurrent: number;
  /** key → every checkout_id a 201 reply carried for it */
  replies: Map<string, Set<string>>;
  /** key → buyer, for the database check */
  keys: Map<string, string>;
  pushes: number;
  paid: number;
  silentPushes: number;
  duplicateCallbacks: number;
  delivered: number;
  confirmed: number;
  disputes: number;
  payouts: number;
  flash: { buyers: number; won: number; refused: number; other: number };
  gaveUp: number;
}

export function newStats(): LoadStats {
  return {
    checkouts: 0,
    checkoutsReplayed: 0,
    replaysConcurrent: 0,
    replies: new Map(),
    keys: new Map(),
    pushes: 0,
    paid: 0,
    silentPushes: 0,
    duplicateCallbacks: 0,
    delivered: 0,
    confirmed: 0,
    disputes: 0,
    payouts: 0,
    flash: { buyers: 0, won: 0, refused: 0, other: 0 },
    gaveUp: 0,
  };
}

const transient = (r: Reply) => r.status === 0 || r.status >= 500 || r.status === 429;

export interface LoadCtx {
  lb: Balancer;
  cast: Cast;
  stats: LoadStats;
  db: pg.Pool;
  callbackToken: string;
  apiCount: number;
  evidencePng: Blob;
  mediaPort: () => number;
}

/** Retry while the answer is "no answer" (a phone app's retry), at most ~90 s. */
async function retrying(ctx: LoadCtx, call: () => Promise<Reply>): Promise<Reply> {
  let r = await call();
  for (let i = 0; i < 45 && transient(r); i++) {
    await sleep(2000);
    r = await call();
  }
  if (transient(r)) ctx.stats.gaveUp++;
  return r;
}

const record = (ctx: LoadCtx, key: string, buyer: string, r: Reply) => {
  ctx.stats.keys.set(key, buyer);
  if (r.status !== 201) return;
  const set = ctx.stats.replies.get(key) ?? new Set<string>();
  set.add(r.body.checkout_id);
  ctx.stats.replies.set(key, set);
};

/** Cart, preview, checkout (with replays). Returns the checkout reply or null. */
export async function checkOut(ctx: LoadCtx, r: Rng, b: Actor, sku: string, qty: number, phone: string) {
  const { lb } = ctx;
  const add = await retrying(ctx, () =>
    lb.request('POST', '/cart/items', { token: b.token, body: { sku_id: sku, quantity: qty } }),
  );
  if (add.status >= 300) return null;
  const cart = await retrying(ctx, () =>
    lb.request('GET', `/cart?address_id=${b.addressId}`, { token: b.token }),
  );
  if (cart.status !== 200) return null;
  const key = `chaos-${b.id}-${r.int(1e9)}`;
  const body = { address_id: b.addressId, payer_phone: phone, preview_token: cart.body.preview_token };
  const send = (via?: number) =>
    lb.request('POST', '/orders/checkout', {
      token: b.token,
      body,
      headers: { 'idempotency-key': key },
      ...(via === undefined ? {} : { via }),
    });
  let first: Reply;
  if (r.chance(0.3) && ctx.apiCount > 1 && r.chance(0.4)) {
    // The same request at the same moment on both API processes: one checkout, one answer.
    ctx.stats.replaysConcurrent++;
    const both = await Promise.all([send(0), send(1)]);
    for (const x of both) record(ctx, key, b.id, x);
    first = both.find((x) => x.status === 201) ?? both[0]!;
    if (transient(first)) first = await retrying(ctx, () => send());
  } else {
    first = await retrying(ctx, () => send());
    if (r.chance(0.3)) {
      ctx.stats.checkoutsReplayed++;
      record(ctx, key, b.id, await retrying(ctx, () => send()));
    }
  }
  record(ctx, key, b.id, first);
  if (first.status !== 201) {
    // Leave the cart empty for the next journey (a refused checkout keeps the lines).
    await lb.request('DELETE', '/cart', { token: b.token });
    return null;
  }
  ctx.stats.checkouts++;
  return first.body as { checkout_id: string; total: number; orders: Array<{ id: string }> };
}

/** Push until the checkout is paid (or give up); the simulator answers by the phone's last digits. */
export async function pay(ctx: LoadCtx, r: Rng, b: Actor, checkoutId: string): Promise<boolean> {
  const { lb } = ctx;
  const roll = r.next();
  // 10 % cancel on the handset first, 12 % pay without calling back, 5 % never pay (expiry).
  if (roll < 0.05) return false;
  const phones =
    roll < 0.15 ? ['0754 123 901', '0754 123 456'] : roll < 0.27 ? ['0754 123 905'] : ['0754 123 456'];
  for (const phone of phones) {
    if (phone.endsWith('905')) ctx.stats.silentPushes++;
    const push = await retrying(ctx, () =>
      lb.request('POST', `/payments/checkouts/${checkoutId}/collections`, {
        token: b.token,
        body: { phone },
      }),
    );
    if (push.status !== 202) return false;
    ctx.stats.pushes++;
    const status = await waitPayment(ctx, b, checkoutId);
    if (status === 'paid') {
      ctx.stats.paid++;
      if (r.chance(0.1)) await duplicateCallback(ctx, checkoutId);
      return true;
    }
  }
  return false;
}

async function waitPayment(ctx: LoadCtx, b: Actor, checkoutId: string): Promise<string> {
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    await sleep(1000);
    const s = await ctx.lb.request('GET', `/payments/checkouts/${checkoutId}`, { token: b.token });
    if (s.status !== 200) continue;
    if (s.body.status === 'paid') return 'paid';
    const last = s.body.collections.at(-1);
    if (last && ['failed', 'cancelled', 'timeout'].includes(last.status)) return last.status;
  }
  return 'pending';
}

/** The provider delivers the same success callback twice, at the same moment, to both API processes. */
async function duplicateCallback(ctx: LoadCtx, checkoutId: string) {
  const { rows } = await ctx.db.query(
    `select t.reference, t.receipt, t.amount, t.msisdn from payment_simulator_txns t
       join payment_collections c on c.reference = t.reference
      where c.checkout_id = $1 and t.outcome in ('success','no_callback')`,
    [checkoutId],
  );
  const t = rows[0];
  if (!t) return;
  ctx.stats.duplicateCallbacks++;
  const body = {
    simulator: true,
    kind: 'collection',
    reference: t.reference,
    result_code: '0',
    result_desc: 'The service request is processed successfully.',
    receipt: t.receipt,
    amount: Number(t.amount),
    msisdn: t.msisdn,
  };
  const path = `/payments/callbacks/simulator/collection/${ctx.callbackToken}`;
  await Promise.all(
    Array.from({ length: ctx.apiCount }, (_, via) => ctx.lb.request('POST', path, { body, via })),
  );
}

/** Seller accepts, readies, hands over and delivers with the buyer's code; buyer confirms or disputes. */
export async function fulfil(ctx: LoadCtx, r: Rng, b: Actor, orderId: string, sellerIdx: number) {
  const { lb } = ctx;
  const seller = ctx.cast.sellers[sellerIdx]!;
  const detail = await retrying(ctx, () => lb.request('GET', `/orders/${orderId}`, { token: b.token }));
  const code = detail.body?.delivery_code;
  for (const step of ['accept', 'ready', 'pick-up']) {
    const s = await retrying(ctx, () =>
      lb.request('POST', `/seller/orders/${orderId}/${step}`, { token: seller.token }),
    );
    if (s.status !== 200 && s.status !== 409) return;
  }
  if (!code) return;
  const d = await retrying(ctx, () =>
    lb.request('POST', `/seller/orders/${orderId}/deliver`, {
      token: seller.token,
      body: { code, location: { lat: -6.77, lng: 39.24 } },
    }),
  );
  if (d.status !== 200 && d.status !== 409) return;
  ctx.stats.delivered++;
  if (r.chance(0.85)) {
    const c = await retrying(ctx, () =>
      lb.request('POST', `/orders/${orderId}/confirm-receipt`, { token: b.token }),
    );
    if (c.status === 200) ctx.stats.confirmed++;
    return;
  }
  const media = await upload(ctx, b);
  if (!media) return;
  const dispute = await retrying(ctx, () =>
    lb.request('POST', `/orders/${orderId}/disputes`, {
      token: b.token,
      body: { reason: 'damaged', description: 'The box arrived crushed', evidence_media_ids: [media] },
    }),
  );
  if (dispute.status !== 201) return;
  ctx.stats.disputes++;
  const refund = r.chance(0.5);
  await retrying(ctx, () =>
    lb.request('POST', `/admin/disputes/${dispute.body.id}/resolve`, {
      token: ctx.cast.admin.token,
      body: refund
        ? { resolution: 'full_refund', note: 'chaos: refund', fault: 'seller' }
        : { resolution: 'release_to_seller', note: 'chaos: release' },
    }),
  );
}

async function upload(ctx: LoadCtx, b: Actor): Promise<string | null> {
  for (let i = 0; i < 20; i++) {
    const form = new FormData();
    form.append('file', ctx.evidencePng, 'evidence.png');
    try {
      const res = await fetch(`http://127.0.0.1:${ctx.mediaPort()}/api/v1/media?purpose=dispute_evidence`, {
        method: 'POST',
        headers: { authorization: `Bearer ${b.token}` },
        body: form,
      });
      ctx.lb.tally.add(res.status);
      if (res.status === 201) return ((await res.json()) as { id: string }).id;
      if (res.status < 500 && res.status !== 429) return null;
    } catch {
      ctx.lb.tally.add(0);
    }
    await sleep(2000);
  }
  return null;
}

/** One buyer's whole journey: one to two SKUs, pay, and each seller order through to the end. */
export async function journey(ctx: LoadCtx, r: Rng, b: Actor) {
  const skus = [...ctx.cast.skus.keys()];
  const sku = skus[r.int(skus.length)]!;
  const co = await checkOut(ctx, r, b, sku, 1 + r.int(2), '0754 123 456');
  if (!co) return;
  if (!(await pay(ctx, r, b, co.checkout_id))) return;
  for (const o of co.orders) await fulfil(ctx, r, b, o.id, ctx.cast.skus.get(sku)!);
}

/** The flash sale: every flash buyer at once (in waves) for the 10 units. */
export async function flashSale(ctx: LoadCtx, r: Rng, concurrency: number) {
  const crowd = ctx.cast.flashBuyers;
  ctx.stats.flash.buyers = crowd.length;
  let i = 0;
  const winners: Array<{ b: Actor; co: { checkout_id: string; orders: Array<{ id: string }> } }> = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < crowd.length) {
        const b = crowd[i++]!;
        const co = await checkOut(ctx, r, b, ctx.cast.flashSku, 1, '0754 123 456');
        if (co) {
          ctx.stats.flash.won++;
          winners.push({ b, co });
        } else ctx.stats.flash.refused++;
      }
    }),
  );
  await Promise.all(
    winners.map(async ({ b, co }) => {
      if (await pay(ctx, r, b, co.checkout_id)) for (const o of co.orders) await fulfil(ctx, r, b, o.id, 0);
    }),
  );
}

/** Admin payout runs for every seller with money available (a refusal for too little is fine). */
export async function payouts(ctx: LoadCtx) {
  for (const s of ctx.cast.sellers) {
    const r = await ctx.lb.request('POST', '/admin/payments/payouts', {
      token: ctx.cast.admin.token,
      body: { seller_id: s.id, reason: 'chaos payout run' },
    });
    if (r.status === 201) ctx.stats.payouts++;
  }
}
