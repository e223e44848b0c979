import { z } from 'zod';
import { toDarTime } from '../../shared/time.js';
import type { Media } from './service.js';

export const mediaSchema = z
  .object({
    id: z.uuid(),
    purpose: z.string(),
    content_type: z.string(),
    size_bytes: z.number().int(),
    width: z.number().int().nullable().describe('Pixels, found by decoding the image'),
    height: z.number().int().nullable(),
    sha256: z.string(),
    content_url: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'Media' });

export const toMedia = (m: Media) => ({
  id: m.id,
  purpose: m.purpose,
  content_type: m.contentType,
  size_bytes: m.sizeBytes,
  width: m.width,
  height: m.height,
  sha256: m.sha256,
  content_url: `/api/v1/media/${m.id}/content`,
  created_at: toDarTime(m.createdAt),
});
