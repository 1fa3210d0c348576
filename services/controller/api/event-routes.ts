import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EventSchema, EventsQuery } from '../../../appliance/serve/index.ts';
import type { ControllerCore } from './controller-core.ts';
import { GUARDED, replies } from './schemas.ts';

/** The appliance journal, for cloud-admins: /api/v1/events */
export function eventRoutes(core: ControllerCore) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: Static<typeof EventsQuery> }>(
      '/events',
      {
        config: { access: { kind: 'cloud-admin' } },
        schema: {
          summary: "The appliance's journal of events, newest first",
          tags: ['events'],
          querystring: EventsQuery,
          response: replies({ 200: Type.Object({ events: Type.Array(EventSchema) }) }, GUARDED),
        },
      },
      async (request) => ({ events: core.store.events.list({ after: request.query.after, kind: request.query.kind, limit: request.query.limit }) }),
    );
  };
}
