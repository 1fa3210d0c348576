import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { Type, type Static } from '@sinclair/typebox';
import { EventSchema, EventsQuery, NewEventBody, type Journal } from './journal.ts';
import { ApplianceStatusSchema, type ApplianceStatus } from './status-schema.ts';

export interface ControlRouteDeps {
  readonly status: () => ApplianceStatus;
  readonly journal: Journal;
  readonly metrics: Registry;
}

/**
 * Routes of the local control socket. The socket is mode 0600 inside a 0700
 * directory: reaching it at all is the authentication.
 */
export function controlRoutes(deps: ControlRouteDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/status', { schema: { response: { 200: ApplianceStatusSchema } } }, () => deps.status());

    app.get<{ Querystring: Static<typeof EventsQuery> }>(
      '/v1/events',
      { schema: { querystring: EventsQuery, response: { 200: Type.Object({ events: Type.Array(EventSchema) }) } } },
      (request) => ({ events: deps.journal.list(request.query) }),
    );

    app.post<{ Body: Static<typeof NewEventBody> }>(
      '/v1/events',
      { schema: { body: NewEventBody, response: { 200: Type.Object({ event: EventSchema }), 201: Type.Object({ event: EventSchema }) } } },
      async (request, reply) => {
        const { event, created } = deps.journal.record(request.body);
        return reply.code(created ? 201 : 200).send({ event });
      },
    );

    app.get('/metrics', async (_request, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()));
  };
}
