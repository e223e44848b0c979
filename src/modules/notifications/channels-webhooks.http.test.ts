import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base,
  buyer,
  clock,
  drain,
  fakeAt,
  fakeWa,
  logs,
  newOrder,
  notify,
  rowsOf,
  seller,
  TOKEN,
  useChannelsApp,
  VERIFY,
} from './channels.fixtures.js';

// The real adapters against local fakes of Africa's Talking and the WhatsApp Cloud API, the app
// listening on 127.0.0.1 so the fakes post delivery reports and signed webhooks to it. Shared setup
// lives in channels.fixtures.ts.

useChannelsApp();

describe('webhooks and delivery reports: replays, forgeries, disorder', () => {
  it('WhatsApp statuses arriving duplicated and out of order never move a message backwards', async () => {
    const event = newOrder();
    await notify(event);
    await drain();
    const waRow = (await rowsOf(event.id)).find((r) => r.channel === 'whatsapp')!;
    const t0 = Math.floor(clock.now().getTime() / 1000);
    const answers = await fakeWa.deliver(
      [
        { wamid: waRow.providerMessageId!, status: 'sent', timestamp: t0 },
        { wamid: waRow.providerMessageId!, status: 'delivered', timestamp: t0 + 5 },
        { wamid: waRow.providerMessageId!, status: 'read', timestamp: t0 + 60 },
      ],
      { reorder: true, duplicate: true },
    );
    expect(answers).toEqual([200, 200, 200, 200, 200, 200]);
    const row = (await rowsOf(event.id)).find((r) => r.id === waRow.id)!;
    expect(row.status).toBe('read');
    expect(row.statusHistory.map((h) => h.status)).toEqual(['queued', 'sending', 'sent', 'read']);
    expect(row.deliveredAt!.getTime()).toBe((t0 + 60) * 1000);
    // A late "failed" after the read changes nothing and sends no SMS.
    expect(await fakeWa.deliver([{ wamid: waRow.providerMessageId!, status: 'failed' }])).toEqual([200]);
    await drain();
    expect(
      (await rowsOf(event.id)).filter((r) => r.recipientId === seller.userId && r.channel === 'sms'),
    ).toEqual([]);
  });

  it('a forged WhatsApp webhook (wrong secret, no signature, re-serialised body) changes nothing', async () => {
    const event = newOrder();
    await notify(event);
    await drain();
    const waRow = (await rowsOf(event.id)).find((r) => r.channel === 'whatsapp')!;
    const forged = [{ wamid: waRow.providerMessageId!, status: 'failed' as const }];
    expect(await fakeWa.deliver(forged, { signWith: 'not-the-app-secret-000' })).toEqual([401]);
    const body = JSON.stringify({
      entry: [
        {
          changes: [
            { value: { statuses: [{ id: waRow.providerMessageId, status: 'failed', timestamp: '1' }] } },
          ],
        },
      ],
    });
    expect(await fakeWa.post(body, null)).toBe(401);
    // Signed, then altered in transit (one space added): the signature no longer matches.
    expect(await fakeWa.post(`${body} `, fakeWa.sign(body))).toBe(401);
    // Signed garbage is a 400, never a 500.
    expect(await fakeWa.post('{not json', fakeWa.sign('{not json'))).toBe(400);
    await drain();
    const rows = await rowsOf(event.id);
    expect(rows.find((r) => r.id === waRow.id)!.status).toBe('sent');
    expect(rows.filter((r) => r.recipientId === seller.userId && r.channel === 'sms')).toEqual([]);
  });

  it("answers Meta's verification only with the right token", async () => {
    const ok = await fetch(
      `${base}/notifications/callbacks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const bad = await fetch(
      `${base}/notifications/callbacks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1`,
    );
    expect(bad.status).toBe(403);
    expect(logs.filter((l) => l.includes(VERIFY))).toEqual([]);
  });

  it('a forged, replayed or regressing AT delivery report changes nothing and is never a 5xx', async () => {
    const event = {
      type: 'order.ready' as const,
      id: randomUUID(),
      order_id: randomUUID(),
      buyer_id: buyer.userId,
    };
    await notify(event);
    await drain();
    const smsRow = (await rowsOf(event.id)).find((r) => r.channel === 'sms')!;
    const id = smsRow.providerMessageId!;
    const wrongToken = `${base}/notifications/callbacks/africastalking/delivery/${'x'.repeat(TOKEN.length)}`;
    expect(await fakeAt.report(id, 'Failed', { url: wrongToken, failureReason: 'UserInBlackList' })).toBe(
      404,
    );
    expect((await rowsOf(event.id)).find((r) => r.id === smsRow.id)!.status).toBe('sent');
    expect(await fakeAt.report('ATXid_unknown', 'Success')).toBe(200);
    expect(await fakeAt.report(id, 'Success')).toBe(200);
    expect(await fakeAt.report(id, 'Success')).toBe(200); // replay
    expect(await fakeAt.report(id, 'Failed', { failureReason: 'InsufficientCredit' })).toBe(200); // late, backwards
    expect(await fakeAt.report(id, 'Buffered')).toBe(200);
    const row = (await rowsOf(event.id)).find((r) => r.id === smsRow.id)!;
    expect(row.status).toBe('delivered');
    expect(row.statusHistory.map((h) => h.status)).toEqual(['queued', 'sending', 'sent', 'delivered']);
    const garbage = await fetch(fakeAt.reportUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'nothing=here',
    });
    expect(garbage.status).toBe(400);
    expect(logs.filter((l) => l.includes(TOKEN))).toEqual([]);
  });
});
