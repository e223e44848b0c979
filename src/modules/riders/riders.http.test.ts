import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RidersTestApp, ridersTestApp, TEST_ZONE } from '../../../test/support/riders-app.js';
import { staticOrdersPort } from '../../../test/support/static-orders-port.js';
import { ManualClock } from '../../shared/clock.js';
import { randomIds } from '../../shared/ids.js';

// The rider and admin routes on a minimal Fastify app (the error handling and Zod compilers of
// app.ts) over PGlite: what each endpoint accepts and refuses, and who may call it.

const ZONE = TEST_ZONE;
const KARIAKOO = { lat: -6.819, lng: 39.274 };
const ids = {
  admin: '00000000-0000-7000-8000-00000000ad01',
  rider: '00000000-0000-7000-8000-0000000d0001',
  other: '00000000-0000-7000-8000-0000000d0002',
  buyer: '00000000-0000-7000-8000-0000000b0001',
};
const roles: Record<string, string[]> = {
  admin: ['admin'],
  rider: ['buyer'],
  other: ['buyer'],
  buyer: ['buyer'],
};
const as = (who: keyof typeof ids) => ({ authorization: `Bearer token-of-${who}-0001` });

let h: RidersTestApp;

const clock = new ManualClock('2026-11-25T09:00:00Z');
const orders = staticOrdersPort(new Map());

beforeAll(async () => {
  h = await ridersTestApp({ people: ids, roles, clock, orders, phonePrefix: '+25575400' });
});
afterAll(() => h?.close());

const call: RidersTestApp['call'] = (...args) => h.call(...args);

describe('the rider journey through the routes', () => {
  it('apply → verify → online → ping → offer → accept → pick up → deliver', async () => {
    const applied = await call('POST', '/rider/profile', as('rider'), {
      vehicle: 'boda_boda',
      plate: 'mc 123 abc',
      home_zone_id: ZONE,
    });
    expect(applied.statusCode).toBe(200);
    expect(applied.json()).toMatchObject({ status: 'pending', plate: 'MC123ABC', capacity: 2 });
    expect(applied.json().created_at).toMatch(/\+03:00$/);
    expect((await call('POST', '/rider/online', as('rider'))).json().code).toBe('RIDER_NOT_VERIFIED');
    const listed = await call('GET', '/admin/riders?status=pending', as('admin'));
    expect(listed.json().items.map((r: { user_id: string }) => r.user_id)).toEqual([ids.rider]);
    expect((await call('POST', `/admin/riders/${ids.rider}/verify`, as('admin'), {})).json().status).toBe(
      'verified',
    );
    expect((await call('POST', '/rider/online', as('rider'))).json().availability).toBe('available');
    const ping = await call('POST', '/rider/pings', as('rider'), {
      lat: KARIAKOO.lat + 0.001,
      lng: KARIAKOO.lng,
    });
    expect(ping.statusCode).toBe(200);
    expect(ping.json().last_position.cell).toMatch(/^88/);
    const again = await call('POST', '/rider/pings', as('rider'), { lat: KARIAKOO.lat, lng: KARIAKOO.lng });
    expect([again.statusCode, again.json().code, again.headers['retry-after']]).toEqual([
      429,
      'PING_TOO_FREQUENT',
      '10',
    ]);

    const order = randomIds.newId();
    orders.pickups.set(order, KARIAKOO);
    // (the 'order.ready_for_pickup' job would run offerNext)
    const offers0 = await call('GET', '/rider/offers', as('rider'));
    expect(offers0.json().items).toEqual([]);
    await offerNext(order);
    const offers = (await call('GET', '/rider/offers', as('rider'))).json().items;
    expect(offers).toHaveLength(1);
    expect(offers[0]).toMatchObject({ order_id: order, status: 'offered', distance_m: 111 });

    // Another rider cannot touch it.
    await call('POST', '/rider/profile', as('other'), { vehicle: 'bicycle', home_zone_id: ZONE });
    expect((await call('POST', `/rider/offers/${offers[0].id}/accept`, as('other'))).statusCode).toBe(404);
    expect((await call('POST', `/rider/offers/${offers[0].id}/decline`, as('other'))).statusCode).toBe(404);

    const accepted = await call('POST', `/rider/offers/${offers[0].id}/accept`, as('rider'));
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ order_id: order, status: 'assigned', assigned_by: 'offer' });
    expect((await call('GET', '/rider/jobs', as('rider'))).json().items).toHaveLength(1);
    expect(
      (await call('POST', `/rider/jobs/${order}/pick-up`, as('other'), { handover_code: '1234' })).statusCode,
    ).toBe(404);
    const picked = await call('POST', `/rider/jobs/${order}/pick-up`, as('rider'), { handover_code: '1234' });
    expect(picked.json().status).toBe('picked_up');
    const noProof = await call('POST', `/rider/jobs/${order}/deliver`, as('rider'), {
      note: 'left at the gate',
    });
    expect([noProof.statusCode, noProof.json().code]).toEqual([422, 'PROOF_REQUIRED']);
    const photoNoPlace = await call('POST', `/rider/jobs/${order}/deliver`, as('rider'), {
      photo_media_id: randomIds.newId(),
    });
    expect([photoNoPlace.statusCode, photoNoPlace.json().field]).toEqual([422, 'location']);
    const delivered = await call('POST', `/rider/jobs/${order}/deliver`, as('rider'), {
      photo_media_id: randomIds.newId(),
      location: KARIAKOO,
      note: 'given to the guard',
    });
    expect(delivered.json().status).toBe('delivered');
    expect((await call('GET', '/rider/profile', as('rider'))).json().active_jobs).toBe(0);
  });
});

