import { describe, expect, it } from 'vitest';
import {
  admin,
  app,
  clock,
  digits,
  drain,
  fakeAt,
  fakeWa,
  newOrder,
  notify,
  rowsOf,
  seller,
  useChannelsApp,
} from './channels.fixtures.js';

// The real adapters against local fakes of Africa's Talking and the WhatsApp Cloud API, the app
// listening on 127.0.0.1 so the fakes post delivery reports and signed webhooks to it. Shared setup
// lives in channels.fixtures.ts.

useChannelsApp();

describe('WhatsApp first, SMS as the fallback, proven by delivery reports', () => {
  it('WhatsApp failing → SMS fallback → AT delivery report → the admin report counts it', async () => {
    fakeWa.failFor.set(digits(seller.phone), { status: 400, code: 131026, message: 'Message undeliverable' });
    const event = newOrder();
    await notify(event);
    await drain();
    const rows = await rowsOf(event.id);
    const waRow = rows.find((r) => r.recipientId === seller.userId && r.channel === 'whatsapp')!;
    expect(waRow.status).toBe('failed');
    expect(waRow.lastError).toBe('REJECTED 131026');
    const smsRow = rows.find((r) => r.recipientId === seller.userId && r.channel === 'sms')!;
    expect(smsRow.failoverOf).toBe(waRow.id);
    expect(smsRow.status).toBe('sent');
    expect(smsRow.costMinor).toBe(2500);
    expect(smsRow.costCurrency).toBe('TZS');
    expect(
      fakeAt.requests.filter((r) => r.form.to === seller.phone && /New paid order/.test(r.form.message!)),
    ).toHaveLength(1);

    clock.advanceSeconds(40);
    expect(await fakeAt.report(smsRow.providerMessageId!, 'Success')).toBe(200);
    const delivered = (await rowsOf(event.id)).find((r) => r.id === smsRow.id)!;
    expect(delivered.status).toBe('delivered');

    const report = await app.inject({
      method: 'GET',
      url: '/api/v1/admin/notifications/report?from=2026-11-25&to=2026-11-25',
      headers: admin.auth,
    });
    expect(report.statusCode, report.body).toBe(200);
    const sms = report.json().items.find((i: { channel: string }) => i.channel === 'sms');
    expect(sms.delivered).toBeGreaterThanOrEqual(1);
    expect(sms.cost_minor).toBeGreaterThanOrEqual(2500);
    expect(sms.p50_latency_ms).toBeGreaterThan(0);
    const whatsapp = report.json().items.find((i: { channel: string }) => i.channel === 'whatsapp');
    expect(whatsapp.failed).toBeGreaterThanOrEqual(1);
  });

  it('sends the approved template outside the 24-hour window and free text inside it', async () => {
    const e1 = newOrder();
    await notify(e1);
    await drain();
    const template = fakeWa.sends.at(-1)!;
    expect(template).toMatchObject({ to: digits(seller.phone), type: 'template' });
    expect(template.template).toMatchObject({ name: 'kkoo_seller_new_order', language: 'en_US' });
    expect(template.template!.params[1]).toBe('TZS 18,000');

    // The seller writes to us: the window opens (recorded from the signed inbound webhook).
    const inbound = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'W',
          changes: [
            {
              field: 'messages',
              value: {
                messages: [
                  {
                    from: digits(seller.phone),
                    id: 'wamid.IN1',
                    timestamp: String(clock.now().getTime() / 1000),
                    type: 'text',
                    text: { body: 'Habari' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    fakeWa.inbound(digits(seller.phone));
    expect(await fakeWa.post(inbound, fakeWa.sign(inbound))).toBe(200);
    const e2 = newOrder();
    await notify(e2);
    await drain();
    expect(fakeWa.sends.at(-1)).toMatchObject({ type: 'text', to: digits(seller.phone) });
    expect(fakeWa.sends.at(-1)!.text).toContain('New paid order');
  });

  it('a critical WhatsApp message only "sent" after the failover time also goes by SMS, once', async () => {
    const event = newOrder();
    await notify(event);
    await drain();
    const waRow = (await rowsOf(event.id)).find((r) => r.channel === 'whatsapp')!;
    expect(await fakeWa.deliver([{ wamid: waRow.providerMessageId!, status: 'sent' }])).toEqual([200]);
    clock.advanceSeconds(301);
    await drain();
    await app.services.notifications.jobHandlers['notifications.check_failover']({ message_id: waRow.id }, {
      payload: { message_id: waRow.id },
    } as never); // a second check (retried job) adds nothing
    await drain();
    const sms = (await rowsOf(event.id)).filter(
      (r) => r.recipientId === seller.userId && r.channel === 'sms',
    );
    expect(sms).toHaveLength(1);
    expect(sms[0]!.status).toBe('sent');
  });

  it('a critical WhatsApp message delivered in time does not go by SMS', async () => {
    const event = newOrder();
    await notify(event);
    await drain();
    const waRow = (await rowsOf(event.id)).find((r) => r.channel === 'whatsapp')!;
    expect(
      await fakeWa.deliver([
        { wamid: waRow.providerMessageId!, status: 'sent' },
        { wamid: waRow.providerMessageId!, status: 'delivered' },
      ]),
    ).toEqual([200, 200]);
    clock.advanceSeconds(301);
    await drain();
    const rows = (await rowsOf(event.id)).filter((r) => r.recipientId === seller.userId);
    expect(rows.map((r) => r.channel).sort()).toEqual(['in_app', 'whatsapp']);
    expect(rows.find((r) => r.channel === 'whatsapp')!.status).toBe('delivered');
  });
});
