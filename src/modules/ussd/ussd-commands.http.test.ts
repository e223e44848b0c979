// The USSD callback as Africa's Talking posts it: form fields in, text/plain `CON …`/`END …` out.
// Shared setup and helpers live in ussd.fixtures.ts.
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { nextPhone, upload } from '../../../test/support/fixtures.js';
import {
  api,
  deliveredOrder,
  newSession,
  phoneOf,
  recordsOf,
  rowsOf,
  screen,
  t,
  useUssdApp,
} from './ussd.fixtures.js';

useUssdApp();

describe('confirm and dispute are the app’s own commands', () => {
  it('confirming by USSD leaves exactly the order, ledger and audit records the app’s confirm-receipt leaves, and sends an SMS receipt', async () => {
    const viaApp = await deliveredOrder();
    const viaUssd = await deliveredOrder();
    expect(
      (await api('POST', `/api/v1/orders/${viaApp.id}/confirm-receipt`, viaApp.buyer.auth)).statusCode,
    ).toBe(200);
    const phone = await phoneOf(viaUssd.buyer.userId);
    const s = newSession();
    expect((await screen(s, phone, '')).type).toBe('CON');
    expect((await screen(s, phone, '2')).text).toMatch(/^Chagua oda uliyopokea:\n1 .+ TZS 13,000\n0 Nyuma/);
    expect((await screen(s, phone, '2*1')).text).toMatch(/^Thibitisha umepokea .+\(TZS 13,000\)/);
    await t.app.services.jobs.drain(); // the messages of the delivery before it
    const sentBefore = t.sms.sent.length;
    const done = await screen(s, phone, '2*1*1');
    expect(done.type).toBe('END');
    expect(done.text).toMatch(/^Asante! Umethibitisha kupokea/);
    const a = await recordsOf(viaApp.id);
    const u = await recordsOf(viaUssd.id);
    expect(u.order).toMatchObject({ status: 'completed' });
    expect(u).toEqual(a);
    // Not an empty comparison: the release, its events and its audit are there on both sides.
    expect(a.transfers).toContainEqual(expect.objectContaining({ phase: 'post', order_id: 'ORDER' }));
    expect(a.events.at(-1)).toMatchObject({
      event: 'confirm_receipt',
      to_status: 'completed',
      actor_role: 'buyer',
    });
    expect(a.audits.at(-1)).toMatchObject({ action: 'order.completed', actor_user_id: 'BUYER' });
    // The receipt goes through notifications, as the buyer's message, once.
    await t.app.services.jobs.drain();
    await t.app.services.jobs.drain();
    expect(t.sms.sent.slice(sentBefore).filter((m) => /Umethibitisha kupokea/.test(m.message))).toEqual([
      { to: phone, message: expect.stringMatching(/^K'KOO: Umethibitisha kupokea .+ \(TZS 13,000\)/) },
    ]);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });

  it('disputing by USSD leaves the app’s records (the statement stands in for a photo) and holds the escrow', async () => {
    const viaApp = await deliveredOrder();
    const viaUssd = await deliveredOrder();
    const photo = await upload(t, viaApp.buyer.auth, 'dispute_evidence');
    const opened = await api('POST', `/api/v1/orders/${viaApp.id}/disputes`, viaApp.buyer.auth, {
      reason: 'damaged',
      description: 'Buyer reported by USSD: Damaged.',
      evidence_media_ids: [photo],
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const phone = await phoneOf(viaUssd.buyer.userId);
    const s = newSession();
    expect((await screen(s, phone, '3')).text).toMatch(/^Oda ipi ina tatizo\?\n1 /);
    expect((await screen(s, phone, '3*1')).text).toContain('2 Imeharibika');
    const done = await screen(s, phone, '3*1*2');
    expect(done.text).toMatch(/^Tatizo la .+ limeripotiwa/);
    const a = await recordsOf(viaApp.id);
    const u = await recordsOf(viaUssd.id);
    // The only difference: the app's dispute names its photo, the USSD one has none.
    const noMedia = (r: typeof a) => ({
      ...r,
      events: r.events.map((e) => {
        const ev = e as { evidence?: { media?: unknown } | null };
        return ev.evidence?.media ? { ...ev, evidence: { ...ev.evidence, media: 'MEDIA' } } : e;
      }),
    });
    expect(noMedia(u)).toEqual(noMedia(a));
    expect(u.order).toMatchObject({ status: 'disputed' });
    expect(u.disputes).toEqual([
      expect.objectContaining({
        reason: 'damaged',
        description: 'Buyer reported by USSD: Damaged.',
        status: 'open',
      }),
    ]);
    await t.app.services.jobs.drain();
    expect(
      t.sms.sent.filter((m) => m.to === phone && /^K'KOO: Tumepokea tatizo/.test(m.message)),
    ).toHaveLength(1);
    expect(await t.app.services.orders.service.reconcile()).toEqual([]);
  });

  it('a replayed request confirms once and opens one dispute, and answers as the first time', async () => {
    const one = await deliveredOrder();
    const phone = await phoneOf(one.buyer.userId);
    const s = newSession();
    const first = await screen(s, phone, '2*1*1');
    await t.app.services.jobs.drain();
    const sms = t.sms.sent.length;
    const replay = await screen(s, phone, '2*1*1');
    expect(replay).toEqual(first);
    // Another action on the same order in the same session is not run either.
    expect((await screen(s, phone, '3*1*2')).text).not.toMatch(/limeripotiwa/);
    await t.app.services.jobs.drain();
    expect(t.sms.sent.length).toBe(sms);
    expect(t.sms.sent.filter((m) => m.to === phone && /Umethibitisha kupokea/.test(m.message))).toHaveLength(
      1,
    );
    const r = await recordsOf(one.id);
    expect(r.events.filter((e) => (e as { event: string }).event === 'confirm_receipt')).toHaveLength(1);
    expect(r.disputes).toEqual([]);

    const two = await deliveredOrder();
    const phone2 = await phoneOf(two.buyer.userId);
    const s2 = newSession();
    const d1 = await screen(s2, phone2, '3*1*1');
    const d2 = await screen(s2, phone2, '3*1*1');
    expect(d2).toEqual(d1);
    const r2 = await recordsOf(two.id);
    expect(r2.disputes).toHaveLength(1);
    expect(r2.events.filter((e) => (e as { event: string }).event === 'open_dispute')).toHaveLength(1);
    const claims = await rowsOf(sql`select count(*)::int as n from ussd_actions where session_id = ${s2}`);
    expect(claims[0]).toEqual({ n: 1 });
  });

  it('another phone cannot act on a session (or an order) that is not its own', async () => {
    const o = await deliveredOrder();
    const owner = await phoneOf(o.buyer.userId);
    const other = await t.login(nextPhone());
    const otherPhone = await phoneOf(other.userId);
    const s = newSession();
    expect((await screen(s, owner, '2')).text).toMatch(/^Chagua oda/);
    // The other phone presents the owner's session id: it gets nothing, and nothing changes.
    const hijack = await screen(s, otherPhone, '2*1*1');
    expect(hijack.type).toBe('END');
    expect(hijack.text).toMatch(/^Samahani, ombi halikueleweka/);
    // And in its own session, the other phone has no order to confirm.
    expect((await screen(newSession(), otherPhone, '2')).text).toMatch(/^Huna oda iliyofika/);
    expect((await screen(newSession(), otherPhone, '2*1*1')).text).toMatch(/Chaguo batili/);
    expect((await recordsOf(o.id)).order).toMatchObject({ status: 'delivered' });
  });

  it('refused in a wrong state: confirmed in the app while the session was open', async () => {
    const o = await deliveredOrder();
    const phone = await phoneOf(o.buyer.userId);
    const s = newSession();
    expect((await screen(s, phone, '2*1')).type).toBe('CON');
    expect((await api('POST', `/api/v1/orders/${o.id}/confirm-receipt`, o.buyer.auth)).statusCode).toBe(200);
    const before = await recordsOf(o.id);
    const sms = t.sms.sent.length;
    const r = await screen(s, phone, '2*1*1');
    expect(r).toEqual({
      type: 'END',
      text: expect.stringMatching(/^Haiwezekani sasa: .+ ni "Imekamilika"\.$/),
    });
    expect((await screen(newSession(), phone, '3')).text).toMatch(/^Huna oda inayoweza kuripotiwa/);
    expect(await recordsOf(o.id)).toEqual(before);
    expect(t.sms.sent.length).toBe(sms);
  });

  it('refused once the dispute window has closed, even in a session opened before', async () => {
    const o = await deliveredOrder();
    const phone = await phoneOf(o.buyer.userId);
    const s = newSession();
    expect((await screen(s, phone, '3*1')).text).toContain('1 Bidhaa tofauti');
    t.clock.advanceSeconds(48 * 3600 + 60);
    const before = await recordsOf(o.id);
    const r = await screen(s, phone, '3*1*4');
    expect(r).toEqual({
      type: 'END',
      text: expect.stringMatching(/^Muda wa kuripoti tatizo la .+ umepita\.$/),
    });
    expect(await recordsOf(o.id)).toEqual(before);
    expect(before.order).toMatchObject({ status: 'delivered' });
    expect(before.disputes).toEqual([]);
    // A new session does not offer it at all.
    expect((await screen(newSession(), phone, '3')).text).toMatch(/^Huna oda inayoweza kuripotiwa/);
    await t.app.services.jobs.drain();
  });
});
