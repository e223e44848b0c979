import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../shared/errors.js';
import type { ZonesService } from './service.js';

// The one public read of delivery zones (mounted under /api/v1): a would-be rider needs a zone id
// for POST /rider/profile, and a buyer wants to see where delivery goes. Active zones only, and
// only what a map needs: no cells, counts, timestamps or inactive zones.

const publicZone = z
  .object({
    id: z.uuid(),
    name: z.string(),
    polygon: z
      .array(z.tuple([z.number(), z.number()]))
      .describe('The zone outline: a ring of [lng, lat] points, the last repeating the first'),
  })
  .meta({ id: 'PublicDeliveryZone' });

export function publicZonesRoutes(deps: {
  zones: Pick<ZonesService, 'listZones'>;
  publicReadsPerMinute: number;
}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/zones',
      {
        config: { rateLimit: { max: deps.publicReadsPerMinute, timeWindow: '1 minute' } },
        schema: {
          tags: ['zones'],
          summary: 'Active delivery zones (public): id and outline, e.g. for a rider’s home_zone_id',
          response: { 200: z.object({ items: z.array(publicZone) }), ...problems(429) },
        },
      },
      async () => {
        const zones = await deps.zones.listZones();
        return {
          items: zones
            .filter((zone) => zone.active)
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((zone) => ({ id: zone.id, name: zone.name, polygon: zone.polygon })),
        };
      },
    );
  };
}
