import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeS3, startFakeS3 } from '../../../test/fakes/s3.js';
import { loadConfig } from '../../config.js';
import { createS3Storage, storageFromConfig } from './s3-storage.js';

// The S3 adapter against a local S3-compatible fake (test/fakes/s3.ts): the same port as the folder.

const settings = {
  region: 'af-south-1',
  bucket: 'kkoo-media',
  accessKeyId: 'AKIDTESTTESTTEST',
  secretAccessKey: 'test-secret-key',
  forcePathStyle: true,
  prefix: 'test/',
};
let s3: FakeS3;
beforeAll(async () => {
  s3 = await startFakeS3(settings);
});
afterAll(() => s3.close());

describe('S3 media storage', () => {
  it('puts, gets and deletes an object under the prefix, with SigV4-signed requests', async () => {
    const storage = createS3Storage({ ...settings, endpoint: s3.url });
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01, 0x02]);
    await storage.put('ab/cd.jpg', bytes, 'image/jpeg');
    expect(s3.objects.get('test/ab/cd.jpg')?.contentType).toBe('image/jpeg');
    expect(await storage.get('ab/cd.jpg')).toEqual(bytes);
    await storage.delete('ab/cd.jpg');
    expect(s3.objects.has('test/ab/cd.jpg')).toBe(false);
    // Deleting again is fine, as with the local folder.
    await storage.delete('ab/cd.jpg');
    expect(s3.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /kkoo-media/test/ab/cd.jpg',
      'GET /kkoo-media/test/ab/cd.jpg',
      'DELETE /kkoo-media/test/ab/cd.jpg',
      'DELETE /kkoo-media/test/ab/cd.jpg',
    ]);
    for (const r of s3.requests)
      expect(r.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTESTTESTTEST\//);
  });

  it('a missing object is an error, not empty bytes', async () => {
    const storage = createS3Storage({ ...settings, endpoint: s3.url });
    await expect(storage.get('no/such.jpg')).rejects.toThrow();
  });

  it('wrong credentials are refused by the server and surface as an error', async () => {
    const storage = createS3Storage({ ...settings, endpoint: s3.url, accessKeyId: 'AKIDWRONGWRONG00' });
    await expect(storage.put('x.jpg', Buffer.from('x'), 'image/jpeg')).rejects.toThrow();
    expect(s3.objects.has('test/x.jpg')).toBe(false);
  });
});

describe('MEDIA_STORAGE=s3 configuration', () => {
  it('is refused without a bucket and credentials, naming each', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', MEDIA_STORAGE: 's3' })).toThrow(
      /S3_BUCKET[\s\S]*S3_ACCESS_KEY_ID[\s\S]*S3_SECRET_ACCESS_KEY/,
    );
  });

  it('picks the S3 adapter when set, the folder otherwise', () => {
    const s3config = loadConfig({
      NODE_ENV: 'test',
      MEDIA_STORAGE: 's3',
      S3_BUCKET: 'b',
      S3_ACCESS_KEY_ID: 'k',
      S3_SECRET_ACCESS_KEY: 's',
    });
    expect(storageFromConfig(s3config, '/tmp/unused').name).toBe('s3');
    expect(storageFromConfig(loadConfig({ NODE_ENV: 'test' }), '/tmp/unused').name).toBe('local');
  });
});
