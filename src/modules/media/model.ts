/** What an upload is for; it decides who may read it later (KYC documents: owner and admins only). */
export const MEDIA_PURPOSES = [
  'kyc_document',
  'product_image',
  'delivery_proof',
  'dispute_evidence',
] as const;
export type MediaPurpose = (typeof MEDIA_PURPOSES)[number];

/** Image types we accept, judged by the file's bytes, never by its name or the client's Content-Type. */
export const ALLOWED_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
