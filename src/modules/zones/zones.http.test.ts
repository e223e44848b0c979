import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MemoryZonesStore, memoryZonesStore } from '../../../test/support/zones-memory-store.js';
import { DAR_DEMO_ZONES, demoFeeTable } from '../../demo-zones.js';
import type { AuthContext } from '../../shared/auth.js';
import { ManualClock } from '../../shared/clock.js';
import { AppError, registerErrorHandling } from '../../shared/errors.js';
import { randomIds } from '../../shared/ids.js';
import { type Ring, ringToCells } from './geo.js';
import { zonesAdminRoutes } from './routes.js';
import { createZonesService, type ZonesService } from './service.js';

// The admin routes on a minimal Fastify app (the same error handling and Zod compilers as app.ts),
// over the in-memory store: what each route accepts, refuses and answers, without a database.

const ADMIN_ID = '00000000-0000-7000-8000-00000000ad01';
const admin = { authorization: 'Bearer admin-token-0001' };
const buyer = { authorization: 'Bearer buyer-token-0001' };
const users: Record<string, AuthContext> = {
  'admin-token-0001': { userId: ADMIN_ID, sessionId: 's1', phone: '+255754000001', roles: ['admin'] },
  'buyer-token-0001': {
    userId: '00000000-0000-7000-8000-0000000b0001',
    sessionId: 's2',
    phone: '+255754000002',
    roles: ['buyer'],
  },
};

let app: FastifyInstance;
let store: MemoryZonesStore;
const clock = new ManualClock('2026-11-24T09:00:00Z');

/** A Fastify app with the error handling, Zod compilers and auth hook of app.ts, and only these routes. */
async function buildZonesApp(zones: ZonesService): Promise<FastifyInstance> {
  const a = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  a.setValidatorCompiler(validatorCompiler);
  a.setSerializerCompiler(serializerCompiler);
  a.decorateRequest('auth', null);
  a.decorate('authenticator', async (token: string) => {
    const user = users[token];
    if (!user) throw new AppError('INVALID_TOKEN', 401, 'Unknown session.');
    return user;
  });
  registerErrorHandling(a);
  await a.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'zones', version: '0' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await a.register(zonesAdminRoutes({ zones }), { prefix: '/api/v1/admin' });
  await a.ready();
  return a;
}

beforeEach(async () => {
  store = memoryZonesStore();
  app = await buildZonesApp(createZonesService({ store, clock, ids: randomIds }));
});
afterEach(async () => {
  await app.close();
});

const demo = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!;
const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: object, headers = admin) =>
  app.inject({ method, url: `/api/v1/admin${url}`, headers, ...(payload ? { payload } : {}) });

async function createDemoZones() {
  const ids = new Map<string, string>();
  for (const z of DAR_DEMO_ZONES) {
    const res = await call('POST', '/zones', { name: z.name, polygon: z.polygon, reason: 'launch' });
    expect(res.statusCode, res.body).toBe(201);
    ids.set(z.name, res.json().id);
  }
  return ids;
}

