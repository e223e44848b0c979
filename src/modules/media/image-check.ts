// sharp (libvips) is loaded at the first image, not at start-up: most processes never decode one.
const loadSharp = () => import('sharp').then((m) => m.default);

/** The formats we take, as sharp names them, by the MIME type file-type found in the bytes. */
const SHARP_FORMAT: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** A phone photo is ~12 MP; anything past this is refused before it is decoded (a decompression bomb). */
export const MAX_IMAGE_PIXELS = 50_000_000;

export type ImageCheck =
  | { ok: true; width: number; height: number }
  | { ok: false; reason: 'UNDECODABLE' | 'FORMAT_MISMATCH' | 'TOO_MANY_PIXELS' };

/**
 * Decodes every pixel (magic bytes alone say nothing about the rest of the file): a truncated or
 * corrupt image fails here, and a good one tells its real dimensions.
 */
export async function checkImage(bytes: Buffer, mime: string): Promise<ImageCheck> {
  try {
    const sharp = await loadSharp();
    const image = sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS });
    const meta = await image.metadata();
    if (meta.format !== SHARP_FORMAT[mime]) return { ok: false, reason: 'FORMAT_MISMATCH' };
    if (!meta.width || !meta.height) return { ok: false, reason: 'UNDECODABLE' };
    if (meta.width * meta.height > MAX_IMAGE_PIXELS) return { ok: false, reason: 'TOO_MANY_PIXELS' };
    const { info } = await image.raw().toBuffer({ resolveWithObject: true });
    return { ok: true, width: info.width, height: info.height };
  } catch {
    return { ok: false, reason: 'UNDECODABLE' };
  }
}