// The job handler's entry point.
const offerNext = (orderId: string) => h.mod.service.offerNext(orderId);

describe('what the rider is told, written in the causing transaction', () => {
  /** The messages riders wrote for other modules (notifications tells the rider), by kind. */
  const told = async (kind: string) =>
    (
      (await h.db.execute(
        sql`select payload from jobs where kind = ${kind} order by created_at, id`,
      )) as unknown as {
        rows: Array<{ payload: Record<string, string> }>;
      }
    ).rows.map((r) => r.payload);

  it('a verification, a job assigned (collect by …) and a job released at the pickup deadline, once each', async () => {
    // The journey above verified the rider: one decision.
    expect(await told('rider.decided')).toEqual([
      expect.objectContaining({ riderId: ids.rider, outcome: 'verified', reason: null }),
    ]);
    const order = randomIds.newId();
    orders.pickups.set(order, KARIAKOO);
    await offerNext(order);
    const [offer] = (await call('GET', '/rider/offers', as('rider'))).json().items;
    expect((await call('POST', `/rider/offers/${offer.id}/accept`, as('rider'))).statusCode).toBe(200);
    const assigned = (await told('rider.job_assigned')).filter((p) => p.orderId === order);
    expect(assigned).toEqual([
      expect.objectContaining({
        riderId: ids.rider,
        orderId: order,
        pickupBy: new Date(clock.now().getTime() + 30 * 60_000).toISOString(),
      }),
    ]);
    // Accepting again answers the same job and tells nothing new.
    await call('POST', `/rider/offers/${offer.id}/accept`, as('rider'));
    expect((await told('rider.job_assigned')).filter((p) => p.orderId === order)).toHaveLength(1);
    // Not collected in time: released, and told so; the deadline job run again tells nothing more.
    expect(await h.mod.service.pickupDeadline(order, ids.rider)).toBe(true);
    expect(await h.mod.service.pickupDeadline(order, ids.rider)).toBe(false);
    expect((await told('rider.job_released')).filter((p) => p.orderId === order)).toEqual([
      expect.objectContaining({ riderId: ids.rider, orderId: order }),
    ]);
  });

  it('an order left in the dispatch queue alerts operations once, and not once it is resolved', async () => {
    // Nobody near: the order goes to the dispatch queue, with a timer DISPATCH_ALERT_MINUTES later.
    const far = randomIds.newId();
    orders.pickups.set(far, { lat: -6.5, lng: 39.0 });
    await offerNext(far);
    const timers = (await told('riders.check_dispatch_wait')).filter((p) => p.order_id === far);
    expect(timers).toHaveLength(1);
    // Asked again while it waits: the same stay, no second timer.
    await offerNext(far);
    expect((await told('riders.check_dispatch_wait')).filter((p) => p.order_id === far)).toHaveLength(1);
    const queuedAt = new Date(timers[0]!.queued_at!);
    clock.advanceSeconds(15 * 60);
    expect(await h.mod.service.dispatchWaitCheck(far, queuedAt)).toBe(true);
    expect(await h.mod.service.dispatchWaitCheck(far, queuedAt)).toBe(true);
    expect((await told('rider.dispatch_waiting')).filter((p) => p.orderId === far)).toEqual([
      expect.objectContaining({ orderId: far, minutes: 15 }),
    ]);
    // Resolved by an admin's hand (here: the order cancelled): a check finds nothing to say.
    await h.mod.service.releaseOrder(far);
    expect(await h.mod.service.dispatchWaitCheck(far, queuedAt)).toBe(false);
  });

  it('a rejection carries its reason', async () => {
    expect(
      (await call('POST', `/admin/riders/${ids.other}/reject`, as('admin'), { reason: 'fake ID' }))
        .statusCode,
    ).toBe(200);
    expect((await told('rider.decided')).filter((p) => p.riderId === ids.other)).toEqual([
      expect.objectContaining({ outcome: 'rejected', reason: 'fake ID' }),
    ]);
  });
});

