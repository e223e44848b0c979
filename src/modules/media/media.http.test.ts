import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, multipartBody, PNG_1x1, type TestApp } from '../../../test/support/app.js';

let t: TestApp;
const MAX = 4096;
beforeAll(async () => {
  t = await createTestApp({ MEDIA_MAX_BYTES: String(MAX) });
});
afterAll(() => t.close());

let n = 1;
const freshPhone = () => `+2557660${String(n++).padStart(5, '0')}`;

// Real, decodable images (3 x 2 pixels): an upload is judged by decoding it, not by its first bytes.
const solid = () => sharp({ create: { width: 3, height: 2, channels: 3, background: '#c0ffee' } });
const JPEG = await solid().jpeg().toBuffer();
const WEBP = await solid().webp().toBuffer();
const PNG_3x2 = await solid().png().toBuffer();
const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(32, 0)]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n');

const upload = (
  auth: Record<string, string>,
  bytes: Buffer,
  opts: { purpose?: string; field?: string; name?: string; type?: string } = {},
) => {
  const body = multipartBody(opts.field ?? 'file', opts.name ?? 'doc.png', opts.type ?? 'image/png', bytes);
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/media?purpose=${opts.purpose ?? 'kyc_document'}`,
    headers: { ...auth, ...body.headers },
    payload: body.payload,
  });
};

describe('POST /api/v1/media', () => {
  it.each([
    ['PNG', PNG_1x1, 'image/png'],
    ['JPEG', JPEG, 'image/jpeg'],
    ['WebP', WEBP, 'image/webp'],
  ])('stores a %s and reports the type found in its bytes', async (_name, bytes, type) => {
    const me = await t.login(freshPhone());
    const res = await upload(me.auth, bytes, { type: 'application/octet-stream', name: 'photo.bin' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      purpose: 'kyc_document',
      content_type: type,
      size_bytes: bytes.length,
    });
    expect(res.json().sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records the dimensions found by decoding the image', async () => {
    const me = await t.login(freshPhone());
    const res = await upload(me.auth, PNG_3x2);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ content_type: 'image/png', width: 3, height: 2 });
    const again = await t.app.inject({
      method: 'GET',
      url: `/api/v1/media/${res.json().id}`,
      headers: me.auth,
    });
    expect(again.json()).toMatchObject({ width: 3, height: 2 });
  });

  it.each([
    ['the first 16 bytes of a PNG', PNG_3x2.subarray(0, 16)],
    ['a PNG cut off before its end', PNG_3x2.subarray(0, PNG_3x2.length - 20)],
    ['a JPEG cut off halfway', JPEG.subarray(0, Math.floor(JPEG.length / 2))],
    ['a JPEG header followed by noise', Buffer.concat([JPEG.subarray(0, 20), Buffer.alloc(200, 0x55)])],
    ['a WebP cut off after its header', WEBP.subarray(0, 30)],
  ])('refuses %s with 422 INVALID_IMAGE and stores nothing', async (_what, bytes) => {
    const me = await t.login(freshPhone());
    const stored = () => {
      const dir = join(t.dataDir, 'media');
      return existsSync(dir) ? readdirSync(dir, { recursive: true }).length : 0;
    };
    const before = stored();
    const res = await upload(me.auth, bytes);
    expect(stored()).toBe(before);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ code: 'INVALID_IMAGE', field: 'file' });
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses a form with two files instead of keeping the first', async () => {
    const me = await t.login(freshPhone());
    const boundary = 'twofiles';
    const filePart = (name: string, bytes: Buffer) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        bytes,
        Buffer.from('\r\n'),
      ]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/media?purpose=kyc_document',
      headers: { ...me.auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        filePart('a.png', PNG_1x1),
        filePart('b.png', PNG_3x2),
        Buffer.from(`--${boundary}--\r\n`),
      ]),
    });
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json()).toMatchObject({ code: 'TOO_MANY_FILES', field: 'file' });
  });

  it('serves the bytes back to the owner, unchanged, with nosniff', async () => {
    const me = await t.login(freshPhone());
    const m = (await upload(me.auth, PNG_1x1)).json();
    const res = await t.app.inject({ method: 'GET', url: m.content_url, headers: me.auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.rawPayload.equals(PNG_1x1)).toBe(true);
  });

  it.each([
    ['a GIF (an image type we do not take)', GIF, 'image/gif'],
    ['a PDF', PDF, 'application/pdf'],
    ['text dressed up as a PNG', Buffer.from('hello, definitely a png'), 'image/png'],
  ])('refuses %s with 415, judged by its bytes', async (_what, bytes, claimed) => {
    const me = await t.login(freshPhone());
    const res = await upload(me.auth, bytes, { type: claimed, name: 'x.png' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', field: 'file' });
  });

  it('refuses a file over the size limit and keeps nothing of it', async () => {
    const me = await t.login(freshPhone());
    const big = Buffer.concat([PNG_1x1, Buffer.alloc(MAX, 7)]);
    const res = await upload(me.auth, big);
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('FILE_TOO_LARGE');
    const mediaDir = join(t.dataDir, 'media');
    const files = existsSync(mediaDir) ? readdirSync(mediaDir, { recursive: true }).map(String) : [];
    expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('refuses an empty file, a missing file and a file in the wrong field', async () => {
    const me = await t.login(freshPhone());
    expect((await upload(me.auth, Buffer.alloc(0))).json().code).toBe('EMPTY_FILE');
    const wrongField = await upload(me.auth, PNG_1x1, { field: 'document' });
    expect(wrongField.statusCode).toBe(422);
    expect(wrongField.json()).toMatchObject({ code: 'FILE_REQUIRED', field: 'file' });
    const boundary = 'xyz';
    const noFile = await t.app.inject({
      method: 'POST',
      url: '/api/v1/media?purpose=kyc_document',
      headers: { ...me.auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}--\r\n`,
    });
    expect(noFile.statusCode).toBe(422);
    expect(noFile.json().code).toBe('FILE_REQUIRED');
  });

  it('refuses JSON instead of a form, and an unknown purpose', async () => {
    const me = await t.login(freshPhone());
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/v1/media?purpose=kyc_document',
      headers: me.auth,
      payload: { file: 'aGVsbG8=' },
    });
    expect(json.statusCode).toBe(415);
    expect(json.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const purpose = await upload(me.auth, PNG_1x1, { purpose: 'selfie' });
    expect(purpose.statusCode).toBe(400);
    expect(purpose.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'purpose' });
  });

  it('needs a signed-in caller', async () => {
    const res = await upload({}, PNG_1x1);
    expect(res.statusCode).toBe(401);
  });
});

describe('reading media', () => {
  it('hides an upload from other users (404) and shows it to admins', async () => {
    const owner = await t.login(freshPhone());
    const other = await t.login(freshPhone());
    const admin = await t.loginAdmin(freshPhone());
    const m = (await upload(owner.auth, PNG_1x1)).json();
    for (const url of [`/api/v1/media/${m.id}`, m.content_url]) {
      expect((await t.app.inject({ method: 'GET', url, headers: other.auth })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url, headers: admin.auth })).statusCode).toBe(200);
    }
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const me = await t.login(freshPhone());
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/api/v1/media/8f14e45f-ceea-467f-a8f5-6f1a2b3c4d5e',
          headers: me.auth,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/media/42', headers: me.auth })).statusCode,
    ).toBe(400);
  });
});
