// The media module's public face: other modules import only from here.
export { mediaSchema, toMedia } from './dto.js';
export { ALLOWED_IMAGE_TYPES, MEDIA_PURPOSES, type MediaPurpose } from './model.js';
export { mediaRoutes } from './routes.js';
export { createS3Storage, type S3StorageSettings, storageFromConfig } from './s3-storage.js';
export { createMediaService, type Media, type MediaService } from './service.js';
export { createLocalStorage, type MediaStorage } from './storage.js';
