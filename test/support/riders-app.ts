// The rider and admin routes on a minimal Fastify app with the error
// handling and Zod compilers of app.ts, over a test database. People sign in as
// `Bearer token-of-<who>-0001`; granting the rider role adds it to that person's roles.
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Database, DatabaseHandle } from '../../src/db/client.js';
import { createAuditService } from '../../src/modules/audit/index.js';
import { users } from '../../src/modules/identity/schema.js';
import { createJobService } from '../../src/modules/jobs/index.js';
import {
  createRidersModule,
  type RiderOrdersPort,
  type RidersModule,
} from '../../src/modules/riders/index.js';
import type { AuthContext } from '../../src/shared/auth.js';
import type { ManualClock } from '../../src/shared/clock.js';
import { AppError, notFound, registerErrorHandling } from '../../src/shared/errors.js';
import { randomIds } from '../../src/shared/ids.js';
import { createTestDatabase } from './db.js';

/** The one delivery zone these apps know (named Kariakoo). */
export const TEST_ZONE = '00000000-0000-7000-8000-00000000a0e1';

export interface RidersTestApp {
  app: FastifyInstance;
  handle: DatabaseHandle;
  db: Database;
  mod: RidersModule;
  /** the headers of `who` signed in */
  as(who: string): { authorization: string };
  call(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    payload?: unknown,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function ridersTestApp(opts: {
  /** user id of each person, by name */
  people: Record<string, string>;
  /** roles of each person, by name (granting the rider role adds to it) */
  roles: Record<string, string[]>;
  clock: ManualClock;
  orders: RiderOrdersPort;
  /** first digits of the people's phone numbers, so two test files never share one */
  phonePrefix: string;
}): Promise<RidersTestApp> {
  const { people, roles, clock } = opts;
  const handle = await createTestDatabase();
  const db = handle.db;
  const names = Object.keys(people);
  for (const [who, id] of Object.entries(people)) {
    await db.insert(users).values({
      id,
      phone: `${opts.phonePrefix}${String(names.indexOf(who)).padStart(4, '0')}`,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
  }
  const mod = createRidersModule({
    db,
    clock,
    ids: randomIds,
    audit: createAuditService({ db, clock, ids: randomIds }),
    jobs: createJobService({ db, clock, ids: randomIds, log: { info() {}, error() {} } }),
    zones: {
      zoneOfPoint: async () => null,
      getZone: async (id) => {
        if (id !== TEST_ZONE) throw notFound('Delivery zone');
        return { zone: { id, name: 'Kariakoo', active: true } };
      },
    },
    orders: opts.orders,
    grantRiderRole: async (userId) => {
      const who = Object.entries(people).find(([, id]) => id === userId)![0];
      if (!roles[who]!.includes('rider')) roles[who]!.push('rider');
    },
  });
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('auth', null);
  app.decorate('authenticator', async (token: string): Promise<AuthContext> => {
    const who = /^token-of-(\w+)-0001$/.exec(token)?.[1];
    if (!who || !people[who]) throw new AppError('INVALID_TOKEN', 401, 'Unknown session.');
    return { userId: people[who], sessionId: 's', phone: '+255754000000', roles: roles[who]! };
  });
  registerErrorHandling(app);
  await app.register(mod.routes, { prefix: '/api/v1' });
  await app.register(mod.adminRoutes, { prefix: '/api/v1/admin' });
  await app.ready();
  return {
    app,
    handle,
    db,
    mod,
    as: (who) => ({ authorization: `Bearer token-of-${who}-0001` }),
    call: (method, url, headers, payload) =>
      app.inject({
        method,
        url: `/api/v1${url}`,
        headers,
        ...(payload === undefined ? {} : { payload: payload as object }),
      }),
    close: async () => {
      await app.close();
      await handle.close();
    },
  };
}
