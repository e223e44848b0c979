import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/app.js';
import { systemClock } from '../../shared/clock.js';
import { randomIds } from '../../shared/ids.js';
import { createAuditService } from '../audit/index.js';
import { MAX_ADDRESSES } from './profile-service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

let n = 1;
const freshPhone = () => `+2557550${String(n++).padStart(5, '0')}`;

const home = {
  label: 'Home',
  district: 'Kinondoni',
  ward: 'Mikocheni',
  street: 'Mwai Kibaki Rd',
  landmark: 'Behind Shoppers Plaza, green gate',
  location: { lat: -6.7603, lng: 39.2436 },
};

const sellerBody = {
  shop_name: 'Mama Neema Vitenge',
  business_type: 'informal',
  ward: 'Kariakoo',
  landmark: 'Msimbazi St, opposite the bus stand',
  location: { lat: -6.8185, lng: 39.2779 },
  payout_phone: '0754 111 222',
  payout_wallet: 'mpesa',
};

describe('delivery addresses', () => {
  it('adds an address, makes the first one the default, and fills the contact phone with mine', async () => {
    const phone = freshPhone();
    const me = await t.login(phone);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: me.auth,
      payload: home,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ ...home, contact_phone: phone, is_default: true });
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/me/addresses', headers: me.auth });
    expect(list.json().items).toHaveLength(1);
  });

  it('keeps exactly one default address as defaults move and addresses go', async () => {
    const me = await t.login(freshPhone());
    const add = (p: object) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/me/addresses',
        headers: me.auth,
        payload: { ...home, ...p },
      });
    const a = (await add({ label: 'A' })).json();
    const b = (await add({ label: 'B', is_default: true, contact_phone: '0715 999 888' })).json();
    expect(b).toMatchObject({ is_default: true, contact_phone: '+255715999888' });
    const defaults = async () =>
      (await t.app.inject({ method: 'GET', url: '/api/v1/me/addresses', headers: me.auth }))
        .json()
        .items.filter((x: { is_default: boolean }) => x.is_default);
    expect((await defaults()).map((x: { id: string }) => x.id)).toEqual([b.id]);

    const unset = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/me/addresses/${b.id}`,
      headers: me.auth,
      payload: { is_default: false },
    });
    expect(unset.statusCode).toBe(422);
    expect(unset.json().code).toBe('DEFAULT_ADDRESS_REQUIRED');

    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/me/addresses/${a.id}`,
      headers: me.auth,
      payload: { is_default: true },
    });
    expect((await defaults()).map((x: { id: string }) => x.id)).toEqual([a.id]);

    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/me/addresses/${a.id}`, headers: me.auth }))
        .statusCode,
    ).toBe(204);
    expect((await defaults()).map((x: { id: string }) => x.id)).toEqual([b.id]);
  });

  it('changes only the fields sent', async () => {
    const me = await t.login(freshPhone());
    const a = (
      await t.app.inject({ method: 'POST', url: '/api/v1/me/addresses', headers: me.auth, payload: home })
    ).json();
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/me/addresses/${a.id}`,
      headers: me.auth,
      payload: { landmark: 'Next to the mosque', location: null },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      ward: 'Mikocheni',
      landmark: 'Next to the mosque',
      location: null,
      street: 'Mwai Kibaki Rd',
    });
  });

  it('never shows or changes another buyer’s address', async () => {
    const owner = await t.login(freshPhone());
    const other = await t.login(freshPhone());
    const a = (
      await t.app.inject({ method: 'POST', url: '/api/v1/me/addresses', headers: owner.auth, payload: home })
    ).json();
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await t.app.inject({
        method,
        url: `/api/v1/me/addresses/${a.id}`,
        headers: other.auth,
        ...(method === 'PATCH' ? { payload: { label: 'Mine now' } } : {}),
      });
      expect(res.statusCode, method).toBe(404);
    }
    const still = await t.app.inject({
      method: 'GET',
      url: `/api/v1/me/addresses/${a.id}`,
      headers: owner.auth,
    });
    expect(still.json().label).toBe('Home');
  });

  it.each([
    ['no landmark', { ...home, landmark: undefined }, 'landmark'],
    ['an empty ward', { ...home, ward: '  ' }, 'ward'],
    ['a latitude off the globe', { ...home, location: { lat: 91, lng: 39 } }, 'location.lat'],
    ['a district outside Dar es Salaam', { ...home, district: 'Arusha' }, 'district'],
    ['a location given as text', { ...home, location: '-6.7,39.2' }, 'location'],
    ['an unknown field', { ...home, gps: 'x' }, 'gps'],
  ])('refuses %s with 400 naming the field', async (_what, payload, field) => {
    const me = await t.login(freshPhone());
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: me.auth,
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
  });

  it('refuses a contact phone that is not a mobile, and writes nothing', async () => {
    const me = await t.login(freshPhone());
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: me.auth,
      payload: { ...home, contact_phone: '022 212 3456' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'INVALID_PHONE', field: 'contact_phone' });
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me/addresses', headers: me.auth })).json().items,
    ).toEqual([]);
  });

  it('refuses a malformed id and an empty patch', async () => {
    const me = await t.login(freshPhone());
    expect(
      (
        await t.app.inject({ method: 'GET', url: '/api/v1/me/addresses/not-a-uuid', headers: me.auth })
      ).json(),
    ).toMatchObject({ code: 'VALIDATION_FAILED', field: 'id' });
    const a = (
      await t.app.inject({ method: 'POST', url: '/api/v1/me/addresses', headers: me.auth, payload: home })
    ).json();
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/me/addresses/${a.id}`,
          headers: me.auth,
          payload: {},
        })
      ).statusCode,
    ).toBe(400);
  });

  it(`stops at ${MAX_ADDRESSES} addresses`, async () => {
    const me = await t.login(freshPhone());
    for (let i = 0; i < MAX_ADDRESSES; i++) {
      expect(
        (
          await t.app.inject({
            method: 'POST',
            url: '/api/v1/me/addresses',
            headers: me.auth,
            payload: { ...home, label: `A${i}` },
          })
        ).statusCode,
      ).toBe(201);
    }
    const over = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: me.auth,
      payload: home,
    });
    expect(over.statusCode).toBe(409);
    expect(over.json().code).toBe('ADDRESS_LIMIT');
  });

  it('needs a signed-in caller', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me/addresses' })).statusCode).toBe(401);
  });
});

describe('seller profile', () => {
  it('becoming a seller creates the profile, adds the role, and leaves KYC not submitted', async () => {
    const me = await t.login(freshPhone());
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: sellerBody,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      shop_name: 'Mama Neema Vitenge',
      payout_phone: '+255754111222',
      kyc_status: 'not_submitted',
    });
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: me.auth });
    expect(mine.json().user.roles).toEqual(['buyer', 'seller']);
    expect(mine.json().seller_profile.shop_name).toBe('Mama Neema Vitenge');
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: sellerBody,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('SELLER_PROFILE_EXISTS');
  });

  it('a registered business needs its registration number', async () => {
    const me = await t.login(freshPhone());
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: { ...sellerBody, business_type: 'registered' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'REGISTRATION_NUMBER_REQUIRED', field: 'registration_number' });
    const roles = (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: me.auth })).json().user
      .roles;
    expect(roles).toEqual(['buyer']);
  });

  it('refuses a payout number that is not a mobile, and an unknown wallet', async () => {
    const me = await t.login(freshPhone());
    const phone = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: { ...sellerBody, payout_phone: '+12025550100' },
    });
    expect(phone.json()).toMatchObject({ code: 'INVALID_PHONE', field: 'payout_phone' });
    const wallet = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: { ...sellerBody, payout_wallet: 'paypal' },
    });
    expect(wallet.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'payout_wallet' });
  });

  it('only sellers reach the seller routes', async () => {
    const buyer = await t.login(freshPhone());
    for (const url of ['/api/v1/me/seller-profile', '/api/v1/me/kyc']) {
      const res = await t.app.inject({ method: 'GET', url, headers: buyer.auth });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN_ROLE');
    }
  });

  it('updates the profile and audits a change of payout number', async () => {
    const me = await t.login(freshPhone());
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: sellerBody,
    });
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: { shop_name: 'Neema Fashions', payout_phone: '0754 333 444' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      shop_name: 'Neema Fashions',
      payout_phone: '+255754333444',
      ward: 'Kariakoo',
    });
    const audit = createAuditService({ db: t.handle.db, clock: systemClock, ids: randomIds });
    const trail = (await audit.list({ targetId: me.userId, limit: 100 })).items;
    expect(trail.map((e) => e.action)).toEqual(
      expect.arrayContaining(['user.created', 'seller.registered', 'seller.payout_phone_changed']),
    );
    const change = trail.find((e) => e.action === 'seller.payout_phone_changed')!;
    expect(change.data).toEqual({ from: '+255754111222', to: '+255754333444' });
  });

  it('refuses to switch to a registered business without a number', async () => {
    const me = await t.login(freshPhone());
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: sellerBody,
    });
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: { business_type: 'registered' },
    });
    expect(res.json().code).toBe('REGISTRATION_NUMBER_REQUIRED');
    const ok = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/me/seller-profile',
      headers: me.auth,
      payload: { business_type: 'registered', registration_number: '123-456-789' },
    });
    expect(ok.json()).toMatchObject({ business_type: 'registered', registration_number: '123-456-789' });
  });
});
