import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
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

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(64, 1),
  Buffer.from([0xff, 0xd9]),
]);
const WEBP = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([0x24, 0, 0, 0]),
  Buffer.from('WEBPVP8 '),
  Buffer.alloc(32, 0),
]);
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
