import type { S3Client } from '@aws-sdk/client-s3';
import { createLocalStorage, type MediaStorage } from './storage.js';

// Media in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, ...), so several API processes on
// several machines serve the same files. Keys are ours (generated ids), used as object keys as is.

export interface S3StorageSettings {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** MinIO and most self-hosted servers want path-style URLs (endpoint/bucket/key). */
  forcePathStyle: boolean;
  /** Prepended to every key, so one bucket can hold several environments. */
  prefix?: string;
}

export function createS3Storage(s: S3StorageSettings): MediaStorage {
  // The SDK is loaded when the bucket is first used, so processes on local storage never pay its
  // start-up cost; the promise is shared, so it loads once.
  let sdk: Promise<{ m: typeof import('@aws-sdk/client-s3'); client: S3Client }> | undefined;
  const connect = () => {
    sdk ??= import('@aws-sdk/client-s3').then((m) => ({ m, client: newClient(m) }));
    return sdk;
  };
  const newClient = (m: typeof import('@aws-sdk/client-s3')) =>
    new m.S3Client({
      region: s.region,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      forcePathStyle: s.forcePathStyle,
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
      // A media read must not hang a request on a slow bucket; the SDK retries transient errors.
      maxAttempts: 3,
      // Checksums only where S3 requires them: several S3-compatible servers reject the newer defaults.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  const keyOf = (key: string) => `${s.prefix ?? ''}${key}`;
  return {
    name: 's3',
    async put(key, bytes, contentType) {
      const { m, client } = await connect();
      await client.send(
        new m.PutObjectCommand({ Bucket: s.bucket, Key: keyOf(key), Body: bytes, ContentType: contentType }),
      );
    },
    async get(key) {
      const { m, client } = await connect();
      const out = await client.send(new m.GetObjectCommand({ Bucket: s.bucket, Key: keyOf(key) }));
      if (!out.Body) throw new Error(`s3: empty body for ${key}`);
      return Buffer.from(await out.Body.transformToByteArray());
    },
    async delete(key) {
      // S3 answers 204 whether or not the object existed: deleting twice is fine, as with the folder.
      const { m, client } = await connect();
      await client.send(new m.DeleteObjectCommand({ Bucket: s.bucket, Key: keyOf(key) }));
    },
  };
}

/** The storage the configuration names: the local folder unless MEDIA_STORAGE=s3 (checked complete by loadConfig). */
export function storageFromConfig(
  config: {
    MEDIA_STORAGE: 'local' | 's3';
    S3_ENDPOINT?: string;
    S3_REGION: string;
    S3_BUCKET?: string;
    S3_ACCESS_KEY_ID?: string;
    S3_SECRET_ACCESS_KEY?: string;
    S3_FORCE_PATH_STYLE: boolean;
    S3_PREFIX?: string;
  },
  localDir: string,
): MediaStorage {
  if (config.MEDIA_STORAGE !== 's3') return createLocalStorage(localDir);
  return createS3Storage({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    bucket: config.S3_BUCKET ?? '',
    accessKeyId: config.S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: config.S3_SECRET_ACCESS_KEY ?? '',
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    prefix: config.S3_PREFIX,
  });
}
