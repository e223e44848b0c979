import type { FastifyInstance } from 'fastify';
import { DAR_DEMO_PICKUP, DAR_DEMO_SERVICE_HOURS, DAR_DEMO_ZONES, demoFeeTable } from './demo-zones.js';

// `npm run cli -- demo:seed`: a verified seller with two verified products, made through the public
// API exactly as people would (seller profile, KYC, admin approval, product review), so a new user
// can walk a whole order with the payment simulator right after `npm start`. It also draws the demo
// Dar es Salaam delivery zones with a full fee table and service hours (admin API) and gives the
// seller a pickup point inside Kariakoo, so DELIVERY_QUOTES=zones works at once. Development only.
// Each part is done only when missing, so running it twice changes nothing the second time.

const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export const DEMO = { adminPhone: '+255754000001', sellerPhone: '+255754000002' } as const;

type Inject = FastifyInstance['inject'];

async function call(
  inject: Inject,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  url: string,
  auth: object,
  payload?: unknown,
) {
  const res = await inject({
    method,
    url,
    headers: { ...auth },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

async function upload(inject: Inject, auth: object, purpose: string) {
  const boundary = '----kkoodemo';
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="demo.png"\r\nContent-Type: image/png\r\n\r\n`,
    ),
    PNG_1x1,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await inject({
    method: 'POST',
    url: `/api/v1/media?purpose=${purpose}`,
    headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
  if (res.statusCode !== 201) throw new Error(`upload answered ${res.statusCode}: ${res.body}`);
  return res.json().id as string;
}

/**
 * Sign in through the OTP endpoints, reading the code from the SMS adapter the seeding app was
 * built with (the caller passes what it sent).
 */
async function signIn(inject: Inject, phone: string, lastCode: (phone: string) => string) {
  await call(inject, 'POST', '/api/v1/auth/otp/request', {}, { phone });
  const r = await call(inject, 'POST', '/api/v1/auth/otp/verify', {}, { phone, code: lastCode(phone) });
  return { authorization: `Bearer ${r.token}` };
}

type Auth = { authorization: string };

/** What the zone part of the seed did (each false/empty when it was already there). */
export interface DemoZonesResult {
  /** demo zones created now, by name */
  zonesCreated: string[];
  /** the operator drew zones of their own: the demo zones, fees and hours were left alone */
  keptOperatorZones: boolean;
  feesSet: boolean;
  hoursSet: boolean;
  pickupSet: boolean;
}

/**
 * The demo zones, the full fee table between them and the service hours, through the admin API,
 * and the demo seller's pickup point. Reads go through the services so that a second run, with
 * everything in place, signs nobody in (the OTP limits would refuse a second code within a minute).
 * A database whose zones are not the demo ones is the operator's: its zones are never touched.
 */
async function seedDemoZones(
  app: FastifyInstance,
  inject: Inject,
  admin: () => Promise<Auth>,
  seller: () => Promise<Auth>,
): Promise<DemoZonesResult> {
  const zones = app.services.zones.service;
  const out: DemoZonesResult = {
    zonesCreated: [],
    keptOperatorZones: false,
    feesSet: false,
    hoursSet: false,
    pickupSet: false,
  };
  const demoNames = new Set(DAR_DEMO_ZONES.map((z) => z.name.toLowerCase()));
  const existing = await zones.listZones();
  out.keptOperatorZones = existing.some((z) => !demoNames.has(z.name.toLowerCase()));
  if (!out.keptOperatorZones) {
    const ids = new Map(existing.map((z) => [z.name.toLowerCase(), z.id]));
    for (const z of DAR_DEMO_ZONES) {
      if (ids.has(z.name.toLowerCase())) continue;
      const created = await call(inject, 'POST', '/api/v1/admin/zones', await admin(), {
        name: z.name,
        polygon: z.polygon,
        reason: 'demo:seed',
      });
      ids.set(z.name.toLowerCase(), created.id);
      out.zonesCreated.push(z.name);
    }
    const table = await zones.feeTable();
    if (table.items.length === 0 || table.missing.length > 0) {
      const byName = new Map(DAR_DEMO_ZONES.map((z) => [z.name, ids.get(z.name.toLowerCase())!]));
      await call(inject, 'PUT', '/api/v1/admin/delivery-fees', await admin(), {
        fees: demoFeeTable(byName),
        reason: 'demo:seed',
      });
      out.feesSet = true;
    }
    if ((await zones.serviceHours()).isDefault) {
      await call(inject, 'PUT', '/api/v1/admin/service-hours', await admin(), {
        days: DAR_DEMO_SERVICE_HOURS,
        reason: 'demo:seed',
      });
      out.hoursSet = true;
    }
  }
  // A seller seeded before zones existed has no pickup point: give it one inside Kariakoo.
  const { items } = await app.services.identity.governance.listUsers({ phone: DEMO.sellerPhone, limit: 1 });
  const profile = items[0] ? await app.services.identity.profiles.getSellerProfile(items[0].id) : null;
  if (profile && (profile.latitude === null || profile.longitude === null)) {
    await call(inject, 'PATCH', '/api/v1/me/seller-profile', await seller(), { location: DAR_DEMO_PICKUP });
    out.pickupSet = true;
  }
  return out;
}

/** Signs in at most once, and only when first needed. */
function lazily(signInOnce: () => Promise<Auth>): () => Promise<Auth> {
  let session: Promise<Auth> | null = null;
  return () => {
    session ??= signInOnce();
    return session;
  };
}

export async function seedDemo(app: FastifyInstance, lastCode: (phone: string) => string) {
  const inject = app.inject.bind(app);
  const adminSession = lazily(async () => {
    await app.services.identity.governance.createAdmin(DEMO.adminPhone);
    return signIn(inject, DEMO.adminPhone, lastCode);
  });
  const sellerSession = lazily(() => signIn(inject, DEMO.sellerPhone, lastCode));
  // Both demo products say "Demo product." in their description.
  // The seed signs in as the demo admin and seller; their used codes must not leave a resend
  // cooldown, or the person trying the demo right after is told to wait a minute.
  const forgetSeedSignIns = async () => {
    for (const phone of [DEMO.adminPhone, DEMO.sellerPhone])
      await app.services.identity.auth.forgetUsedCodes(phone);
  };
  const existing = await call(inject, 'GET', '/api/v1/products?q=demo', {});
  if (existing.items.length > 0) {
    const zones = await seedDemoZones(app, inject, adminSession, sellerSession);
    await forgetSeedSignIns();
    return { created: false, products: existing.items.map((p: { id: string }) => p.id), zones };
  }
  const admin = await adminSession();
  const seller = await sellerSession();
  await call(inject, 'POST', '/api/v1/me/seller-profile', seller, {
    shop_name: 'Mama Neema Fabrics',
    business_type: 'informal',
    ward: 'Kariakoo',
    landmark: 'Msimbazi Street, opposite the mosque',
    location: DAR_DEMO_PICKUP,
    payout_phone: DEMO.sellerPhone,
    payout_wallet: 'mpesa',
  });
  const doc = await upload(inject, seller, 'kyc_document');
  const kyc = await call(inject, 'POST', '/api/v1/me/kyc', seller, {
    id_type: 'nida',
    id_number: '19900101123456789012',
    document_media_ids: [doc],
  });
  await call(inject, 'POST', `/api/v1/admin/kyc/${kyc.id}/approve`, admin, {});
  const category = await call(inject, 'POST', '/api/v1/admin/categories', admin, { name: 'Fashion' });
  const products: string[] = [];
  for (const [title, price] of [
    ['Kitenge wax print, 6 yards', 25_000_00],
    ['Kanga pair, Swahili proverb', 12_000_00],
  ] as const) {
    const p = await call(inject, 'POST', '/api/v1/seller/products', seller, {
      title,
      description: 'Cotton, made in Tanzania. Demo product.',
      category_id: category.id,
      brand_id: null,
      specs: { material: 'cotton' },
      variants: [
        { seller_sku: `DEMO-${products.length + 1}`, price, stock: 100, attributes: { colour: 'blue' } },
      ],
    });
    const image = await upload(inject, seller, 'product_image');
    await call(inject, 'POST', `/api/v1/seller/products/${p.id}/media`, seller, { media_id: image });
    await call(inject, 'POST', `/api/v1/seller/products/${p.id}/submit`, seller);
    await call(inject, 'POST', `/api/v1/admin/products/${p.id}/media/${image}/verify`, admin, {});
    await call(inject, 'POST', `/api/v1/admin/products/${p.id}/verify`, admin, {});
    products.push(p.id);
  }
  const zones = await seedDemoZones(app, inject, adminSession, sellerSession);
  await forgetSeedSignIns();
  return { created: true, products, zones };
}

/** One line for the CLI: what the zone part did. */
export function describeDemoZones(z: DemoZonesResult): string {
  if (z.keptOperatorZones)
    return `delivery zones: kept the zones already drawn (not the demo ones)${z.pickupSet ? '; seller pickup point set in Kariakoo' : ''}`;
  const done = [
    z.zonesCreated.length ? `created ${z.zonesCreated.join(', ')}` : null,
    z.feesSet ? 'fee table set' : null,
    z.hoursSet ? 'service hours set' : null,
    z.pickupSet ? 'seller pickup point set in Kariakoo' : null,
  ].filter((x) => x !== null);
  return `delivery zones: ${done.length ? done.join('; ') : 'already there'} (try them with DELIVERY_QUOTES=zones)`;
}
