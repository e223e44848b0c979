import type { FastifyInstance } from 'fastify';

// `npm run cli -- demo:seed`: a verified seller with two verified products, made through the public
// API exactly as people would (seller profile, KYC, admin approval, product review), so a new user
// can walk a whole order with the payment simulator right after `npm start`. Development only.

const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export const DEMO = { adminPhone: '+255754000001', sellerPhone: '+255754000002' } as const;

type Inject = FastifyInstance['inject'];

async function call(inject: Inject, method: 'GET' | 'POST', url: string, auth: object, payload?: unknown) {
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

export async function seedDemo(app: FastifyInstance, lastCode: (phone: string) => string) {
  const inject = app.inject.bind(app);
  // Both demo products say "Demo product." in their description.
  const existing = await call(inject, 'GET', '/api/v1/products?q=demo', {});
  if (existing.items.length > 0)
    return { created: false, products: existing.items.map((p: { id: string }) => p.id) };
  await app.services.identity.governance.createAdmin(DEMO.adminPhone);
  const admin = await signIn(inject, DEMO.adminPhone, lastCode);
  const seller = await signIn(inject, DEMO.sellerPhone, lastCode);
  await call(inject, 'POST', '/api/v1/me/seller-profile', seller, {
    shop_name: 'Mama Neema Fabrics',
    business_type: 'informal',
    ward: 'Kariakoo',
    landmark: 'Msimbazi Street, opposite the mosque',
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
  return { created: true, products };
}