describe('who may call', () => {
  it.each([
    ['GET', '/rider/offers'],
    ['POST', '/rider/online'],
    ['POST', '/rider/pings', { lat: -6.8, lng: 39.2 }],
    ['GET', '/rider/jobs'],
    ['POST', `/rider/offers/${ids.admin}/accept`],
    ['POST', `/rider/jobs/${ids.admin}/retry`],
    ['POST', `/rider/jobs/${ids.admin}/return`, { reason: 'buyer refused' }],
    ['POST', `/rider/jobs/${ids.admin}/returned`, { handover_code: '1234' }],
  ] as Array<['GET' | 'POST', string, object?]>)(
    '%s %s: 401 without a token, 403 for a buyer',
    async (method, url, body) => {
      // (a body must be valid: Fastify validates it before the sign-in check runs)
      const payload = method === 'POST' ? (body ?? {}) : undefined;
      expect((await call(method, url, {}, payload)).statusCode).toBe(401);
      const r = await call(method, url, as('buyer'), payload);
      expect([r.statusCode, r.json().code]).toEqual([403, 'FORBIDDEN_ROLE']);
    },
  );
  it.each([
    ['GET', '/admin/riders'],
    ['GET', '/admin/dispatch'],
    ['POST', `/admin/riders/${ids.rider}/verify`, {}],
    ['POST', `/admin/riders/${ids.rider}/reject`, { reason: 'x' }],
    ['POST', `/admin/dispatch/${ids.rider}/assign`, { reason: 'x', rider_id: ids.rider }],
  ] as Array<['GET' | 'POST', string, object?]>)('%s %s: admins only', async (method, url, body) => {
    const r = await call(method, url, as('rider'), body);
    expect(r.statusCode).toBe(403);
  });
  it('a signed-in user without a profile gets 404 on GET /rider/profile', async () => {
    expect((await call('GET', '/rider/profile', as('buyer'))).statusCode).toBe(404);
  });
});