describe('admin zone routes', () => {
  it('are described in the OpenAPI document', () => {
    const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/admin/delivery-fees',
      '/api/v1/admin/service-hours',
      '/api/v1/admin/zones',
      '/api/v1/admin/zones/{id}',
    ]);
    expect(Object.keys(doc.paths['/api/v1/admin/zones/{id}']!).sort()).toEqual(['get', 'patch']);
  });

  it('are for admins only', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/admin/zones' })).statusCode).toBe(401);
    const res = await call('GET', '/zones', undefined, buyer);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN_ROLE');
    expect((await call('PUT', '/service-hours', { days: [], reason: 'x' }, buyer)).statusCode).toBe(403);
  });

  it('POST /zones creates a zone from a ring; GET lists and shows it with its cells', async () => {
    const res = await call('POST', '/zones', {
      name: 'Kariakoo',
      polygon: demo('Kariakoo').polygon,
      reason: 'launch',
    });
    expect(res.statusCode, res.body).toBe(201);
    const zone = res.json();
    expect(zone).toEqual({
      id: expect.any(String),
      name: 'Kariakoo',
      polygon: demo('Kariakoo').polygon,
      cell_count: ringToCells(demo('Kariakoo').polygon).length,
      active: true,
      created_at: '2026-11-24T12:00:00.000+03:00',
      updated_at: '2026-11-24T12:00:00.000+03:00',
    });
    expect((await call('GET', '/zones')).json()).toEqual({ items: [zone] });
    const one = await call('GET', `/zones/${zone.id}`);
    expect(one.json()).toEqual({ ...zone, cells: ringToCells(demo('Kariakoo').polygon) });
    expect(store.auditEntries).toEqual([
      expect.objectContaining({
        actorUserId: ADMIN_ID,
        action: 'delivery_zone.created',
        targetId: zone.id,
        reason: 'launch',
      }),
    ]);
    expect((await call('GET', '/zones/00000000-0000-7000-8000-000000000999')).statusCode).toBe(404);
    expect((await call('GET', '/zones/not-a-uuid')).statusCode).toBe(400);
  });

  it('a ring that does not close is a 422 POLYGON_NOT_CLOSED on polygon', async () => {
    const res = await call('POST', '/zones', {
      name: 'Kariakoo',
      polygon: demo('Kariakoo').polygon.slice(0, -1),
      reason: 'launch',
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'POLYGON_NOT_CLOSED', field: 'polygon', status: 422 });
  });

  it('too few points, coordinates off the Earth and an empty cover are 422s too', async () => {
    const post = (polygon: unknown) => call('POST', '/zones', { name: 'Z', polygon, reason: 'r' });
    expect(
      (
        await post([
          [39.27, -6.82],
          [39.28, -6.82],
          [39.27, -6.82],
        ])
      ).json().code,
    ).toBe('POLYGON_TOO_FEW_POINTS');
    const bad = await post([
      [39.27, -6.82],
      [39.28, -6.82],
      [39.28, 96.81],
      [39.27, -6.82],
    ]);
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ code: 'INVALID_COORDINATES', field: 'polygon.2' });
    const tiny = await post([
      [39.27, -6.82],
      [39.2701, -6.82],
      [39.2701, -6.8199],
      [39.27, -6.8199],
      [39.27, -6.82],
    ]);
    expect(tiny.json()).toMatchObject({ code: 'POLYGON_EMPTY', field: 'polygon' });
    // Shapes the schema refuses before the service: not a pair of numbers.
    expect((await post([[39.27, -6.82, 0]])).statusCode).toBe(400);
    expect((await post('Kariakoo')).statusCode).toBe(400);
    expect(store.auditEntries).toEqual([]);
  });

  it('a zone overlapping another is a 409 ZONE_OVERLAP naming it; the reason is required', async () => {
    await createDemoZones();
    const ring = demo('Kinondoni').polygon.map(([lng, lat]) => [lng + 0.01, lat]) as Ring;
    const res = await call('POST', '/zones', { name: 'Magomeni', polygon: ring, reason: 'r' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'ZONE_OVERLAP', field: 'polygon' });
    expect(res.json().detail).toContain('Kinondoni');
    expect(res.json().overlapping_zones).toEqual([expect.objectContaining({ name: 'Kinondoni' })]);
    const noReason = await call('POST', '/zones', { name: 'Magomeni', polygon: ring });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().field).toBe('reason');
    expect(
      (await call('POST', '/zones', { name: 'Magomeni', polygon: ring, reason: '   ' })).statusCode,
    ).toBe(400);
  });

  it('PATCH /zones/:id renames, redraws and switches off, with a reason', async () => {
    const ids = await createDemoZones();
    const id = ids.get('Mbezi')!;
    const renamed = await call('PATCH', `/zones/${id}`, { name: 'Mbezi Beach', reason: 'its real name' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ id, name: 'Mbezi Beach', active: true });
    const off = await call('PATCH', `/zones/${id}`, { active: false, reason: 'no riders there yet' });
    expect(off.json().active).toBe(false);
    expect((await call('PATCH', `/zones/${id}`, { reason: 'nothing' })).statusCode).toBe(400);
    expect((await call('PATCH', `/zones/${id}`, { active: true })).statusCode).toBe(400);
    expect((await call('PATCH', `/zones/${id}`, { name: 'Kariakoo', reason: 'r' })).json().code).toBe(
      'ZONE_NAME_TAKEN',
    );
    expect((await call('PATCH', `/zones/${id}`, { colour: 'red', reason: 'r' })).json().code).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      store.auditEntries.filter((e) => e.action === 'delivery_zone.updated').map((e) => e.reason),
    ).toEqual(['its real name', 'no riders there yet']);
  });
});

