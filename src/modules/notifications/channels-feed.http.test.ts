import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  app,
  buyer,
  clock,
  drain,
  fakeAt,
  logs,
  newOrder,
  notify,
  seller,
  useChannelsApp,
} from './channels.fixtures.js';

// The real adapters against local fakes of Africa's Talking and the WhatsApp Cloud API, the app
// listening on 127.0.0.1 so the fakes post delivery reports and signed webhooks to it. Shared setup
// lives in channels.fixtures.ts.

useChannelsApp();

// The feed test pages through more notifications than its own two: in the one file these tests
// came from, the earlier tests had left the buyer several. Here one earlier order leaves them.
beforeAll(async () => {
  await notify(newOrder());
  await drain();
  clock.advanceSeconds(1);
});

describe('the in-app feed, preferences and the admin views', () => {
  it('lists my notifications newest first with the unread count; mark one, then all, read', async () => {
    const e1 = {
      type: 'order.ready' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      buyer_id: buyer.userId,
    };
    await notify(e1);
    clock.advanceSeconds(1);
    const e2 = {
      type: 'loyalty.points_earned' as const,
      id: randomUUID(),
      order_id: e1.order_id,
      buyer_id: buyer.userId,
      points: 12,
    };
    await notify(e2);
    const feed = await app.inject({
      method: 'GET',
      url: '/api/v1/me/notifications?limit=2',
      headers: buyer.auth,
    });
    expect(feed.statusCode, feed.body).toBe(200);
    const body = feed.json();
    expect(body.items[0].body).toContain('pointi 12'); // Swahili by default, newest first
    expect(body.items[1].title).toBe('Oda iko tayari');
    expect(body.unread).toBeGreaterThanOrEqual(2);
    expect(body.next_cursor).toEqual(expect.any(String));

    const next = await app.inject({
      method: 'GET',
      url: `/api/v1/me/notifications?limit=2&cursor=${body.next_cursor}`,
      headers: buyer.auth,
    });
    expect(next.statusCode).toBe(200);
    expect(next.json().items.map((i: { id: string }) => i.id)).not.toContain(body.items[0].id);

    const one = await app.inject({
      method: 'POST',
      url: `/api/v1/me/notifications/${body.items[0].id}/read`,
      headers: buyer.auth,
    });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json().read_at).toEqual(expect.any(String));
    const notMine = await app.inject({
      method: 'POST',
      url: `/api/v1/me/notifications/${body.items[1].id}/read`,
      headers: seller.auth,
    });
    expect(notMine.statusCode).toBe(404);
    const all = await app.inject({
      method: 'POST',
      url: '/api/v1/me/notifications/read-all',
      headers: buyer.auth,
    });
    expect(all.json().marked).toBeGreaterThanOrEqual(1);
    const after = await app.inject({ method: 'GET', url: '/api/v1/me/notifications', headers: buyer.auth });
    expect(after.json().unread).toBe(0);

    const forged = await app.inject({
      method: 'GET',
      url: '/api/v1/me/notifications?cursor=abc',
      headers: buyer.auth,
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('INVALID_CURSOR');
    expect((await app.inject({ method: 'GET', url: '/api/v1/me/notifications' })).statusCode).toBe(401);
  });

  it('refuses to switch transactional messages off, with a problem+json 422', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/notification-preferences',
      headers: buyer.auth,
      payload: { opted_out: ['transactional'] },
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json().code).toBe('CATEGORY_REQUIRED');
    const bad = await app.inject({
      method: 'PUT',
      url: '/api/v1/me/notification-preferences',
      headers: buyer.auth,
      payload: { language: 'fr' },
    });
    expect(bad.statusCode).toBe(400);
    const get = await app.inject({
      method: 'GET',
      url: '/api/v1/me/notification-preferences',
      headers: buyer.auth,
    });
    expect(get.json()).toMatchObject({
      language: 'sw',
      whatsapp_opt_in: false,
      marketing_opt_in: false,
      opted_out: [],
    });
  });

  it('lets admins search messages with phones masked and without bodies; others get 403', async () => {
    const event = {
      type: 'order.delivery_code_issued' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      buyer_id: buyer.userId,
      code: '7391',
    };
    await notify(event);
    await drain();
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/admin/notifications?order_id=${event.order_id}`,
      headers: admin.auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items;
    expect(items.map((i: { channel: string }) => i.channel).sort()).toEqual(['in_app', 'sms']);
    const sms = items.find((i: { channel: string }) => i.channel === 'sms');
    expect(sms.address).toBe(`${buyer.phone.slice(0, 5)}*****${buyer.phone.slice(-3)}`);
    expect(res.body).not.toContain('7391');
    expect(res.body).not.toContain(buyer.phone);
    const byStatus = await app.inject({
      method: 'GET',
      url: `/api/v1/admin/notifications?user_id=${buyer.userId}&status=sent&channel=sms`,
      headers: admin.auth,
    });
    expect(
      byStatus
        .json()
        .items.every(
          (i: { status: string; recipient_id: string }) =>
            i.status === 'sent' && i.recipient_id === buyer.userId,
        ),
    ).toBe(true);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/admin/notifications', headers: buyer.auth }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/admin/notifications/report?from=2026-13-01&to=2026-11-25',
          headers: admin.auth,
        })
      ).statusCode,
    ).toBe(400);
    // The code went only to the buyer, and never into a log line.
    expect(fakeAt.requests.filter((r) => r.form.message?.includes('7391')).map((r) => r.form.to)).toEqual([
      buyer.phone,
    ]);
    // (as a number of its own: log timestamps are digits too, and request ids are UUIDv7, whose
    // third group is "7" and three hex digits, so 1 id in 4,096 reads "-7391-")
    expect(logs.join('\n')).not.toMatch(/(?<![\w.-])7391(?![\w-])/);
    expect(logs.join('\n')).not.toContain(buyer.phone);
  });
});
