import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, multipartBody, PNG_1x1, type TestApp } from '../../../test/support/app.js';

let t: TestApp;
let admin: Awaited<ReturnType<TestApp['loginAdmin']>>;
beforeAll(async () => {
  t = await createTestApp();
  admin = await t.loginAdmin('+255754900001');
});
afterAll(() => t.close());

let n = 1;
const freshPhone = () => `+2557770${String(n++).padStart(5, '0')}`;
const NIDA = '19900101-12345-67890-12';

async function uploadDoc(auth: Record<string, string>, purpose = 'kyc_document'): Promise<string> {
  const body = multipartBody('file', 'id-front.png', 'image/png', PNG_1x1);
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/media?purpose=${purpose}`,
    headers: { ...auth, ...body.headers },
    payload: body.payload,
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

async function newSeller() {
  const me = await t.login(freshPhone());
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/me/seller-profile',
    headers: me.auth,
    payload: {
      shop_name: 'Duka la Juma',
      business_type: 'informal',
      ward: 'Kariakoo',
      landmark: 'Near Uhuru St',
      payout_phone: '0754 222 333',
      payout_wallet: 'mpesa',
    },
  });
  expect(res.statusCode).toBe(201);
  return me;
}

const submit = (auth: Record<string, string>, payload: object) =>
  t.app.inject({ method: 'POST', url: '/api/v1/me/kyc', headers: auth, payload });

describe('KYC', () => {
  it('walks not_submitted → pending → verified, and the seller guard opens only at the end', async () => {
    const seller = await newSeller();
    const guard = () => t.app.services.identity.assertActiveVerifiedSeller(seller.userId);
    await expect(guard()).rejects.toMatchObject({ code: 'SELLER_NOT_VERIFIED' });
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me/kyc', headers: seller.auth })).json(),
    ).toEqual({ status: 'not_submitted', latest_submission: null });

    const front = await uploadDoc(seller.auth);
    const back = await uploadDoc(seller.auth);
    const res = await submit(seller.auth, {
      id_type: 'nida',
      id_number: NIDA,
      document_media_ids: [front, back],
    });
    expect(res.statusCode).toBe(201);
    const sub = res.json();
    expect(sub).toMatchObject({ status: 'pending', id_type: 'nida', id_number: '19900101123456789012' });
    expect(sub.documents.map((d: { id: string }) => d.id)).toEqual([front, back]);
    await expect(guard()).rejects.toMatchObject({ code: 'SELLER_NOT_VERIFIED' });

    const queue = await t.app.inject({ method: 'GET', url: '/api/v1/admin/kyc', headers: admin.auth });
    expect(queue.json().items.map((i: { id: string }) => i.id)).toContain(sub.id);

    const detail = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/kyc/${sub.id}`,
      headers: admin.auth,
    });
    expect(detail.json()).toMatchObject({
      id: sub.id,
      shop_name: 'Duka la Juma',
      documents: [{ id: front }, { id: back }],
    });

    const approve = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/kyc/${sub.id}/approve`,
      headers: admin.auth,
      payload: { reason: 'NIDA matches selfie' },
    });
    expect(approve.statusCode).toBe(200);
    expect(approve.json()).toMatchObject({
      status: 'verified',
      decided_at: expect.stringMatching(/\+03:00$/),
    });
    await expect(guard()).resolves.toBeUndefined();
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me/kyc', headers: seller.auth })).json().status,
    ).toBe('verified');

    const trail = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit-events?target_type=kyc_submission&target_id=${sub.id}`,
      headers: admin.auth,
    });
    expect(trail.json().items.map((e: { action: string }) => e.action)).toEqual([
      'kyc.approved',
      'kyc.submitted',
    ]);
    expect(trail.json().items[0]).toMatchObject({
      actor_user_id: admin.userId,
      reason: 'NIDA matches selfie',
    });
  });

  it('a rejection carries a reason the seller sees, and the seller may submit again', async () => {
    const seller = await newSeller();
    const doc = await uploadDoc(seller.auth);
    const first = (
      await submit(seller.auth, { id_type: 'passport', id_number: 'AB123456', document_media_ids: [doc] })
    ).json();
    const noReason = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/kyc/${first.id}/reject`,
      headers: admin.auth,
      payload: {},
    });
    expect(noReason.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'reason' });
    const reject = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/kyc/${first.id}/reject`,
      headers: admin.auth,
      payload: { reason: 'Photo is blurred' },
    });
    expect(reject.json()).toMatchObject({ status: 'rejected', rejection_reason: 'Photo is blurred' });
    const mine = (await t.app.inject({ method: 'GET', url: '/api/v1/me/kyc', headers: seller.auth })).json();
    expect(mine).toMatchObject({
      status: 'rejected',
      latest_submission: { rejection_reason: 'Photo is blurred' },
    });
    await expect(t.app.services.identity.assertActiveVerifiedSeller(seller.userId)).rejects.toMatchObject({
      code: 'SELLER_NOT_VERIFIED',
    });

    const again = await submit(seller.auth, {
      id_type: 'passport',
      id_number: 'AB123456',
      document_media_ids: [await uploadDoc(seller.auth)],
    });
    expect(again.statusCode).toBe(201);
    expect(again.json().status).toBe('pending');
  });

  it('refuses a second submission while one is pending or after verification', async () => {
    const seller = await newSeller();
    const doc = await uploadDoc(seller.auth);
    const sub = (
      await submit(seller.auth, { id_type: 'nida', id_number: NIDA, document_media_ids: [doc] })
    ).json();
    const pending = await submit(seller.auth, {
      id_type: 'nida',
      id_number: NIDA,
      document_media_ids: [doc],
    });
    expect(pending.statusCode).toBe(409);
    expect(pending.json().code).toBe('KYC_ALREADY_PENDING');
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/kyc/${sub.id}/approve`,
      headers: admin.auth,
      payload: {},
    });
    const verified = await submit(seller.auth, {
      id_type: 'nida',
      id_number: NIDA,
      document_media_ids: [doc],
    });
    expect(verified.json().code).toBe('KYC_ALREADY_VERIFIED');
  });

  it('decides a submission only once', async () => {
    const seller = await newSeller();
    const sub = (
      await submit(seller.auth, {
        id_type: 'nida',
        id_number: NIDA,
        document_media_ids: [await uploadDoc(seller.auth)],
      })
    ).json();
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/kyc/${sub.id}/approve`,
      headers: admin.auth,
      payload: {},
    });
    const late = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/kyc/${sub.id}/reject`,
      headers: admin.auth,
      payload: { reason: 'changed my mind' },
    });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('INVALID_TRANSITION');
  });

  it.each([
    ['an invalid NIDA number', { id_type: 'nida', id_number: '12345' }, 422, 'id_number'],
    ['an unknown ID type', { id_type: 'library_card', id_number: 'X1234567' }, 400, 'id_type'],
    ['no documents', { id_type: 'nida', id_number: NIDA, document_media_ids: [] }, 400, 'document_media_ids'],
    [
      'five documents',
      {
        id_type: 'nida',
        id_number: NIDA,
        document_media_ids: Array(5).fill('8f14e45f-ceea-467f-a8f5-6f1a2b3c4d5e'),
      },
      400,
      'document_media_ids',
    ],
  ])('refuses %s', async (_what, body, status, field) => {
    const seller = await newSeller();
    const doc = await uploadDoc(seller.auth);
    const res = await submit(seller.auth, { document_media_ids: [doc], ...body });
    expect(res.statusCode).toBe(status);
    expect(res.json().field).toBe(field);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me/kyc', headers: seller.auth })).json().status,
    ).toBe('not_submitted');
  });

  it("refuses someone else's upload, or an upload made for another purpose", async () => {
    const seller = await newSeller();
    const stranger = await newSeller();
    const theirs = await uploadDoc(stranger.auth);
    const res = await submit(seller.auth, { id_type: 'nida', id_number: NIDA, document_media_ids: [theirs] });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'MEDIA_NOT_USABLE', field: 'document_media_ids' });
    const productPhoto = await uploadDoc(seller.auth, 'product_image');
    expect(
      (
        await submit(seller.auth, { id_type: 'nida', id_number: NIDA, document_media_ids: [productPhoto] })
      ).json().code,
    ).toBe('MEDIA_NOT_USABLE');
  });

  it("a seller never reads another seller's KYC or documents", async () => {
    const a = await newSeller();
    const b = await newSeller();
    const doc = await uploadDoc(a.auth);
    const sub = (
      await submit(a.auth, { id_type: 'nida', id_number: NIDA, document_media_ids: [doc] })
    ).json();
    // Their own view shows only their own state.
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me/kyc', headers: b.auth })).json().status,
    ).toBe('not_submitted');
    // The admin views are closed to sellers, and the document bytes are hidden.
    const adminView = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/kyc/${sub.id}`,
      headers: b.auth,
    });
    expect(adminView.statusCode).toBe(403);
    expect(adminView.json().code).toBe('FORBIDDEN_ROLE');
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/media/${doc}/content`, headers: b.auth }))
        .statusCode,
    ).toBe(404);
  });

  it('a buyer without a seller profile cannot submit KYC', async () => {
    const buyer = await t.login(freshPhone());
    const res = await submit(buyer.auth, {
      id_type: 'nida',
      id_number: NIDA,
      document_media_ids: [await uploadDoc(buyer.auth)],
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN_ROLE');
  });

  it('the seller guard refuses buyers and suspended sellers', async () => {
    const buyer = await t.login(freshPhone());
    await expect(t.app.services.identity.assertActiveVerifiedSeller(buyer.userId)).rejects.toMatchObject({
      code: 'SELLER_NOT_REGISTERED',
    });
    const seller = await newSeller();
    const sub = (
      await submit(seller.auth, {
        id_type: 'nida',
        id_number: NIDA,
        document_media_ids: [await uploadDoc(seller.auth)],
      })
    ).json();
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/kyc/${sub.id}/approve`,
      headers: admin.auth,
      payload: {},
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/users/${seller.userId}/suspend`,
      headers: admin.auth,
      payload: { reason: 'Counterfeit reports' },
    });
    await expect(t.app.services.identity.assertActiveVerifiedSeller(seller.userId)).rejects.toMatchObject({
      code: 'ACCOUNT_SUSPENDED',
    });
  });

  it('the queue pages oldest first with a cursor, and refuses a forged cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await newSeller();
      ids.push(
        (
          await submit(s.auth, {
            id_type: 'nida',
            id_number: NIDA,
            document_media_ids: [await uploadDoc(s.auth)],
          })
        ).json().id,
      );
      t.clock.advanceSeconds(5);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/admin/kyc?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.app.inject({ method: 'GET', url, headers: admin.auth })).json();
      seen.push(...page.items.map((i: { id: string }) => i.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    const forged = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/kyc?cursor=bm9wZQ',
      headers: admin.auth,
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('INVALID_CURSOR');
    const tooMany = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/kyc?limit=1000',
      headers: admin.auth,
    });
    expect(tooMany.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'limit' });
  });
});