describe('admin fee table routes', () => {
  it('PUT /delivery-fees replaces the table; GET shows it with names', async () => {
    const ids = await createDemoZones();
    const put = await call('PUT', '/delivery-fees', { fees: demoFeeTable(ids), reason: 'launch prices' });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().items).toHaveLength(25);
    expect(put.json().missing).toEqual([]);
    expect(put.json().items[0]).toEqual({
      from_zone_id: ids.get('Kariakoo'),
      from_zone: 'Kariakoo',
      to_zone_id: ids.get('Kariakoo'),
      to_zone: 'Kariakoo',
      fee: 200_000,
      currency: 'TZS',
      duration_minutes: 120,
    });
    expect(put.json().updated_at).toBe('2026-11-24T12:00:00.000+03:00');
    expect((await call('GET', '/delivery-fees')).json()).toEqual(put.json());
    expect(store.auditEntries.at(-1)).toMatchObject({
      action: 'delivery_fees.replaced',
      reason: 'launch prices',
    });
  });

  it('a table with a missing pair is a 422 FEE_TABLE_INCOMPLETE listing the pairs', async () => {
    const ids = await createDemoZones();
    const fees = demoFeeTable(ids).filter(
      (r) => !(r.from_zone_id === ids.get('Mbezi') && r.to_zone_id === ids.get('Kigamboni')),
    );
    const res = await call('PUT', '/delivery-fees', { fees, reason: 'r' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'FEE_TABLE_INCOMPLETE', field: 'fees' });
    expect(res.json().missing_pairs).toEqual([
      {
        from_zone_id: ids.get('Mbezi'),
        from_zone: 'Mbezi',
        to_zone_id: ids.get('Kigamboni'),
        to_zone: 'Kigamboni',
      },
    ]);
    expect((await call('GET', '/delivery-fees')).json()).toMatchObject({
      items: [],
      missing: expect.any(Array),
    });
    expect((await call('GET', '/delivery-fees')).json().missing).toHaveLength(25);
  });

  it('duplicates and unknown zones are 422; cents and negative fees are refused by the schema', async () => {
    const ids = await createDemoZones();
    const fees = demoFeeTable(ids);
    const dup = await call('PUT', '/delivery-fees', { fees: [...fees, fees[0]], reason: 'r' });
    expect(dup.json()).toMatchObject({ code: 'DUPLICATE_FEE_PAIR', field: 'fees.25' });
    const unknown = [...fees];
    unknown[2] = { ...unknown[2]!, from_zone_id: '00000000-0000-7000-8000-000000000999' };
    expect((await call('PUT', '/delivery-fees', { fees: unknown, reason: 'r' })).json()).toMatchObject({
      code: 'UNKNOWN_ZONE',
      field: 'fees.2.from_zone_id',
    });
    const cents = [...fees];
    cents[1] = { ...cents[1]!, fee: 250_050 };
    const res = await call('PUT', '/delivery-fees', { fees: cents, reason: 'r' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'fees.1.fee' });
    expect(res.json().detail).toContain('whole shillings');
    const negative = [...fees];
    negative[1] = { ...negative[1]!, fee: -100 };
    expect((await call('PUT', '/delivery-fees', { fees: negative, reason: 'r' })).json().field).toBe(
      'fees.1.fee',
    );
    expect((await call('PUT', '/delivery-fees', { fees })).json().field).toBe('reason');
    expect(store.auditEntries.filter((e) => e.action === 'delivery_fees.replaced')).toEqual([]);
  });
});

describe('admin service hours routes', () => {
  const week = (sunday: { open: string | null; close: string | null }) =>
    Array.from({ length: 7 }, (_, weekday) =>
      weekday === 0 ? { weekday, ...sunday } : { weekday, open: '08:00', close: '20:00' },
    );

  it('GET shows the defaults; PUT replaces them in Dar es Salaam time', async () => {
    const before = (await call('GET', '/service-hours')).json();
    expect(before).toMatchObject({ timezone: 'Africa/Dar_es_Salaam', is_default: true, updated_at: null });
    expect(before.days[0]).toEqual({ weekday: 0, day: 'Sunday', open: null, close: null, closed: true });
    expect(before.days[1]).toEqual({
      weekday: 1,
      day: 'Monday',
      open: '08:00',
      close: '20:00',
      closed: false,
    });
    const put = await call('PUT', '/service-hours', {
      days: week({ open: '10:00', close: '16:00' }),
      reason: 'Sunday service',
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().is_default).toBe(false);
    expect(put.json().days[0]).toEqual({
      weekday: 0,
      day: 'Sunday',
      open: '10:00',
      close: '16:00',
      closed: false,
    });
    expect((await call('GET', '/service-hours')).json()).toEqual(put.json());
    expect(store.auditEntries.at(-1)).toMatchObject({
      action: 'service_hours.replaced',
      reason: 'Sunday service',
    });
  });

  it('refuses a missing day, half a window and close before open (422), and bad shapes (400)', async () => {
    const missing = await call('PUT', '/service-hours', {
      days: week({ open: null, close: null }).slice(1),
      reason: 'r',
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'INVALID_SERVICE_HOURS', field: 'days' });
    const half = await call('PUT', '/service-hours', {
      days: week({ open: '08:00', close: null }),
      reason: 'r',
    });
    expect(half.json()).toMatchObject({ code: 'INVALID_SERVICE_HOURS', field: 'days.0.close' });
    const backwards = await call('PUT', '/service-hours', {
      days: week({ open: '20:00', close: '08:00' }),
      reason: 'r',
    });
    expect(backwards.json().field).toBe('days.0.close');
    expect(
      (await call('PUT', '/service-hours', { days: week({ open: '8am', close: null }), reason: 'r' }))
        .statusCode,
    ).toBe(400);
    expect(
      (await call('PUT', '/service-hours', { days: week({ open: null, close: null }) })).statusCode,
    ).toBe(400);
    expect((await call('GET', '/service-hours')).json().is_default).toBe(true);
  });
});
