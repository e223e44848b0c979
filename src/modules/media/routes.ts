import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity, caller, requireAuth } from '../../shared/auth.js';
import { AppError, problems } from '../../shared/errors.js';
import { idParam } from '../../shared/pagination.js';
import { sha256Hex } from '../../shared/secrets.js';
import { mediaSchema, toMedia } from './dto.js';
import { MEDIA_PURPOSES } from './model.js';
import type { MediaService } from './service.js';

const tooManyFiles = () =>
  new AppError('TOO_MANY_FILES', 413, 'Send one file per upload; this form has more than one.', {
    field: 'file',
  });

export function mediaRoutes(deps: { media: MediaService; uploadsPerHour: number }): FastifyPluginAsyncZod {
  const { media } = deps;
  // Uploads fill a disk: cap them per caller (keyed by the bearer token's hash, else the address).
  const uploadLimit = {
    max: deps.uploadsPerHour,
    timeWindow: '1 hour',
    keyGenerator: (request: { headers: { authorization?: string | undefined }; ip: string }) =>
      request.headers.authorization
        ? `upl:${sha256Hex(request.headers.authorization)}`
        : `upl-ip:${request.ip}`,
  };
  return async (app) => {
    app.post(
      '/media',
      {
        preHandler: requireAuth(),
        config: { multipartFile: 'file', rateLimit: uploadLimit },
        schema: {
          tags: ['media'],
          summary: 'Upload one image (multipart/form-data, field "file")',
          description: `JPEG, PNG or WebP, judged by the file's bytes; at most ${media.maxBytes} bytes.`,
          security: bearerSecurity,
          consumes: ['multipart/form-data'],
          querystring: z.strictObject({ purpose: z.enum(MEDIA_PURPOSES) }),
          response: { 201: mediaSchema, ...problems(400, 401, 403, 413, 415, 422, 429) },
        },
      },
      async (request, reply) => {
        if (!request.isMultipart()) {
          throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'Send the file as multipart/form-data.', {
            field: 'file',
          });
        }
        let file: { filename: string; bytes: Buffer } | undefined;
        try {
          // Read the whole form: a second file is refused, never silently dropped.
          for await (const part of request.parts()) {
            if (part.type !== 'file') continue;
            if (file) throw tooManyFiles();
            if (part.fieldname !== 'file') {
              throw new AppError(
                'FILE_REQUIRED',
                422,
                `The file must be sent in the field "file", not "${part.fieldname}".`,
                { field: 'file' },
              );
            }
            file = { filename: part.filename, bytes: await part.toBuffer() };
          }
        } catch (err) {
          // Limits (size, parts) carry Fastify codes mapped elsewhere; anything else the parser throws is a broken form.
          const e = err as { statusCode?: number; code?: string };
          if (e.code === 'FST_FILES_LIMIT') throw tooManyFiles();
          if (err instanceof AppError || (typeof e.statusCode === 'number' && e.code?.startsWith('FST_')))
            throw err;
          throw new AppError('INVALID_MULTIPART', 400, 'The multipart/form-data body is malformed.', {
            field: 'file',
          });
        }
        if (!file) throw new AppError('FILE_REQUIRED', 422, 'The form has no file.', { field: 'file' });
        const row = await media.upload({
          ownerUserId: caller(request).userId,
          purpose: request.query.purpose,
          bytes: file.bytes,
          originalName: file.filename,
        });
        return reply.code(201).send(toMedia(row));
      },
    );

    app.get(
      '/media/:id',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['media'],
          summary: 'Metadata of an upload (owner or admin)',
          security: bearerSecurity,
          params: idParam,
          response: { 200: mediaSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => toMedia(await media.getReadable(request.params.id, caller(request))),
    );

    app.get(
      '/media/:id/content',
      {
        preHandler: requireAuth(),
        schema: {
          tags: ['media'],
          summary: 'The bytes of an upload (owner or admin)',
          security: bearerSecurity,
          params: idParam,
          produces: ['image/jpeg', 'image/png', 'image/webp'],
          response: { 200: z.any().describe('The image bytes'), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const row = await media.getReadable(request.params.id, caller(request));
        const bytes = await media.content(row);
        return reply
          .type(row.contentType)
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'private, max-age=300')
          .header('content-disposition', 'inline')
          .send(bytes);
      },
    );
  };
}
