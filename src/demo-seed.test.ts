import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test/support/app.js';
import { nextPhone } from '../test/support/fixtures.js';
import { DEMO, describeDemoZones, seedDemo } from './demo-seed.js';
import { DAR_DEMO_ZONES, demoBand } from './demo-zones.js';

// demo:seed in-process (the CLI test runs the real command twice): the demo zones, a complete fee
// table, service hours and a seller pickup point inside a zone, so DELIVERY_QUOTES=zones works at
// once; each part only when missing, and an operator's own zones are never touched.

const zone = (name: string) => DAR_DEMO_ZONES.find((z) => z.name === name)!.centre;

describe('demo:seed with DELIVERY_QUOTES=zones', () => {
  let t: TestApp;
  const lastCode = (phone: string) => t.sms.lastCode(phone);
  beforeAll(async () => {
    t = await createTestApp({ DELIVERY_QUOTES: 'zones' });
  });
  afterAll(() => t.close());

  it('draws the zones, the full fee table and the hours, and a buyer is quoted from the seller at once', async () => {
    const r = await seedDemo(t.app, lastCode);
    expect(r.created).toBe(true);
    expect(r.zones).toEqual({
      zonesCreated: DAR_DEMO_ZONES.map((z) => z.name),
      keptOperatorZones: false,
      feesSet: true,
      hoursSet: true,
      pickupSet: false,
    });
    const zones = t.app.services.zones.service;
    expect((await zones.listZones()).map((z) => z.name).sort()).toEqual(
      DAR_DEMO_ZONES.map((z) => z.name).sort(),
    );
    const table = await zones.feeTable();
    expect(table.missing).toEqual([]);
    expect(table.items).toHaveLength(DAR_DEMO_ZONES.length ** 2);
    const hours = await zones.serviceHours();
    expect(hours.isDefault).toBe(false);
    expect(hours.hours[0]).toEqual({ open: 10 * 60, close: 16 * 60 });
    // Each change went through the admin API, so it is audited with its reason.
    t.clock.advanceSeconds(120); // past the OTP resend cooldown of the seed's own sign-in
    const admin = await t.login(DEMO.adminPhone);
    const audit = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/audit-events?action=delivery_fees.replaced',
      headers: admin.auth,
    });
    expect(audit.json().items).toEqual([expect.objectContaining({ reason: 'demo:seed' })]);

    // A buyer in Mikocheni: the seeded products are quoted from Kariakoo, at cart preview and at checkout.
    const b = await t.login(nextPhone());
    const product = (await t.app.inject({ method: 'GET', url: `/api/v1/products/${r.products[0]}` })).json();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/cart/items',
      headers: b.auth,
      payload: { sku_id: product.variants[0].sku_id, quantity: 1 },
    });
    const address = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: b.auth,
      payload: { label: 'Home', ward: 'Mikocheni', landmark: 'Blue gate', location: zone('Mikocheni') },
    });
    const cart = await t.app.inject({
      method: 'GET',
      url: `/api/v1/cart?address_id=${address.json().id}`,
      headers: b.auth,
    });
    expect(cart.statusCode, cart.body).toBe(200);
    expect(cart.json().sellers[0].delivery).toMatchObject({
      from_zone: 'Kariakoo',
      to_zone: 'Mikocheni',
      fee: demoBand('Kariakoo', 'Mikocheni').fee,
    });
    const co = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders/checkout',
      headers: { ...b.auth, 'idempotency-key': 'demo-seed-zones-1' },
      payload: {
        address_id: address.json().id,
        payer_phone: '0754 123 456',
        preview_token: cart.json().preview_token,
      },
    });
    expect(co.statusCode, co.body).toBe(201);
    expect(co.json().orders[0].snapshot.delivery).toMatchObject({
      from_zone: 'Kariakoo',
      to_zone: 'Mikocheni',
    });
  });

  it('run again: nothing to do, and nobody signs in (the OTP limits would refuse a second code)', async () => {
    const sent = t.sms.sent.length;
    const r = await seedDemo(t.app, lastCode);
    expect(r.created).toBe(false);
    expect(r.zones).toEqual({
      zonesCreated: [],
      keptOperatorZones: false,
      feesSet: false,
      hoursSet: false,
      pickupSet: false,
    });
    expect(describeDemoZones(r.zones)).toBe(
      'delivery zones: already there (try them with DELIVERY_QUOTES=zones)',
    );
    expect(t.sms.sent.length).toBe(sent);
  });

  it('a database seeded before zones: the missing parts are added, the rest left as it is', async () => {
    // As an older seed left it: a seller without a pickup point.
    await t.handle.db.execute(
      sql`update seller_profiles set latitude = null, longitude = null where user_id = (select id from users where phone = ${DEMO.sellerPhone})`,
    );
    t.clock.advanceSeconds(120); // past the OTP resend cooldown of the sign-ins above
    const r = await seedDemo(t.app, lastCode);
    expect(r.zones).toMatchObject({ zonesCreated: [], feesSet: false, hoursSet: false, pickupSet: true });
    const seller = await t.app.services.identity.governance.listUsers({ phone: DEMO.sellerPhone, limit: 1 });
    const p = await t.app.services.identity.profiles.getSellerProfile(seller.items[0]!.id);
    const z = await t.app.services.zones.service.zoneOfPoint({ lat: p!.latitude!, lng: p!.longitude! });
    expect(z?.name).toBe('Kariakoo');
  });
});

describe('demo:seed next to an operator’s own zones', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('leaves them, their fee table and hours alone', async () => {
    const admin = await t.loginAdmin(DEMO.adminPhone);
    const own = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/zones',
      headers: admin.auth,
      payload: { name: 'Upanga', polygon: DAR_DEMO_ZONES[0]!.polygon, reason: 'our own map' },
    });
    expect(own.statusCode, own.body).toBe(201);
    t.clock.advanceSeconds(120);
    const r = await seedDemo(t.app, (phone) => t.sms.lastCode(phone));
    expect(r.created).toBe(true);
    expect(r.zones).toMatchObject({
      keptOperatorZones: true,
      zonesCreated: [],
      feesSet: false,
      hoursSet: false,
    });
    expect((await t.app.services.zones.service.listZones()).map((z) => z.name)).toEqual(['Upanga']);
    expect((await t.app.services.zones.service.serviceHours()).isDefault).toBe(true);
    expect(describeDemoZones(r.zones)).toMatch(/^delivery zones: kept the zones already drawn/);
  });
});

describe('demo:seed and signing in afterwards', () => {
  it('leaves no resend cooldown on the demo admin and seller it signed in as', async () => {
    const t = await createTestApp();
    try {
      await seedDemo(t.app, (phone) => t.sms.lastCode(phone));
      for (const phone of [DEMO.adminPhone, DEMO.sellerPhone]) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/otp/request',
          payload: { phone },
        });
        expect(res.statusCode, `${phone}: ${res.body}`).toBe(202);
        const signedIn = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/otp/verify',
          payload: { phone, code: t.sms.lastCode(phone) },
        });
        expect(signedIn.statusCode).toBe(200);
      }
    } finally {
      await t.close();
    }
  }, 60_000);
});