describe('bad input', () => {
  const bad = async (
    method: 'GET' | 'POST',
    url: string,
    payload: unknown,
    who: keyof typeof ids = 'rider',
  ) => {
    const r = await call(method, url, as(who), payload);
    return {
      status: r.statusCode,
      code: r.json().code as string,
      field: r.json().field as string | undefined,
    };
  };
  it('POST /rider/profile', async () => {
    expect(await bad('POST', '/rider/profile', { plate: 'MC123ABC', home_zone_id: ZONE })).toMatchObject({
      status: 400,
      field: 'vehicle',
    });
    expect(await bad('POST', '/rider/profile', { vehicle: 'truck', home_zone_id: ZONE })).toMatchObject({
      status: 400,
    });
    expect(await bad('POST', '/rider/profile', { vehicle: 'car', home_zone_id: 'kariakoo' })).toMatchObject({
      status: 400,
      field: 'home_zone_id',
    });
    expect(
      await bad('POST', '/rider/profile', { vehicle: 'car', home_zone_id: ZONE, capacity: '2' }),
    ).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(
      await bad('POST', '/rider/profile', { vehicle: 'car', home_zone_id: ZONE, extra: 1 }, 'buyer'),
    ).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(
      await bad('POST', '/rider/profile', { vehicle: 'car', home_zone_id: ZONE }, 'buyer'),
    ).toMatchObject({
      status: 422,
      code: 'PLATE_REQUIRED',
    });
    expect(
      await bad(
        'POST',
        '/rider/profile',
        { vehicle: 'car', plate: 'T123ABC', home_zone_id: ZONE, capacity: 9 },
        'buyer',
      ),
    ).toMatchObject({ status: 422, code: 'INVALID_CAPACITY', field: 'capacity' });
    expect(
      await bad(
        'POST',
        '/rider/profile',
        { vehicle: 'car', plate: 'T123ABC', home_zone_id: randomIds.newId() },
        'buyer',
      ),
    ).toMatchObject({ status: 422, code: 'UNKNOWN_ZONE' });
  });
  it('POST /rider/pings', async () => {
    expect(await bad('POST', '/rider/pings', { lat: '-6.8', lng: 39.2 })).toMatchObject({
      status: 400,
      field: 'lat',
    });
    expect(await bad('POST', '/rider/pings', { lat: -6.8 })).toMatchObject({ status: 400, field: 'lng' });
    expect(await bad('POST', '/rider/pings', { lat: -6.8, lng: 39.2, at: 'yesterday' })).toMatchObject({
      status: 400,
      field: 'at',
    });
    expect(await bad('POST', '/rider/pings', { lat: 95, lng: 39.2 })).toMatchObject({
      status: 422,
      code: 'INVALID_COORDINATES',
      field: 'lat',
    });
    expect(await bad('POST', '/rider/pings', { lat: -6.8, lng: -181 })).toMatchObject({
      status: 422,
      field: 'lng',
    });
    clock.advanceSeconds(60);
    const future = new Date(clock.now().getTime() + 60_000).toISOString();
    expect(await bad('POST', '/rider/pings', { lat: -6.8, lng: 39.2, at: future })).toMatchObject({
      status: 422,
      code: 'PING_FROM_FUTURE',
      field: 'at',
    });
  });
  it('offers and jobs: ids must be uuids, bodies complete', async () => {
    expect(await bad('POST', '/rider/offers/42/accept', undefined)).toMatchObject({
      status: 400,
      field: 'id',
    });
    expect(await bad('POST', `/rider/offers/${randomIds.newId()}/accept`, undefined)).toMatchObject({
      status: 404,
    });
    expect(await bad('POST', '/rider/jobs/nope/pick-up', { handover_code: '1' })).toMatchObject({
      status: 400,
    });
    expect(await bad('POST', `/rider/jobs/${randomIds.newId()}/pick-up`, {})).toMatchObject({
      status: 400,
      field: 'handover_code',
    });
    expect(
      await bad('POST', `/rider/jobs/${randomIds.newId()}/pick-up`, { handover_code: '1' }),
    ).toMatchObject({
      status: 404,
    });
    expect(
      await bad('POST', `/rider/jobs/${randomIds.newId()}/fail`, {
        reason: 'x',
        photo_media_id: randomIds.newId(),
      }),
    ).toMatchObject({ status: 400, field: 'location' });
    expect(
      await bad('POST', `/rider/jobs/${randomIds.newId()}/fail`, {
        reason: 'x',
        photo_media_id: randomIds.newId(),
        location: { lat: 100, lng: 0 },
      }),
    ).toMatchObject({ status: 422, code: 'INVALID_COORDINATES', field: 'location' });
    expect(await bad('POST', `/rider/jobs/${randomIds.newId()}/deliver`, { code: 7 })).toMatchObject({
      status: 400,
      field: 'code',
    });
    expect(await bad('POST', '/rider/jobs/nope/retry', undefined)).toMatchObject({ status: 400 });
    expect(await bad('POST', `/rider/jobs/${randomIds.newId()}/retry`, undefined)).toMatchObject({
      status: 404,
    });
    expect(await bad('POST', `/rider/jobs/${randomIds.newId()}/return`, {})).toMatchObject({
      status: 400,
      field: 'reason',
    });
    expect(await bad('POST', `/rider/jobs/${randomIds.newId()}/return`, { reason: '  ' })).toMatchObject({
      status: 400,
      field: 'reason',
    });
    expect(await bad('POST', `/rider/jobs/${randomIds.newId()}/returned`, { code: '1234' })).toMatchObject({
      status: 400,
    });
    expect(
      await bad('POST', `/rider/jobs/${randomIds.newId()}/returned`, { handover_code: '1234' }),
    ).toMatchObject({ status: 404 });
  });
  it('admin endpoints', async () => {
    expect(await bad('GET', '/admin/riders?status=sleeping', undefined, 'admin')).toMatchObject({
      status: 400,
    });
    expect(await bad('POST', `/admin/riders/${ids.rider}/reject`, {}, 'admin')).toMatchObject({
      status: 400,
      field: 'reason',
    });
    expect(
      await bad('POST', `/admin/riders/${randomIds.newId()}/reject`, { reason: 'fake ID' }, 'admin'),
    ).toMatchObject({
      status: 404,
    });
    expect(
      await bad('POST', `/admin/dispatch/${randomIds.newId()}/assign`, { reason: 'x' }, 'admin'),
    ).toMatchObject({
      status: 400,
      field: 'rider_id',
    });
    expect(
      await bad(
        'POST',
        `/admin/dispatch/${randomIds.newId()}/assign`,
        { rider_id: ids.rider, reason: 'x' },
        'admin',
      ),
    ).toMatchObject({ status: 409, code: 'ORDER_NOT_READY' });
    const r = await call('GET', '/admin/dispatch', as('admin'));
    expect(r.json()).toEqual({ items: [] });
  });
});
